//! Provisioning steps and tenant leases.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use wire::steps::StepState;

use super::{state, RepoResult};
use crate::{now_ms, Db};

#[derive(Clone, Debug)]
pub struct StepRow {
    pub upstream: String,
    pub state: StepState,
    pub message: String,
    pub upstream_id: Option<String>,
    pub last_run_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for StepRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self {
            upstream: row.try_get("upstream")?,
            state: state(row, "state", StepState::parse)?,
            message: row.try_get("message")?,
            upstream_id: row.try_get("upstream_id")?,
            last_run_at: row.try_get("last_run_at")?,
        })
    }
}

/// Creates the step rows of a new tenant (pending), leaving existing ones alone.
pub async fn init_steps(db: &Db, tenant_id: &str, upstreams: &[&str]) -> RepoResult<()> {
    for u in upstreams {
        sqlx::query(
            "INSERT INTO provisioning_steps (tenant_id, upstream, state, message)
             VALUES ($1, $2, 'pending', 'Waiting to run.')
             ON CONFLICT (tenant_id, upstream) DO NOTHING",
        )
        .bind(tenant_id)
        .bind(*u)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

pub async fn steps(db: &Db, tenant_id: &str) -> RepoResult<Vec<StepRow>> {
    sqlx::query_as(
        "SELECT upstream, state, message, upstream_id, last_run_at
           FROM provisioning_steps WHERE tenant_id = $1 ORDER BY upstream",
    )
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await
}

/// The steps of the tenants `tenant_ids` (a page's), as (tenant id, step), in one query.
pub async fn steps_of_tenants(
    db: &Db,
    tenant_ids: &[String],
) -> RepoResult<Vec<(String, StepRow)>> {
    if tenant_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = super::bind_list(1, tenant_ids.len());
    let sql = format!(
        "SELECT tenant_id, upstream, state, message, upstream_id, last_run_at
           FROM provisioning_steps WHERE tenant_id IN ({}) ORDER BY tenant_id, upstream",
        placeholders
    );
    let mut q = sqlx::query(&sql);
    for id in tenant_ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("tenant_id")?, StepRow::from_row(r)?)))
        .collect()
}

pub async fn record(
    db: &Db,
    tenant_id: &str,
    upstream: &str,
    state: StepState,
    message: &str,
    upstream_id: Option<&str>,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO provisioning_steps (tenant_id, upstream, state, message, upstream_id, last_run_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id, upstream) DO UPDATE
            SET state = excluded.state, message = excluded.message,
                upstream_id = COALESCE(excluded.upstream_id, provisioning_steps.upstream_id),
                last_run_at = excluded.last_run_at",
    )
    .bind(tenant_id)
    .bind(upstream)
    .bind(state.as_str())
    .bind(message)
    .bind(upstream_id)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

//! The audit-event table: append and read newest first.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{state, RepoResult};
use crate::domain::{AuditEvent, Outcome};
use crate::Db;

/// An event about to be appended (the recorder fills id and time).
#[derive(Clone, Debug)]
pub struct NewAuditRow<'a> {
    pub id: &'a str,
    pub tenant_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    pub actor_email: Option<&'a str>,
    pub actor_partner_staff: bool,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: Outcome,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a str,
    pub created_at: i64,
}

pub async fn insert(db: &Db, e: &NewAuditRow<'_>) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, actor_user_id, actor_email, actor_partner_staff,
             action, target, outcome, ip, user_agent, request_id, details, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(e.id)
    .bind(e.tenant_id)
    .bind(e.actor_user_id)
    .bind(e.actor_email)
    .bind(i64::from(e.actor_partner_staff))
    .bind(e.action)
    .bind(e.target)
    .bind(e.outcome.as_str())
    .bind(e.ip)
    .bind(e.user_agent)
    .bind(e.request_id)
    .bind(e.details)
    .bind(e.created_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Claims the right to audit a denial of `actor` in `tenant` now (ms since the epoch): true
/// when none was audited in the `window_ms` before, false otherwise. One atomic upsert, so
/// concurrent requests (and instances) get one `true` between them.
pub async fn claim_denial(
    db: &Db,
    actor: &str,
    tenant: &str,
    now: i64,
    window_ms: i64,
) -> RepoResult<bool> {
    let done = sqlx::query(
        "INSERT INTO audit_denial_marks (actor, tenant, last_at) VALUES ($1, $2, $3)
         ON CONFLICT (actor, tenant) DO UPDATE SET last_at = excluded.last_at
         WHERE audit_denial_marks.last_at <= $4",
    )
    .bind(actor)
    .bind(tenant)
    .bind(now)
    .bind(now - window_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event as read: the wire's `AuditEvent`, its outcome parsed and its details decoded.
struct AuditRow(AuditEvent);

impl FromRow<'_, AnyRow> for AuditRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self(AuditEvent {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_email: row.try_get("actor_email")?,
            actor_partner_staff: row.try_get::<i64, _>("actor_partner_staff")? != 0,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            outcome: state(row, "outcome", Outcome::parse)?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            request_id: row.try_get("request_id")?,
            details: state(row, "details", |d| {
                serde_json::from_str(d).unwrap_or(serde_json::Value::Null)
            })?,
            created_at: row.try_get("created_at")?,
        }))
    }
}

const COLUMNS: &str = "id, tenant_id, actor_user_id, actor_email, actor_partner_staff, action, \
    target, outcome, ip, user_agent, request_id, details, created_at";

/// A tenant's events, newest first.
pub async fn for_tenant(db: &Db, tenant_id: &str, limit: i64) -> RepoResult<Vec<AuditEvent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE tenant_id = $1
          ORDER BY created_at DESC, id DESC LIMIT $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Every event, newest first (operations and tests).
pub async fn all(db: &Db, limit: i64) -> RepoResult<Vec<AuditEvent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_events ORDER BY created_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

//! Mail domain rows.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use wire::domains::{DmarcPolicy, DomainStatus};
use wire::steps::StepState;

use super::{state, RepoResult};
use crate::{now_ms, Db};

#[derive(Clone, Debug)]
pub struct DomainRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub unicode_name: String,
    pub ownership_token: String,
    pub status: DomainStatus,
    /// An unknown stored policy reads as quarantine, the default a domain is added with.
    pub dmarc_policy: DmarcPolicy,
    pub dmarc_rua: Option<String>,
    pub is_primary: i64,
    pub stalwart_id: Option<String>,
    pub stalwart_state: StepState,
    pub stalwart_message: String,
    /// The last check's records, as JSON.
    pub checks: String,
    pub last_checked_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for DomainRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            unicode_name: row.try_get("unicode_name")?,
            ownership_token: row.try_get("ownership_token")?,
            status: state(row, "status", DomainStatus::parse)?,
            dmarc_policy: state(row, "dmarc_policy", |s| {
                DmarcPolicy::parse(s).unwrap_or(DmarcPolicy::Quarantine)
            })?,
            dmarc_rua: row.try_get("dmarc_rua")?,
            is_primary: row.try_get("is_primary")?,
            stalwart_id: row.try_get("stalwart_id")?,
            stalwart_state: state(row, "stalwart_state", StepState::parse)?,
            stalwart_message: row.try_get("stalwart_message")?,
            checks: row.try_get("checks")?,
            last_checked_at: row.try_get("last_checked_at")?,
        })
    }
}

const COLUMNS: &str = "id, tenant_id, name, unicode_name, ownership_token, status, dmarc_policy, \
    dmarc_rua, is_primary, stalwart_id, stalwart_state, stalwart_message, checks, last_checked_at";

pub struct NewDomain<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub name: &'a str,
    pub unicode_name: &'a str,
    pub ownership_token: &'a str,
}

/// Claims a name for a tenant; `false` when another row already holds it.
pub async fn insert(db: &Db, d: &NewDomain<'_>) -> RepoResult<bool> {
    let n = sqlx::query(
        "INSERT INTO mail_domains (id, tenant_id, name, unicode_name, ownership_token, status,
             dmarc_policy, stalwart_state, stalwart_message, checks, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 'quarantine', 'pending', 'Waiting to run.', '[]', $6)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(d.id)
    .bind(d.tenant_id)
    .bind(d.name)
    .bind(d.unicode_name)
    .bind(d.ownership_token)
    .bind(now_ms())
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn by_name(db: &Db, name: &str) -> RepoResult<Option<DomainRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mail_domains WHERE name = $1"
    ))
    .bind(name)
    .fetch_optional(db.pool())
    .await
}

pub async fn of_tenant(db: &Db, tenant_id: &str) -> RepoResult<Vec<DomainRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mail_domains WHERE tenant_id = $1 ORDER BY is_primary DESC, name"
    ))
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await
}

pub async fn set_stalwart(
    db: &Db,
    id: &str,
    state: StepState,
    message: &str,
    stalwart_id: Option<&str>,
) -> RepoResult<()> {
    sqlx::query("UPDATE mail_domains SET stalwart_state = $1, stalwart_message = $2, stalwart_id = COALESCE($3, stalwart_id) WHERE id = $4")
        .bind(state.as_str())
        .bind(message)
        .bind(stalwart_id)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn set_checks(db: &Db, id: &str, status: DomainStatus, checks: &str) -> RepoResult<()> {
    sqlx::query(
        "UPDATE mail_domains SET status = $1, checks = $2, last_checked_at = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(checks)
    .bind(now_ms())
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn set_dmarc(
    db: &Db,
    id: &str,
    policy: DmarcPolicy,
    rua: Option<&str>,
) -> RepoResult<()> {
    sqlx::query("UPDATE mail_domains SET dmarc_policy = $1, dmarc_rua = $2 WHERE id = $3")
        .bind(policy.as_str())
        .bind(rua)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Makes one domain the tenant's primary (and no other).
pub async fn set_primary(db: &Db, tenant_id: &str, id: &str) -> RepoResult<()> {
    sqlx::query("UPDATE mail_domains SET is_primary = CASE WHEN id = $1 THEN 1 ELSE 0 END WHERE tenant_id = $2")
        .bind(id)
        .bind(tenant_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM mail_domains WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Leases up to `limit` domains not checked since `checked_before` and not leased by anyone
/// else, for `holder`; returns them. Several instances running this at once get disjoint sets.
pub async fn lease_due(
    db: &Db,
    holder: &str,
    checked_before: i64,
    lease_ms: i64,
    limit: i64,
) -> RepoResult<Vec<DomainRow>> {
    let now = now_ms();
    sqlx::query(
        "UPDATE mail_domains SET lease_holder = $1, lease_until = $2
          WHERE id IN (SELECT id FROM mail_domains
                        WHERE (last_checked_at IS NULL OR last_checked_at < $3)
                          AND (lease_until IS NULL OR lease_until < $4)
                        ORDER BY last_checked_at IS NOT NULL, last_checked_at LIMIT $5)
            AND (lease_until IS NULL OR lease_until < $4)",
    )
    .bind(holder)
    .bind(now + lease_ms)
    .bind(checked_before)
    .bind(now)
    .bind(limit)
    .execute(db.pool())
    .await?;
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM mail_domains WHERE lease_holder = $1 AND lease_until > $2"
    ))
    .bind(holder)
    .bind(now)
    .fetch_all(db.pool())
    .await
}

pub async fn release(db: &Db, id: &str, holder: &str) -> RepoResult<()> {
    sqlx::query("UPDATE mail_domains SET lease_holder = NULL, lease_until = NULL WHERE id = $1 AND lease_holder = $2")
        .bind(id)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}

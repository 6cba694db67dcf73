//! The audit-event table: append and read newest first.

use sqlx::FromRow;

use super::RepoResult;
use crate::domain::AuditEvent;
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
    pub outcome: &'a str,
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
    .bind(e.outcome)
    .bind(e.ip)
    .bind(e.user_agent)
    .bind(e.request_id)
    .bind(e.details)
    .bind(e.created_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

#[derive(FromRow)]
struct AuditRow {
    id: String,
    tenant_id: Option<String>,
    actor_user_id: Option<String>,
    actor_email: Option<String>,
    actor_partner_staff: i64,
    action: String,
    target: String,
    outcome: String,
    ip: Option<String>,
    user_agent: Option<String>,
    request_id: Option<String>,
    details: String,
    created_at: i64,
}

const COLUMNS: &str = "id, tenant_id, actor_user_id, actor_email, actor_partner_staff, action, \
    target, outcome, ip, user_agent, request_id, details, created_at";

fn to_event(r: AuditRow) -> AuditEvent {
    AuditEvent {
        id: r.id,
        tenant_id: r.tenant_id,
        actor_user_id: r.actor_user_id,
        actor_email: r.actor_email,
        actor_partner_staff: r.actor_partner_staff != 0,
        action: r.action,
        target: r.target,
        outcome: r.outcome,
        ip: r.ip,
        user_agent: r.user_agent,
        request_id: r.request_id,
        details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
        created_at: r.created_at,
    }
}

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
    Ok(rows.into_iter().map(to_event).collect())
}

/// Every event, newest first (operations and tests).
pub async fn all(db: &Db, limit: i64) -> RepoResult<Vec<AuditEvent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_events ORDER BY created_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(to_event).collect())
}

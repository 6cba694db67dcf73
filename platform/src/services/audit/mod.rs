//! The audit recorder: one place that writes audit events, used by every mutating action and
//! by every denied access. Details are JSON chosen by the caller and must never hold secrets;
//! a failure to write is logged with the request id, never hidden.

pub mod search;

pub use search::{AuditError, AuditExport, AuditService};
use serde_json::Value;

use crate::domain::{AuditEvent, Outcome};
use crate::repo::audit::{self as repo, NewAuditRow};
use crate::repo::identity;
use crate::{new_id, now_ms, Ctx, Db};

#[derive(Clone, Debug)]
pub struct AuditRecorder {
    db: Db,
}

/// What happened, to whom, with which outcome.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    pub tenant_id: Option<&'a str>,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: Outcome,
    pub details: Value,
}

impl AuditRecorder {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Records one event with the actor taken from the context (email as it is now).
    pub async fn record(&self, ctx: &Ctx, entry: AuditEntry<'_>) {
        let actor = match ctx.user_id.as_deref() {
            Some(id) => identity::user_by_id(&self.db, id).await.ok().flatten(),
            None => None,
        };
        let actor_partner_staff = match (&actor, ctx.partner_mode) {
            (Some(u), true) => matches!(
                identity::partner_of_staff(&self.db, &u.id).await,
                Ok(Some(_))
            ),
            _ => false,
        };
        let details = entry.details.to_string();
        let id = new_id();
        let row = NewAuditRow {
            id: &id,
            tenant_id: entry.tenant_id,
            actor_user_id: ctx.user_id.as_deref(),
            // Only a verified address attributes an event; the user id always does.
            actor_email: actor
                .as_ref()
                .filter(|u| u.email_verified)
                .map(|u| u.email.as_str()),
            actor_partner_staff,
            action: entry.action,
            target: entry.target,
            outcome: entry.outcome,
            ip: ctx.meta.ip.as_deref(),
            user_agent: ctx.meta.user_agent.as_deref(),
            request_id: Some(ctx.meta.request_id.as_str()),
            details: &details,
            created_at: now_ms(),
        };
        if let Err(e) = repo::insert(&self.db, &row).await {
            tracing::error!(
                request_id = %ctx.meta.request_id,
                action = entry.action,
                error = %e,
                "could not write the audit event"
            );
        }
    }

    /// Records an event in a tenant's log (the common case of the services).
    pub async fn record_in(
        &self,
        ctx: &Ctx,
        tenant_id: &str,
        action: &str,
        target: &str,
        outcome: Outcome,
        details: Value,
    ) {
        self.record(
            ctx,
            AuditEntry {
                tenant_id: Some(tenant_id),
                action,
                target,
                outcome,
                details,
            },
        )
        .await
    }

    pub async fn recent_for_tenant(
        &self,
        tenant_id: &str,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, sqlx::Error> {
        repo::for_tenant(&self.db, tenant_id, limit).await
    }
}

//! Verification: every required record checked against live DNS by meaning, the result
//! stored and the status following it (a verified domain that loses a record needs
//! attention, and that is audited); one record at a time for the page's live progress; and
//! the background recheck, leased so that instances never check the same domain at once.

use serde_json::json;

use super::{DnsRecordView, DomainError, DomainService, DomainStatus, MailDomainView, RecordState};
use crate::dns::checks::Outcome as CheckOutcome;
use crate::dns::{self, Expectation};
use crate::domain::Outcome;
use crate::new_id;
use crate::repo::mail_domains::{self as repo, DomainRow};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditEntry;
use crate::Ctx;

impl DomainService {
    /// Checks every required record against live DNS and stores the result; the status
    /// follows (a verified domain that loses a record needs attention, and that is audited).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn verify(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let row = self.row(admin, name).await?;
        let optional = self.verify_row(ctx, &row).await?;
        let row = self.row(admin, name).await?;
        let mut view = self.summary(&row);
        view.records.extend(optional);
        Ok(view)
    }

    /// Checks one required record now (the page shows each record's result as it arrives),
    /// without storing anything; `verify` stores the full result afterwards.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name, kind = %kind, record = %record))]
    pub async fn check_record(
        &self,
        admin: &TenantAdmin,
        name: &str,
        kind: &str,
        record: &str,
    ) -> Result<DnsRecordView, DomainError> {
        let row = self.row(admin, name).await?;
        let (required, _) = self.expected(&row).await?;
        let mail_host = self.mail_host_of(&required);
        let mut r = required
            .into_iter()
            .find(|r| r.kind == kind && r.name == record)
            .ok_or_else(|| DomainError::NotFound(format!("{kind} record {record}")))?;
        let Some(expectation) = Self::expectation(&r, row.dmarc_policy, &mail_host) else {
            return Ok(r);
        };
        let authoritative = self.up.dns.authoritative(&row.name).await;
        let verdict = dns::check_with(&self.up.dns, authoritative.as_ref(), &expectation).await;
        Self::apply(&mut r, verdict);
        Ok(r)
    }

    /// The verdict onto the record's row: its state, what was found, and the rule that
    /// decided (or the error).
    fn apply(r: &mut DnsRecordView, verdict: crate::dns::checks::Verdict) {
        r.to_remove = verdict.to_remove;
        let note = verdict.note;
        (r.state, r.found, r.message) = match verdict.outcome {
            CheckOutcome::Ok => (RecordState::Ok, vec![], note),
            CheckOutcome::Missing => (RecordState::Missing, vec![], note),
            CheckOutcome::Mismatch { found } => (RecordState::Mismatch, found, note),
            CheckOutcome::Duplicate { found } => (
                RecordState::Duplicate,
                found,
                Some(note.unwrap_or_else(|| {
                    "Only one such record may exist; remove the others.".into()
                })),
            ),
            CheckOutcome::Error { message } => (RecordState::Error, vec![], Some(message)),
        };
    }

    /// The background recheck: leases the domains not checked for `interval` (so several
    /// instances never check the same domain at once) and verifies each. Returns how many.
    #[tracing::instrument(skip_all, fields(request_id = %ctx.meta.request_id, limit = limit))]
    pub async fn recheck_due(
        &self,
        ctx: &Ctx,
        interval: std::time::Duration,
        limit: i64,
    ) -> Result<usize, DomainError> {
        let holder = new_id();
        let due = repo::lease_due(
            &self.db,
            &holder,
            crate::now_ms() - interval.as_millis() as i64,
            5 * 60_000,
            limit,
        )
        .await?;
        for row in &due {
            if let Err(e) = self.verify_row(ctx, row).await {
                tracing::warn!(domain = %row.name, error = %e, "background recheck failed");
            }
            repo::release(&self.db, &row.id, &holder).await?;
        }
        Ok(due.len())
    }

    /// Verifies one domain and stores the result; returns the optional records for display.
    async fn verify_row(
        &self,
        ctx: &Ctx,
        row: &DomainRow,
    ) -> Result<Vec<DnsRecordView>, DomainError> {
        let (required, optional) = self.expected(row).await?;
        let mail_host = self.mail_host_of(&required);
        let expectations: Vec<(usize, Expectation)> = required
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Self::expectation(r, row.dmarc_policy, &mail_host).map(|e| (i, e)))
            .collect();
        let checks = dns::verify_domain(
            &self.up.dns,
            &row.name,
            &expectations
                .iter()
                .map(|(_, e)| e.clone())
                .collect::<Vec<_>>(),
        )
        .await;
        let mut records = required;
        for ((i, _), c) in expectations.iter().zip(checks) {
            Self::apply(&mut records[*i], c.verdict);
        }
        let all_ok = records.iter().all(|r| r.state == RecordState::Ok);
        let conflicting = records
            .iter()
            .any(|r| matches!(r.state, RecordState::Mismatch | RecordState::Duplicate));
        let status = if all_ok {
            DomainStatus::Verified
        } else if matches!(
            row.status,
            DomainStatus::Verified | DomainStatus::NeedsAttention
        ) || conflicting
        {
            DomainStatus::NeedsAttention
        } else {
            DomainStatus::Pending
        };
        repo::set_checks(
            &self.db,
            &row.id,
            status,
            &serde_json::to_string(&records).unwrap_or_else(|_| "[]".into()),
        )
        .await?;
        let failing: Vec<String> = records
            .iter()
            .filter(|r| r.state != RecordState::Ok)
            .map(|r| format!("{} {}", r.kind, r.state.as_str()))
            .collect();
        // A verified domain that loses a record: its admins hear of it (once, at the change).
        if row.status == DomainStatus::Verified && status == DomainStatus::NeedsAttention {
            if let (Some(notices), Ok(Some(tenant))) = (
                &self.up.notices,
                crate::repo::identity::tenant_by_id(&self.db, &row.tenant_id).await,
            ) {
                notices
                    .domain_attention(ctx, &tenant, &row.name, &failing.join(", "))
                    .await;
            }
        }
        self.audit
            .record(
                ctx,
                AuditEntry {
                    tenant_id: Some(&row.tenant_id),
                    action: if status != row.status {
                        "domain.status_changed"
                    } else {
                        "domain.verify"
                    },
                    target: &row.name,
                    outcome: Outcome::Success,
                    details: json!({ "from": row.status, "to": status, "failing": failing }),
                },
            )
            .await;
        Ok(optional)
    }
}

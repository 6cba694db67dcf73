//! What the pages and the JSON API see of mail domains, and the reading methods.

use super::{DomainError, DomainService};
use crate::repo::mail_domains::{self as repo, DomainRow};
use crate::services::access::TenantAdmin;

// The views are the wire's (the same for pages, the JSON API and here).
pub use wire::domains::{
    DmarcPolicy, DnsRecordView, DomainPatch, DomainStatus, MailDomainView, RecordState,
};

impl DomainService {
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn list(&self, admin: &TenantAdmin) -> Result<Vec<MailDomainView>, DomainError> {
        let mut out = Vec::new();
        for row in repo::of_tenant(&self.db, &admin.tenant().id).await? {
            out.push(self.summary(&row));
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn get(
        &self,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let row = self.row(admin, name).await?;
        self.view(&row).await
    }

    /// How many of a tenant's domains need attention (the sidebar badge).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn attention_count(&self, admin: &TenantAdmin) -> Result<i64, DomainError> {
        Ok(repo::of_tenant(&self.db, &admin.tenant().id)
            .await?
            .iter()
            .filter(|r| r.status == DomainStatus::NeedsAttention)
            .count() as i64)
    }

    /// The list form: the stored last check, no upstream calls.
    pub(super) fn summary(&self, row: &DomainRow) -> MailDomainView {
        MailDomainView {
            name: row.name.clone(),
            unicode_name: row.unicode_name.clone(),
            status: row.status,
            is_primary: row.is_primary != 0,
            dmarc_policy: row.dmarc_policy,
            dmarc_rua: row.dmarc_rua.clone(),
            stalwart_state: row.stalwart_state,
            stalwart_message: row.stalwart_message.clone(),
            last_checked_at: row.last_checked_at,
            records: serde_json::from_str(&row.checks).unwrap_or_default(),
            sandbox_dns: self.up.sandbox_dns.is_some(),
        }
    }

    /// The records to publish, with the last check's findings merged in.
    pub(super) async fn view(&self, row: &DomainRow) -> Result<MailDomainView, DomainError> {
        let (expected, optional) = self.expected(row).await?;
        let last: Vec<DnsRecordView> = serde_json::from_str(&row.checks).unwrap_or_default();
        let mut records: Vec<DnsRecordView> = expected
            .into_iter()
            .map(|r| {
                last.iter()
                    .find(|l| l.kind == r.kind && l.name == r.name && l.value == r.value)
                    .cloned()
                    .unwrap_or(r)
            })
            .collect();
        records.extend(optional);
        Ok(MailDomainView {
            records,
            ..self.summary(row)
        })
    }
}

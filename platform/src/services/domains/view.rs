//! What the pages and the JSON API see of mail domains, and the reading methods.

use serde::{Deserialize, Serialize};

use super::{DomainError, DomainService};
use crate::repo::mail_domains::{self as repo, DomainRow};
use crate::services::access::TenantAdmin;

/// One record to publish, and what the last check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// MX, SPF, DKIM, DMARC, Ownership, or the zone file's own type for optional records.
    pub kind: String,
    pub name: String,
    pub value: String,
    pub required: bool,
    /// ok, missing, mismatch, duplicate, error, pending (DKIM keys not generated yet),
    /// unchecked (not verified yet), optional (published for clients, not verified).
    pub state: String,
    pub found: Vec<String>,
    pub to_remove: Vec<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDomainView {
    pub name: String,
    pub unicode_name: String,
    /// pending, verified, needs_attention
    pub status: String,
    pub is_primary: bool,
    pub dmarc_policy: String,
    pub dmarc_rua: Option<String>,
    /// ok, skipped, error (the Stalwart step of this domain)
    pub stalwart_state: String,
    pub stalwart_message: String,
    pub last_checked_at: Option<i64>,
    pub records: Vec<RecordView>,
}

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
            .filter(|r| r.status == "needs_attention")
            .count() as i64)
    }

    /// The list form: the stored last check, no upstream calls.
    pub(super) fn summary(&self, row: &DomainRow) -> MailDomainView {
        MailDomainView {
            name: row.name.clone(),
            unicode_name: row.unicode_name.clone(),
            status: row.status.clone(),
            is_primary: row.is_primary != 0,
            dmarc_policy: row.dmarc_policy.clone(),
            dmarc_rua: row.dmarc_rua.clone(),
            stalwart_state: row.stalwart_state.clone(),
            stalwart_message: row.stalwart_message.clone(),
            last_checked_at: row.last_checked_at,
            records: serde_json::from_str(&row.checks).unwrap_or_default(),
        }
    }

    /// The records to publish, with the last check's findings merged in.
    pub(super) async fn view(&self, row: &DomainRow) -> Result<MailDomainView, DomainError> {
        let (expected, optional) = self.expected(row).await?;
        let last: Vec<RecordView> = serde_json::from_str(&row.checks).unwrap_or_default();
        let mut records: Vec<RecordView> = expected
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

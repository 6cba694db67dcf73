//! Sandbox mode only: publish a domain's expected records in the sandbox's DNS server, so a
//! newcomer can walk the whole journey (add, verify, make primary, add a member) in the
//! browser. Outside sandbox mode there is no DNS server to write to and this refuses.

use std::collections::BTreeMap;

use serde_json::json;

use super::{DomainError, DomainService, MailDomainView, RecordState};
use crate::domain::Outcome;
use crate::services::access::TenantAdmin;
use crate::Ctx;

impl DomainService {
    /// Replaces the records at each name the domain needs with exactly the expected ones
    /// (MX, SPF, DKIM, DMARC and the ownership record; DKIM once Stalwart has made the keys),
    /// audits it, then verifies. `sandbox_only` (409) outside sandbox mode.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn publish_in_sandbox(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let dns = self
            .up
            .sandbox_dns
            .clone()
            .ok_or(DomainError::SandboxOnly)?;
        let row = self.row(admin, name).await?;
        let (required, _) = self.expected(&row).await?;
        let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for r in required.iter().filter(|r| r.state != RecordState::Pending) {
            let kind = if r.kind == "MX" { "MX" } else { "TXT" };
            by_name
                .entry(r.name.clone())
                .or_default()
                .push((kind.to_string(), r.value.clone()));
        }
        let published: Vec<&String> = by_name
            .iter()
            .filter(|(n, records)| dns.replace(n, records))
            .map(|(n, _)| n)
            .collect();
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "domain.sandbox_publish",
                &row.name,
                if published.len() == by_name.len() {
                    Outcome::Success
                } else {
                    Outcome::Failure
                },
                json!({ "names": published }),
            )
            .await;
        self.verify(ctx, admin, name).await
    }
}

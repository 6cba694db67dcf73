//! Adding a domain: parsed, claimed by this tenant (one tenant per domain), then created in
//! Stalwart or recorded as skipped when Stalwart provisioning is off. A Stalwart failure
//! withdraws the claim, so nothing is left half-written.

use super::{DomainError, DomainService, MailDomainView};
use crate::crypto::random_token;
use crate::domain::MailDomain;
use crate::repo::mail_domains::{self as repo, NewDomain};
use crate::services::access::TenantAdmin;
use crate::services::steps::StepState;
use crate::{new_id, Ctx};

impl DomainService {
    /// Adds a domain: claims it, creates it in Stalwart (or records that provisioning is
    /// off). If Stalwart fails, the claim is withdrawn: nothing is left half-written.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %raw.trim()))]
    pub async fn add(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        raw: &str,
    ) -> Result<MailDomainView, DomainError> {
        let result = self.add_inner(admin, raw).await;
        let target = result
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_else(|_| raw.trim().to_string());
        self.record(ctx, admin, "domain.add", &target, &result)
            .await;
        result
    }

    async fn add_inner(
        &self,
        admin: &TenantAdmin,
        raw: &str,
    ) -> Result<MailDomainView, DomainError> {
        let domain = MailDomain::parse(raw).map_err(|e| DomainError::Invalid {
            field: "name",
            message: e.to_string(),
        })?;
        let id = new_id();
        let claimed = repo::insert(
            &self.db,
            &NewDomain {
                id: &id,
                tenant_id: &admin.tenant().id,
                name: domain.ascii(),
                unicode_name: domain.unicode(),
                ownership_token: &random_token(18),
            },
        )
        .await?;
        if !claimed {
            let owner = repo::by_name(&self.db, domain.ascii()).await?;
            return Err(match owner {
                Some(o) if o.tenant_id == admin.tenant().id => {
                    DomainError::AlreadyAdded(domain.unicode().into())
                }
                _ => DomainError::ClaimedElsewhere(domain.unicode().into()),
            });
        }
        match &self.up.stalwart {
            None => {
                repo::set_stalwart(&self.db, &id, StepState::Skipped, "Stalwart provisioning is disabled (STALWART_PROVISIONING_ENABLED=false); the domain is kept and verified here only.", None).await?;
            }
            Some(stalwart) => {
                let description = format!("Dezky tenant {}", admin.tenant().slug);
                let created = match stalwart.create_domain(domain.ascii(), &description).await {
                    // Created by an earlier attempt whose answer was lost: adopt it.
                    Err(e) if e.is("primaryKeyViolation") => stalwart
                        .find_domain(domain.ascii())
                        .await
                        .and_then(|id| id.ok_or(e)),
                    other => other,
                };
                match created {
                    Ok(sid) => {
                        repo::set_stalwart(
                            &self.db,
                            &id,
                            StepState::Ok,
                            "Created in Stalwart.",
                            Some(&sid),
                        )
                        .await?
                    }
                    Err(e) => {
                        repo::delete(&self.db, &id).await?;
                        return Err(DomainError::Upstream {
                            message: format!(
                                "Stalwart could not create {}: {e}. Nothing was added; try again.",
                                domain.unicode()
                            ),
                            source: e,
                        });
                    }
                }
            }
        }
        let row = repo::by_name(&self.db, domain.ascii())
            .await?
            .ok_or_else(|| DomainError::NotFound(domain.ascii().into()))?;
        self.view(&row).await
    }
}

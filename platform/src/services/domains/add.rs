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

/// What Dezky writes into a Stalwart domain's description: which tenant created it.
pub(super) fn owner_mark(admin: &TenantAdmin) -> String {
    format!(
        "Dezky tenant {} [{}]",
        admin.tenant().slug,
        admin.tenant().id
    )
}

impl DomainService {
    /// The Stalwart id of `name` when this tenant created it (its description is `mark`).
    async fn ours_in_stalwart(
        &self,
        stalwart: &crate::upstream::stalwart::StalwartClient,
        name: &str,
        mark: &str,
    ) -> Result<Option<String>, crate::upstream::stalwart::StalwartError> {
        let Some(sid) = stalwart.find_domain(name).await? else {
            return Ok(None);
        };
        let record = stalwart.get_domain(&sid).await?;
        Ok(record
            .filter(|r| r.description.as_deref() == Some(mark))
            .map(|_| sid))
    }

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
                let description = owner_mark(admin);
                let created = match stalwart.create_domain(domain.ascii(), &description).await {
                    // It exists: adopt it only if an earlier attempt of this tenant made it
                    // (its answer lost); someone else's domain is never taken over.
                    Err(e) if e.is("primaryKeyViolation") => {
                        match self
                            .ours_in_stalwart(stalwart, domain.ascii(), &description)
                            .await
                        {
                            Ok(Some(sid)) => Ok(sid),
                            Ok(None) => {
                                repo::delete(&self.db, &id).await?;
                                return Err(DomainError::ExistsUpstream(domain.unicode().into()));
                            }
                            Err(other) => Err(other),
                        }
                    }
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

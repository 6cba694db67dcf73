//! The domain's settings: its DMARC policy and report address, and which domain is the
//! tenant's primary (only a verified one; new members get their address there).

use super::{DmarcPolicy, DomainError, DomainPatch, DomainService, DomainStatus, MailDomainView};
use crate::repo::mail_domains as repo;
use crate::services::access::TenantAdmin;
use crate::Ctx;

/// The policy a caller sent (case and surrounding blanks do not matter).
fn dmarc_policy(raw: &str) -> Result<DmarcPolicy, DomainError> {
    DmarcPolicy::parse(&raw.trim().to_ascii_lowercase()).ok_or_else(|| DomainError::Invalid {
        field: "dmarc_policy",
        message: "The DMARC policy must be none, quarantine or reject.".into(),
    })
}

impl DomainService {
    /// Applies a patch: the DMARC policy (with its report address) and/or making the domain
    /// the primary one. With both, the answer is the primary's; with neither, nothing to do
    /// is an invalid request.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn patch(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
        patch: DomainPatch,
    ) -> Result<MailDomainView, DomainError> {
        let mut view = None;
        if let Some(policy) = &patch.dmarc_policy {
            view = Some(
                self.set_dmarc(ctx, admin, name, policy, patch.dmarc_rua.as_deref())
                    .await?,
            );
        }
        if patch.primary == Some(true) {
            view = Some(self.set_primary(ctx, admin, name).await?);
        }
        view.ok_or_else(|| DomainError::Invalid {
            field: "dmarc_policy",
            message: "Nothing to change: send dmarc_policy (with dmarc_rua) or primary: true."
                .into(),
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name, policy = %policy))]
    pub async fn set_dmarc(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
        policy: &str,
        rua: Option<&str>,
    ) -> Result<MailDomainView, DomainError> {
        let result = async {
            let row = self.row(admin, name).await?;
            let policy = dmarc_policy(policy)?;
            let rua = rua.map(str::trim).filter(|r| !r.is_empty());
            if let Some(r) = rua {
                if !r.contains('@') || r.contains(' ') || r.starts_with('@') || r.ends_with('@') {
                    return Err(DomainError::Invalid {
                        field: "dmarc_rua",
                        message: "The report address must be an email address.".into(),
                    });
                }
            }
            repo::set_dmarc(&self.db, &row.id, policy, rua).await?;
            let row = self.row(admin, name).await?;
            self.view(&row).await
        }
        .await;
        self.record(ctx, admin, "domain.set_dmarc", name, &result)
            .await;
        result
    }

    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn set_primary(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let result = async {
            let row = self.row(admin, name).await?;
            if row.status != DomainStatus::Verified {
                return Err(DomainError::NotVerified(row.unicode_name));
            }
            repo::set_primary(&self.db, &admin.tenant().id, &row.id).await?;
            let row = self.row(admin, name).await?;
            Ok(self.summary(&row))
        }
        .await;
        self.record(ctx, admin, "domain.set_primary", name, &result)
            .await;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::{dmarc_policy, DmarcPolicy, DomainError};

    #[test]
    fn dmarc_policies_are_parsed() {
        assert_eq!(dmarc_policy(" Reject ").unwrap(), DmarcPolicy::Reject);
        assert!(matches!(
            dmarc_policy("block"),
            Err(DomainError::Invalid {
                field: "dmarc_policy",
                ..
            })
        ));
    }
}

//! Guarded removal: refused while the domain is the primary and others exist, and while
//! Stalwart still has mailboxes, aliases or lists on it (named by address); the domain's own
//! DKIM keys are removed first.

use super::{DomainError, DomainService};
use crate::repo::mail_domains as repo;
use crate::services::access::TenantAdmin;
use crate::upstream::stalwart::StalwartError;
use crate::Ctx;

impl DomainService {
    /// Removes a domain: refused while mailboxes, aliases or lists use it (named), while it is
    /// the primary and others exist; the domain's own DKIM keys are removed first.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, domain = %name))]
    pub async fn remove(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<(), DomainError> {
        let result = self.remove_inner(admin, name).await;
        self.record(ctx, admin, "domain.remove", name, &result)
            .await;
        result
    }

    async fn remove_inner(&self, admin: &TenantAdmin, name: &str) -> Result<(), DomainError> {
        let row = self.row(admin, name).await?;
        if row.is_primary != 0 && repo::of_tenant(&self.db, &admin.tenant().id).await?.len() > 1 {
            return Err(DomainError::PrimaryWithOthers(row.unicode_name));
        }
        if let (Some(s), Some(id)) = (&self.up.stalwart, &row.stalwart_id) {
            let upstream = |e: StalwartError| DomainError::Upstream {
                message: format!("Stalwart could not remove {}: {e}", row.unicode_name),
                source: e,
            };
            match s.destroy_domain(id).await {
                Ok(()) => {}
                Err(StalwartError::Set { kind, linked, .. }) if kind == "objectIsLinked" => {
                    let ids_of = |object: &str| -> Vec<String> {
                        linked
                            .iter()
                            .filter(|l| l.object == object)
                            .map(|l| l.id.clone())
                            .collect()
                    };
                    let mut blockers = Vec::new();
                    for (object, what) in [
                        ("Account", "mailbox or alias"),
                        ("MailingList", "mailing list"),
                    ] {
                        let ids = ids_of(object);
                        if ids.is_empty() {
                            continue;
                        }
                        // Name them by address; fall back to the Stalwart ids if that fails.
                        match s.addresses(object, &ids).await {
                            Ok(addresses) if !addresses.is_empty() => blockers
                                .extend(addresses.into_iter().map(|a| format!("{what} {a}"))),
                            _ => blockers.extend(
                                ids.into_iter()
                                    .map(|id| format!("{what} (Stalwart id {id})")),
                            ),
                        }
                    }
                    blockers.extend(
                        linked
                            .iter()
                            .filter(|l| {
                                !matches!(
                                    l.object.as_str(),
                                    "Account" | "MailingList" | "DkimSignature"
                                )
                            })
                            .map(|l| match l.object.as_str() {
                                "SystemSettings" => "the mail server's default domain".to_string(),
                                other => format!("{other} {}", l.id),
                            }),
                    );
                    if !blockers.is_empty() {
                        return Err(DomainError::InUse {
                            domain: row.unicode_name,
                            blockers,
                        });
                    }
                    let keys: Vec<String> = linked.into_iter().map(|l| l.id).collect();
                    s.destroy_dkim(&keys).await.map_err(upstream)?;
                    s.destroy_domain(id).await.map_err(upstream)?;
                }
                Err(e) => return Err(upstream(e)),
            }
        }
        repo::delete(&self.db, &row.id).await?;
        Ok(())
    }
}

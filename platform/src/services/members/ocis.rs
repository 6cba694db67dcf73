//! The member's OCIS user (files): found by its stored id or by username (the address). The
//! personal drive appears at the first sign-in and goes with the user. With OCIS
//! provisioning off, every OCIS step is skipped.

use super::error::UpstreamCause;
use super::MemberService;
use crate::repo::members::MemberRow;
use crate::services::steps::Step;
use crate::upstream::ocis::NewOcisUser;
use crate::upstream::UpstreamError;

impl MemberService {
    /// The tenant's OCIS group id, once its provisioning made it (unreadable: none yet; the
    /// provisioning's reconcile adds the members).
    async fn ocis_group(&self, tenant_id: &str) -> Option<String> {
        self.tenant_group(tenant_id, crate::services::provisioning::OCIS)
            .await
            .ok()
            .flatten()
    }

    /// Whether an OCIS user already has this username (never, with OCIS off).
    pub(super) async fn ocis_user_exists(&self, address: &str) -> Result<bool, UpstreamCause> {
        match &self.up.ocis {
            Some(o) => Ok(o.get_user(address).await?.is_some()),
            None => Ok(false),
        }
    }

    /// Ensures the OCIS user: by stored id, else created, else (a conflict) found by
    /// username.
    pub(super) async fn ocis_present(&self, row: &MemberRow, stored: Option<String>) -> Step {
        let Some(o) = &self.up.ocis else {
            return Step::Skipped(
                "OCIS provisioning is disabled (OCIS_PROVISIONING_ENABLED=false): no file space."
                    .into(),
            );
        };
        let user = async {
            if let Some(id) = &stored {
                if let Some(u) = o.get_user(id).await? {
                    return Ok((u.id, format!("Checked the OCIS user {}.", row.address)));
                }
            }
            let display = format!("{} {}", row.first_name, row.last_name);
            let new = NewOcisUser {
                display_name: &display,
                username: &row.address,
                mail: &row.address,
                given_name: &row.first_name,
                surname: &row.last_name,
            };
            match o.create_user(&new).await? {
                Some(u) => Ok((u.id, format!("Created the OCIS user {} (the personal drive appears at the first sign-in).", row.address))),
                None => match o.get_user(&row.address).await? {
                    Some(u) => Ok((u.id, format!("Found the OCIS user {}.", row.address))),
                    None => Err(UpstreamError::Protocol {
                        upstream: "OCIS",
                        detail: format!("{} exists but cannot be read", row.address),
                    }),
                },
            }
        };
        // In the tenant's OCIS group (made by the workspace's provisioning; when it is not
        // there yet, the provisioning's reconcile adds the members).
        let result = async {
            let (id, done) = user.await?;
            let note = match self.ocis_group(&row.tenant_id).await {
                Some(group) => {
                    if !o.add_group_member(&group, &id).await? {
                        return Err(UpstreamError::Protocol {
                            upstream: "OCIS",
                            detail: "the tenant group is gone; reconcile the workspace".into(),
                        });
                    }
                    "In the tenant group."
                }
                None => "The tenant group is not made yet; the workspace's provisioning adds them.",
            };
            Ok((id, format!("{done} {note}")))
        };
        Step::ensured(result.await.map_err(|e| e.to_string()), |e| {
            Step::Error(format!(
                "OCIS: could not set up the user {}: {e}",
                row.address
            ))
        })
    }

    /// Removal: deletes the OCIS user and their personal drive, unless the person is a
    /// member of another workspace (`keep`).
    pub(super) async fn ocis_absent(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        keep: bool,
    ) -> Step {
        let Some(o) = &self.up.ocis else {
            return Step::Skipped("OCIS provisioning is disabled: no file space.".into());
        };
        if keep {
            // Out of this tenant's group only.
            let user = match stored.clone() {
                Some(id) => Ok(Some(id)),
                None => o.get_user(&row.address).await.map(|u| u.map(|u| u.id)),
            };
            let left = match (user, self.ocis_group(&row.tenant_id).await) {
                (Ok(Some(user)), Some(group)) => o.remove_group_member(&group, &user).await,
                (Err(e), _) => Err(e),
                _ => Ok(()),
            };
            return match left {
                Ok(()) => Step::Gone(format!(
                    "Kept the OCIS user {} (a member of another workspace), out of this tenant's group.",
                    row.address
                )),
                Err(e) => Step::Error(format!(
                    "OCIS: could not take {} out of the tenant group: {e}",
                    row.address
                )),
            };
        }
        let found = match stored {
            Some(id) => o.get_user(&id).await,
            None => o.get_user(&row.address).await,
        };
        match found {
            Ok(Some(u)) => match o.delete_user(&u.id).await {
                Ok(()) => Step::Gone(format!(
                    "Deleted the OCIS user {} and their personal drive.",
                    row.address
                )),
                Err(e) => Step::Error(format!("OCIS: could not delete {}: {e}", row.address)),
            },
            Ok(None) => Step::Gone(format!("No OCIS user {}.", row.address)),
            Err(e) => Step::Error(format!("OCIS: could not find {}: {e}", row.address)),
        }
    }
}

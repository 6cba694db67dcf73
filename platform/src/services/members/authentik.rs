//! The member's SSO identity in Authentik: a user in the tenant's group, found by its stored
//! pk or by exact username (adopted only if it is this member's), and the calls the other
//! rooms make on it. Every step's message names Authentik, the member and what failed.

use secrecy::SecretString;
use serde_json::json;

use super::error::UpstreamCause;
use super::{MemberService, SignOutReport};
use crate::repo::members::{self as repo, MemberRow};
use crate::repo::{identity, provisioning as tenant_steps};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::AUTHENTIK;
use crate::services::steps::{Step, StepState};
use crate::upstream::authentik::admin::{AuthentikAdmin, AuthentikUser, NewAuthentikUser};

impl MemberService {
    /// Whether an Authentik user already has this username (the address).
    pub(super) async fn sso_user_exists(&self, address: &str) -> Result<bool, UpstreamCause> {
        Ok(self
            .up
            .authentik
            .find_user_by_username(address)
            .await?
            .is_some())
    }

    /// Finds the member's Authentik user: by stored pk, else by exact username, adopted
    /// only if it is this member's (created for it, or the person's own identity).
    async fn find_sso(
        &self,
        row: &MemberRow,
        stored: Option<i64>,
    ) -> Result<Option<AuthentikUser>, String> {
        let admin = &self.up.authentik;
        if let Some(pk) = stored {
            if let Some(u) = admin.get_user(pk).await.map_err(|e| e.to_string())? {
                return Ok(Some(u));
            }
        }
        match admin
            .find_user_by_username(&row.address)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(u) if self.is_ours(row, &u).await => Ok(Some(u)),
            Some(_) => Err(format!(
                "an Authentik user {} exists that Dezky did not create for this member",
                row.address
            )),
            None => Ok(None),
        }
    }

    async fn is_ours(&self, row: &MemberRow, u: &AuthentikUser) -> bool {
        if u.attributes["dezky_member_id"].as_str() == Some(row.id.as_str()) {
            return true;
        }
        match &row.user_id {
            Some(uid) => matches!(
                identity::user_by_id(&self.db, uid).await,
                Ok(Some(user)) if user.subject == u.uuid
            ),
            None => false,
        }
    }

    /// The tenant's group at `upstream` (Authentik, OCIS), once tenant provisioning made it.
    pub(super) async fn tenant_group(
        &self,
        tenant_id: &str,
        upstream: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        Ok(tenant_steps::steps(&self.db, tenant_id)
            .await?
            .into_iter()
            .find(|s| s.upstream == upstream && s.state == StepState::Ok)
            .and_then(|s| s.upstream_id))
    }

    /// Ensures the SSO identity: in the tenant group, active or not, with `password` when
    /// given, and linked to the person's Dezky record.
    pub(super) async fn authentik_present(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        stored: Option<i64>,
        password: Option<&SecretString>,
        active: bool,
    ) -> Step {
        let fail = |e: String| {
            Step::Error(format!(
                "Authentik: could not set up the SSO identity {}: {e}",
                row.address
            ))
        };
        let group = match self.tenant_group(&admin.tenant().id, AUTHENTIK).await {
            Ok(Some(g)) => g,
            Ok(None) => {
                return fail("the workspace's Authentik group is not provisioned yet; reconcile the workspace first".into())
            }
            Err(e) => return fail(e.to_string()),
        };
        let api = &self.up.authentik;
        let result = async {
            // Stored id first; otherwise create, and only on a conflict look the user up
            // (one round trip fewer on the common path).
            let known = match stored {
                Some(pk) => api.get_user(pk).await.map_err(|e| e.to_string())?,
                None => None,
            };
            let (user, created) = match known {
                Some(u) => (u, false),
                None => {
                    let new = NewAuthentikUser {
                        username: &row.address,
                        name: &format!("{} {}", row.first_name, row.last_name),
                        email: &row.address,
                        groups: vec![group.clone()],
                        path: format!("dezky/{}", admin.tenant().slug),
                        attributes: json!({
                            "dezky_member_id": row.id,
                            "dezky_tenant": admin.tenant().slug,
                        }),
                    };
                    match api.create_user(&new).await {
                        Ok(u) => {
                            self.remember(&row.id, AUTHENTIK, &u.pk.to_string()).await?;
                            (u, true)
                        }
                        // Created a moment ago by a concurrent retry: adopt it if it is ours.
                        Err(e) if e.status() == Some(400) => {
                            match self.find_sso(row, None).await? {
                                Some(u) => (u, false),
                                None => return Err(e.to_string()),
                            }
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                }
            };
            if !user.groups.contains(&group) {
                api.add_user_to_group(&group, user.pk)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if user.is_active != active {
                api.set_user_active(user.pk, active)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            match password {
                Some(p) => api
                    .set_password(user.pk, p)
                    .await
                    .map_err(|e| format!("setting the one-time password failed: {e}"))?,
                None if created => return Err(
                    "it was missing and was created again without a password; use Reset password"
                        .into(),
                ),
                None => {}
            }
            // The person's Dezky record, keyed by the subject Authentik signs them in with.
            if row.user_id.is_none() {
                let person = identity::ensure_user(
                    &self.db,
                    &user.uuid,
                    &row.address,
                    &format!("{} {}", row.first_name, row.last_name),
                )
                .await
                .map_err(|e| e.to_string())?;
                repo::set_user(&self.db, &row.id, &person.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let verb = if created { "Created" } else { "Checked" };
            Ok::<_, String>((
                user.pk,
                format!(
                    "{verb} the SSO identity {} in the workspace group{}.",
                    row.address,
                    if active { "" } else { " (deactivated)" }
                ),
            ))
        };
        Step::ensured(result.await.map(|(pk, m)| (pk.to_string(), m)), fail)
    }

    /// Finds the member's SSO identity and runs one call on it; the step names Authentik,
    /// the member and what failed.
    async fn on_sso<'a, Fut, E>(
        &'a self,
        row: &MemberRow,
        stored: Option<i64>,
        what: &str,
        act: impl FnOnce(&'a AuthentikAdmin, i64) -> Fut,
    ) -> Step
    where
        Fut: std::future::Future<Output = Result<String, E>>,
        E: std::fmt::Display,
    {
        match self.find_sso(row, stored).await {
            Ok(Some(u)) => match act(&self.up.authentik, u.pk).await {
                Ok(message) => Step::Ok {
                    message,
                    id: Some(u.pk.to_string()),
                },
                Err(e) => Step::Error(format!("Authentik: could not {what} {}: {e}", row.address)),
            },
            Ok(None) => Step::Error(format!(
                "Authentik: no SSO identity found for {}.",
                row.address
            )),
            Err(e) => Step::Error(format!("Authentik: could not find {}: {e}", row.address)),
        }
    }

    /// Suspend and resume: deactivating ends the identity's sessions and tokens there.
    pub(super) async fn sso_set_active(
        &self,
        row: &MemberRow,
        stored: Option<i64>,
        active: bool,
    ) -> Step {
        let address = &row.address;
        self.on_sso(
            row,
            stored,
            if active { "reactivate" } else { "deactivate" },
            |api, pk| async move {
                api.set_user_active(pk, active).await.map(|()| {
                    if active {
                        format!("Reactivated the SSO identity {}.", address)
                    } else {
                        format!("Deactivated the SSO identity {} (its sessions and tokens ended in Authentik).", address)
                    }
                })
            },
        )
        .await
    }

    /// Reset password: the new one-time password on the SSO identity.
    pub(super) async fn sso_set_password(
        &self,
        row: &MemberRow,
        stored: Option<i64>,
        password: &SecretString,
    ) -> Step {
        let address = &row.address;
        self.on_sso(
            row,
            stored,
            "set the new password of",
            |api, pk| async move {
                api.set_password(pk, password).await.map(|()| {
                    format!(
                        "Set a new one-time password on the SSO identity {}.",
                        address
                    )
                })
            },
        )
        .await
    }

    /// Force sign-out in Authentik: the person's sessions (listed with the real
    /// `user__username` filter and kept item by item to their pk) and their OAuth refresh
    /// tokens. What could not be ended goes to the report's errors.
    pub(super) async fn end_sso_sessions(
        &self,
        row: &MemberRow,
        stored: Option<i64>,
        report: &mut SignOutReport,
    ) {
        match self.find_sso(row, stored).await {
            Ok(Some(u)) => {
                let api = &self.up.authentik;
                match api.sessions_of(u.pk, &u.username).await {
                    Ok(sessions) => {
                        for s in sessions {
                            match api.delete_session(&s).await {
                                Ok(()) => report.authentik_sessions += 1,
                                Err(e) => report
                                    .errors
                                    .push(format!("Authentik: could not end a session: {e}")),
                            }
                        }
                    }
                    Err(e) => report
                        .errors
                        .push(format!("Authentik: could not list the sessions: {e}")),
                }
                match api.refresh_tokens_of(u.pk).await {
                    Ok(list) => {
                        for t in list {
                            match api.delete_refresh_token(t).await {
                                Ok(()) => report.refresh_tokens += 1,
                                Err(e) => report.errors.push(format!(
                                    "Authentik: could not revoke a refresh token: {e}"
                                )),
                            }
                        }
                    }
                    Err(e) => report
                        .errors
                        .push(format!("Authentik: could not list the refresh tokens: {e}")),
                }
            }
            Ok(None) => report.errors.push(format!(
                "Authentik: no SSO identity found for {}.",
                row.address
            )),
            Err(e) => report
                .errors
                .push(format!("Authentik: could not find {}: {e}", row.address)),
        }
    }

    /// Removal: deletes the SSO identity, or, when the person is a member of another
    /// workspace (`keep`), only takes it out of this workspace's group.
    pub(super) async fn authentik_absent(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        stored: Option<i64>,
        keep: bool,
    ) -> Step {
        let api = &self.up.authentik;
        let user = match self.find_sso(row, stored).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                return Step::Gone(format!("No SSO identity {} in Authentik.", row.address))
            }
            Err(e) => {
                return Step::Error(format!("Authentik: could not find {}: {e}", row.address))
            }
        };
        if keep {
            let group = match self.tenant_group(&admin.tenant().id, AUTHENTIK).await {
                Ok(g) => g,
                Err(e) => return Step::Error(format!("Authentik: {e}")),
            };
            if let Some(g) = group {
                if let Err(e) = api.remove_user_from_group(&g, user.pk).await {
                    return Step::Error(format!(
                        "Authentik: could not take {} out of the workspace group: {e}",
                        row.address
                    ));
                }
            }
            return Step::Gone(format!("Kept the SSO identity {} (a member of another workspace); it left this workspace's group.", row.address));
        }
        match api.delete_user(user.pk).await {
            Ok(()) => Step::Gone(format!("Deleted the SSO identity {}.", row.address)),
            Err(e) => Step::Error(format!("Authentik: could not delete {}: {e}", row.address)),
        }
    }
}

//! The member's mailbox in Stalwart, on the domain of their address: found by its stored id
//! or by local part on that domain, and the calls the other rooms make on it. With Stalwart
//! provisioning off, every mailbox step is skipped.

use secrecy::SecretString;

use super::error::UpstreamCause;
use super::MemberService;
use crate::repo::mail_domains;
use crate::repo::members::MemberRow;
use crate::services::provisioning::STALWART;
use crate::services::steps::Step;
use crate::upstream::stalwart::{NewMailbox, StalwartClient};

impl MemberService {
    /// Bytes used per mailbox id, or why usage is unavailable (nothing to ask without
    /// mailboxes or with Stalwart off).
    pub(super) async fn mailbox_usage(
        &self,
        mailbox_ids: &[String],
    ) -> (Vec<(String, i64)>, Option<String>) {
        match &self.up.stalwart {
            Some(s) if !mailbox_ids.is_empty() => match s.usage(mailbox_ids).await {
                Ok(u) => (u, None),
                Err(e) => (
                    vec![],
                    Some(format!("Mailbox usage is unavailable right now: {e}")),
                ),
            },
            _ => (vec![], None),
        }
    }

    /// Whether a mailbox with this local part exists on the Stalwart domain (never, when the
    /// domain is not in Stalwart or Stalwart is off).
    pub(super) async fn mailbox_exists(
        &self,
        local_part: &str,
        stalwart_domain: Option<&str>,
    ) -> Result<bool, UpstreamCause> {
        match (&self.up.stalwart, stalwart_domain) {
            (Some(s), Some(d)) => Ok(s.find_account(local_part, d).await?.is_some()),
            _ => Ok(false),
        }
    }

    /// The Stalwart domain id of the member's address, if that domain is in Stalwart.
    async fn mail_domain_id(&self, row: &MemberRow) -> Result<Option<String>, sqlx::Error> {
        let domain = row.address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        Ok(mail_domains::by_name(&self.db, domain)
            .await?
            .and_then(|d| d.stalwart_id))
    }

    async fn find_mailbox(
        &self,
        s: &StalwartClient,
        row: &MemberRow,
        stored: Option<String>,
    ) -> Result<Option<String>, String> {
        if let Some(id) = stored {
            if s.account_exists(&id).await.map_err(|e| e.to_string())? {
                return Ok(Some(id));
            }
        }
        let Some(domain_id) = self.mail_domain_id(row).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let local = row.address.split('@').next().unwrap_or_default();
        s.find_account(local, &domain_id)
            .await
            .map_err(|e| e.to_string())
    }

    /// Ensures the mailbox: created with `password` when missing, sign-in frozen or not.
    pub(super) async fn stalwart_present(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        password: Option<&SecretString>,
        frozen: bool,
    ) -> Step {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped(
                "Stalwart provisioning is disabled (STALWART_PROVISIONING_ENABLED=false): no mailbox."
                    .into(),
            );
        };
        let fail = |e: String| {
            Step::Error(format!(
                "Stalwart: could not set up the mailbox {}: {e}",
                row.address
            ))
        };
        let result = async {
            let known = match stored {
                Some(id) if s.account_exists(&id).await.map_err(|e| e.to_string())? => Some(id),
                _ => None,
            };
            let (id, created) = match known {
                Some(id) => (id, false),
                None => {
                    let Some(domain_id) =
                        self.mail_domain_id(row).await.map_err(|e| e.to_string())?
                    else {
                        return Err(format!(
                            "the domain of {} is not set up in Stalwart",
                            row.address
                        ));
                    };
                    let local = row.address.split('@').next().unwrap_or_default();
                    let display = format!("{} {}", row.first_name, row.last_name);
                    // Create; on a conflict (a concurrent retry made it a moment ago), or
                    // without a password to create with, adopt the one that exists.
                    let made = match password {
                        Some(p) => match s
                            .create_account(&NewMailbox {
                                name: local,
                                domain_id: &domain_id,
                                description: &display,
                                password: p,
                            })
                            .await
                        {
                            Ok(id) => Some(id),
                            Err(e) if e.is("primaryKeyViolation") => None,
                            Err(e) => return Err(e.to_string()),
                        },
                        None => None,
                    };
                    match made {
                        Some(id) => {
                            self.remember(&row.id, STALWART, &id).await?;
                            (id, true)
                        }
                        None => match s
                            .find_account(local, &domain_id)
                            .await
                            .map_err(|e| e.to_string())?
                        {
                            Some(id) => (id, false),
                            None if password.is_some() => {
                                return Err("the address is taken by an alias or a mailing list".into())
                            }
                            None => {
                                return Err("the mailbox does not exist; Retry creates it with a new one-time password".into())
                            }
                        },
                    }
                }
            };
            if !created {
                if let Some(p) = password {
                    s.set_account_password(&id, p)
                        .await
                        .map_err(|e| format!("setting the one-time password failed: {e}"))?;
                }
            }
            if frozen || !created {
                s.set_login_frozen(&id, frozen)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let verb = if created { "Created" } else { "Checked" };
            Ok::<_, String>((
                id,
                format!(
                    "{verb} the mailbox {}{}.",
                    row.address,
                    if frozen { " (sign-in frozen)" } else { "" }
                ),
            ))
        };
        Step::ensured(result.await, fail)
    }

    /// Finds the member's mailbox and runs one call on it; no mailbox (or Stalwart off) is
    /// a skipped step.
    async fn on_mailbox<'a, Fut, E>(
        &'a self,
        row: &MemberRow,
        stored: Option<String>,
        what: &str,
        act: impl FnOnce(&'a StalwartClient, String) -> Fut,
    ) -> Step
    where
        Fut: std::future::Future<Output = Result<String, E>>,
        E: std::fmt::Display,
    {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped("Stalwart provisioning is disabled: no mailbox.".into());
        };
        match self.find_mailbox(s, row, stored).await {
            Ok(Some(id)) => match act(s, id.clone()).await {
                Ok(message) => Step::Ok {
                    message,
                    id: Some(id),
                },
                Err(e) => Step::Error(format!(
                    "Stalwart: could not {what} the mailbox {}: {e}",
                    row.address
                )),
            },
            Ok(None) => Step::Skipped(format!("No mailbox for {} in Stalwart.", row.address)),
            Err(e) => Step::Error(format!(
                "Stalwart: could not find the mailbox {}: {e}",
                row.address
            )),
        }
    }

    /// Suspend and resume: sign-in frozen (password kept, mail still delivered) or not.
    pub(super) async fn mailbox_set_frozen(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        frozen: bool,
    ) -> Step {
        let address = &row.address;
        self.on_mailbox(
            row,
            stored,
            if frozen { "freeze" } else { "unfreeze" },
            |s, id| async move {
                s.set_login_frozen(&id, frozen).await.map(|()| {
                    if frozen {
                        format!("Froze sign-in to the mailbox {} (password kept, mail still delivered).", address)
                    } else {
                        format!("Unfroze sign-in to the mailbox {}.", address)
                    }
                })
            },
        )
        .await
    }

    /// Reset password: the new one-time password on the mailbox.
    pub(super) async fn mailbox_set_password(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        password: &SecretString,
    ) -> Step {
        let address = &row.address;
        self.on_mailbox(row, stored, "set the new password of", |s, id| async move {
            s.set_account_password(&id, password)
                .await
                .map(|()| format!("Set the new one-time password on the mailbox {}.", address))
        })
        .await
    }

    /// Removal: deletes the mailbox, unless another workspace still uses it (`keep`).
    pub(super) async fn stalwart_absent(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        keep: bool,
    ) -> Step {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped("Stalwart provisioning is disabled: no mailbox.".into());
        };
        if keep {
            return Step::Gone(format!(
                "Kept the mailbox {}: another workspace still uses it.",
                row.address
            ));
        }
        match self.find_mailbox(s, row, stored).await {
            Ok(Some(id)) => match s.destroy_account(&id).await {
                Ok(()) => Step::Gone(format!("Deleted the mailbox {}.", row.address)),
                Err(e) => Step::Error(format!(
                    "Stalwart: could not delete the mailbox {}: {e}",
                    row.address
                )),
            },
            Ok(None) => Step::Gone(format!("No mailbox {} in Stalwart.", row.address)),
            Err(e) => Step::Error(format!(
                "Stalwart: could not find the mailbox {}: {e}",
                row.address
            )),
        }
    }
}

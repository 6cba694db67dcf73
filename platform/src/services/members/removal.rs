//! Removal: the plan shown for confirmation, and the removal itself. SSO goes first, then the
//! mailbox and the OCIS user; what another workspace still uses is kept, and the member row
//! goes last, only once every upstream is done (Retry continues otherwise).

use serde_json::json;

use super::{MemberError, MemberService, MemberStatus, MemberView, RemovalAction, RemovalItem};
use crate::domain::Outcome;
use crate::repo::identity;
use crate::repo::members::{self as repo, MemberRow};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::{AUTHENTIK, OCIS, STALWART};
use crate::services::steps::StepState;
use crate::Ctx;

/// What another workspace (or a partner) still uses, and so is kept.
struct Plan {
    /// The SSO identity (and the OCIS user) stay: another workspace or a partner uses them.
    member_elsewhere: bool,
    mailbox_elsewhere: bool,
    /// Why the identity stays, for the confirmation.
    kept_because: &'static str,
}

impl MemberService {
    /// What removing the member does in each system, for the confirmation.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn removal_plan(
        &self,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Vec<RemovalItem>, MemberError> {
        let row = self.row(admin, id).await?;
        let plan = self.plan(admin, &row).await?;
        Ok(plan.items(&row, self.up.stalwart.is_some(), self.up.ocis.is_some()))
    }

    async fn plan(&self, admin: &TenantAdmin, row: &MemberRow) -> Result<Plan, MemberError> {
        let sharing = self.sharing(admin, row).await?;
        Ok(Plan {
            member_elsewhere: sharing.identity_shared(),
            mailbox_elsewhere: sharing.mailbox_elsewhere,
            kept_because: if sharing.partner_staff {
                "they are partner staff"
            } else {
                "they are a member of another workspace"
            },
        })
    }

    /// Removes a member: the mailbox, the OCIS user (with its personal drive), the SSO
    /// identity and the Dezky record — except what another tenant still uses.
    /// [`MemberError::RemovalIncomplete`] when something could not be removed yet (Retry
    /// continues).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn remove(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<(), MemberError> {
        let row = self.row(admin, id).await?;
        self.may_act_on(ctx, admin, &row, "member.remove", "remove")
            .await?;
        self.not_self(ctx, admin, &row, "member.remove", "remove")
            .await?;
        self.not_last_owner(ctx, admin, &row, "member.remove", "be removed")
            .await?;
        self.remove_completely(ctx, admin, row, "member.remove")
            .await
    }

    /// Removes now (Remove, Cancel); what is left upstream is an error naming it.
    pub(super) async fn remove_completely(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: MemberRow,
        action: &str,
    ) -> Result<(), MemberError> {
        match self.remove_now(ctx, admin, row, action).await? {
            None => Ok(()),
            Some(member) => Err(MemberError::RemovalIncomplete {
                left: member
                    .steps
                    .into_iter()
                    .filter(|s| s.state == StepState::Error)
                    .map(|s| s.message)
                    .collect(),
                address: member.address,
            }),
        }
    }

    /// Removes now (Remove, Cancel, and Retry of a removal): `None` once everything is gone.
    pub(super) async fn remove_now(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: MemberRow,
        action: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let plan = self.plan(admin, &row).await?;
        repo::set_status(&self.db, &row.id, MemberStatus::Removing, None).await?;
        let ids = self.ids(&row.id).await?;
        // SSO first, so the person cannot sign in (and be re-provisioned by OCIS) meanwhile.
        let a = self
            .authentik_absent(admin, &row, ids.authentik, plan.member_elsewhere)
            .await;
        let (s, o) = tokio::join!(
            self.stalwart_absent(&row, ids.stalwart.clone(), plan.mailbox_elsewhere),
            self.ocis_absent(&row, ids.ocis.clone(), plan.member_elsewhere),
        );
        let failed = a.failed() || s.failed() || o.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s), (OCIS, o)])
            .await?;
        if failed {
            self.audit(
                ctx,
                admin,
                action,
                &row.address,
                Outcome::Failure,
                json!({ "steps": details, "removed": false }),
            )
            .await;
            return Ok(Some(self.get(admin, &row.id).await?));
        }
        repo::delete(&self.db, &row.id).await?;
        // Seats follow members; a failure is the tenant's recorded subscription step.
        self.up.seats.sync(&admin.tenant().id).await?;
        if let Some(uid) = &row.user_id {
            if !plan.member_elsewhere {
                identity::delete_user(&self.db, uid).await?;
            }
        }
        self.audit(
            ctx,
            admin,
            action,
            &row.address,
            Outcome::Success,
            json!({ "steps": details, "removed": true }),
        )
        .await;
        Ok(None)
    }
}

impl Plan {
    fn items(&self, row: &MemberRow, stalwart: bool, ocis: bool) -> Vec<RemovalItem> {
        use RemovalAction::{Delete, Keep, LeaveGroup};
        let item = |system: &str, action: RemovalAction, description: String| RemovalItem {
            system: system.into(),
            action,
            description,
        };
        let a = &row.address;
        let mut items = Vec::new();
        items.push(if self.member_elsewhere {
            item(
                "Authentik",
                LeaveGroup,
                format!(
                    "The SSO identity {a} is kept ({}); it leaves this workspace's group.",
                    self.kept_because
                ),
            )
        } else {
            item(
                "Authentik",
                Delete,
                format!("The SSO identity {a} is deleted, with its sessions and tokens."),
            )
        });
        if stalwart {
            items.push(if self.mailbox_elsewhere {
                item(
                    "Stalwart",
                    Keep,
                    format!("The mailbox {a} is kept: another workspace still uses it."),
                )
            } else {
                item(
                    "Stalwart",
                    Delete,
                    format!("The mailbox {a} is deleted with all its mail."),
                )
            });
        }
        if ocis {
            items.push(if self.member_elsewhere {
                item(
                    "OCIS",
                    Keep,
                    format!(
                        "The OCIS user {a} and their files are kept ({}).",
                        self.kept_because
                    ),
                )
            } else {
                item(
                    "OCIS",
                    Delete,
                    format!(
                        "The OCIS user {a} is deleted, with their personal drive and its files."
                    ),
                )
            });
        }
        items.push(item(
            "Dezky",
            Delete,
            format!(
                "The member record of {a} in this workspace is deleted{}.",
                if self.member_elsewhere {
                    ""
                } else {
                    ", and their console sessions end"
                }
            ),
        ));
        items
    }
}

//! Members: one identity across Authentik (SSO), Stalwart (mailbox) and OCIS (files).
//!
//! Invariants:
//! - A member row exists before anything is created upstream, and every upstream object's id
//!   is stored as soon as it is known; a lost id is found again (by exact username, by local
//!   part on the domain, by OCIS username) and adopted only when it is this member's. So no
//!   upstream object is ever left without a record that points to it, and Retry never makes
//!   a second user, mailbox or OCIS user.
//! - `status` is what the member should be (creating, active, suspended, removing); the
//!   per-upstream steps record whether each upstream matches it. Retry drives every upstream
//!   to the status again; Cancel and Remove undo what exists, and the row goes last.
//! - A one-time password exists only in memory: generated, set on the SSO identity and the
//!   mailbox, returned once to the caller. It never reaches the database, the logs or the
//!   audit (messages and audit details name steps, never secrets).
//! - Every action is audited with its outcome per upstream; refusals (acting on oneself,
//!   making owners without being one) are audited as denied.
//!
//! The rooms: `view` (the shapes and reading), `create` (create, retry, cancel), `lifecycle`
//! (suspend, resume, sign-out, reset password, role), `removal`, and one adapter per upstream
//! (`authentik`, `stalwart`, `ocis`) with the calls and the find/ensure/undo steps for it.
//! Steps are recorded through [`crate::services::steps`], like tenant provisioning's.

mod authentik;
mod create;
mod error;
mod lifecycle;
mod ocis;
mod removal;
mod stalwart;
mod view;

use std::sync::Arc;

use serde_json::{json, Value};

use crate::domain::{Outcome, Role};
use crate::repo::identity;
use crate::repo::members::{self as repo, MemberRow};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::services::provisioning::{AUTHENTIK, OCIS, STALWART};
use crate::services::steps::{self, Step, StepState, StepsOf};
use crate::upstream::authentik::admin::AuthentikAdmin;
use crate::upstream::ocis::OcisClient;
use crate::upstream::stalwart::StalwartClient;
use crate::{Ctx, Db};

pub use error::MemberError;
pub use view::{
    MemberQuery, MemberStatus, MemberStep, MemberView, MemberWithPassword, MembersOverview,
    RemovalAction, RemovalItem, RevealedMember, SignOutReport,
};

/// The upstreams of a member, in the order the page shows them.
pub const MEMBER_UPSTREAMS: [&str; 3] = [AUTHENTIK, STALWART, OCIS];

pub struct MemberUpstreams {
    pub authentik: AuthentikAdmin,
    /// `None`: Stalwart provisioning is disabled (no mailboxes).
    pub stalwart: Option<StalwartClient>,
    /// `None`: OCIS provisioning is disabled.
    pub ocis: Option<OcisClient>,
    /// The subscription's seats follow the members (a recorded, retryable step).
    pub seats: crate::services::billing::SeatSync,
    /// The suspension notice to the workspace's admins.
    pub notices: crate::services::branding::Notices,
}

#[derive(Clone)]
pub struct MemberService {
    db: Db,
    audit: AuditRecorder,
    up: Arc<MemberUpstreams>,
}

/// Upstream ids stored for a member.
#[derive(Default, Clone)]
struct Ids {
    authentik: Option<i64>,
    stalwart: Option<String>,
    ocis: Option<String>,
}

impl MemberService {
    pub fn new(db: Db, audit: AuditRecorder, up: MemberUpstreams) -> Self {
        Self {
            db,
            audit,
            up: Arc::new(up),
        }
    }

    // ---- shared by the rooms -------------------------------------------------------------

    async fn row(&self, admin: &TenantAdmin, id: &str) -> Result<MemberRow, MemberError> {
        repo::by_id(&self.db, &admin.tenant().id, id)
            .await?
            .ok_or_else(|| MemberError::NotFound(id.to_string()))
    }

    async fn ids(&self, member_id: &str) -> Result<Ids, MemberError> {
        let steps = repo::steps(&self.db, &[member_id.to_string()]).await?;
        let id = |u: &str| {
            steps
                .iter()
                .find(|s| s.upstream == u)
                .and_then(|s| s.upstream_id.clone())
        };
        Ok(Ids {
            authentik: id(AUTHENTIK).and_then(|v| v.parse().ok()),
            stalwart: id(STALWART),
            ocis: id(OCIS),
        })
    }

    fn may_manage_owners(admin: &TenantAdmin) -> bool {
        admin.via_partner() || admin.role() == Some(Role::Owner)
    }

    // ---- steps and audit -----------------------------------------------------------------

    /// Records each step's result on the member and returns them for the audit.
    async fn record(
        &self,
        member_id: &str,
        results: &[(&str, Step)],
    ) -> Result<Value, MemberError> {
        Ok(steps::record(&self.db, StepsOf::Member(member_id), results).await?)
    }

    /// Stores an upstream object's id the moment it exists, before the step's other calls:
    /// whatever fails next, the record points to it.
    async fn remember(&self, member_id: &str, upstream: &str, id: &str) -> Result<(), String> {
        repo::record_step(
            &self.db,
            member_id,
            upstream,
            StepState::Pending,
            "Created; finishing the step.",
            Some(id),
            false,
        )
        .await
        .map_err(|e| e.to_string())
    }

    async fn audit(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        outcome: Outcome,
        details: Value,
    ) {
        self.audit
            .record_in(ctx, &admin.tenant().id, action, target, outcome, details)
            .await;
    }

    /// Audits a refusal or failure that happened before any upstream was touched.
    async fn audit_error(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        e: &MemberError,
    ) {
        let outcome = match e {
            MemberError::Denied(_) => Outcome::Denied,
            _ => Outcome::Failure,
        };
        self.audit(
            ctx,
            admin,
            action,
            target,
            outcome,
            json!({ "reason": e.to_string() }),
        )
        .await;
    }

    // ---- guards (audited refusals) -------------------------------------------------------

    /// A refusal by rule: audited as denied, answered 403.
    async fn refuse(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        message: String,
    ) -> MemberError {
        let e = MemberError::Denied(message);
        self.audit_error(ctx, admin, action, &row.address, &e).await;
        e
    }

    /// Refuses an action on oneself (audited as denied).
    async fn not_self(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        what: &str,
    ) -> Result<(), MemberError> {
        if row.user_id.as_deref() == Some(admin.user().id.as_str()) {
            return Err(self
                .refuse(
                    ctx,
                    admin,
                    row,
                    action,
                    format!("You cannot {what} yourself; ask another admin of this workspace."),
                )
                .await);
        }
        Ok(())
    }

    /// Refuses an admin acting on an owner: only owners, or the partner looking after the
    /// tenant, act on owners (otherwise an admin could reset an owner's password, receive
    /// the one-time password and become the owner). Audited as denied.
    async fn may_act_on(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        what: &str,
    ) -> Result<(), MemberError> {
        if row.role != Role::Owner || Self::may_manage_owners(admin) {
            return Ok(());
        }
        Err(self
            .refuse(
                ctx,
                admin,
                row,
                action,
                format!(
                "Only an owner of this workspace (or its partner) can {what} an owner: {} is one.",
                row.address
            ),
            )
            .await)
    }

    /// Refuses to change the sign-in of a person whose SSO identity or mailbox another
    /// workspace also uses, or who is partner staff: one workspace's admin must not lock
    /// them out of the others. Such a person can only be removed from this workspace.
    /// Audited as denied.
    async fn identity_not_shared(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        what: &str,
    ) -> Result<(), MemberError> {
        let shared = self.sharing(admin, row).await?;
        let Some(why) = shared.reason() else {
            return Ok(());
        };
        Err(self
            .refuse(ctx, admin, row, action, format!(
                "{} {why}, so this workspace cannot {what} them; they can only be removed from this workspace.",
                row.address
            ))
            .await)
    }

    /// The guards of every action that changes a member's sign-in (suspend, resume, force
    /// sign-out, password reset): owners only by owners, shared identities not at all.
    async fn may_change_sign_in(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        what: &str,
    ) -> Result<(), MemberError> {
        self.may_act_on(ctx, admin, row, action, what).await?;
        self.identity_not_shared(ctx, admin, row, action, what)
            .await
    }

    /// Who else uses this member's SSO identity and mailbox.
    async fn sharing(&self, admin: &TenantAdmin, row: &MemberRow) -> Result<Sharing, MemberError> {
        let tenant = &admin.tenant().id;
        let (other_tenants, partner_staff) = match &row.user_id {
            Some(uid) => (
                repo::count_other_tenants(&self.db, uid, tenant).await? > 0,
                identity::partner_of_staff(&self.db, uid).await?.is_some(),
            ),
            None => (false, false),
        };
        Ok(Sharing {
            other_tenants,
            partner_staff,
            mailbox_elsewhere: repo::count_address_elsewhere(&self.db, &row.address, tenant)
                .await?
                > 0,
        })
    }

    /// Refuses to suspend or remove the tenant's last owner (audited); `done` completes
    /// "cannot …" ("be removed").
    async fn not_last_owner(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        done: &str,
    ) -> Result<(), MemberError> {
        if row.role != Role::Owner || repo::count_owners(&self.db, &admin.tenant().id).await? > 1 {
            return Ok(());
        }
        let e = MemberError::Conflict(format!(
            "{} is the last owner of this workspace and cannot {done}.",
            row.address
        ));
        self.audit_error(ctx, admin, action, &row.address, &e).await;
        Err(e)
    }

    async fn expect_status(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        allowed: &[MemberStatus],
        message: String,
    ) -> Result<(), MemberError> {
        if allowed.contains(&row.status) {
            return Ok(());
        }
        let e = MemberError::Conflict(message);
        self.audit_error(ctx, admin, action, &row.address, &e).await;
        Err(e)
    }
}

/// Who else uses a member's SSO identity and mailbox.
#[derive(Clone, Copy, Debug)]
struct Sharing {
    /// The SSO identity is a member of another workspace.
    other_tenants: bool,
    /// The SSO identity is partner staff.
    partner_staff: bool,
    /// Another workspace has a member with this mailbox address.
    mailbox_elsewhere: bool,
}

impl Sharing {
    /// The SSO identity must stay (another workspace or a partner uses it).
    fn identity_shared(self) -> bool {
        self.other_tenants || self.partner_staff
    }

    /// Why the sign-in must not be changed from one workspace, if it must not.
    fn reason(self) -> Option<&'static str> {
        if self.partner_staff {
            Some("is partner staff")
        } else if self.other_tenants {
            Some("is also a member of another workspace")
        } else if self.mailbox_elsewhere {
            Some("has a mailbox another workspace also uses")
        } else {
            None
        }
    }
}

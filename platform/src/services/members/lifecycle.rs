//! Suspend, resume, force sign-out, reset password and role changes: each checks its rules
//! (audited when refused), acts on the upstreams through their adapters, records the steps
//! and audits the outcome.

use serde_json::json;

use super::{
    MemberError, MemberService, MemberStatus, MemberView, MemberWithPassword, SignOutReport,
};
use crate::crypto::one_time_password;
use crate::domain::{parse_role, Outcome, Role};
use crate::repo::members::{self as repo, MemberRow};
use crate::repo::tokens;
use crate::services::access::TenantAdmin;
use crate::services::provisioning::{AUTHENTIK, STALWART};
use crate::Ctx;

impl MemberService {
    /// Suspend: SSO identity deactivated (its sessions and tokens end there), mailbox
    /// sign-in frozen (password kept, mail still delivered), console sessions ended.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn suspend(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.not_self(ctx, admin, &row, "member.suspend", "suspend")
            .await?;
        self.may_change_sign_in(ctx, admin, &row, "member.suspend", "suspend")
            .await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.suspend",
            &[MemberStatus::Active],
            format!(
                "{} is not active, so there is nothing to suspend.",
                row.address
            ),
        )
        .await?;
        self.not_last_owner(ctx, admin, &row, "member.suspend", "be suspended")
            .await?;
        repo::set_status(
            &self.db,
            &row.id,
            MemberStatus::Suspended,
            Some(&admin.user().email),
        )
        .await?;
        let view = self.set_access(ctx, admin, row.clone(), false).await?;
        self.up.notices.suspended(ctx, admin, &row).await;
        Ok(view)
    }

    /// Resume: everything suspend did is undone; the old password works again.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn resume(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.may_change_sign_in(ctx, admin, &row, "member.resume", "resume")
            .await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.resume",
            &[MemberStatus::Suspended],
            format!("{} is not suspended.", row.address),
        )
        .await?;
        repo::set_status(&self.db, &row.id, MemberStatus::Active, None).await?;
        self.set_access(ctx, admin, row, true).await
    }

    async fn set_access(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: MemberRow,
        active: bool,
    ) -> Result<MemberView, MemberError> {
        let ids = self.ids(&row.id).await?;
        let (a, s) = tokio::join!(
            self.sso_set_active(&row, ids.authentik, active),
            self.mailbox_set_frozen(&row, ids.stalwart.clone(), !active),
        );
        let mut console_sessions = 0;
        if !active {
            if let Some(uid) = &row.user_id {
                console_sessions = tokens::delete_for_user(&self.db, uid).await?;
            }
        }
        let failed = a.failed() || s.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s)])
            .await?;
        let action = if active {
            "member.resume"
        } else {
            "member.suspend"
        };
        self.audit(
            ctx,
            admin,
            action,
            &row.address,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details, "console_sessions_ended": console_sessions }),
        )
        .await;
        self.get(admin, &row.id).await
    }

    /// Force sign-out: the person's Authentik sessions, their OAuth refresh tokens, and
    /// their console sessions.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn sign_out(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<SignOutReport, MemberError> {
        let row = self.row(admin, id).await?;
        self.not_self(ctx, admin, &row, "member.sign_out", "force sign-out")
            .await?;
        self.may_change_sign_in(ctx, admin, &row, "member.sign_out", "sign out")
            .await?;
        let ids = self.ids(&row.id).await?;
        let mut report = SignOutReport {
            authentik_sessions: 0,
            refresh_tokens: 0,
            console_sessions: 0,
            errors: vec![],
        };
        self.end_sso_sessions(&row, ids.authentik, &mut report)
            .await;
        if let Some(uid) = &row.user_id {
            report.console_sessions = tokens::delete_for_user(&self.db, uid).await?;
        }
        self.audit(ctx, admin, "member.sign_out", &row.address,
            if report.errors.is_empty() { Outcome::Success } else { Outcome::Failure },
            json!({ "authentik_sessions_ended": report.authentik_sessions, "refresh_tokens_revoked": report.refresh_tokens,
                    "console_sessions_ended": report.console_sessions, "errors": report.errors })).await;
        Ok(report)
    }

    /// A new one-time password on the SSO identity and the mailbox, returned once.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn reset_password(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberWithPassword, MemberError> {
        let row = self.row(admin, id).await?;
        self.may_change_sign_in(
            ctx,
            admin,
            &row,
            "member.reset_password",
            "reset the password of",
        )
        .await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.reset_password",
            &[
                MemberStatus::Active,
                MemberStatus::Suspended,
                MemberStatus::Creating,
            ],
            format!("{} is being removed.", row.address),
        )
        .await?;
        let password = one_time_password();
        let ids = self.ids(&row.id).await?;
        let (a, s) = tokio::join!(
            self.sso_set_password(&row, ids.authentik, &password),
            self.mailbox_set_password(&row, ids.stalwart.clone(), &password),
        );
        let failed = a.failed() || s.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s)])
            .await?;
        self.audit(
            ctx,
            admin,
            "member.reset_password",
            &row.address,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details }),
        )
        .await;
        Ok(MemberWithPassword {
            member: self.get(admin, &row.id).await?,
            one_time_password: Some(password),
        })
    }

    /// Changes the role. Only owners (or the partner looking after the tenant) make or
    /// unmake owners; the last owner stays an owner.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id, role = %role))]
    pub async fn set_role(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
        role: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        let result = async {
            let new = parse_role(role)?;
            let old = row.role;
            if (new == Role::Owner || old == Role::Owner)
                && new != old
                && !Self::may_manage_owners(admin)
            {
                return Err(MemberError::Denied(
                    "Only an owner of this workspace can make or unmake owners.".into(),
                ));
            }
            if row.status == MemberStatus::Removing {
                return Err(MemberError::Conflict(format!(
                    "{} is being removed.",
                    row.address
                )));
            }
            if old == Role::Owner
                && new != Role::Owner
                && repo::count_owners(&self.db, &admin.tenant().id).await? <= 1
            {
                return Err(MemberError::Conflict(format!(
                    "{} is the last owner of this workspace; make someone else an owner first.",
                    row.address
                )));
            }
            repo::set_role(&self.db, &row.id, new).await?;
            Ok((old, new))
        }
        .await;
        match result {
            Ok((old, new)) => {
                self.audit(
                    ctx,
                    admin,
                    "member.set_role",
                    &row.address,
                    Outcome::Success,
                    json!({ "from": old.as_str(), "to": new.as_str() }),
                )
                .await;
                self.get(admin, &row.id).await
            }
            Err(e) => {
                self.audit_error(ctx, admin, "member.set_role", &row.address, &e)
                    .await;
                Err(e)
            }
        }
    }
}

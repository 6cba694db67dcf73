//! Create, Retry and Cancel: the member row first, then every upstream driven to the
//! member's status, each step recorded; Cancel undoes a creation that did not complete.

use secrecy::SecretString;
use serde_json::{json, Value};

use super::error::UpstreamCause;
use super::{MemberError, MemberService, MemberStatus, MemberWithPassword, MEMBER_UPSTREAMS};
use crate::crypto::one_time_password;
use crate::domain::{NewMember, Outcome, Role};
use crate::repo::mail_domains;
use crate::repo::members::{self as repo, MemberRow, NewMemberRow};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::{AUTHENTIK, OCIS, STALWART};
use crate::services::steps::StepState;
use crate::{new_id, Ctx};

impl MemberService {
    /// Creates a member on the tenant's primary domain: checks the address is free
    /// everywhere first, records the member, then creates the SSO identity, the mailbox and
    /// the OCIS user, each step recorded. Returns the one-time password once.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, local_part = %local_part, role = %role))]
    pub async fn create(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        first_name: &str,
        last_name: &str,
        local_part: &str,
        role: &str,
    ) -> Result<MemberWithPassword, MemberError> {
        let target = local_part.trim().to_lowercase();
        let row = match self
            .claim(admin, first_name, last_name, local_part, role)
            .await
        {
            Ok(row) => row,
            Err(e) => {
                self.audit_error(ctx, admin, "member.create", &target, &e)
                    .await;
                return Err(e);
            }
        };
        let password = one_time_password();
        let (row, details) = self.provision(admin, row, Some(&password)).await?;
        // Seats follow members; a failure is the tenant's recorded subscription step.
        self.up.seats.sync(&admin.tenant().id).await?;
        let member = self.load_view(admin, &row).await?;
        let outcome = if member.needs_attention {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        self.audit(
            ctx,
            admin,
            "member.create",
            &row.address,
            outcome,
            json!({ "role": row.role, "steps": details }),
        )
        .await;
        Ok(MemberWithPassword {
            member,
            one_time_password: Some(password),
        })
    }

    /// Validates, checks the address is free on every system, and records the member.
    async fn claim(
        &self,
        admin: &TenantAdmin,
        first_name: &str,
        last_name: &str,
        local_part: &str,
        role: &str,
    ) -> Result<MemberRow, MemberError> {
        let input = NewMember::parse(first_name, last_name, local_part, role)?;
        if self.up.ocis.is_some() {
            input.local_part.check_ocis_username()?;
        }
        if input.role == Role::Owner && !Self::may_manage_owners(admin) {
            return Err(MemberError::Denied(
                "Only an owner of this workspace can make owners.".into(),
            ));
        }
        let tenant = admin.tenant();
        let domain = mail_domains::of_tenant(&self.db, &tenant.id)
            .await?
            .into_iter()
            .find(|d| d.is_primary != 0)
            .ok_or(MemberError::NoPrimaryDomain)?;
        let address = format!("{}@{}", input.local_part.as_str(), domain.name);
        self.ensure_address_free(
            &address,
            input.local_part.as_str(),
            domain.stalwart_id.as_deref(),
        )
        .await?;
        let id = new_id();
        let inserted = repo::insert(
            &self.db,
            &NewMemberRow {
                id: &id,
                tenant_id: &tenant.id,
                address: &address,
                first_name: &input.first_name,
                last_name: &input.last_name,
                role: input.role,
                created_by: Some(&admin.user().email),
            },
            &MEMBER_UPSTREAMS,
        )
        .await?;
        if !inserted {
            return Err(MemberError::AddressTaken(format!(
                "{address} is already a member of this workspace."
            )));
        }
        self.row(admin, &id).await
    }

    /// An address is free when no Dezky member, no Authentik username, no Stalwart mailbox
    /// and no OCIS user has it (Stalwart addresses are unique server-wide).
    async fn ensure_address_free(
        &self,
        address: &str,
        local_part: &str,
        stalwart_domain: Option<&str>,
    ) -> Result<(), MemberError> {
        let taken = |by: &str| {
            MemberError::AddressTaken(format!(
                "{address} is already in use on this server ({by}); choose another address."
            ))
        };
        if repo::address_in_use(&self.db, address).await? {
            return Err(taken("a Dezky member has it"));
        }
        let check_error = |e: UpstreamCause| MemberError::Upstream {
            message: format!("Could not check that {address} is free, so nothing was created: {e}"),
            source: e,
        };
        let (a, s, o) = tokio::join!(
            self.sso_user_exists(address),
            self.mailbox_exists(local_part, stalwart_domain),
            self.ocis_user_exists(address),
        );
        if a.map_err(check_error)? {
            return Err(taken("an Authentik user has it"));
        }
        if s.map_err(check_error)? {
            return Err(taken("a Stalwart mailbox has it"));
        }
        if o.map_err(check_error)? {
            return Err(taken("an OCIS user has it"));
        }
        Ok(())
    }

    /// Drives every upstream to the member's status (present, active or frozen), setting
    /// `password` on the SSO identity and the mailbox when given. Steps run concurrently and
    /// are recorded; a creating member whose steps all succeed becomes active.
    async fn provision(
        &self,
        admin: &TenantAdmin,
        row: MemberRow,
        password: Option<&SecretString>,
    ) -> Result<(MemberRow, Value), MemberError> {
        let ids = self.ids(&row.id).await?;
        let suspended = row.status == MemberStatus::Suspended;
        let (a, s, o) = tokio::join!(
            self.authentik_present(admin, &row, ids.authentik, password, !suspended),
            self.stalwart_present(&row, ids.stalwart.clone(), password, suspended),
            self.ocis_present(&row, ids.ocis.clone()),
        );
        let failed = a.failed() || s.failed() || o.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s), (OCIS, o)])
            .await?;
        if row.status == MemberStatus::Creating && !failed {
            repo::set_status(&self.db, &row.id, MemberStatus::Active, None).await?;
        }
        let row = self.row(admin, &row.id).await?;
        Ok((row, details))
    }

    /// Retry: completes what failed, idempotently. A member being removed continues its
    /// removal (`None` once everything is gone). When the SSO identity or the mailbox of an
    /// incomplete creation still needs its password, a new one-time password is set on both
    /// and returned.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn retry(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Option<MemberWithPassword>, MemberError> {
        let row = self.row(admin, id).await?;
        self.may_act_on(ctx, admin, &row, "member.retry", "retry the steps of")
            .await?;
        if row.status == MemberStatus::Removing {
            // `None`: the removal this retry continued is complete.
            let member = self.remove_now(ctx, admin, row, "member.remove").await?;
            return Ok(member.map(|member| MemberWithPassword {
                member,
                one_time_password: None,
            }));
        }
        let steps = repo::steps(&self.db, std::slice::from_ref(&row.id)).await?;
        // Only a creation that did not complete may still lack its password; later failures
        // (suspend, resume, reset) never change the password on a retry.
        let needs_password = row.status == MemberStatus::Creating
            && steps.iter().any(|s| {
                (s.upstream == AUTHENTIK || (s.upstream == STALWART && self.up.stalwart.is_some()))
                    && !s.state.is_done()
            });
        let password = needs_password.then(one_time_password);
        let (row, details) = self.provision(admin, row, password.as_ref()).await?;
        let member = self.load_view(admin, &row).await?;
        self.audit(
            ctx,
            admin,
            "member.retry",
            &row.address,
            if member.steps.iter().any(|s| s.state == StepState::Error) {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details, "new_password": password.is_some() }),
        )
        .await;
        Ok(Some(MemberWithPassword {
            member,
            one_time_password: password,
        }))
    }

    /// Cancel a creation that did not complete: undoes every step that succeeded, then
    /// deletes the record. [`MemberError::RemovalIncomplete`] when something could not be
    /// undone yet (Retry continues).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn cancel(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<(), MemberError> {
        let row = self.row(admin, id).await?;
        self.may_act_on(ctx, admin, &row, "member.cancel", "cancel the creation of")
            .await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.cancel",
            &[MemberStatus::Creating],
            format!(
                "{} is not being created any more; use Remove instead.",
                row.address
            ),
        )
        .await?;
        self.remove_completely(ctx, admin, row, "member.cancel")
            .await
    }
}

//! Who may do what. Each check builds a typed proof (`SignedIn`, `TenantMember`,
//! `TenantAdmin`, `PartnerStaff`) that only this module can construct, so a service method
//! that takes one cannot be called without the check. Anything that cannot be decided is
//! denied, and every denial is audited.

use serde_json::json;

use crate::ctx::WeakRequestMemo;
use crate::domain::{Me, Outcome, Partner, Role, Tenant, User};
use crate::repo::identity as repo;
use crate::services::audit::{AuditEntry, AuditRecorder};
use crate::services::security::{GateRefusal, SecurityGate};
use crate::{Ctx, Db};
pub use wire::tenants::SessionInfo;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("There is no workspace called \"{0}\".")]
    UnknownTenant(String),
    #[error("You are not a member of the workspace \"{0}\".")]
    NotMember(String),
    #[error("Only admins and owners of \"{0}\" can open its admin console.")]
    NotAdmin(String),
    #[error("Only partner staff can open the partner view.")]
    NotPartnerStaff,
    #[error("You are not an admin or owner of any workspace.")]
    NoAdminWorkspace,
    /// The tenant's session timeouts ended the console session.
    #[error("Your session has ended: {0}. Please sign in again.")]
    SessionExpired(String),
    /// The tenant's network rules refuse the request.
    #[error("Access to \"{tenant}\" is refused from where you are: {reason}. An owner of the workspace can change this on its Security page.")]
    NetworkRefused { tenant: String, reason: String },
    #[error("The access check could not be completed.")]
    Internal(#[from] sqlx::Error),
}

/// Proof that the caller is signed in and known.
#[derive(Clone, Debug)]
pub struct SignedIn {
    user: User,
}

impl SignedIn {
    pub fn user(&self) -> &User {
        &self.user
    }
}

/// Proof that the caller is a member of the tenant (any role).
#[derive(Clone, Debug)]
pub struct TenantMember {
    user: User,
    tenant: Tenant,
    role: Role,
}

impl TenantMember {
    pub fn user(&self) -> &User {
        &self.user
    }
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }
    pub fn role(&self) -> Role {
        self.role
    }
}

/// Proof that the caller may administer the tenant: an admin or owner, or partner staff of
/// the partner that looks after it, acting in partner mode.
#[derive(Clone, Debug)]
pub struct TenantAdmin {
    user: User,
    tenant: Tenant,
    role: Option<Role>,
    via_partner: bool,
    /// Weak: the memo keeps this value (the granted check), so a strong handle here would
    /// keep both alive forever.
    memo: WeakRequestMemo,
}

impl TenantAdmin {
    pub fn user(&self) -> &User {
        &self.user
    }
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }
    /// The caller's own role in the tenant (none when acting as partner staff only).
    pub fn role(&self) -> Option<Role> {
        self.role
    }
    pub fn via_partner(&self) -> bool {
        self.via_partner
    }
    /// The request's memo: reads that several parts of one page make of this tenant (the
    /// theme, the billing row, the seat count) are done once per request.
    pub fn memo(&self) -> &WeakRequestMemo {
        &self.memo
    }
}

/// Proof that the caller may read and change the tenant's security policy: an admin let
/// through by the policy, or an owner whatever its network rules say. It does not open the
/// rest of the console (no conversion to [`TenantAdmin`]).
#[derive(Clone, Debug)]
pub struct PolicyAdmin(TenantAdmin);

impl PolicyAdmin {
    pub fn user(&self) -> &User {
        &self.0.user
    }
    pub fn tenant(&self) -> &Tenant {
        &self.0.tenant
    }
}

/// Proof that the caller works for a partner organisation.
#[derive(Clone, Debug)]
pub struct PartnerStaff {
    user: User,
    partner: Partner,
}

impl PartnerStaff {
    pub fn user(&self) -> &User {
        &self.user
    }
    pub fn partner(&self) -> &Partner {
        &self.partner
    }
}

#[derive(Clone, Debug)]
pub struct AccessService {
    db: Db,
    audit: AuditRecorder,
    gate: SecurityGate,
}

/// Which of the tenant's pages a check opens (the Security page is reachable by owners
/// whatever the network rules, so a lock-out can always be undone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Purpose {
    Console,
    SecurityPolicy,
}

impl AccessService {
    pub fn new(db: Db, audit: AuditRecorder, gate: SecurityGate) -> Self {
        Self { db, audit, gate }
    }

    #[tracing::instrument(skip_all, fields(actor = ctx.user_id.as_deref()))]
    pub async fn signed_in(&self, ctx: &Ctx) -> Result<SignedIn, AccessError> {
        let id = ctx.user_id.as_deref().ok_or(AccessError::Unauthenticated)?;
        let user = ctx
            .memo
            .get_or_try_init(format!("user:{id}"), || async {
                repo::user_by_id(&self.db, id)
                    .await?
                    .ok_or(AccessError::Unauthenticated)
            })
            .await?;
        Ok(SignedIn { user })
    }

    /// The profile, the tenants with the role in each, and partner staff or not.
    #[tracing::instrument(skip_all, fields(actor = ctx.user_id.as_deref()))]
    pub async fn me(&self, ctx: &Ctx) -> Result<Me, AccessError> {
        let who = self.signed_in(ctx).await?;
        let tenants = repo::memberships_of(&self.db, &who.user.id).await?;
        let partner = repo::partner_of_staff(&self.db, &who.user.id).await?;
        Ok(Me {
            user_id: who.user.id,
            email: who.user.email,
            email_verified: who.user.email_verified,
            name: who.user.name,
            tenants,
            partner,
        })
    }

    /// What the frame of every page needs: who is signed in (none when nobody is), whether
    /// the console runs against the sandbox, and partner mode (only for partner staff).
    #[tracing::instrument(skip_all, fields(actor = ctx.user_id.as_deref(), sandbox = sandbox))]
    pub async fn session_info(&self, ctx: &Ctx, sandbox: bool) -> Result<SessionInfo, AccessError> {
        let me = match self.me(ctx).await {
            Ok(me) => Some(me),
            Err(AccessError::Unauthenticated) => None,
            Err(e) => return Err(e),
        };
        Ok(SessionInfo {
            partner_mode: ctx.partner_mode && me.as_ref().is_some_and(|m| m.partner.is_some()),
            me,
            sandbox,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %slug, actor = ctx.user_id.as_deref()))]
    pub async fn tenant_member(&self, ctx: &Ctx, slug: &str) -> Result<TenantMember, AccessError> {
        let who = self.signed_in(ctx).await?;
        let tenant = self.tenant(ctx, slug, "tenant.open").await?;
        match repo::role_in_tenant(&self.db, &tenant.id, &who.user.id).await? {
            Some(role) => {
                self.enforce_policy(ctx, &tenant, false).await?;
                Ok(TenantMember {
                    user: who.user,
                    tenant,
                    role,
                })
            }
            None => {
                self.deny(ctx, Some(&tenant), "tenant.open", "not a member")
                    .await;
                Err(AccessError::NotMember(slug.to_string()))
            }
        }
    }

    /// The workspaces whose content the start page may show the caller now: each one they
    /// belong to whose security policy lets this request through. Only a look: unlike
    /// [`Self::tenant_member`] it neither counts as activity nor ends an expired session, and
    /// a workspace that refuses is left out without an audit event (opening it does all that).
    pub async fn member_workspaces(&self, ctx: &Ctx) -> Result<Vec<TenantMember>, AccessError> {
        let who = self.signed_in(ctx).await?;
        let mut out = Vec::new();
        for m in repo::memberships_of(&self.db, &who.user.id).await? {
            let Some(tenant) = repo::tenant_by_slug(&self.db, &m.slug).await? else {
                continue;
            };
            if self
                .gate
                .check(ctx, &tenant.id, false)
                .await?
                .refusal
                .is_none()
            {
                out.push(TenantMember {
                    user: who.user.clone(),
                    tenant,
                    role: m.role,
                });
            }
        }
        Ok(out)
    }

    /// The tenant `/admin` opens: the first one the person administers. Someone who
    /// administers none is refused, and the refusal is audited through the same check a
    /// tenant's URL gets.
    pub async fn admin_home(&self, ctx: &Ctx) -> Result<String, AccessError> {
        let me = self.me(ctx).await?;
        if let Some(first) = me.tenants.iter().find(|t| t.role.is_admin()) {
            return Ok(first.slug.clone());
        }
        if let Some(t) = me.tenants.first() {
            self.tenant_admin(ctx, &t.slug).await?;
        }
        Err(AccessError::NoAdminWorkspace)
    }

    /// The caller administers the tenant (see [`TenantAdmin`]) and the tenant's security
    /// policy lets this request through (session timeouts, network rules).
    #[tracing::instrument(skip_all, fields(tenant = %slug, actor = ctx.user_id.as_deref(), partner_mode = ctx.partner_mode))]
    pub async fn tenant_admin(&self, ctx: &Ctx, slug: &str) -> Result<TenantAdmin, AccessError> {
        self.admin_for(ctx, slug, Purpose::Console).await
    }

    /// As [`Self::tenant_admin`], for the Security page and its API: the tenant's owners pass
    /// whatever the network rules say, so they can always undo a lock-out. The proof is a
    /// [`PolicyAdmin`], which only the security policy's methods (and the sidebar's name)
    /// take: the exemption reaches nothing else.
    #[tracing::instrument(skip_all, fields(tenant = %slug, actor = ctx.user_id.as_deref(), partner_mode = ctx.partner_mode))]
    pub async fn security_admin(&self, ctx: &Ctx, slug: &str) -> Result<PolicyAdmin, AccessError> {
        Ok(PolicyAdmin(
            self.admin_for(ctx, slug, Purpose::SecurityPolicy).await?,
        ))
    }

    async fn admin_for(
        &self,
        ctx: &Ctx,
        slug: &str,
        purpose: Purpose,
    ) -> Result<TenantAdmin, AccessError> {
        // Granted once per request: a page's server functions each start with this check,
        // and concurrent ones wait for the first.
        let key = format!(
            "admin:{}:{slug}:{purpose:?}:{}",
            ctx.user_id.as_deref().unwrap_or_default(),
            ctx.partner_mode
        );
        ctx.memo
            .get_or_try_init(key, || async {
                let admin = self.admin_role(ctx, slug).await?;
                let exempt = purpose == Purpose::SecurityPolicy
                    && !admin.via_partner
                    && admin.role == Some(Role::Owner);
                self.enforce_policy(ctx, &admin.tenant, exempt).await?;
                Ok(admin)
            })
            .await
    }

    async fn admin_role(&self, ctx: &Ctx, slug: &str) -> Result<TenantAdmin, AccessError> {
        let who = self.signed_in(ctx).await?;
        let tenant = self.tenant(ctx, slug, "admin.open").await?;
        let role = repo::role_in_tenant(&self.db, &tenant.id, &who.user.id).await?;
        if role.is_some_and(Role::is_admin) {
            return Ok(TenantAdmin {
                user: who.user,
                tenant,
                role,
                via_partner: false,
                memo: ctx.memo.downgrade(),
            });
        }
        if ctx.partner_mode {
            if let Some(partner) = repo::partner_of_staff(&self.db, &who.user.id).await? {
                if repo::partner_looks_after(&self.db, &partner.id, &tenant.id).await? {
                    return Ok(TenantAdmin {
                        user: who.user,
                        tenant,
                        role,
                        via_partner: true,
                        memo: ctx.memo.downgrade(),
                    });
                }
            }
        }
        let (reason, err) = match role {
            Some(_) => ("not an admin", AccessError::NotAdmin(slug.to_string())),
            None => ("not a member", AccessError::NotMember(slug.to_string())),
        };
        self.deny(ctx, Some(&tenant), "admin.open", reason).await;
        Err(err)
    }

    #[tracing::instrument(skip_all, fields(actor = ctx.user_id.as_deref()))]
    pub async fn partner_staff(&self, ctx: &Ctx) -> Result<PartnerStaff, AccessError> {
        let who = self.signed_in(ctx).await?;
        match repo::partner_of_staff(&self.db, &who.user.id).await? {
            Some(partner) => Ok(PartnerStaff {
                user: who.user,
                partner,
            }),
            None => {
                self.deny(ctx, None, "partner.open", "not partner staff")
                    .await;
                Err(AccessError::NotPartnerStaff)
            }
        }
    }

    /// Partner staff open a tenant their partner looks after, in partner mode. Audited in that
    /// tenant's log with the staff member as actor.
    #[tracing::instrument(skip_all, fields(tenant = %slug, actor = ctx.user_id.as_deref()))]
    pub async fn enter_as_partner(&self, ctx: &Ctx, slug: &str) -> Result<Tenant, AccessError> {
        let staff = self.partner_staff(ctx).await?;
        let tenant = self.tenant(ctx, slug, "partner.enter_tenant").await?;
        let partner_ctx = Ctx {
            partner_mode: true,
            ..ctx.clone()
        };
        if !repo::partner_looks_after(&self.db, &staff.partner.id, &tenant.id).await? {
            self.deny(
                &partner_ctx,
                Some(&tenant),
                "partner.enter_tenant",
                "not looked after by this partner",
            )
            .await;
            return Err(AccessError::NotMember(slug.to_string()));
        }
        self.audit
            .record(
                &partner_ctx,
                AuditEntry {
                    tenant_id: Some(&tenant.id),
                    action: "partner.enter_tenant",
                    target: &tenant.slug,
                    outcome: Outcome::Success,
                    details: json!({ "partner": staff.partner.slug }),
                },
            )
            .await;
        Ok(tenant)
    }

    /// Partner staff whose partner looks after the tenant (no partner mode needed: reading
    /// the provisioning progress of a tenant they just created).
    #[tracing::instrument(skip_all, fields(tenant = %slug, actor = ctx.user_id.as_deref()))]
    pub async fn partner_for_tenant(
        &self,
        ctx: &Ctx,
        slug: &str,
    ) -> Result<(PartnerStaff, Tenant), AccessError> {
        let staff = self.partner_staff(ctx).await?;
        let tenant = self.tenant(ctx, slug, "partner.open_tenant").await?;
        if repo::partner_looks_after(&self.db, &staff.partner.id, &tenant.id).await? {
            return Ok((staff, tenant));
        }
        self.deny(
            ctx,
            Some(&tenant),
            "partner.open_tenant",
            "not looked after by this partner",
        )
        .await;
        Err(AccessError::NotMember(slug.to_string()))
    }

    /// Applies the tenant's security policy to the request: a session past the tenant's idle
    /// timeout or lifetime is ended (audited `security.session_expired`); a request the
    /// network rules refuse is denied (audited `security.ip_blocked`, denied), or in warn-only
    /// mode let through and audited `security.ip_blocked` with `enforced: false` (at most once
    /// a minute per person and tenant).
    async fn enforce_policy(
        &self,
        ctx: &Ctx,
        tenant: &Tenant,
        network_exempt: bool,
    ) -> Result<(), AccessError> {
        let verdict = self.gate.check(ctx, &tenant.id, network_exempt).await?;
        if let Some(warning) = verdict.warning {
            let actor = format!("warn:{}", ctx.user_id.as_deref().unwrap_or("anonymous"));
            let first = crate::repo::audit::claim_denial(
                &self.db,
                &actor,
                &tenant.id,
                crate::now_ms(),
                60_000,
            )
            .await;
            if !matches!(first, Ok(false)) {
                self.audit
                    .record_in(
                        ctx,
                        &tenant.id,
                        "security.ip_blocked",
                        &tenant.slug,
                        Outcome::Success,
                        json!({ "enforced": false, "reason": warning.to_string() }),
                    )
                    .await;
            }
        }
        match verdict.refusal {
            None => {
                self.note_activity(ctx).await;
                Ok(())
            }
            Some(r @ (GateRefusal::Idle(_) | GateRefusal::TooOld(_))) => {
                if let Some(clock) = &ctx.session {
                    crate::repo::tokens::delete(&self.db, &clock.auth_key).await?;
                }
                self.audit
                    .record_in(
                        ctx,
                        &tenant.id,
                        "security.session_expired",
                        &tenant.slug,
                        Outcome::Denied,
                        json!({ "reason": r.to_string() }),
                    )
                    .await;
                Err(AccessError::SessionExpired(r.to_string()))
            }
            Some(r @ GateRefusal::Network(_)) => {
                self.record_denial(
                    ctx,
                    Some(&tenant.id),
                    &tenant.slug,
                    "security.ip_blocked",
                    &r.to_string(),
                )
                .await;
                Err(AccessError::NetworkRefused {
                    tenant: tenant.slug.clone(),
                    reason: r.to_string(),
                })
            }
        }
    }

    /// Notes a request let through to a tenant's console as the session's last activity, the
    /// clock of the tenants' idle timeouts (requests elsewhere — the start page, assets —
    /// do not count). Written at most every 15 s; a failure is logged, never fatal.
    async fn note_activity(&self, ctx: &Ctx) {
        let Some(clock) = &ctx.session else { return };
        let now = crate::now_ms();
        if now - clock.last_seen_at < 15_000 {
            return;
        }
        if let Err(e) = crate::repo::tokens::touch(&self.db, &clock.auth_key, now).await {
            tracing::warn!(error = %e, "could not note the session's activity");
        }
    }

    async fn tenant(&self, ctx: &Ctx, slug: &str, action: &str) -> Result<Tenant, AccessError> {
        match repo::tenant_by_slug(&self.db, slug).await? {
            Some(t) => Ok(t),
            None => {
                self.record_denial(ctx, None, slug, action, "unknown tenant")
                    .await;
                Err(AccessError::UnknownTenant(slug.to_string()))
            }
        }
    }

    async fn deny(&self, ctx: &Ctx, tenant: Option<&Tenant>, action: &str, reason: &str) {
        let target = tenant.map(|t| t.slug.as_str()).unwrap_or("partner");
        self.record_denial(ctx, tenant.map(|t| t.id.as_str()), target, action, reason)
            .await;
    }

    /// Audits a denied access, at most once per actor (or IP, when anonymous), tenant and
    /// minute: probing another tenant's URLs (or made-up ones) cannot flood an audit log.
    async fn record_denial(
        &self,
        ctx: &Ctx,
        tenant_id: Option<&str>,
        target: &str,
        action: &str,
        reason: &str,
    ) {
        let actor = match (&ctx.user_id, &ctx.meta.ip) {
            (Some(user), _) => user.clone(),
            (None, Some(ip)) => format!("ip:{ip}"),
            (None, None) => "anonymous".into(),
        };
        let first = crate::repo::audit::claim_denial(
            &self.db,
            &actor,
            tenant_id.unwrap_or(""),
            crate::now_ms(),
            60_000,
        )
        .await;
        // A failed claim audits anyway: better twice than never.
        if matches!(first, Ok(false)) {
            tracing::info!(
                action,
                reason,
                "access denied (already audited this minute)"
            );
            return;
        }
        self.audit
            .record(
                ctx,
                AuditEntry {
                    tenant_id,
                    action,
                    target,
                    outcome: Outcome::Denied,
                    details: json!({ "reason": reason }),
                },
            )
            .await;
    }
}

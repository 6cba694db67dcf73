//! A tenant's security policy (MFA mode, session timeouts, network rules) and its MFA
//! overview from Authentik.
//!
//! What enforces what, truthfully: the console enforces the session timeouts and the network
//! rules for the tenant's pages and API (the [`SecurityGate`], asked by the access service on
//! every tenant check). MFA mode and the network rules for signing in to mail, files and other
//! apps would need a change in Authentik's shared sign-in flow, which Dezky does not make yet;
//! the policy stores them and says so.

pub mod network;
pub mod policy;

use std::net::IpAddr;

use futures::StreamExt;
use serde_json::json;
use wire::security::{
    Authenticator, Enforcement, EnforcementNote, MemberMfa, MfaMode, MfaOverview, MfaState,
    SecurityPolicyPatch, SecurityPolicyView,
};

/// The most members [`SecurityService::mfa_of_members`] looks up at once: the largest page of
/// the members list.
pub const MFA_PAGE: usize = 500;

use self::network::{GeoIp, NetworkRefusal};
use self::policy::Policy;
use crate::domain::Outcome;
use crate::repo::members as members_repo;
use crate::repo::security as repo;
use crate::services::access::{PolicyAdmin, TenantAdmin};
use crate::services::audit::AuditRecorder;
use crate::services::provisioning::AUTHENTIK;
use crate::upstream::authentik::admin::AuthentikAdmin;
use crate::{now_ms, Ctx, Db};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The new rules would refuse the request that saves them; saved only when confirmed.
    #[error("These rules would lock you out: {0}. Save again with the confirmation if that is what you want; owners can always reach this page to undo it.")]
    WouldLockOut(String),
    /// Someone else saved the policy between this change's read and its write.
    #[error("Someone else changed the security policy at the same time. Reload the page to see their change, then make yours again.")]
    Conflict,
    #[error("The security policy could not be read or saved: {0}")]
    Store(#[from] sqlx::Error),
}

/// The rules of a tenant applied to one request, for the access service.
#[derive(Clone, Debug)]
pub struct SecurityGate {
    db: Db,
    geo: Option<GeoIp>,
}

/// Why the gate refuses (or only warns about) a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GateRefusal {
    /// No request for longer than the tenant's idle timeout (minutes).
    Idle(i64),
    /// Signed in longer ago than the tenant's session lifetime (minutes).
    TooOld(i64),
    Network(NetworkRefusal),
}

impl std::fmt::Display for GateRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateRefusal::Idle(m) => write!(
                f,
                "this workspace signs you out after {m} minutes without activity"
            ),
            GateRefusal::TooOld(m) => write!(
                f,
                "this workspace asks you to sign in again every {m} minutes"
            ),
            GateRefusal::Network(n) => n.fmt(f),
        }
    }
}

/// The gate's decision: refused, or let through with a network warning (warn-only mode).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateVerdict {
    pub refusal: Option<GateRefusal>,
    pub warning: Option<NetworkRefusal>,
}

impl SecurityGate {
    pub fn new(db: Db, geo: Option<GeoIp>) -> Self {
        Self { db, geo }
    }

    /// The policy's verdict on `ctx`'s request to tenant `tenant_id`. `network_exempt` skips
    /// the network rules (owners on the Security page: they can always undo a lock-out).
    pub async fn check(
        &self,
        ctx: &Ctx,
        tenant_id: &str,
        network_exempt: bool,
    ) -> Result<GateVerdict, sqlx::Error> {
        let Some(row) = repo::get(&self.db, tenant_id).await? else {
            return Ok(GateVerdict::default());
        };
        let p = row.policy;
        let now = now_ms();
        if let Some(clock) = &ctx.session {
            if let Some(m) = p.absolute_lifetime_minutes {
                if now - clock.signed_in_at > m * 60_000 {
                    return Ok(GateVerdict {
                        refusal: Some(GateRefusal::TooOld(m)),
                        warning: None,
                    });
                }
            }
            if let Some(m) = p.idle_timeout_minutes {
                if now - clock.last_seen_at > m * 60_000 {
                    return Ok(GateVerdict {
                        refusal: Some(GateRefusal::Idle(m)),
                        warning: None,
                    });
                }
            }
        }
        if network_exempt {
            return Ok(GateVerdict::default());
        }
        let ip = client_ip(ctx);
        Ok(match network::check(&p, ip, self.geo.as_ref()) {
            None => GateVerdict::default(),
            Some(n) => match p.network_enforcement {
                wire::security::NetworkEnforcement::Enforce => GateVerdict {
                    refusal: Some(GateRefusal::Network(n)),
                    warning: None,
                },
                wire::security::NetworkEnforcement::WarnOnly => GateVerdict {
                    refusal: None,
                    warning: Some(n),
                },
            },
        })
    }
}

fn client_ip(ctx: &Ctx) -> Option<IpAddr> {
    ctx.meta.ip.as_deref().and_then(|s| s.parse().ok())
}

/// Reads and changes policies; builds the MFA overview.
pub struct SecurityService {
    db: Db,
    audit: AuditRecorder,
    geo: Option<GeoIp>,
    authentik: AuthentikAdmin,
}

impl SecurityService {
    pub fn new(
        db: Db,
        audit: AuditRecorder,
        geo: Option<GeoIp>,
        authentik: AuthentikAdmin,
    ) -> Self {
        Self {
            db,
            audit,
            geo,
            authentik,
        }
    }

    /// The gate the access service asks on every tenant check.
    pub fn gate(&self) -> SecurityGate {
        SecurityGate::new(self.db.clone(), self.geo.clone())
    }

    /// The tenant's policy, who enforces each part, and how the caller's request looks.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn view(
        &self,
        ctx: &Ctx,
        admin: &PolicyAdmin,
    ) -> Result<SecurityPolicyView, SecurityError> {
        let row = repo::get(&self.db, &admin.tenant().id).await?;
        let (policy, updated_at, updated_by) = match row {
            Some(r) => (r.policy, Some(r.updated_at), r.updated_by),
            None => (Policy::default(), None, None),
        };
        let ip = client_ip(ctx);
        Ok(SecurityPolicyView {
            enforcement: self.enforcement_notes(&policy),
            policy: policy.view(),
            geoip_configured: self.geo.is_some(),
            your_ip: ip.map(|i| i.to_string()),
            your_country: ip
                .and_then(|i| self.geo.as_ref().and_then(|g| g.country(i)))
                .map(|c| c.to_string()),
            updated_at,
            updated_by,
        })
    }

    fn enforcement_notes(&self, p: &Policy) -> Vec<EnforcementNote> {
        let note = |setting: &str, enforcement, note: &str| EnforcementNote {
            setting: setting.into(),
            enforcement,
            note: note.into(),
        };
        let mut notes = vec![
            note(
                "mfa_mode",
                Enforcement::NotEnforced,
                "Not enforced at sign-in yet: requiring a second factor needs a change to Authentik's shared sign-in flow, which Dezky does not make yet. The MFA overview shows who is affected.",
            ),
            note(
                "session_timeouts",
                Enforcement::Console,
                "Enforced by the console for this workspace's admin pages and API: a session past either limit is signed out. Mail, files and other apps keep their own sessions.",
            ),
            note(
                "ip_allowlist",
                Enforcement::Console,
                "Enforced by the console for this workspace's pages and API. Sign-in to mail, files and other apps is not restricted yet (needs Authentik's sign-in flow).",
            ),
        ];
        notes.push(if self.geo.is_some() {
            note(
                "allowed_countries",
                Enforcement::Console,
                "Enforced by the console for this workspace's pages and API, by the GeoIP database; an address whose country is unknown is refused. Sign-in to other apps is not restricted yet.",
            )
        } else {
            note(
                "allowed_countries",
                Enforcement::NotEnforced,
                if p.allowed_countries.is_empty() {
                    "Not enforced: no GeoIP database configured (GEOIP_DB)."
                } else {
                    "Stored, not enforced: no GeoIP database configured (GEOIP_DB)."
                },
            )
        });
        notes
    }

    /// Applies `patch`. Refused without `confirm_lockout` when the new network rules (in
    /// enforce mode) would refuse the caller's own request; audited as
    /// `security.policy_update` with the policy before and after (refusals too).
    /// Errors: `Invalid` (field named), `WouldLockOut` (409).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn update(
        &self,
        ctx: &Ctx,
        admin: &PolicyAdmin,
        patch: &SecurityPolicyPatch,
    ) -> Result<SecurityPolicyView, SecurityError> {
        let tenant = admin.tenant();
        let stored = repo::get(&self.db, &tenant.id).await?;
        let seen = stored.as_ref().map(|r| r.updated_at);
        let before = stored.map(|r| r.policy).unwrap_or_default();
        let after = match before.patched(patch) {
            Ok(p) => p,
            Err(e) => {
                self.audit_update(ctx, admin, &before, None, Outcome::Failure, &e.to_string())
                    .await;
                return Err(e);
            }
        };
        if after.network_enforcement == wire::security::NetworkEnforcement::Enforce
            && !patch.confirm_lockout
        {
            if let Some(refusal) = network::check(&after, client_ip(ctx), self.geo.as_ref()) {
                self.audit_update(
                    ctx,
                    admin,
                    &before,
                    Some(&after),
                    Outcome::Denied,
                    "would lock out the caller",
                )
                .await;
                return Err(SecurityError::WouldLockOut(refusal.to_string()));
            }
        }
        let by = if admin.user().email_verified {
            admin.user().email.clone()
        } else {
            admin.user().id.clone()
        };
        let at = now_ms().max(seen.unwrap_or(0) + 1);
        if !repo::put(&self.db, &tenant.id, &after, at, Some(&by), seen).await? {
            self.audit_update(
                ctx,
                admin,
                &before,
                Some(&after),
                Outcome::Failure,
                "changed concurrently",
            )
            .await;
            return Err(SecurityError::Conflict);
        }
        self.audit_update(ctx, admin, &before, Some(&after), Outcome::Success, "")
            .await;
        self.view(ctx, admin).await
    }

    async fn audit_update(
        &self,
        ctx: &Ctx,
        admin: &PolicyAdmin,
        before: &Policy,
        after: Option<&Policy>,
        outcome: Outcome,
        reason: &str,
    ) {
        let mut details = json!({ "before": before.view(), "after": after.map(Policy::view) });
        if !reason.is_empty() {
            details["reason"] = json!(reason);
        }
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "security.policy_update",
                &admin.tenant().slug,
                outcome,
                details,
            )
            .await;
    }

    /// Each member's confirmed second factors from Authentik
    /// (`/api/v3/authenticators/admin/all/?user=<pk>`, eight at a time), admins and owners
    /// without MFA first, flagged against the policy. A member whose SSO identity does not
    /// exist yet, or whose lookup failed, is `Unknown` with the reason, never "not enrolled".
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn mfa_overview(&self, admin: &TenantAdmin) -> Result<MfaOverview, SecurityError> {
        let tenant = admin.tenant();
        let mode = self.mfa_mode(&tenant.id).await?;
        let rows = members_repo::of_tenant(&self.db, &tenant.id).await?;
        let mut members = self.member_mfa(mode, rows).await?;
        let rank = |m: &MemberMfa| match (&m.mfa, m.role.is_admin()) {
            (MfaState::NotEnrolled, true) => 0,
            (MfaState::Unknown { .. }, true) => 1,
            (MfaState::NotEnrolled, false) => 2,
            (MfaState::Unknown { .. }, false) => 3,
            (MfaState::Enrolled { .. }, _) => 4,
        };
        members.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a.address.cmp(&b.address))
        });
        let count = |f: fn(&MfaState) -> bool| members.iter().filter(|m| f(&m.mfa)).count() as i64;
        let enrolled = count(|s| matches!(s, MfaState::Enrolled { .. }));
        let not_enrolled = count(|s| matches!(s, MfaState::NotEnrolled));
        let unknown = count(|s| matches!(s, MfaState::Unknown { .. }));
        let missing: Vec<&MemberMfa> = members.iter().filter(|m| m.required_missing).collect();
        let unknown_required = members
            .iter()
            .filter(|m| mode.requires(m.role) && matches!(m.mfa, MfaState::Unknown { .. }))
            .count();
        let verdict = (!missing.is_empty() || unknown_required > 0).then(|| {
            let admins = missing.iter().filter(|m| m.role.is_admin()).count();
            let others = missing.len() - admins;
            let mut parts = Vec::new();
            if admins > 0 {
                parts.push(format!(
                    "{admins} admin{} not enrolled",
                    if admins == 1 { "" } else { "s" }
                ));
            }
            if others > 0 {
                parts.push(format!(
                    "{others} member{} not enrolled",
                    if others == 1 { "" } else { "s" }
                ));
            }
            if unknown_required > 0 {
                parts.push(format!("{unknown_required} unknown"));
            }
            format!("{}: {}.", mode.label(), parts.join(", "))
        });
        Ok(MfaOverview {
            mode,
            members,
            enrolled,
            not_enrolled,
            unknown,
            verdict,
            enforced_at_sign_in: false,
        })
    }

    /// The MFA state of the members `member_ids` of the admin's tenant (a page of the members
    /// list: at most [`MFA_PAGE`]), in the order given; ids of no member of this tenant are
    /// left out. The same lookups and verdicts as [`Self::mfa_overview`], for these members
    /// only.
    ///
    /// Errors: `Invalid` (`member_ids`: more than [`MFA_PAGE`]), `Store`.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, members = member_ids.len()))]
    pub async fn mfa_of_members(
        &self,
        admin: &TenantAdmin,
        member_ids: &[String],
    ) -> Result<Vec<MemberMfa>, SecurityError> {
        if member_ids.len() > MFA_PAGE {
            return Err(SecurityError::Invalid {
                field: "member_ids",
                message: format!(
                    "At most {MFA_PAGE} members at a time (got {}).",
                    member_ids.len()
                ),
            });
        }
        let tenant = admin.tenant();
        let mode = self.mfa_mode(&tenant.id).await?;
        let rows = members_repo::by_ids(&self.db, &tenant.id, member_ids).await?;
        let mut members = self.member_mfa(mode, rows).await?;
        members.sort_by_key(|m| member_ids.iter().position(|id| *id == m.member_id));
        Ok(members)
    }

    /// The tenant's MFA mode (the default when no policy is stored).
    async fn mfa_mode(&self, tenant_id: &str) -> Result<MfaMode, SecurityError> {
        Ok(repo::get(&self.db, tenant_id)
            .await?
            .map(|r| r.policy.mfa_mode)
            .unwrap_or_default())
    }

    /// Each member's confirmed second factors from Authentik, eight lookups at a time, in the
    /// order of `rows`, flagged against `mode`.
    async fn member_mfa(
        &self,
        mode: MfaMode,
        rows: Vec<members_repo::MemberRow>,
    ) -> Result<Vec<MemberMfa>, SecurityError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let steps = members_repo::steps(&self.db, &ids).await?;
        let inputs: Vec<(members_repo::MemberRow, Option<i64>)> = rows
            .into_iter()
            .map(|r| {
                let pk = steps
                    .iter()
                    .find(|s| s.member_id == r.id && s.upstream == AUTHENTIK)
                    .and_then(|s| s.upstream_id.as_deref())
                    .and_then(|id| id.parse::<i64>().ok());
                (r, pk)
            })
            .collect();
        let lookups = inputs.into_iter().map(|(r, pk)| {
            async move {
                let state = match self.authenticators(pk, &r.address).await {
                    Ok(Some(authenticators)) if authenticators.is_empty() => MfaState::NotEnrolled,
                    Ok(Some(authenticators)) => MfaState::Enrolled { authenticators },
                    Ok(None) => MfaState::Unknown {
                        reason: "No SSO identity exists for this member yet.".into(),
                    },
                    Err(e) => {
                        tracing::warn!(error = %crate::error::cause_chain(&e), "MFA status lookup failed");
                        MfaState::Unknown {
                            reason: format!("Authentik did not answer: {e}"),
                        }
                    }
                };
                MemberMfa {
                    member_id: r.id,
                    address: r.address,
                    name: format!("{} {}", r.first_name, r.last_name).trim().to_string(),
                    role: r.role,
                    required_missing: mode.requires(r.role) && matches!(state, MfaState::NotEnrolled),
                    mfa: state,
                }
            }
        });
        Ok(futures::stream::iter(lookups).buffered(8).collect().await)
    }

    /// Refuses a change whose form did not even parse (a field named), audited like any
    /// refused change.
    pub async fn refuse(
        &self,
        ctx: &Ctx,
        admin: &PolicyAdmin,
        field: &'static str,
        message: String,
    ) -> SecurityError {
        let e = SecurityError::Invalid { field, message };
        let before = repo::get(&self.db, &admin.tenant().id)
            .await
            .ok()
            .flatten()
            .map(|r| r.policy)
            .unwrap_or_default();
        self.audit_update(ctx, admin, &before, None, Outcome::Failure, &e.to_string())
            .await;
        e
    }

    /// The confirmed second factors of the SSO identity `pk` (the member's stored Authentik
    /// id), or of the identity whose username is the member's address when none is stored
    /// (members that existed before Dezky provisioned them); `None` when there is none.
    async fn authenticators(
        &self,
        pk: Option<i64>,
        address: &str,
    ) -> Result<Option<Vec<Authenticator>>, crate::upstream::UpstreamError> {
        let pk = match pk {
            Some(pk) => pk,
            None => match self.authentik.find_user_by_username(address).await? {
                Some(u) => u.pk,
                None => return Ok(None),
            },
        };
        let devices = self.authentik.authenticators_of(pk).await?;
        Ok(Some(
            devices
                .into_iter()
                .filter(|d| d.confirmed)
                .filter_map(|d| {
                    d.factor().map(|kind| Authenticator {
                        kind,
                        name: d.name,
                        last_used: d.last_used,
                    })
                })
                .collect(),
        ))
    }
}

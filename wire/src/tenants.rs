//! Tenants, roles, the signed-in person, partner views, dashboards and the audit trail.

use serde::{Deserialize, Serialize};

use crate::steps::StepStatus;

/// A person's role in one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Role::Member),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    /// Admins and owners may use the admin console of the tenant.
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::Owner)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant's provisioning status: active once every upstream step is ok or skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    Pending,
    Active,
}

impl TenantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Pending => "pending",
            TenantStatus::Active => "active",
        }
    }

    /// The stored form; anything unknown reads as pending (reconcile settles it).
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => TenantStatus::Active,
            _ => TenantStatus::Pending,
        }
    }
}

impl std::fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partner {
    pub id: String,
    pub slug: String,
    pub name: String,
}

/// A tenant as seen by one person: with their role in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantMembership {
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub role: Role,
}

/// What `me` answers: the profile, the tenants with the role in each, and partner staff or not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub user_id: String,
    pub email: String,
    /// The email is known to be theirs; otherwise pages show it as unverified.
    pub email_verified: bool,
    pub name: String,
    pub tenants: Vec<TenantMembership>,
    /// The partner organisation this person works for, if they are partner staff.
    pub partner: Option<Partner>,
}

/// Everything the frame of every page needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub me: Option<Me>,
    /// The console runs against the sandbox upstreams: nothing real is provisioned.
    pub sandbox: bool,
    /// Acting as partner staff (only ever true for partner staff).
    pub partner_mode: bool,
}

/// The outcome of an audited action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    /// The stored form; anything unknown reads as a failure.
    pub fn parse(s: &str) -> Self {
        match s {
            "success" => Outcome::Success,
            "denied" => Outcome::Denied,
            _ => Outcome::Failure,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded audit event: who (actor, partner staff or not), what (action, target), how
/// it ended, from where (IP, user agent), the request id and the time (ms since the epoch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub id: String,
    pub tenant_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_email: Option<String>,
    pub actor_partner_staff: bool,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub details: serde_json::Value,
    pub created_at: i64,
}

/// A tenant with the result of each provisioning step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantProvisioning {
    pub tenant: Tenant,
    pub steps: Vec<StepStatus>,
}

impl TenantProvisioning {
    /// No step is waiting to run.
    pub fn settled(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.state != crate::steps::StepState::Pending)
    }
}

/// A tenant's admin dashboard.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub tenant: Tenant,
    pub viewer_name: String,
    /// The viewer's own role (none when acting as partner staff only).
    pub viewer_role: Option<Role>,
    pub via_partner: bool,
    pub seats_used: i64,
    pub steps: Vec<StepStatus>,
    /// The newest events, newest first.
    pub recent_audit: Vec<AuditEvent>,
}

/// One row of the partner view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerTenantView {
    pub tenant: Tenant,
    pub steps: Vec<StepStatus>,
    pub seats_used: i64,
    /// Things needing attention: provisioning steps in error, mail domains needing attention
    /// (a verified domain that lost a record), and a subscription behind on payment.
    pub attention: i64,
    /// Of those, the mail domains needing attention.
    #[serde(default)]
    pub domains_attention: i64,
    /// The subscription's last known state (from Stripe's webhooks or the last read of it);
    /// `None` without a subscription.
    pub billing_state: Option<crate::billing::SubscriptionState>,
}

/// One page of the workspaces a partner looks after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerView {
    pub partner_name: String,
    /// At most the query's `limit`, in the query's order.
    pub tenants: Vec<PartnerTenantView>,
    /// Workspaces matching the search in all pages.
    pub total: i64,
    /// Where the next page starts (opaque; pass it back as `cursor`), if there is one.
    pub next_cursor: Option<String>,
    /// The order the page is in.
    pub sort: PartnerSort,
}

/// How the partner view orders workspaces.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerSort {
    /// By name, then slug.
    #[default]
    Name,
    /// By status (`active`, `failed`, `provisioning`, …), then name.
    Status,
    /// Most things needing attention first, then name.
    Attention,
}

impl PartnerSort {
    pub const ALL: [PartnerSort; 3] = [Self::Name, Self::Status, Self::Attention];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Status => "status",
            Self::Attention => "attention",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Which workspaces the partner view lists: `q` (a case-insensitive piece of the name or
/// slug), `sort` (`name`, `status` or `attention`; default `name`), `cursor` (opaque, a
/// page's `next_cursor`, valid for the same sort) and `limit` (1–200, default 50). Strings as
/// given, so a bad value is refused with its field, never dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// The person's own profile and what the identity provider says about them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub name: String,
    pub email: String,
    /// The workspaces the person belongs to, with their role in each.
    pub tenants: Vec<TenantMembership>,
    /// Claims the identity provider returns for the session's access token, sorted.
    pub idp_claims: Vec<(String, String)>,
}

/// The admin sidebar: the tenant's real name and how many domains need attention.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSidebarView {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub domains_attention: i64,
    /// Set when the subscription is behind on payment (past due, unpaid): the dunning banner.
    pub billing_behind: Option<crate::billing::SubscriptionState>,
    /// The plan's name (from the plan catalogue) when one is chosen and Stripe answers.
    pub plan: Option<String>,
    /// Members, the seats the subscription is kept at (never below the plan's minimum).
    pub seats: i64,
    /// The product name (the Branding page's, or "Dezky") over the workspace's name.
    #[serde(default)]
    pub product_name: String,
}

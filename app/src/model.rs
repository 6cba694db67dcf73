//! What the pages show: the shapes server functions return to the browser.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantRoleView {
    pub slug: String,
    pub name: String,
    pub status: String,
    /// "owner", "admin" or "member".
    pub role: String,
    pub is_admin: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeView {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub tenants: Vec<TenantRoleView>,
    /// The partner organisation's name when the person is partner staff.
    pub partner: Option<String>,
}

/// Everything the frame of every page needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub me: Option<MeView>,
    /// The console runs against the sandbox upstreams: nothing real is provisioned.
    pub sandbox: bool,
    /// Acting as partner staff (only ever true for partner staff).
    pub partner_mode: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub at_ms: i64,
    pub actor: String,
    pub as_partner: bool,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardView {
    pub tenant_slug: String,
    pub tenant_name: String,
    pub tenant_status: String,
    pub viewer_name: String,
    pub viewer_role: Option<String>,
    pub via_partner: bool,
    pub seats_used: i64,
    pub recent_audit: Vec<AuditEventView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerTenantView {
    pub slug: String,
    pub name: String,
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerView {
    pub partner_name: String,
    pub tenants: Vec<PartnerTenantView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileView {
    pub name: String,
    pub email: String,
    /// Claims the identity provider returns for the session's access token.
    pub idp_claims: Vec<(String, String)>,
}

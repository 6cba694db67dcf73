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

/// One provisioning step of a tenant: "pending", "ok", "skipped" or "error".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub upstream: String,
    pub state: String,
    pub message: String,
    pub last_run_at: Option<i64>,
}

impl StepView {
    pub fn is_done(&self) -> bool {
        self.state == "ok" || self.state == "skipped"
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisioningView {
    pub slug: String,
    pub name: String,
    pub status: String,
    pub steps: Vec<StepView>,
}

impl ProvisioningView {
    /// No step is waiting to run.
    pub fn settled(&self) -> bool {
        self.steps.iter().all(|s| s.state != "pending")
    }
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
    pub steps: Vec<StepView>,
    pub recent_audit: Vec<AuditEventView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerTenantView {
    pub slug: String,
    pub name: String,
    pub status: String,
    pub steps: Vec<StepView>,
    pub seats_used: i64,
    /// Things needing attention (provisioning steps in error, for now).
    pub attention: i64,
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
    /// The workspaces the person belongs to, with their role in each.
    pub tenants: Vec<TenantRoleView>,
    /// Claims the identity provider returns for the session's access token.
    pub idp_claims: Vec<(String, String)>,
}

/// One DNS record to publish, with what the last check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecordView {
    pub kind: String,
    pub name: String,
    pub value: String,
    pub required: bool,
    /// ok, missing, mismatch, duplicate, error, pending, unchecked
    pub state: String,
    pub found: Vec<String>,
    pub to_remove: Vec<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub name: String,
    pub unicode_name: String,
    /// pending, verified, needs_attention
    pub status: String,
    pub is_primary: bool,
    pub dmarc_policy: String,
    pub dmarc_rua: Option<String>,
    pub stalwart_state: String,
    pub stalwart_message: String,
    pub last_checked_at: Option<i64>,
    pub records: Vec<DnsRecordView>,
}

impl DomainView {
    /// The records as a BIND zone file, for download.
    pub fn zone_file(&self) -> String {
        self.records
            .iter()
            .filter(|r| !r.value.is_empty())
            .map(|r| {
                let (kind, value) = match r.kind.as_str() {
                    "SPF" | "DKIM" | "DMARC" | "Ownership" => {
                        ("TXT".to_string(), format!("\"{}\"", r.value))
                    }
                    "TXT" => ("TXT".to_string(), format!("\"{}\"", r.value)),
                    other => (other.to_string(), r.value.clone()),
                };
                format!("{}. IN {kind} {value}", r.name)
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }
}

/// One member of a tenant, as the Users & groups page shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRowView {
    pub id: String,
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    /// "owner", "admin" or "member".
    pub role: String,
    /// "creating", "active", "suspended" or "removing".
    pub status: String,
    pub suspended_at: Option<i64>,
    pub suspended_by: Option<String>,
    pub created_at: i64,
    pub is_self: bool,
    pub needs_attention: bool,
    pub steps: Vec<StepView>,
    pub mailbox_used_bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<MemberRowView>,
    pub primary_domain: Option<String>,
    pub can_manage_owners: bool,
    pub usage_note: Option<String>,
}

/// A member with the one-time password that was just set (shown once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedMember {
    pub member: MemberRowView,
    pub one_time_password: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalItemView {
    pub system: String,
    /// "delete", "keep" or "leave_group".
    pub action: String,
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutView {
    pub authentik_sessions: usize,
    pub refresh_tokens: usize,
    pub console_sessions: u64,
    pub errors: Vec<String>,
}

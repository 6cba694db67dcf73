//! Members: one identity across SSO (Authentik), mailbox (Stalwart) and files (OCIS).

use serde::{Deserialize, Serialize};

use crate::steps::StepStatus;
use crate::tenants::Role;

/// What a member should be; the per-upstream steps say whether each system matches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Being created (or a creation that failed somewhere: Retry or Cancel).
    Creating,
    Active,
    /// Cannot sign in anywhere; resumed with their old password.
    Suspended,
    /// Being removed (or a removal that failed somewhere: Retry continues it).
    Removing,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Creating => "creating",
            MemberStatus::Active => "active",
            MemberStatus::Suspended => "suspended",
            MemberStatus::Removing => "removing",
        }
    }

    /// The stored form; anything unknown reads as creating (no access, Retry offered).
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => MemberStatus::Active,
            "suspended" => MemberStatus::Suspended,
            "removing" => MemberStatus::Removing,
            _ => MemberStatus::Creating,
        }
    }

    /// Whether the member may use the console and the workspace (fail closed).
    pub fn grants_access(self) -> bool {
        self == MemberStatus::Active
    }
}

impl std::fmt::Display for MemberStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One member of a tenant, as the Users & groups page and the JSON API show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: String,
    /// The mailbox and sign-in address, on the tenant's primary domain.
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    pub role: Role,
    pub status: MemberStatus,
    /// ms since the Unix epoch, and who suspended them.
    pub suspended_at: Option<i64>,
    pub suspended_by: Option<String>,
    pub created_at: i64,
    /// The caller themselves (no suspend, sign-out or remove for them).
    pub is_self: bool,
    /// Some upstream does not match the member's status: Retry (or Cancel) is offered.
    pub needs_attention: bool,
    /// One step per upstream, in the order the page shows them.
    pub steps: Vec<StepStatus>,
    /// Bytes used in the mailbox, when Stalwart told us.
    pub mailbox_used_bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersOverview {
    pub members: Vec<MemberView>,
    /// Where new members get their address (ASCII form), if the tenant has one.
    pub primary_domain: Option<String>,
    /// The caller may create owners and change owners' roles.
    pub can_manage_owners: bool,
    /// Why mailbox usage is missing, when Stalwart could not be asked.
    pub usage_note: Option<String>,
}

/// A member with the one-time password that was just set: the one answer that shows it
/// (sent with `Cache-Control: no-store`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedMember {
    pub member: MemberView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

/// What a removal does in one system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalAction {
    Delete,
    /// Kept: another workspace still uses it.
    Keep,
    /// The SSO identity stays (another workspace uses it) and leaves this tenant's group.
    LeaveGroup,
}

/// One line of a removal's confirmation: what happens in which system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalItem {
    /// "Authentik", "Stalwart" or "OCIS".
    pub system: String,
    pub action: RemovalAction,
    pub description: String,
}

/// What a force sign-out ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutReport {
    pub authentik_sessions: usize,
    pub refresh_tokens: usize,
    pub console_sessions: u64,
    /// Per-upstream failures (the person may still have a session there).
    pub errors: Vec<String>,
}

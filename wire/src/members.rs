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
    /// One page of members in name order (first name, last name, address).
    pub members: Vec<MemberView>,
    /// Members matching the search in all pages.
    pub total: i64,
    /// Where the next page starts (opaque; pass it back as `cursor`), if there is one.
    pub next_cursor: Option<String>,
    /// Where new members get their address (ASCII form), if the tenant has one.
    pub primary_domain: Option<String>,
    /// The caller may create owners and change owners' roles.
    pub can_manage_owners: bool,
    /// Why mailbox usage is missing, when Stalwart could not be asked.
    pub usage_note: Option<String>,
}

/// Which members to list: `q` (a case-insensitive piece of the name or address), `cursor`
/// (opaque, a page's `next_cursor`) and `limit` (1–500, default 100). Strings as given, so a
/// bad value is refused with its field (`MemberError::Invalid`), never dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub limit: Option<String>,
}

/// A member with the one-time password that was just set: the one answer that shows it
/// (sent with `Cache-Control: no-store`). `Debug` never prints the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealedMember {
    pub member: MemberView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_time_password: Option<String>,
}

impl std::fmt::Debug for RevealedMember {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevealedMember")
            .field("member", &self.member)
            .field(
                "one_time_password",
                &self.one_time_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
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

impl RemovalAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalAction::Delete => "delete",
            RemovalAction::Keep => "keep",
            RemovalAction::LeaveGroup => "leave_group",
        }
    }
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

/// What an admin can do to a member; [`MemberView::actions`] says which apply now, so the
/// page does not re-implement the member's state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberAction {
    /// Complete the steps in error (a creation, a lifecycle change or a removal).
    Retry,
    /// Undo an incomplete creation.
    Cancel,
    Suspend,
    Resume,
    /// End their sessions and refresh tokens everywhere.
    SignOut,
    ResetPassword,
    SetRole,
    Remove,
}

impl MemberAction {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberAction::Retry => "retry",
            MemberAction::Cancel => "cancel",
            MemberAction::Suspend => "suspend",
            MemberAction::Resume => "resume",
            MemberAction::SignOut => "sign_out",
            MemberAction::ResetPassword => "reset_password",
            MemberAction::SetRole => "role",
            MemberAction::Remove => "remove",
        }
    }

    /// The button's label for a member in `status`.
    pub fn label(self, status: MemberStatus) -> &'static str {
        match self {
            MemberAction::Retry if status == MemberStatus::Removing => "Retry removal",
            MemberAction::Retry => "Retry",
            MemberAction::Cancel => "Cancel",
            MemberAction::Suspend => "Suspend",
            MemberAction::Resume => "Resume",
            MemberAction::SignOut => "Sign out",
            MemberAction::ResetPassword => "Reset password",
            MemberAction::SetRole => "Role",
            MemberAction::Remove => "Remove",
        }
    }
}

impl MemberView {
    /// The actions that apply to this member now, in the order the page shows them: an
    /// incomplete creation can be retried or cancelled, an incomplete removal retried; an
    /// active or suspended member can be suspended or resumed, signed out, given a new
    /// password or role, or removed — never by themselves (suspend, sign-out, remove), and
    /// an owner only by a caller who manages owners (`MembersOverview::can_manage_owners`).
    pub fn actions(&self, can_manage_owners: bool) -> Vec<MemberAction> {
        use MemberAction::*;
        if self.role == Role::Owner && !can_manage_owners {
            return Vec::new();
        }
        match self.status {
            MemberStatus::Creating => vec![Retry, Cancel],
            MemberStatus::Removing => vec![Retry],
            status => {
                let other = !self.is_self;
                let mut out = Vec::new();
                if self.needs_attention {
                    out.push(Retry);
                }
                if other && status == MemberStatus::Active {
                    out.push(Suspend);
                }
                if other && status == MemberStatus::Suspended {
                    out.push(Resume);
                }
                if other {
                    out.push(SignOut);
                }
                out.extend([ResetPassword, SetRole]);
                if other {
                    out.push(Remove);
                }
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(status: MemberStatus, is_self: bool, needs_attention: bool) -> MemberView {
        MemberView {
            id: "m".into(),
            address: "a@b.example".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            name: "A B".into(),
            role: Role::Member,
            status,
            suspended_at: None,
            suspended_by: None,
            created_at: 0,
            is_self,
            needs_attention,
            steps: vec![],
            mailbox_used_bytes: None,
        }
    }

    #[test]
    fn the_actions_follow_the_member_state() {
        use MemberAction::*;
        assert_eq!(
            member(MemberStatus::Creating, false, true).actions(true),
            [Retry, Cancel]
        );
        assert_eq!(
            member(MemberStatus::Removing, false, true).actions(true),
            [Retry]
        );
        assert_eq!(
            member(MemberStatus::Active, false, false).actions(true),
            [Suspend, SignOut, ResetPassword, SetRole, Remove]
        );
        assert_eq!(
            member(MemberStatus::Suspended, false, true).actions(true),
            [Retry, Resume, SignOut, ResetPassword, SetRole, Remove]
        );
        assert_eq!(
            member(MemberStatus::Active, true, false).actions(true),
            [ResetPassword, SetRole],
            "nobody suspends, signs out or removes themselves"
        );
        let mut owner = member(MemberStatus::Active, false, false);
        owner.role = Role::Owner;
        assert!(
            owner.actions(false).is_empty(),
            "admins do not act on owners"
        );
        assert_eq!(owner.actions(true).len(), 5);
    }

    #[test]
    fn debug_never_prints_a_one_time_password() {
        let r = RevealedMember {
            member: member(MemberStatus::Active, false, false),
            one_time_password: Some("Abcde-12345-fghij-67890".into()),
        };
        let printed = format!("{r:?}");
        assert!(!printed.contains("Abcde-12345"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn states_serialise_as_before() {
        assert_eq!(
            serde_json::to_value(MemberStatus::Suspended).unwrap(),
            "suspended"
        );
        assert_eq!(
            serde_json::to_value(RemovalAction::LeaveGroup).unwrap(),
            "leave_group"
        );
        assert_eq!(MemberStatus::parse("removing"), MemberStatus::Removing);
    }
}

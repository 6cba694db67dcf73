//! What the pages and the JSON API see of members, and the reading methods (no upstream
//! changes here; the listing asks Stalwart for mailbox usage only).

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use super::{MemberError, MemberService, MEMBER_UPSTREAMS};
use crate::domain::Role;
use crate::repo::mail_domains;
use crate::repo::members::{self as repo, MemberRow, MemberStepRow};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::STALWART;
use crate::services::steps::{StepState, StepStatus};

/// One upstream's step of a member: the same shape as a tenant's provisioning step.
pub type MemberStep = StepStatus;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: String,
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    pub role: Role,
    /// creating, active, suspended, removing
    pub status: String,
    pub suspended_at: Option<i64>,
    pub suspended_by: Option<String>,
    pub created_at: i64,
    /// The caller themselves (no suspend, sign-out or remove for them).
    pub is_self: bool,
    /// Some upstream does not match the member's status: Retry (or Cancel) is offered.
    pub needs_attention: bool,
    pub steps: Vec<MemberStep>,
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

/// A member with the one-time password that was just set (shown once, never stored).
pub struct MemberWithPassword {
    pub member: MemberView,
    pub one_time_password: Option<SecretString>,
}

impl MemberWithPassword {
    /// The member and the password in clear, for the one answer that shows it.
    pub fn reveal(self) -> (MemberView, Option<String>) {
        use secrecy::ExposeSecret;
        let password = self
            .one_time_password
            .map(|p| p.expose_secret().to_string());
        (self.member, password)
    }
}

/// One line of a removal's confirmation: what happens in which system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalItem {
    pub system: String,
    /// delete, keep, leave_group
    pub action: String,
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

impl MemberService {
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn list(&self, admin: &TenantAdmin) -> Result<MembersOverview, MemberError> {
        let tenant = admin.tenant();
        let rows = repo::of_tenant(&self.db, &tenant.id).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let steps = repo::steps(&self.db, &ids).await?;
        let mailbox_ids: Vec<String> = steps
            .iter()
            .filter(|s| s.upstream == STALWART)
            .filter_map(|s| s.upstream_id.clone())
            .collect();
        let (usage, usage_note) = self.mailbox_usage(&mailbox_ids).await;
        let members = rows
            .iter()
            .map(|r| {
                let own: Vec<&MemberStepRow> =
                    steps.iter().filter(|s| s.member_id == r.id).collect();
                let mailbox = own
                    .iter()
                    .find(|s| s.upstream == STALWART)
                    .and_then(|s| s.upstream_id.as_ref());
                let used = mailbox.and_then(|m| usage.iter().find(|(id, _)| id == m).map(|u| u.1));
                self.view(admin, r, &own, used)
            })
            .collect();
        let primary = mail_domains::of_tenant(&self.db, &tenant.id)
            .await?
            .into_iter()
            .find(|d| d.is_primary != 0)
            .map(|d| d.name);
        Ok(MembersOverview {
            members,
            primary_domain: primary,
            can_manage_owners: Self::may_manage_owners(admin),
            usage_note,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn get(&self, admin: &TenantAdmin, id: &str) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.load_view(admin, &row).await
    }

    /// The member with this address, if the tenant has one (the create dialog follows the
    /// steps with it while the creation runs).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn by_address(
        &self,
        admin: &TenantAdmin,
        address: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let address = address.trim().to_lowercase();
        match repo::by_address(&self.db, &admin.tenant().id, &address).await? {
            Some(row) => Ok(Some(self.load_view(admin, &row).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn load_view(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
    ) -> Result<MemberView, MemberError> {
        let steps = repo::steps(&self.db, std::slice::from_ref(&row.id)).await?;
        let refs: Vec<&MemberStepRow> = steps.iter().collect();
        Ok(self.view(admin, row, &refs, None))
    }

    fn view(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        steps: &[&MemberStepRow],
        used: Option<i64>,
    ) -> MemberView {
        let steps: Vec<MemberStep> = MEMBER_UPSTREAMS
            .iter()
            .filter_map(|u| steps.iter().find(|s| s.upstream == *u))
            .map(|s| MemberStep::from(*s))
            .collect();
        MemberView {
            id: row.id.clone(),
            address: row.address.clone(),
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            name: format!("{} {}", row.first_name, row.last_name)
                .trim()
                .to_string(),
            role: Role::parse(&row.role).unwrap_or(Role::Member),
            status: row.status.clone(),
            suspended_at: row.suspended_at,
            suspended_by: row.suspended_by.clone(),
            created_at: row.created_at,
            is_self: row.user_id.as_deref() == Some(admin.user().id.as_str()),
            needs_attention: row.status == "creating"
                || row.status == "removing"
                || steps.iter().any(|s| s.state == StepState::Error),
            steps,
            mailbox_used_bytes: used,
        }
    }
}

//! What the pages and the JSON API see of members, and the reading methods (no upstream
//! changes here; the listing asks Stalwart for mailbox usage only).

use secrecy::{ExposeSecret, SecretString};

use super::{MemberError, MemberService, MEMBER_UPSTREAMS};
use crate::repo::mail_domains;
use crate::repo::members::{self as repo, MemberRow, MemberStepRow};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::STALWART;
use crate::services::steps::{StepState, StepStatus};

// The views are the wire's (the same for pages, the JSON API and here).
pub use wire::members::{
    MemberStatus, MemberView, MembersOverview, RemovalAction, RemovalItem, RevealedMember,
    SignOutReport,
};

/// One upstream's step of a member: the same shape as a tenant's provisioning step.
pub type MemberStep = StepStatus;

/// A member with the one-time password that was just set (shown once, never stored): the
/// password stays a secret until [`MemberWithPassword::reveal`].
pub struct MemberWithPassword {
    pub member: MemberView,
    pub one_time_password: Option<SecretString>,
}

impl MemberWithPassword {
    /// The member and the password in clear, for the one answer that shows it.
    pub fn reveal(self) -> RevealedMember {
        RevealedMember {
            member: self.member,
            one_time_password: self
                .one_time_password
                .map(|p| p.expose_secret().to_string()),
        }
    }
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
            role: row.role,
            status: row.status,
            suspended_at: row.suspended_at,
            suspended_by: row.suspended_by.clone(),
            created_at: row.created_at,
            is_self: row.user_id.as_deref() == Some(admin.user().id.as_str()),
            needs_attention: matches!(row.status, MemberStatus::Creating | MemberStatus::Removing)
                || steps.iter().any(|s| s.state == StepState::Error),
            steps,
            mailbox_used_bytes: used,
        }
    }
}

//! Tenant reads for the admin dashboard, the partner view and the JSON API.

// The views are the wire's; these paths stay importable from here.
pub use wire::tenants::{DashboardView, PartnerTenantView, PartnerView};

use crate::repo::{audit, identity};
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::services::provisioning::{ProvisioningService, StepState};
use crate::Db;

/// How many audit events the dashboard shows.
const RECENT_AUDIT: i64 = 10;

/// A tenant read failed: only the database can fail here.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("The workspace could not be read.")]
    Store(#[from] sqlx::Error),
    #[error("The workspace's provisioning steps could not be read.")]
    Steps(#[from] crate::services::provisioning::ProvisioningError),
}

#[derive(Clone)]
pub struct TenantService {
    db: Db,
    provisioning: ProvisioningService,
}

impl TenantService {
    pub fn new(db: Db, provisioning: ProvisioningService) -> Self {
        Self { db, provisioning }
    }

    /// The admin dashboard: the tenant, who is looking, seats, provisioning steps and the
    /// newest audit events.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn dashboard(&self, admin: &TenantAdmin) -> Result<DashboardView, TenantError> {
        let tenant = admin.tenant().clone();
        Ok(DashboardView {
            viewer_name: admin.user().name.clone(),
            viewer_role: admin.role(),
            via_partner: admin.via_partner(),
            seats_used: identity::count_members(&self.db, &tenant.id).await?,
            steps: self.provisioning.steps(&tenant).await?,
            recent_audit: audit::for_tenant(&self.db, &tenant.id, RECENT_AUDIT).await?,
            tenant,
        })
    }

    /// The tenants the caller's partner looks after, with provisioning health.
    #[tracing::instrument(skip_all, fields(partner = %staff.partner().slug, actor = %staff.user().id))]
    pub async fn partner_view(&self, staff: &PartnerStaff) -> Result<PartnerView, TenantError> {
        let mut tenants = Vec::new();
        let looked_after = identity::tenants_of_partner(&self.db, &staff.partner().id).await?;
        let ids: Vec<String> = looked_after.iter().map(|t| t.id.clone()).collect();
        let billing = crate::repo::billing::states(&self.db, &ids).await?;
        for tenant in looked_after {
            let steps = self.provisioning.steps(&tenant).await?;
            let billing_state = billing
                .iter()
                .find(|(id, _)| *id == tenant.id)
                .map(|(_, s)| *s);
            let domains_attention = crate::repo::mail_domains::of_tenant(&self.db, &tenant.id)
                .await?
                .iter()
                .filter(|d| d.status == wire::domains::DomainStatus::NeedsAttention)
                .count() as i64;
            let attention = steps.iter().filter(|s| s.state == StepState::Error).count() as i64
                + domains_attention
                + i64::from(billing_state.is_some_and(|s| s.behind_on_payment()));
            tenants.push(PartnerTenantView {
                seats_used: identity::count_members(&self.db, &tenant.id).await?,
                tenant,
                steps,
                attention,
                domains_attention,
                billing_state,
            });
        }
        Ok(PartnerView {
            partner_name: staff.partner().name.clone(),
            tenants,
        })
    }
}

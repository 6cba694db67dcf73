//! Tenant reads for the admin dashboard, the partner view and the JSON API.

use serde::{Deserialize, Serialize};

use crate::domain::{AuditEvent, Tenant};
use crate::repo::{audit, identity};
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::services::provisioning::{ProvisioningService, StepState, StepStatus};
use crate::Db;

/// A tenant read failed: only the database can fail here.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("The workspace could not be read.")]
    Store(#[from] sqlx::Error),
    #[error("The workspace's provisioning steps could not be read.")]
    Steps(#[from] crate::services::provisioning::ProvisioningError),
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdminOverview {
    pub tenant: Tenant,
    pub seats_used: i64,
    pub steps: Vec<StepStatus>,
    pub recent_audit: Vec<AuditEvent>,
}

/// One row of the partner view.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartnerTenantSummary {
    pub tenant: Tenant,
    pub steps: Vec<StepStatus>,
    pub seats_used: i64,
    /// Things needing attention: provisioning steps in error (later: domains, security).
    pub attention: i64,
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

    pub async fn admin_overview(&self, admin: &TenantAdmin) -> Result<AdminOverview, TenantError> {
        let tenant = admin.tenant().clone();
        Ok(AdminOverview {
            seats_used: identity::count_members(&self.db, &tenant.id).await?,
            steps: self.provisioning.steps(&tenant).await?,
            recent_audit: audit::for_tenant(&self.db, &tenant.id, 10).await?,
            tenant,
        })
    }

    /// The tenants the caller's partner looks after, with provisioning health.
    pub async fn partner_overview(
        &self,
        staff: &PartnerStaff,
    ) -> Result<Vec<PartnerTenantSummary>, TenantError> {
        let mut rows = Vec::new();
        for tenant in identity::tenants_of_partner(&self.db, &staff.partner().id).await? {
            let steps = self.provisioning.steps(&tenant).await?;
            let attention = steps.iter().filter(|s| s.state == StepState::Error).count() as i64;
            rows.push(PartnerTenantSummary {
                seats_used: identity::count_members(&self.db, &tenant.id).await?,
                tenant,
                steps,
                attention,
            });
        }
        Ok(rows)
    }

    pub async fn audit(
        &self,
        admin: &TenantAdmin,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, TenantError> {
        Ok(audit::for_tenant(&self.db, &admin.tenant().id, limit.clamp(1, 500)).await?)
    }
}

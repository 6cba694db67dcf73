//! Tenant reads for the admin dashboard and the partner view.

use serde::{Deserialize, Serialize};

use crate::domain::{AuditEvent, Tenant};
use crate::repo::{audit, identity};
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::Db;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AdminOverview {
    pub tenant: Tenant,
    pub seats_used: i64,
    pub recent_audit: Vec<AuditEvent>,
}

#[derive(Clone, Debug)]
pub struct TenantService {
    db: Db,
}

impl TenantService {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub async fn admin_overview(&self, admin: &TenantAdmin) -> Result<AdminOverview, sqlx::Error> {
        let tenant = admin.tenant().clone();
        let seats_used = identity::count_members(&self.db, &tenant.id).await?;
        let recent_audit = audit::for_tenant(&self.db, &tenant.id, 10).await?;
        Ok(AdminOverview {
            tenant,
            seats_used,
            recent_audit,
        })
    }

    /// The tenants the caller's partner looks after.
    pub async fn partner_tenants(&self, staff: &PartnerStaff) -> Result<Vec<Tenant>, sqlx::Error> {
        identity::tenants_of_partner(&self.db, &staff.partner().id).await
    }
}

//! The dashboard's server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
use wire::steps::StepStatus;
use wire::tenants::DashboardView;

/// The tenant `/admin` opens: the first one the person administers.
#[server(prefix = "/api/fn", endpoint = "admin_home", client = crate::resilient::Resilient)]
pub async fn get_admin_home() -> Result<String, AppError> {
    let call = call()?;
    Ok(call.platform.access.admin_home(&call.ctx).await?)
}

#[server(prefix = "/api/fn", endpoint = "admin_dashboard", client = crate::resilient::Resilient)]
pub async fn get_admin_dashboard(tenant: String) -> Result<DashboardView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.tenants.dashboard(&admin).await?)
}

/// Re-runs the steps that are not ok and repairs drift.
#[server(prefix = "/api/fn", endpoint = "reconcile_tenant", client = crate::resilient::Resilient)]
pub async fn reconcile_tenant(tenant: String) -> Result<Vec<StepStatus>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let result = call
        .platform
        .provisioning
        .reconcile(&call.ctx, &admin)
        .await?;
    Ok(result.steps)
}

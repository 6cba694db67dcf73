//! The partner view's server functions.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
use wire::billing::PlanView;
use wire::tenants::{PartnerView, TenantProvisioning};

/// One page of the partner view: `q` a piece of a workspace's name or slug, `sort` `name`
/// (default), `status` or `attention`, `cursor` a page's `next_cursor` (for the same sort).
#[server(prefix = "/api/fn", endpoint = "partner_overview", client = crate::resilient::Resilient)]
pub async fn get_partner_overview(
    q: Option<String>,
    sort: Option<String>,
    cursor: Option<String>,
) -> Result<PartnerView, AppError> {
    let call = call()?;
    let staff = call.partner_staff().await?;
    let query = wire::tenants::PartnerQuery {
        q,
        sort,
        cursor,
        limit: None,
    };
    Ok(call.platform.tenants.partner_view(&staff, &query).await?)
}

/// Partner staff create a workspace and provision it (the same service method as
/// `POST /api/tenants`): the answer is the tenant with every step's result. The page follows
/// the steps with `get_tenant_provisioning` while this runs; provisioning carries on if the
/// browser goes away.
#[server(prefix = "/api/fn", endpoint = "create_tenant", client = crate::resilient::Resilient)]
pub async fn create_tenant(
    name: String,
    slug: String,
    plan: Option<String>,
) -> Result<TenantProvisioning, AppError> {
    let call = call()?;
    let staff = call.partner_staff().await?;
    Ok(call
        .platform
        .provisioning
        .create_and_provision(&call.ctx, &staff, &slug, &name, plan.as_deref())
        .await?)
}

/// The plan catalogue, for partner staff creating a workspace (empty when billing is off).
#[server(prefix = "/api/fn", endpoint = "plan_catalogue", client = crate::resilient::Resilient)]
pub async fn get_plan_catalogue() -> Result<Vec<PlanView>, AppError> {
    let call = call()?;
    call.partner_staff().await?;
    Ok(call.platform.billing.catalogue().await?)
}

/// The provisioning progress of a tenant the caller's partner looks after.
#[server(prefix = "/api/fn", endpoint = "tenant_provisioning", client = crate::resilient::Resilient)]
pub async fn get_tenant_provisioning(tenant: String) -> Result<TenantProvisioning, AppError> {
    let call = call()?;
    let (_, tenant) = call
        .platform
        .access
        .partner_for_tenant(&call.ctx, &tenant)
        .await?;
    Ok(call.platform.provisioning.progress(&tenant).await?)
}

/// Partner staff open a tenant they look after; the session enters partner mode. Returns the
/// page to go to.
#[server(prefix = "/api/fn", endpoint = "enter_partner_mode", client = crate::resilient::Resilient)]
pub async fn enter_partner_mode(tenant: String) -> Result<String, AppError> {
    let call = call()?;
    let entered = call
        .platform
        .access
        .enter_as_partner(&call.ctx, &tenant)
        .await?;
    call.set_partner_mode(true).await?;
    Ok(format!("/admin/{}", entered.slug))
}

//! The frame's server functions: who is signed in, partner mode, the admin sidebar.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
use wire::branding::ThemeView;
use wire::tenants::{AdminSidebarView, SessionInfo};

/// The frame of every page: who is signed in (if anyone), sandbox or not, partner mode or not.
#[server(prefix = "/api/fn", endpoint = "session_info", client = crate::resilient::Resilient)]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    let call = call()?;
    let sandbox = crate::call::flags().sandbox;
    Ok(call
        .platform
        .access
        .session_info(&call.ctx, sandbox)
        .await?)
}

/// Leaves partner mode (partner staff only ever enter it from the partner view).
#[server(prefix = "/api/fn", endpoint = "exit_partner_mode", client = crate::resilient::Resilient)]
pub async fn exit_partner_mode() -> Result<(), AppError> {
    let call = call()?;
    if call.user.is_none() {
        return Err(AppError::unauthenticated());
    }
    call.set_partner_mode(false).await
}

/// The admin sidebar: the tenant's real name, the number of domains needing attention, and
/// whether the subscription is behind on payment (the dunning banner).
#[server(prefix = "/api/fn", endpoint = "admin_sidebar", client = crate::resilient::Resilient)]
pub async fn get_admin_sidebar(tenant: String) -> Result<AdminSidebarView, AppError> {
    let call = call()?;
    let admin = match call.tenant_admin(&tenant).await {
        Ok(admin) => admin,
        Err(e) if e.code() == "network_blocked" => {
            // An owner outside the network rules still gets the sidebar (the workspace's name
            // only) on the Security page, the one they can reach to undo a lock-out.
            let owner = call.policy_admin(&tenant).await?;
            return Ok(AdminSidebarView {
                tenant_slug: owner.tenant().slug.clone(),
                tenant_name: owner.tenant().name.clone(),
                domains_attention: 0,
                billing_behind: None,
                plan: None,
                seats: 0,
                product_name: ThemeView::dezky().product_name,
            });
        }
        Err(e) => return Err(e),
    };
    let (plan, seats) = call.platform.billing.mark(&admin).await?;
    let product_name = call
        .platform
        .branding
        .theme_for_admin(&admin)
        .await?
        .product_name;
    Ok(AdminSidebarView {
        plan,
        seats,
        product_name,
        tenant_slug: admin.tenant().slug.clone(),
        tenant_name: admin.tenant().name.clone(),
        domains_attention: call.platform.domains.attention_count(&admin).await?,
        billing_behind: call.platform.billing.behind_on_payment(&admin).await?,
    })
}

/// The theme of the page at `path`: for `/admin/{tenant}/…` that tenant's (after the admin
/// check, so nothing of a tenant reaches anyone who may not open it), for the start page the
/// caller's own workspace when they belong to exactly one; otherwise, and on any refusal,
/// the console's own.
#[server(prefix = "/api/fn", endpoint = "theme", client = crate::resilient::Resilient)]
pub async fn get_theme(path: String) -> Result<ThemeView, AppError> {
    let call = call()?;
    if call.user.is_none() {
        return Ok(ThemeView::dezky());
    }
    let branding = &call.platform.branding;
    if let Some(slug) = admin_tenant_of(&path) {
        return Ok(match call.tenant_admin(&slug).await {
            Ok(admin) => branding.theme_for_admin(&admin).await?,
            Err(_) => ThemeView::dezky(),
        });
    }
    if matches!(path.as_str(), "/" | "/profile") {
        let mut workspaces = call.platform.access.member_workspaces(&call.ctx).await?;
        if workspaces.len() == 1 {
            if let Some(member) = workspaces.pop() {
                return Ok(branding.theme_for_member(&member).await?);
            }
        }
    }
    Ok(ThemeView::dezky())
}

/// `acme` of `/admin/acme/members`; `None` elsewhere (and for `/admin` itself).
pub fn admin_tenant_of(path: &str) -> Option<String> {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("admin"), Some(slug)) if !slug.is_empty() => Some(slug.to_string()),
        _ => None,
    }
}

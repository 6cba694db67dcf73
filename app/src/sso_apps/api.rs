//! The SSO apps page's server functions, and the app launcher's tiles: each check, call one
//! service method, answer (the error converts through `?`). A client secret is in the answer
//! of a creation or a rotation only.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use wire::sso_apps::{split_uris, MatchingMode, NewSsoApp, SsoAppPatch};
use wire::sso_apps::{LaunchTile, SsoApp, SsoAppDetail, SsoAppSecret};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// `strict` or `regex` from the form; anything else is refused with the field.
#[cfg(feature = "ssr")]
fn mode(s: &str) -> Result<MatchingMode, AppError> {
    MatchingMode::parse(s).ok_or_else(|| {
        AppError::invalid(
            "matching_mode",
            "Choose exact matching or regular expressions.",
        )
    })
}

/// The tenant's apps (no secrets).
#[server(prefix = "/api/fn", endpoint = "sso_apps", client = crate::resilient::Resilient)]
pub async fn get_sso_apps(tenant: String) -> Result<Vec<SsoApp>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.sso_apps.list(&admin).await?)
}

/// One app with its endpoints.
#[server(prefix = "/api/fn", endpoint = "sso_app", client = crate::resilient::Resilient)]
pub async fn get_sso_app(tenant: String, id: String) -> Result<SsoAppDetail, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.sso_apps.get(&admin, &id).await?)
}

/// Registers an app; `redirect_uris` is the form's box (one per line). The answer carries the
/// client secret, shown once.
#[server(prefix = "/api/fn", endpoint = "create_sso_app", client = crate::resilient::Resilient)]
pub async fn create_sso_app(
    tenant: String,
    name: String,
    redirect_uris: String,
    matching_mode: String,
    launch_url: String,
) -> Result<SsoAppSecret, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let new = NewSsoApp {
        name,
        redirect_uris: split_uris(&redirect_uris),
        matching_mode: mode(&matching_mode)?,
        launch_url: Some(launch_url),
    };
    Ok(call
        .platform
        .sso_apps
        .create(&call.ctx, &admin, &new)
        .await?)
}

/// Saves the edit form (every field as shown).
#[server(prefix = "/api/fn", endpoint = "update_sso_app", client = crate::resilient::Resilient)]
pub async fn update_sso_app(
    tenant: String,
    id: String,
    name: String,
    redirect_uris: String,
    matching_mode: String,
    launch_url: String,
) -> Result<SsoAppDetail, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let patch = SsoAppPatch {
        name: Some(name),
        redirect_uris: Some(split_uris(&redirect_uris)),
        matching_mode: Some(mode(&matching_mode)?),
        launch_url: Some(launch_url),
    };
    Ok(call
        .platform
        .sso_apps
        .update(&call.ctx, &admin, &id, &patch)
        .await?)
}

/// A new client secret, shown once; the old one stops working.
#[server(prefix = "/api/fn", endpoint = "rotate_sso_app_secret", client = crate::resilient::Resilient)]
pub async fn rotate_sso_app_secret(tenant: String, id: String) -> Result<SsoAppSecret, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .sso_apps
        .rotate_secret(&call.ctx, &admin, &id)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "delete_sso_app", client = crate::resilient::Resilient)]
pub async fn delete_sso_app(tenant: String, id: String) -> Result<(), AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .sso_apps
        .delete(&call.ctx, &admin, &id)
        .await?)
}

/// The signed-in person's app tiles: each workspace's active apps with a launch URL. A
/// workspace whose policy refuses this request now (network rules, an expired session)
/// shows none; looking does not keep a session alive.
#[server(prefix = "/api/fn", endpoint = "launch_tiles", client = crate::resilient::Resilient)]
pub async fn get_launch_tiles() -> Result<Vec<LaunchTile>, AppError> {
    let call = call()?;
    let workspaces = call.platform.access.member_workspaces(&call.ctx).await?;
    Ok(call.platform.sso_apps.launcher(&workspaces).await?)
}

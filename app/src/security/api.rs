//! The Security and MFA pages' server functions.

// `update_security_policy` takes the form's fields as they are (the client half the
// `#[server]` macro generates cannot carry an attribute of its own).
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use wire::security::SecurityPolicyPatch;
use wire::security::{MemberMfa, MfaOverview, SecurityPolicyView};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// The policy (owners reach it whatever the network rules say).
#[server(prefix = "/api/fn", endpoint = "security_policy", client = crate::resilient::Resilient)]
pub async fn get_security_policy(tenant: String) -> Result<SecurityPolicyView, AppError> {
    let call = call()?;
    let admin = call.policy_admin(&tenant).await?;
    Ok(call.platform.security.view(&call.ctx, &admin).await?)
}

/// Saves the Security form (every field as typed; see `SecurityPolicyPatch::from_form`).
#[server(prefix = "/api/fn", endpoint = "update_security_policy", client = crate::resilient::Resilient)]
pub async fn update_security_policy(
    tenant: String,
    mfa_mode: String,
    idle_timeout_minutes: String,
    absolute_lifetime_minutes: String,
    allowed_countries: String,
    ip_allowlist: String,
    network_enforcement: String,
    confirm_lockout: bool,
) -> Result<SecurityPolicyView, AppError> {
    let call = call()?;
    let admin = call.policy_admin(&tenant).await?;
    let patch = SecurityPolicyPatch::from_form(
        &mfa_mode,
        &idle_timeout_minutes,
        &absolute_lifetime_minutes,
        &allowed_countries,
        &ip_allowlist,
        &network_enforcement,
        confirm_lockout,
    )
    .map_err(|(field, message)| AppError::invalid(field, message))?;
    Ok(call
        .platform
        .security
        .update(&call.ctx, &admin, &patch)
        .await?)
}

/// The MFA state of the members `member_ids` (one page of the members list, at most 500), in
/// that order: what the members page shows in its MFA column without looking up the whole
/// workspace.
#[server(prefix = "/api/fn", endpoint = "members_mfa", client = crate::resilient::Resilient)]
pub async fn get_members_mfa(
    tenant: String,
    member_ids: Vec<String>,
) -> Result<Vec<MemberMfa>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .security
        .mfa_of_members(&admin, &member_ids)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "mfa_overview", client = crate::resilient::Resilient)]
pub async fn get_mfa_overview(tenant: String) -> Result<MfaOverview, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.security.mfa_overview(&admin).await?)
}

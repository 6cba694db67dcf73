//! The Users & groups page's server functions: one per service method, each check, call,
//! answer (the error converts through `?`).

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use wire::members::MemberQuery;
use wire::members::{MemberView, MembersOverview, RemovalItem, RevealedMember, SignOutReport};

/// One page of a tenant's members (`q`: a piece of the name or address; `cursor`: a page's
/// `next_cursor`), its primary domain and whether the caller manages owners.
#[server(prefix = "/api/fn", endpoint = "members", client = crate::resilient::Resilient)]
pub async fn get_members(
    tenant: String,
    q: Option<String>,
    cursor: Option<String>,
) -> Result<MembersOverview, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let query = MemberQuery {
        q,
        cursor,
        limit: None,
    };
    Ok(call.platform.members.list(&admin, &query).await?)
}

/// Creates a member; the answer carries the one-time password, shown once.
#[server(prefix = "/api/fn", endpoint = "create_member", client = crate::resilient::Resilient)]
pub async fn create_member(
    tenant: String,
    first_name: String,
    last_name: String,
    local_part: String,
    role: String,
) -> Result<RevealedMember, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let created = call
        .platform
        .members
        .create(
            &call.ctx,
            &admin,
            &first_name,
            &last_name,
            &local_part,
            &role,
        )
        .await?;
    Ok(created.reveal())
}

/// The member with this address while their creation runs (the dialog's progress).
#[server(prefix = "/api/fn", endpoint = "member_progress", client = crate::resilient::Resilient)]
pub async fn get_member_progress(
    tenant: String,
    address: String,
) -> Result<Option<MemberView>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.members.by_address(&admin, &address).await?)
}

#[server(prefix = "/api/fn", endpoint = "suspend_member", client = crate::resilient::Resilient)]
pub async fn suspend_member(tenant: String, id: String) -> Result<MemberView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .members
        .suspend(&call.ctx, &admin, &id)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "resume_member", client = crate::resilient::Resilient)]
pub async fn resume_member(tenant: String, id: String) -> Result<MemberView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.members.resume(&call.ctx, &admin, &id).await?)
}

#[server(prefix = "/api/fn", endpoint = "set_member_role", client = crate::resilient::Resilient)]
pub async fn set_member_role(
    tenant: String,
    id: String,
    role: String,
) -> Result<MemberView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .members
        .set_role(&call.ctx, &admin, &id, &role)
        .await?)
}

/// A new one-time password for the member, shown once.
#[server(prefix = "/api/fn", endpoint = "reset_member_password", client = crate::resilient::Resilient)]
pub async fn reset_member_password(tenant: String, id: String) -> Result<RevealedMember, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .members
        .reset_password(&call.ctx, &admin, &id)
        .await?
        .reveal())
}

/// Completes what failed: the member (with a one-time password when one was set), or `None`
/// when the retry completed a removal (the member is gone).
#[server(prefix = "/api/fn", endpoint = "retry_member", client = crate::resilient::Resilient)]
pub async fn retry_member(tenant: String, id: String) -> Result<Option<RevealedMember>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .members
        .retry(&call.ctx, &admin, &id)
        .await?
        .map(|m| m.reveal()))
}

#[server(prefix = "/api/fn", endpoint = "sign_out_member", client = crate::resilient::Resilient)]
pub async fn sign_out_member(tenant: String, id: String) -> Result<SignOutReport, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .members
        .sign_out(&call.ctx, &admin, &id)
        .await?)
}

/// What removing the member does in each system (the confirmation names it).
#[server(prefix = "/api/fn", endpoint = "member_removal_plan", client = crate::resilient::Resilient)]
pub async fn get_removal_plan(tenant: String, id: String) -> Result<Vec<RemovalItem>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.members.removal_plan(&admin, &id).await?)
}

/// Removes the member everywhere; an incomplete removal is an error naming what is left.
#[server(prefix = "/api/fn", endpoint = "remove_member", client = crate::resilient::Resilient)]
pub async fn remove_member(tenant: String, id: String) -> Result<(), AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.members.remove(&call.ctx, &admin, &id).await?)
}

/// Undoes an incomplete creation.
#[server(prefix = "/api/fn", endpoint = "cancel_member", client = crate::resilient::Resilient)]
pub async fn cancel_member(tenant: String, id: String) -> Result<(), AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.members.cancel(&call.ctx, &admin, &id).await?)
}

/// Sends a member's welcome message (how to sign in; never the password) to an address the
/// admin gives. `member` is the member's id or address.
#[server(prefix = "/api/fn", endpoint = "send_welcome", client = crate::resilient::Resilient)]
pub async fn send_welcome(
    tenant: String,
    member: String,
    to: String,
) -> Result<wire::branding::WelcomeSent, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let request = wire::branding::WelcomeRequest { to };
    Ok(call
        .platform
        .branding
        .send_welcome(&call.ctx, &admin, &member, &request)
        .await?)
}

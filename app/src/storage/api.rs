//! The Storage page's server functions: check, call one service method, answer.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use wire::storage::QuotaUpdate;
use wire::storage::{MemberStorage, StorageView};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// Every member's mail and files with their quotas.
#[server(prefix = "/api/fn", endpoint = "storage", client = crate::resilient::Resilient)]
pub async fn get_storage(tenant: String) -> Result<StorageView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.storage.overview(&admin).await?)
}

/// Sets a member's quotas as typed (`5 GiB`, `unlimited`; empty: unchanged).
#[server(prefix = "/api/fn", endpoint = "set_storage_quota", client = crate::resilient::Resilient)]
pub async fn set_storage_quota(
    tenant: String,
    id: String,
    mail_quota: String,
    files_quota: String,
) -> Result<MemberStorage, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let update = QuotaUpdate {
        mail_quota: Some(mail_quota),
        files_quota: Some(files_quota),
    };
    Ok(call
        .platform
        .storage
        .set_quota(&call.ctx, &admin, &id, &update)
        .await?)
}

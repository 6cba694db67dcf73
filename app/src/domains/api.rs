//! The Domains pages' server functions: one per service method, each check, call, answer.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
use wire::domains::{DnsRecordView, MailDomainView};

#[server(prefix = "/api/fn", endpoint = "domains", client = crate::resilient::Resilient)]
pub async fn get_domains(tenant: String) -> Result<Vec<MailDomainView>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.domains.list(&admin).await?)
}

#[server(prefix = "/api/fn", endpoint = "domain", client = crate::resilient::Resilient)]
pub async fn get_domain(tenant: String, name: String) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.domains.get(&admin, &name).await?)
}

#[server(prefix = "/api/fn", endpoint = "add_domain", client = crate::resilient::Resilient)]
pub async fn add_domain(tenant: String, name: String) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.domains.add(&call.ctx, &admin, &name).await?)
}

#[server(prefix = "/api/fn", endpoint = "recheck_domain", client = crate::resilient::Resilient)]
pub async fn recheck_domain(tenant: String, name: String) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .domains
        .verify(&call.ctx, &admin, &name)
        .await?)
}

/// Sandbox mode only: publishes the expected records in the sandbox's DNS server, then
/// verifies.
#[server(prefix = "/api/fn", endpoint = "publish_sandbox_records", client = crate::resilient::Resilient)]
pub async fn publish_sandbox_records(
    tenant: String,
    name: String,
) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .domains
        .publish_in_sandbox(&call.ctx, &admin, &name)
        .await?)
}

/// The DMARC policy (`none`, `quarantine`, `reject`) and the aggregate report address (empty:
/// none).
#[server(prefix = "/api/fn", endpoint = "set_domain_dmarc", client = crate::resilient::Resilient)]
pub async fn set_domain_dmarc(
    tenant: String,
    name: String,
    policy: String,
    rua: String,
) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let rua = Some(rua).filter(|r| !r.trim().is_empty());
    Ok(call
        .platform
        .domains
        .set_dmarc(&call.ctx, &admin, &name, &policy, rua.as_deref())
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "make_domain_primary", client = crate::resilient::Resilient)]
pub async fn make_domain_primary(tenant: String, name: String) -> Result<MailDomainView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .domains
        .set_primary(&call.ctx, &admin, &name)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "remove_domain", client = crate::resilient::Resilient)]
pub async fn remove_domain(tenant: String, name: String) -> Result<(), AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .domains
        .remove(&call.ctx, &admin, &name)
        .await?)
}

/// One record's check, for the page to show results as they arrive.
#[server(prefix = "/api/fn", endpoint = "check_domain_record", client = crate::resilient::Resilient)]
pub async fn check_domain_record(
    tenant: String,
    name: String,
    kind: String,
    record: String,
) -> Result<DnsRecordView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .domains
        .check_record(&admin, &name, &kind, &record)
        .await?)
}

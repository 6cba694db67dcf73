//! The Audit page's server functions: a page of the search and its summary. The filter is the
//! page's own query string, read the same way as the JSON API reads its own.

use leptos::prelude::*;
use wire::audit::{AuditPage, AuditQuery, AuditSummary};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// The filter of a query string (`?` optional).
pub fn query_of(search: &str) -> AuditQuery {
    AuditQuery::from_pairs(form_urlencoded::parse(
        search.trim_start_matches('?').as_bytes(),
    ))
}

/// A query string of `q` (encoded, without `?`).
pub fn search_of(q: &AuditQuery) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(q.to_pairs())
        .finish()
}

#[server(prefix = "/api/fn", endpoint = "audit_events", client = crate::resilient::Resilient)]
pub async fn get_audit_events(tenant: String, search: String) -> Result<AuditPage, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .audit_log
        .search(&admin, &query_of(&search))
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "audit_summary", client = crate::resilient::Resilient)]
pub async fn get_audit_summary(tenant: String, search: String) -> Result<AuditSummary, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .audit_log
        .summary(&admin, &query_of(&search))
        .await?)
}

//! `/api/tenants/{slug}/audit…`: search the audit log, its per-day summary, the CSV export.

use axum::extract::RawQuery;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wire::audit::{AuditPage, AuditQuery, AuditSummary};

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/audit", get(search))
        .route("/api/tenants/{slug}/audit/summary", get(summary))
        .route("/api/tenants/{slug}/audit.csv", get(export))
}

/// The query string as the audit filter (repeated `action`/`outcome` keys add up).
fn filter(raw: Option<String>) -> AuditQuery {
    AuditQuery::from_pairs(form_urlencoded::parse(raw.unwrap_or_default().as_bytes()))
}

/// `GET …/audit?q=&action=&outcome=&actor=&partner=&since=&before=&limit=&cursor=`: a page
/// newest first with `next_cursor` (older) and `prev_cursor` (newer). 400 names the bad
/// parameter in `field`.
async fn search(a: Admin, RawQuery(raw): RawQuery) -> Api<AuditPage> {
    Ok(Json(
        a.platform.audit_log.search(&a.admin, &filter(raw)).await?,
    ))
}

/// `GET …/audit/summary` (same filters): events per UTC day over the range and the action
/// families present.
async fn summary(a: Admin, RawQuery(raw): RawQuery) -> Api<AuditSummary> {
    Ok(Json(
        a.platform.audit_log.summary(&a.admin, &filter(raw)).await?,
    ))
}

/// `GET …/audit.csv` (same filters, paging ignored): every matching event as CSV, streamed,
/// `attachment; filename="audit-<tenant>-<date>.csv"`. Audited as `audit.export`.
async fn export(a: Admin, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let export = a
        .platform
        .audit_log
        .export(&a.ctx, &a.admin, &filter(raw))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", export.file_name),
            ),
        ],
        axum::body::Body::from_stream(export.body),
    )
        .into_response())
}

//! `/api/tenants/{slug}/domains…`: mail domains, their records and verification.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use platform::services::domains::{DomainPatch, MailDomainView};
use serde::Deserialize;

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/domains", get(list).post(add))
        .route(
            "/api/tenants/{slug}/domains/{domain}",
            get(detail).patch(patch).delete(remove),
        )
        .route(
            "/api/tenants/{slug}/domains/{domain}/recheck",
            post(recheck),
        )
        .route(
            "/api/tenants/{slug}/domains/{domain}/sandbox-publish",
            post(sandbox_publish),
        )
}

/// `POST …/domains/{domain}/sandbox-publish` (sandbox mode only): publishes exactly the
/// expected records in the sandbox's DNS server, then verifies; 200 with the domain. 409
/// `sandbox_only` anywhere else.
async fn sandbox_publish(a: Admin, Path(p): Name) -> Api<MailDomainView> {
    Ok(Json(
        a.platform
            .domains
            .publish_in_sandbox(&a.ctx, &a.admin, &p.domain)
            .await?,
    ))
}

/// The domain name in `/domains/{domain}…`.
#[derive(Deserialize)]
struct DomainPath {
    domain: String,
}
type Name = Path<DomainPath>;

/// `GET …/domains`: the domains with their last check.
async fn list(a: Admin) -> Api<Vec<MailDomainView>> {
    Ok(Json(a.platform.domains.list(&a.admin).await?))
}

#[derive(Deserialize)]
struct NewDomain {
    name: String,
}

/// `POST …/domains` `{"name"}`: 201 with the records to publish.
async fn add(
    a: Admin,
    body: Result<Json<NewDomain>, ApiError>,
) -> Result<(StatusCode, Json<MailDomainView>), ApiError> {
    let Json(b) = body?;
    let view = a.platform.domains.add(&a.ctx, &a.admin, &b.name).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET …/domains/:domain`: expected records with what was found.
async fn detail(a: Admin, Path(p): Name) -> Api<MailDomainView> {
    Ok(Json(a.platform.domains.get(&a.admin, &p.domain).await?))
}

/// `POST …/domains/:domain/recheck`: verifies now.
async fn recheck(a: Admin, Path(p): Name) -> Api<MailDomainView> {
    Ok(Json(
        a.platform
            .domains
            .verify(&a.ctx, &a.admin, &p.domain)
            .await?,
    ))
}

/// `PATCH …/domains/:domain` `{"dmarc_policy", "dmarc_rua", "primary": true}`.
async fn patch(
    a: Admin,
    Path(p): Name,
    body: Result<Json<DomainPatch>, ApiError>,
) -> Api<MailDomainView> {
    let Json(patch) = body?;
    Ok(Json(
        a.platform
            .domains
            .patch(&a.ctx, &a.admin, &p.domain, patch)
            .await?,
    ))
}

/// `DELETE …/domains/:domain`: 204, or 409 naming what still uses it.
async fn remove(a: Admin, Path(p): Name) -> Result<StatusCode, ApiError> {
    a.platform
        .domains
        .remove(&a.ctx, &a.admin, &p.domain)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

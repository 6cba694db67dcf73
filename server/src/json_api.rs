//! The JSON API under `/api`: the same services as the pages' server functions, errors as
//! `{"error", "message", "field", "request_id"}`. Partner staff calling the API act as
//! partner staff (partner mode), which the access service checks and the audit records.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use platform::domain::{AuditEvent, Me};
use platform::repo::identity::MemberRow;
use platform::services::access::TenantAdmin;
use platform::services::domains::MailDomainView;
use platform::services::provisioning::TenantProvisioning;
use platform::{Ctx, Platform};
use serde::Deserialize;

use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/tenants", post(create_tenant))
        .route("/api/tenants/{slug}/reconcile", post(reconcile))
        .route("/api/tenants/{slug}/audit", get(audit))
        .route("/api/tenants/{slug}/users", get(users))
        .route(
            "/api/tenants/{slug}/domains",
            get(list_domains).post(add_domain),
        )
        .route(
            "/api/tenants/{slug}/domains/{domain}",
            get(get_domain).patch(patch_domain).delete(remove_domain),
        )
        .route(
            "/api/tenants/{slug}/domains/{domain}/recheck",
            post(recheck_domain),
        )
}

type Api<T> = Result<Json<T>, ApiError>;

/// The admin check of the tenant endpoints.
async fn tenant_admin(platform: &Platform, ctx: &Ctx, slug: &str) -> Result<TenantAdmin, ApiError> {
    platform
        .access
        .tenant_admin(ctx, slug)
        .await
        .map_err(|e| ApiError::access(e, &ctx.meta.request_id))
}

fn as_partner(ctx: Ctx) -> Ctx {
    Ctx {
        partner_mode: true,
        ..ctx
    }
}

/// `GET /api/me`: profile, tenants with the role in each, partner staff or not.
async fn me(State(platform): State<Arc<Platform>>, Extension(ctx): Extension<Ctx>) -> Api<Me> {
    platform
        .access
        .me(&ctx)
        .await
        .map(Json)
        .map_err(|e| ApiError::access(e, &ctx.meta.request_id))
}

#[derive(Deserialize)]
struct NewTenant {
    slug: String,
    name: String,
}

/// `POST /api/tenants` (partner staff): creates the tenant and provisions it; 201 with the
/// result of every step.
async fn create_tenant(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    body: Result<Json<NewTenant>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<TenantProvisioning>), ApiError> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let staff = platform
        .access
        .partner_staff(&ctx)
        .await
        .map_err(|e| ApiError::access(e, &rid))?;
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!(
                "The body must be JSON with slug and name: {}",
                e.body_text()
            ),
            &rid,
        )
    })?;
    let tenant = platform
        .provisioning
        .create_tenant(&ctx, &staff, &body.slug, &body.name)
        .await
        .map_err(|e| ApiError::provisioning(e, &rid))?;
    let result = platform
        .provisioning
        .run(&ctx, &tenant, "tenant.provision")
        .await
        .map_err(|e| ApiError::provisioning(e, &rid))?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// `POST /api/tenants/:slug/reconcile` (admins, owners, partner staff looking after it).
async fn reconcile(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Api<TenantProvisioning> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    platform
        .provisioning
        .reconcile(&ctx, &admin)
        .await
        .map(Json)
        .map_err(|e| ApiError::provisioning(e, &rid))
}

#[derive(Deserialize)]
struct AuditQuery {
    limit: Option<i64>,
}

/// `GET /api/tenants/:slug/audit?limit=`: newest first (default 50, at most 500).
async fn audit(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Api<Vec<AuditEvent>> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    platform
        .tenants
        .audit(&admin, q.limit.unwrap_or(50))
        .await
        .map(Json)
        .map_err(|e| ApiError::internal(e, &rid))
}

/// `GET /api/tenants/:slug/users`: members with role and status.
async fn users(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Api<Vec<MemberRow>> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    platform
        .tenants
        .members(&admin)
        .await
        .map(Json)
        .map_err(|e| ApiError::internal(e, &rid))
}

/// `GET /api/tenants/:slug/domains`: the domains with their last check.
async fn list_domains(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Api<Vec<MailDomainView>> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    platform
        .domains
        .list(&admin)
        .await
        .map(Json)
        .map_err(|e| ApiError::domain(e, &rid))
}

#[derive(Deserialize)]
struct NewDomain {
    name: String,
}

/// `POST /api/tenants/:slug/domains` `{"name"}`: 201 with the records to publish.
async fn add_domain(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    body: Result<Json<NewDomain>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<MailDomainView>), ApiError> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    let Json(body) = body.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("The body must be JSON with a name: {}", e.body_text()),
            &rid,
        )
    })?;
    let view = platform
        .domains
        .add(&ctx, &admin, &body.name)
        .await
        .map_err(|e| ApiError::domain(e, &rid))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `GET /api/tenants/:slug/domains/:domain`: expected records with what was found.
async fn get_domain(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, domain)): Path<(String, String)>,
) -> Api<MailDomainView> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    platform
        .domains
        .get(&admin, &domain)
        .await
        .map(Json)
        .map_err(|e| ApiError::domain(e, &rid))
}

/// `POST /api/tenants/:slug/domains/:domain/recheck`: verifies now.
async fn recheck_domain(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, domain)): Path<(String, String)>,
) -> Api<MailDomainView> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    platform
        .domains
        .verify(&ctx, &admin, &domain)
        .await
        .map(Json)
        .map_err(|e| ApiError::domain(e, &rid))
}

#[derive(Deserialize)]
struct DomainPatch {
    dmarc_policy: Option<String>,
    dmarc_rua: Option<String>,
    primary: Option<bool>,
}

/// `PATCH /api/tenants/:slug/domains/:domain` `{"dmarc_policy", "dmarc_rua", "primary": true}`.
async fn patch_domain(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, domain)): Path<(String, String)>,
    Json(patch): Json<DomainPatch>,
) -> Api<MailDomainView> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    let map = |e| ApiError::domain(e, &rid);
    let mut view = None;
    if let Some(policy) = &patch.dmarc_policy {
        view = Some(
            platform
                .domains
                .set_dmarc(&ctx, &admin, &domain, policy, patch.dmarc_rua.as_deref())
                .await
                .map_err(map)?,
        );
    }
    if patch.primary == Some(true) {
        view = Some(
            platform
                .domains
                .set_primary(&ctx, &admin, &domain)
                .await
                .map_err(map)?,
        );
    }
    match view {
        Some(v) => Ok(Json(v)),
        None => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "Nothing to change: send dmarc_policy (with dmarc_rua) or primary: true.",
            &rid,
        )),
    }
}

/// `DELETE /api/tenants/:slug/domains/:domain`: 204, or 409 naming what still uses it.
async fn remove_domain(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, domain)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    platform
        .domains
        .remove(&ctx, &admin, &domain)
        .await
        .map_err(|e| ApiError::domain(e, &rid))?;
    Ok(StatusCode::NO_CONTENT)
}

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
    let steps = platform
        .provisioning
        .run(&ctx, &tenant, "tenant.provision")
        .await
        .map_err(|e| ApiError::provisioning(e, &rid))?;
    let tenant = platform::repo::identity::tenant_by_slug(&platform.db, &tenant.slug)
        .await
        .map_err(|e| ApiError::internal(e, &rid))?
        .unwrap_or(tenant);
    Ok((
        StatusCode::CREATED,
        Json(TenantProvisioning { tenant, steps }),
    ))
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
    let steps = platform
        .provisioning
        .reconcile(&ctx, &admin)
        .await
        .map_err(|e| ApiError::provisioning(e, &rid))?;
    let tenant = platform::repo::identity::tenant_by_slug(&platform.db, &slug)
        .await
        .map_err(|e| ApiError::internal(e, &rid))?
        .unwrap_or_else(|| admin.tenant().clone());
    Ok(Json(TenantProvisioning { tenant, steps }))
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

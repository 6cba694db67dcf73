//! The JSON API under `/api`: the same services as the pages' server functions, errors as
//! `{"error", "message", "field", "request_id"}`. Partner staff calling the API act as
//! partner staff (partner mode), which the access service checks and the audit records.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use platform::domain::{AuditEvent, Me};
use platform::services::access::TenantAdmin;
use platform::services::domains::MailDomainView;
use platform::services::members::{
    MemberView, MemberWithPassword, MembersOverview, RemovalItem, SignOutReport,
};
use platform::services::provisioning::TenantProvisioning;
use platform::{Ctx, Platform};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/me", get(me))
        .route("/api/tenants", post(create_tenant))
        .route("/api/tenants/{slug}/reconcile", post(reconcile))
        .route("/api/tenants/{slug}/audit", get(audit))
        .route(
            "/api/tenants/{slug}/members",
            get(list_members).post(create_member),
        )
        .route(
            "/api/tenants/{slug}/members/{id}",
            get(get_member).patch(patch_member).delete(remove_member),
        )
        .route(
            "/api/tenants/{slug}/members/{id}/{action}",
            post(member_action),
        )
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

/// The body error of every JSON endpoint: 400 with what was expected.
fn bad_body<'a>(
    rid: &'a str,
    expected: &'a str,
) -> impl FnOnce(axum::extract::rejection::JsonRejection) -> ApiError + 'a {
    move |e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("The body must be JSON with {expected}: {}", e.body_text()),
            rid,
        )
    }
}

/// `GET /api/tenants/:slug/members`: members with role, status, steps and mailbox usage.
async fn list_members(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
) -> Api<MembersOverview> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    platform
        .members
        .list(&admin)
        .await
        .map(Json)
        .map_err(|e| ApiError::member(e, &rid))
}

#[derive(Deserialize)]
struct NewMember {
    first_name: String,
    last_name: String,
    local_part: String,
    role: String,
}

/// A member with the one-time password that was just set: shown once, never cached.
#[derive(Serialize)]
struct WithPassword {
    member: MemberView,
    #[serde(skip_serializing_if = "Option::is_none")]
    one_time_password: Option<String>,
}

type Revealed = (
    StatusCode,
    [(axum::http::HeaderName, &'static str); 1],
    Json<WithPassword>,
);

fn reveal(status: StatusCode, m: MemberWithPassword) -> Revealed {
    let (member, one_time_password) = m.reveal();
    (
        status,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(WithPassword {
            member,
            one_time_password,
        }),
    )
}

/// `POST /api/tenants/:slug/members` `{"first_name", "last_name", "local_part", "role"}`:
/// 201 with the member (each step's outcome) and the one-time password.
async fn create_member(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path(slug): Path<String>,
    body: Result<Json<NewMember>, axum::extract::rejection::JsonRejection>,
) -> Result<Revealed, ApiError> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    let Json(b) = body.map_err(bad_body(&rid, "first_name, last_name, local_part and role"))?;
    let created = platform
        .members
        .create(
            &ctx,
            &admin,
            &b.first_name,
            &b.last_name,
            &b.local_part,
            &b.role,
        )
        .await
        .map_err(|e| ApiError::member(e, &rid))?;
    Ok(reveal(StatusCode::CREATED, created))
}

#[derive(Serialize)]
struct MemberDetail {
    member: MemberView,
    removal_plan: Vec<RemovalItem>,
}

/// `GET /api/tenants/:slug/members/:id`: the member and what removing them would do.
async fn get_member(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> Api<MemberDetail> {
    let rid = ctx.meta.request_id.clone();
    let admin = tenant_admin(&platform, &as_partner(ctx), &slug).await?;
    let map = |e| ApiError::member(e, &rid);
    Ok(Json(MemberDetail {
        member: platform.members.get(&admin, &id).await.map_err(map)?,
        removal_plan: platform
            .members
            .removal_plan(&admin, &id)
            .await
            .map_err(map)?,
    }))
}

#[derive(Deserialize)]
struct MemberPatch {
    role: String,
}

/// `PATCH /api/tenants/:slug/members/:id` `{"role"}`.
async fn patch_member(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
    body: Result<Json<MemberPatch>, axum::extract::rejection::JsonRejection>,
) -> Api<MemberView> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    let Json(b) = body.map_err(bad_body(&rid, "a role"))?;
    platform
        .members
        .set_role(&ctx, &admin, &id, &b.role)
        .await
        .map(Json)
        .map_err(|e| ApiError::member(e, &rid))
}

/// An incomplete removal: 502 naming what is left (Retry continues it).
fn removal_incomplete(m: MemberView, rid: &str) -> ApiError {
    let failed: Vec<String> = m
        .steps
        .iter()
        .filter(|s| s.state == platform::services::provisioning::StepState::Error)
        .map(|s| s.message.clone())
        .collect();
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "removal_incomplete",
        format!(
            "{} could not be removed completely; retry later. {}",
            m.address,
            failed.join(" ")
        ),
        rid,
    )
}

/// `DELETE /api/tenants/:slug/members/:id`: 204 when everything is gone.
async fn remove_member(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    match platform.members.remove(&ctx, &admin, &id).await {
        Ok(None) => Ok(StatusCode::NO_CONTENT),
        Ok(Some(m)) => Err(removal_incomplete(m, &rid)),
        Err(e) => Err(ApiError::member(e, &rid)),
    }
}

/// `POST /api/tenants/:slug/members/:id/{suspend,resume,sign-out,reset-password,retry,cancel}`.
async fn member_action(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    Path((slug, id, action)): Path<(String, String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let rid = ctx.meta.request_id.clone();
    let ctx = as_partner(ctx);
    let admin = tenant_admin(&platform, &ctx, &slug).await?;
    let members = &platform.members;
    let map = |e| ApiError::member(e, &rid);
    Ok(match action.as_str() {
        "suspend" => Json(members.suspend(&ctx, &admin, &id).await.map_err(map)?).into_response(),
        "resume" => Json(members.resume(&ctx, &admin, &id).await.map_err(map)?).into_response(),
        "sign-out" => {
            let report: SignOutReport = members.sign_out(&ctx, &admin, &id).await.map_err(map)?;
            Json(report).into_response()
        }
        "reset-password" => {
            reveal(StatusCode::OK, members.reset_password(&ctx, &admin, &id).await.map_err(map)?)
                .into_response()
        }
        "retry" => match members.retry(&ctx, &admin, &id).await.map_err(map)? {
            Some(m) => reveal(StatusCode::OK, m).into_response(),
            // The retry completed a removal: the member is gone.
            None => StatusCode::NO_CONTENT.into_response(),
        },
        "cancel" => match members.cancel(&ctx, &admin, &id).await.map_err(map)? {
            None => StatusCode::NO_CONTENT.into_response(),
            Some(m) => return Err(removal_incomplete(m, &rid)),
        },
        other => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("There is no member action \"{other}\": use suspend, resume, sign-out, reset-password, retry or cancel."),
                &rid,
            ))
        }
    })
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

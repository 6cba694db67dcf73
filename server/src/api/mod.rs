//! The JSON API under `/api`: the same service methods as the pages' server functions, errors
//! as `{"error", "message", "field", "request_id"}` with the same status (see `crate::error`).
//! One folder per area, like `app/` and `platform::services`.
//!
//! Tenant endpoints take the [`Admin`] extractor: it proves the caller administers the tenant
//! in the path before the handler runs, so each handler is check (the extractor), call, answer.
//! Partner staff calling the API act as partner staff (partner mode), which the access service
//! checks and the audit records.

mod audit;
mod billing;
mod branding;
mod domains;
mod members;
mod security;
mod sso_apps;
mod storage;
mod tenants;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::Router;
use platform::services::access::{PolicyAdmin, TenantAdmin};
use platform::{Ctx, Platform};

use crate::error::{ApiError, ErrorClass};
use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    table().router
}

/// Every path of the JSON API, read from the table the router is built from (the access
/// matrix test walks them; the methods of each it reads back from the router).
pub fn paths() -> Vec<&'static str> {
    table().paths
}

fn table() -> Routes {
    let routes = Routes {
        router: Router::new(),
        paths: Vec::new(),
    };
    branding::routes(storage::routes(billing::routes(sso_apps::routes(
        security::routes(audit::routes(domains::routes(members::routes(
            tenants::routes(routes),
        )))),
    ))))
}

/// The router under construction and the paths it serves, recorded as they are added.
struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    fn route(mut self, path: &'static str, methods: axum::routing::MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, methods);
        self.paths.push(path);
        self
    }
}

/// A JSON body that did not parse answers the API's error body (400), not axum's plain text.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string that did not parse answers 400 with the parameter named.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

type Api<T> = Result<Json<T>, ApiError>;

/// The service context of the request, in partner mode for partner staff (see module docs).
fn context(parts: &Parts) -> Result<Ctx, ApiError> {
    let ctx = parts.extensions.get::<Ctx>().cloned().ok_or_else(|| {
        tracing::error!("an API request reached a handler without the identity middleware");
        ApiError::new(
            ErrorClass::Internal,
            "internal",
            "The request context is missing.",
        )
    })?;
    Ok(Ctx {
        partner_mode: true,
        ..ctx
    })
}

/// The caller, proven to be an admin or owner of the tenant `{slug}` in the path (or partner
/// staff looking after it). Refusals are audited by the access service.
pub struct Admin {
    pub ctx: Ctx,
    pub admin: TenantAdmin,
    pub platform: Arc<Platform>,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (ctx, slug) = tenant_request(parts, state).await?;
        let admin = state.platform.access.tenant_admin(&ctx, &slug).await?;
        Ok(Self {
            ctx,
            admin,
            platform: state.platform.clone(),
        })
    }
}

/// As [`Admin`], for the security policy: the tenant's owners pass whatever its network
/// rules say (they can always undo a lock-out); the proof opens the policy only.
pub struct SecurityAdmin {
    pub ctx: Ctx,
    pub admin: PolicyAdmin,
    pub platform: Arc<Platform>,
}

impl FromRequestParts<AppState> for SecurityAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (ctx, slug) = tenant_request(parts, state).await?;
        let admin = state.platform.access.security_admin(&ctx, &slug).await?;
        Ok(Self {
            ctx,
            admin,
            platform: state.platform.clone(),
        })
    }
}

/// The request's context and the `{slug}` of its path.
async fn tenant_request(parts: &mut Parts, state: &AppState) -> Result<(Ctx, String), ApiError> {
    let ctx = context(parts)?;
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(ApiError::from)?;
    let slug = params.get("slug").cloned().unwrap_or_default();
    Ok((ctx, slug))
}
/// The signed-in caller's context (any route): anonymous callers get it too, and the service
/// decides.
pub struct Caller {
    pub ctx: Ctx,
    pub platform: Arc<Platform>,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Self {
            ctx: context(parts)?,
            platform: state.platform.clone(),
        })
    }
}

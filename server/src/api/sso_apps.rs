//! `/api/tenants/{slug}/sso-apps…`: the tenant's OpenID Connect apps on Authentik. A client
//! secret is in the answer of a creation and of a rotation only, sent with
//! `Cache-Control: no-store`.

use axum::extract::Path;
use axum::http::{header, HeaderName, StatusCode};
use axum::routing::{get, post};
use platform::services::sso_apps::{NewSsoApp, SsoAppPatch, SsoAppSecret};
use serde::Deserialize;
use wire::sso_apps::{SsoApp, SsoAppDetail};

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/sso-apps", get(list).post(create))
        .route(
            "/api/tenants/{slug}/sso-apps/{id}",
            get(detail).patch(patch).delete(remove),
        )
        .route(
            "/api/tenants/{slug}/sso-apps/{id}/rotate-secret",
            post(rotate),
        )
}

/// The app id in `/sso-apps/{id}…`.
#[derive(Deserialize)]
struct AppPath {
    id: String,
}
type Id = Path<AppPath>;

/// A secret shown once: never cached.
type Revealed = (
    StatusCode,
    [(HeaderName, &'static str); 1],
    Json<SsoAppSecret>,
);

fn reveal(status: StatusCode, s: SsoAppSecret) -> Revealed {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(s))
}

/// `GET …/sso-apps`: the tenant's apps (no secrets), each with its fence re-read from
/// Authentik's bindings.
async fn list(a: Admin) -> Api<Vec<SsoApp>> {
    Ok(Json(a.platform.sso_apps.list(&a.admin).await?))
}

/// `POST …/sso-apps` `{"name", "redirect_uris": [..], "matching_mode"?: "strict"|"regex",
/// "launch_url"?}`: 201 with the app, its endpoints, the client id and the client secret
/// (once).
async fn create(a: Admin, body: Result<Json<NewSsoApp>, ApiError>) -> Result<Revealed, ApiError> {
    let Json(b) = body?;
    let created = a.platform.sso_apps.create(&a.ctx, &a.admin, &b).await?;
    Ok(reveal(StatusCode::CREATED, created))
}

/// `GET …/sso-apps/{id}`: the app with its issuer, discovery URL and endpoints.
async fn detail(a: Admin, Path(p): Id) -> Api<SsoAppDetail> {
    Ok(Json(a.platform.sso_apps.get(&a.admin, &p.id).await?))
}

/// `PATCH …/sso-apps/{id}` `{"name"?, "redirect_uris"?, "matching_mode"?, "launch_url"?}`.
async fn patch(
    a: Admin,
    Path(p): Id,
    body: Result<Json<SsoAppPatch>, ApiError>,
) -> Api<SsoAppDetail> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .sso_apps
            .update(&a.ctx, &a.admin, &p.id, &b)
            .await?,
    ))
}

/// `DELETE …/sso-apps/{id}`: 204 once binding, application and provider are gone.
async fn remove(a: Admin, Path(p): Id) -> Result<StatusCode, ApiError> {
    a.platform.sso_apps.delete(&a.ctx, &a.admin, &p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/sso-apps/{id}/rotate-secret`: 200 with the new secret (once); the old one stops
/// working.
async fn rotate(a: Admin, Path(p): Id) -> Result<Revealed, ApiError> {
    let s = a
        .platform
        .sso_apps
        .rotate_secret(&a.ctx, &a.admin, &p.id)
        .await?;
    Ok(reveal(StatusCode::OK, s))
}

//! The Authentik admin API (`/api/v3`) as far as Dezky uses it, per
//! `shared/reference/authentik.md` §1–5 and §8.2 (upstream `authentik/core/api/` and
//! `authentik/providers/oauth2/api/`, schema in `shared/specs/authentik-schema.yml`):
//! bearer-token authentication (403 `{"detail": …}` otherwise), page-number pagination
//! (`next`/`previous` are page numbers, 0 when absent; page size capped at 100), exact filters
//! with unknown parameters ignored, DRF-style 400 field maps and 404 `{"detail": "Not
//! found."}` (those conventions are in [`drf`]). One module per resource:
//!
//! - [`groups`] (`/core/groups/`): list/create/get/delete, `add_user`/`remove_user`.
//! - [`users`] (`/core/users/`): list with the `UsersFilter` filters, create, get, partial
//!   update, delete, `set_password`. Deactivation deletes the user's sessions and OAuth
//!   tokens.
//! - [`sessions`] (`/core/authenticated_sessions/`): list (declared filters only:
//!   `user__username`, `session__last_ip`, `session__last_user_agent`, `search`; **`user` is
//!   not a filter**), get, delete (ends the browser session and its access tokens; refresh
//!   tokens survive).
//! - [`apps`] (§7): flows, certificate key pairs and scope mappings to discover, OAuth2
//!   providers, applications and policy bindings; applications with a provider are served
//!   by the OIDC endpoints and their bindings enforced at authorize.
//! - [`devices`] (`/authenticators/admin/all/` and `/authenticators/admin/{kind}/`): a
//!   user's second factors as an admin sees them.
//! - [`refresh_tokens`] (`/oauth2/refresh_tokens/`): list (filters `user`, `provider`), get,
//!   delete.

mod apps;
mod devices;
mod drf;
mod groups;
mod refresh_tokens;
mod sessions;
mod users;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::AuthentikSandbox;
pub use groups::Group;
pub(crate) use users::user_uid;

pub(super) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route(
            "/api/v3/core/groups/",
            get(groups::list_groups).post(groups::create_group),
        )
        .route(
            "/api/v3/core/groups/{pk}/",
            get(groups::get_group).delete(groups::delete_group),
        )
        .route("/api/v3/core/groups/{pk}/add_user/", post(groups::add_user))
        .route(
            "/api/v3/core/groups/{pk}/remove_user/",
            post(groups::remove_user),
        )
        .route(
            "/api/v3/core/users/",
            get(users::list_users).post(users::create_user),
        )
        .route(
            "/api/v3/core/users/{pk}/",
            get(users::get_user)
                .patch(users::patch_user)
                .delete(users::delete_user),
        )
        .route(
            "/api/v3/core/users/{pk}/set_password/",
            post(users::set_password),
        )
        .route(
            "/api/v3/core/authenticated_sessions/",
            get(sessions::list_sessions),
        )
        .route(
            "/api/v3/core/authenticated_sessions/{uuid}/",
            get(sessions::get_session).delete(sessions::delete_session),
        )
        .route("/api/v3/flows/instances/", get(apps::list_flows))
        .route(
            "/api/v3/crypto/certificatekeypairs/",
            get(apps::list_keypairs),
        )
        .route(
            "/api/v3/propertymappings/provider/scope/",
            get(apps::list_scope_mappings),
        )
        .route(
            "/api/v3/providers/oauth2/",
            get(apps::list_providers).post(apps::create_provider),
        )
        .route(
            "/api/v3/providers/oauth2/{pk}/",
            get(apps::get_provider)
                .patch(apps::patch_provider)
                .delete(apps::delete_provider),
        )
        .route(
            "/api/v3/providers/oauth2/{pk}/setup_urls/",
            get(apps::setup_urls),
        )
        .route(
            "/api/v3/core/applications/",
            get(apps::list_applications).post(apps::create_application),
        )
        .route(
            "/api/v3/core/applications/{slug}/",
            get(apps::get_application)
                .patch(apps::patch_application)
                .delete(apps::delete_application),
        )
        .route(
            "/api/v3/policies/bindings/",
            get(apps::list_bindings).post(apps::create_binding),
        )
        .route(
            "/api/v3/policies/bindings/{pk}/",
            get(apps::get_binding).delete(apps::delete_binding),
        )
        .route("/api/v3/authenticators/admin/all/", get(devices::list_all))
        .route(
            "/api/v3/authenticators/admin/{kind}/",
            get(devices::list_kind),
        )
        .route(
            "/api/v3/oauth2/refresh_tokens/",
            get(refresh_tokens::list_refresh_tokens),
        )
        .route(
            "/api/v3/oauth2/refresh_tokens/{id}/",
            get(refresh_tokens::get_refresh_token).delete(refresh_tokens::delete_refresh_token),
        )
        .with_state(sandbox)
}

fn forbidden(detail: &str) -> Response {
    (StatusCode::FORBIDDEN, Json(json!({ "detail": detail }))).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Not found." })),
    )
        .into_response()
}

/// [`authorize`], then the request's JSON object ([`drf::json_body`]): the object, or the
/// answer to give (403, or a 400 in DRF's shape). The first lines of every admin write.
// The error is the handler's own answer, returned as it is: boxing it would gain nothing.
#[allow(clippy::result_large_err)]
fn authorized_body(
    s: &AuthentikSandbox,
    headers: &HeaderMap,
    body: &axum::body::Bytes,
) -> Result<serde_json::Map<String, serde_json::Value>, Response> {
    if let Some(r) = authorize(s, headers) {
        return Err(r);
    }
    drf::json_body(body).map_err(drf::bad_request)
}

/// `Authorization: Bearer <admin token>`; anything else is 403 like the real API (the
/// refusal is returned).
fn authorize(s: &AuthentikSandbox, headers: &HeaderMap) -> Option<Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(token) = value.strip_prefix("Bearer ") else {
        return Some(forbidden(if value.is_empty() {
            "Authentication credentials were not provided."
        } else {
            "Unsupported authentication type"
        }));
    };
    (!s.admin_token_matches(token.trim())).then(|| forbidden("Token invalid/expired"))
}

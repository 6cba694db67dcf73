//! The OIDC provider side of the Authentik stand-in, per `shared/reference/authentik.md` §8
//! (upstream `authentik/providers/oauth2/views/`). Paths, parameters, token shapes and error
//! bodies follow the real provider, one module per endpoint:
//!
//! - [`discovery`] — `/application/o/{slug}/.well-known/openid-configuration` and the JWKS.
//! - [`authorize`] — `/application/o/authorize/` (an unauthenticated browser goes to the
//!   sign-in form of the authentication flow first).
//! - [`token`] — `/application/o/token/`: `authorization_code` (PKCE S256/plain) and
//!   `refresh_token` with rotation (§8.2).
//! - [`userinfo`] — `/application/o/userinfo/`.
//! - [`revoke`] — `/application/o/revoke/`.
//! - [`end_session`] — `/application/o/{slug}/end-session/` (§8.5).
//!
//! Here: the routes and what the endpoints share — OAuth error bodies, the HTML error page
//! and the session cookie.

mod authorize;
mod discovery;
mod end_session;
mod revoke;
mod token;
mod userinfo;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::{AuthentikSandbox, SESSION_COOKIE};

pub(super) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route(
            "/application/o/{slug}/.well-known/openid-configuration",
            get(discovery::discovery),
        )
        .route("/application/o/{slug}/jwks/", get(discovery::jwks))
        .route("/application/o/authorize/", get(authorize::authorize))
        .route("/application/o/token/", post(token::token))
        .route(
            "/application/o/userinfo/",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route("/application/o/revoke/", post(revoke::revoke))
        .route(
            "/application/o/{slug}/end-session/",
            get(end_session::end_session),
        )
        .with_state(sandbox)
}

/// An OAuth error body (`{"error", "error_description"}`) with `status`.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

/// The HTML page authentik shows a browser for an error it cannot redirect.
fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title></head><body>\
             <h1>{title}</h1><p>{message}</p></body></html>"
        )),
    )
        .into_response()
}

/// The authentik session cookie of a browser request, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

//! ownCloud Infinite Scale stand-in: the LibreGraph API (`/graph/v1.0`) per
//! `shared/reference/ocis.md` (OCIS v7.0.0; spec in `shared/specs/libregraph-openapi.yaml`),
//! with the conventions of §1 — strict JSON bodies (unknown fields are 400
//! `invalidRequest`), OData error bodies, `{"value": […]}` lists (an empty list may come
//! back as `{}`). Authentication (§2) as at the OCIS proxy ([`proxy_auth`]): Basic with the
//! service user's app token, or an OIDC bearer token of the trusted issuer that resolves to
//! the service user; anything else is 401 with no body. One module per resource:
//!
//! - [`users`] (§4): create, read by id or user name, list with `$search`/`$orderby`,
//!   update, delete.
//! - [`groups`] (§6): create, read by id, list, delete; members added and removed by
//!   reference.
//! - [`drives`] (§5, §8, §9): the personal drive each user gets at their first authenticated
//!   request, purged when the user is deleted; listed, read and patched (quota) through
//!   `/graph/v1.0/drives`.
//!
//! This module is the public surface: [`OcisSandbox`] (start, the accessors tests use).

mod drives;
mod groups;
mod proxy_auth;
mod users;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::faults::Faults;
use drives::PersonalDrive;
pub use groups::OcisGroup;
use proxy_auth::{authenticated, OidcTrust};
use users::OcisUser;

struct State_ {
    user: String,
    token: String,
    groups: Vec<OcisGroup>,
    users: Vec<OcisUser>,
    drives: Vec<PersonalDrive>,
    /// `OCIS_OIDC_ISSUER`: bearer tokens of this issuer are taken (none: Basic only).
    oidc: Option<OidcTrust>,
}

#[derive(Clone)]
pub struct OcisSandbox {
    state: Arc<Mutex<State_>>,
    /// The proxy's own client, for the issuer's discovery, JWKS and userinfo.
    http: reqwest::Client,
    pub faults: Faults,
}

impl OcisSandbox {
    pub async fn start(
        addr: SocketAddr,
        user: String,
        token: String,
    ) -> std::io::Result<(Self, String)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let sandbox = Self {
            state: Arc::new(Mutex::new(State_ {
                user,
                token,
                groups: Vec::new(),
                users: Vec::new(),
                drives: Vec::new(),
                oidc: None,
            })),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map_err(std::io::Error::other)?,
            faults: Faults::default(),
        };
        let router = Router::new()
            .route("/graph/v1.0/groups", get(groups::list).post(groups::create))
            .route(
                "/graph/v1.0/groups/{id}",
                get(groups::read).delete(groups::remove),
            )
            .route(
                "/graph/v1.0/groups/{id}/members/$ref",
                post(groups::add_member),
            )
            .route(
                "/graph/v1.0/groups/{id}/members/{user}/$ref",
                axum::routing::delete(groups::remove_member),
            )
            .route(
                "/graph/v1.0/users",
                get(users::list_users).post(users::create_user),
            )
            .route(
                "/graph/v1.0/users/{id}",
                get(users::read_user)
                    .patch(users::patch_user)
                    .delete(users::delete_user),
            )
            .route("/graph/v1.0/drives", get(drives::list_drives))
            .route("/graph/v1.0/me/drives", get(drives::list_drives))
            .route(
                "/graph/v1.0/drives/{id}",
                get(drives::read).patch(drives::patch),
            )
            .route(
                "/_sandbox/ocis/users/{username}/first-sign-in",
                post(drives::control_first_sign_in),
            )
            .with_state(sandbox.clone());
        sandbox.faults.serve(listener, router, "ocis");
        Ok((sandbox, base))
    }

    /// Trusts bearer tokens of `issuer` (exactly as the issuer's discovery document names
    /// itself, trailing slash included), as `OCIS_OIDC_ISSUER` does.
    pub fn trust_issuer(&self, issuer: String) {
        self.lock().oidc = Some(OidcTrust::new(issuer));
    }

    /// The state; a lock poisoned by a panicking request is taken over as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn odata_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "error": { "code": code, "message": message, "innererror": {
            "date": time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
            "request-id": uuid::Uuid::new_v4().to_string() } } }),
        ),
    )
        .into_response()
}

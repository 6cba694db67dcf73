//! Test controls of the Authentik stand-in under `/_sandbox/authentik/` (never part of the
//! real API): token lifetime and session-filter settings, a tampered next ID token, grant
//! statistics, and shortcuts for what an admin does in the real UI — revoke a user's tokens
//! and (de)activate a user, with the effects of `shared/reference/authentik.md` §4.4, and
//! enroll an authenticator device (what the user does in the real enrollment flow).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{AuthentikSandbox, IdTokenTamper};
use crate::clock;

pub(super) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route("/_sandbox/authentik/settings", post(set_settings))
        .route("/_sandbox/authentik/next-id-token", post(set_tamper))
        .route("/_sandbox/authentik/stats", get(stats))
        .route(
            "/_sandbox/authentik/users/{username}/revoke-tokens",
            post(revoke_user_tokens),
        )
        .route(
            "/_sandbox/authentik/users/{username}/active",
            post(set_user_active),
        )
        .route(
            "/_sandbox/authentik/users/{username}/devices",
            post(enroll_device),
        )
        .with_state(sandbox)
}

#[derive(Deserialize)]
struct Settings {
    access_token_ttl_secs: Option<i64>,
    ignore_session_user_filter: Option<bool>,
}

async fn set_settings(State(s): State<AuthentikSandbox>, Json(b): Json<Settings>) -> StatusCode {
    let mut st = s.lock();
    if let Some(ttl) = b.access_token_ttl_secs {
        st.access_token_ttl = ttl;
    }
    if let Some(on) = b.ignore_session_user_filter {
        st.ignore_session_user_filter = on;
    }
    StatusCode::NO_CONTENT
}

async fn set_tamper(State(s): State<AuthentikSandbox>, Json(t): Json<IdTokenTamper>) -> StatusCode {
    s.lock().tamper = t;
    StatusCode::NO_CONTENT
}

async fn stats(State(s): State<AuthentikSandbox>) -> Json<Value> {
    let st = s.lock();
    Json(json!({
        "code_grants": st.stats.code_grants,
        "refresh_grants": st.stats.refresh_grants,
        "rejected_refresh": st.stats.rejected_refresh,
        "browser_sessions": st.browser_sessions.len(),
    }))
}

/// Revokes every refresh and access token of a user and ends their authentik sessions
/// (what an admin's "revoke" does in the real UI).
async fn revoke_user_tokens(
    State(s): State<AuthentikSandbox>,
    Path(username): Path<String>,
) -> StatusCode {
    let mut st = s.lock();
    let Some(pk) = st
        .users
        .iter()
        .find(|u| u.username == username)
        .map(|u| u.pk)
    else {
        return StatusCode::NOT_FOUND;
    };
    st.refresh_tokens
        .values_mut()
        .filter(|r| r.user_pk == pk)
        .for_each(|r| r.revoked = true);
    st.access_tokens.retain(|_, a| a.user_pk != pk);
    st.browser_sessions.retain(|_, s| s.user_pk != pk);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Active {
    is_active: bool,
}

/// Like `PATCH /core/users/{pk}/ {"is_active": false}`: deactivation deletes sessions and
/// tokens server-side.
async fn set_user_active(
    State(s): State<AuthentikSandbox>,
    Path(username): Path<String>,
    Json(a): Json<Active>,
) -> StatusCode {
    let mut st = s.lock();
    let Some(user) = st.users.iter_mut().find(|u| u.username == username) else {
        return StatusCode::NOT_FOUND;
    };
    user.is_active = a.is_active;
    user.last_updated = clock::now();
    let pk = user.pk;
    if !a.is_active {
        st.purge_user_sessions_and_tokens(pk);
    }
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct NewDevice {
    kind: super::state::DeviceKind,
    name: String,
    /// An unfinished enrollment is an unconfirmed device.
    #[serde(default = "yes")]
    confirmed: bool,
    #[serde(default)]
    used: bool,
}

fn yes() -> bool {
    true
}

/// `POST /_sandbox/authentik/users/{username}/devices` `{"kind": "totp"|"static"|"webauthn",
/// "name", "confirmed"?, "used"?}`: 201 `{"pk"}`; 404 for an unknown user.
async fn enroll_device(
    State(s): State<AuthentikSandbox>,
    Path(username): Path<String>,
    Json(d): Json<NewDevice>,
) -> (StatusCode, Json<Value>) {
    let mut st = s.lock();
    let Some(user_pk) = st
        .users
        .iter()
        .find(|u| u.username == username)
        .map(|u| u.pk)
    else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "detail": "Not found." })),
        );
    };
    st.next_num_pk += 1;
    let pk = st.next_num_pk;
    let now = clock::now();
    st.devices.push(super::state::Device {
        pk,
        user_pk,
        kind: d.kind,
        name: d.name,
        confirmed: d.confirmed,
        created: now,
        last_used: d.used.then_some(now),
    });
    (StatusCode::CREATED, Json(json!({ "pk": pk })))
}

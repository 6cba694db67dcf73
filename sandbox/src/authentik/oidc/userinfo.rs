//! `GET`/`POST /application/o/userinfo/` (`shared/reference/authentik.md` §8.1, §8.4;
//! upstream `views/userinfo.py`): a live bearer access token of an active user answers `sub`
//! and the scope-mapping claims; anything else is 401 `invalid_token` with a
//! `WWW-Authenticate` header.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::super::{now, AuthentikSandbox};

pub(super) async fn userinfo(State(s): State<AuthentikSandbox>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(String::from);
    let st = s.lock();
    let token = bearer.and_then(|t| {
        st.access_tokens
            .get(&t)
            .filter(|a| a.expires > now())
            .map(|a| (a.user_pk, a.client_id.clone()))
    });
    let user = token.and_then(|(pk, client)| {
        st.users
            .iter()
            .find(|u| u.pk == pk && u.is_active)
            .map(|u| (u, client))
    });
    match user {
        Some((u, client)) => Json(json!({
            "sub": st.subject(st.provider_of_client(&client), u), "email": u.email, "email_verified": false, "name": u.name,
            "given_name": u.name, "preferred_username": u.username, "nickname": u.username,
            "groups": []
        }))
        .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "error=\"invalid_token\"")],
            Json(json!({"error": "invalid_token", "error_description": "The access token is invalid or expired"})),
        )
            .into_response(),
    }
}

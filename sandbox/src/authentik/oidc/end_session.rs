//! `GET /application/o/{slug}/end-session/` (`shared/reference/authentik.md` §8.5; upstream
//! `views/end_session.py`). The sandbox provider uses an invalidation flow with a User Logout
//! stage: the authentik session ends with the access tokens issued in it (refresh tokens
//! survive), and the cookie is cleared. A registered `post_logout_redirect_uri` with an
//! `id_token_hint` is redirected to (with `state` appended); otherwise a "Signed out" page.

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::{AuthentikSandbox, SESSION_COOKIE};
use super::{error_page, session_cookie};

#[derive(Deserialize)]
pub(super) struct EndSessionQuery {
    post_logout_redirect_uri: Option<String>,
    id_token_hint: Option<String>,
    state: Option<String>,
}

pub(super) async fn end_session(
    State(s): State<AuthentikSandbox>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<EndSessionQuery>,
) -> Response {
    let mut st = s.lock();
    let Some(client) = st.clients.iter().find(|c| c.slug == slug).cloned() else {
        return error_page(StatusCode::NOT_FOUND, "Not found", "Unknown application.");
    };
    if let Some(key) = session_cookie(&headers) {
        st.end_browser_session(&key);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    // A registered URI that does not parse as a URL is not redirected to.
    let redirect = q
        .post_logout_redirect_uri
        .filter(|uri| q.id_token_hint.is_some() && client.post_logout_redirect_uris.contains(uri))
        .and_then(|uri| url::Url::parse(&uri).ok());
    match redirect {
        Some(mut url) => {
            if let Some(state) = q.state {
                url.query_pairs_mut().append_pair("state", &state);
            }
            ([(header::SET_COOKIE, clear)], Redirect::to(url.as_str())).into_response()
        }
        None => (
            [(header::SET_COOKIE, clear)],
            error_page(
                StatusCode::OK,
                "Signed out",
                "You have been signed out of authentik.",
            ),
        )
            .into_response(),
    }
}

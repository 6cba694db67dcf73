//! `GET /application/o/authorize/` (`shared/reference/authentik.md` §8.1; upstream
//! `views/authorize.py`): an unknown `client_id` or a redirect URI that is not registered is
//! an error page (never a redirect); a wrong `response_type` or a scope without `openid` is
//! redirected back with `error`. A browser without a live authentik session of an active user
//! goes to the authentication flow's sign-in form with `next` set to this request; otherwise
//! a one-minute code (§8.3) is issued, bound to the client, redirect URI, nonce, PKCE
//! challenge, scopes and the browser session.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::state::CodeGrant;
use super::super::{now, random, AuthentikSandbox, FLOW_PATH};
use super::{error_page, session_cookie};
use crate::clock;

#[derive(Deserialize)]
pub(super) struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

pub(super) async fn authorize(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    let mut st = s.lock();
    let Some(client) = st
        .clients
        .iter()
        .find(|c| Some(&c.client_id) == p.client_id.as_ref())
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Application not found",
            "Invalid client identifier (client_id).",
        );
    };
    let redirect_uri = p.redirect_uri.clone().unwrap_or_default();
    // A registered URI that does not parse as a URL cannot be redirected to either.
    let Some(redirect_url) = url::Url::parse(&redirect_uri)
        .ok()
        .filter(|_| st.redirect_uri_allowed(&client, &redirect_uri))
    else {
        return error_page(StatusCode::BAD_REQUEST, "Redirect URI Error", "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).");
    };
    let redirect_err = |error: &str| {
        let mut url = redirect_url.clone();
        url.query_pairs_mut()
            .append_pair("error", error)
            .append_pair("state", p.state.as_deref().unwrap_or(""));
        Redirect::to(url.as_str()).into_response()
    };
    if p.response_type.as_deref() != Some("code") {
        return redirect_err("unsupported_response_type");
    }
    let scopes: Vec<String> = p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return redirect_err("invalid_scope");
    }
    let user_pk = session_cookie(&headers).and_then(|k| st.session_user(&k).map(|pk| (k, pk)));
    let active = user_pk.and_then(|(k, pk)| {
        st.users
            .iter()
            .find(|u| u.pk == pk && u.is_active)
            .map(|u| (k, u.pk))
    });
    if let Some(s) = active
        .as_ref()
        .and_then(|(k, _)| st.browser_sessions.get_mut(k))
    {
        s.last_used = clock::now();
    }
    let Some((session, user_pk)) = active else {
        // Not signed in at the IdP: the authentication flow, then back here.
        let next = uri
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default();
        return Redirect::to(&format!("{FLOW_PATH}?next={}", urlencoding::encode(&next)))
            .into_response();
    };
    // The application's policy bindings: someone they do not let through gets Authentik's
    // "Access denied" page (`AccessDeniedResponse`, status 200), and no code.
    if !st.may_use(&client.slug, user_pk) {
        return (
            StatusCode::OK,
            axum::response::Html(
                "<!DOCTYPE html><html><head><title>Access denied</title></head><body><h1>Access denied</h1>\
                 <p>Permission denied</p></body></html>",
            ),
        )
            .into_response();
    }
    let code = random(24);
    let challenge = p.code_challenge.clone().map(|c| {
        (
            c,
            p.code_challenge_method
                .clone()
                .unwrap_or_else(|| "plain".into()),
        )
    });
    st.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: client.client_id.clone(),
            user_pk,
            redirect_uri: redirect_uri.clone(),
            nonce: p.nonce.clone(),
            challenge,
            scopes,
            expires: now() + 60,
            auth_time: now(),
            session,
        },
    );
    let mut url = redirect_url;
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &p.state {
        url.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(url.as_str()).into_response()
}

//! The authentication flow's sign-in form at `/if/flow/default-authentication-flow/`, where
//! `/application/o/authorize/` sends a browser without an authentik session
//! (`shared/reference/authentik.md` §8.1). A correct username (or email) and password of an
//! active user with a usable password starts an authentik *authenticated session* (§5: the
//! session cookie, the last IP and user agent the admin API lists) and returns to the
//! authorize URL in `next`; anything else shows the form again with "Failed to authenticate.".

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use super::state::BrowserSession;
use super::{random, AuthentikSandbox, FLOW_PATH, SESSION_COOKIE};
use crate::clock;

pub(super) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route(FLOW_PATH, get(flow_form).post(flow_submit))
        .with_state(sandbox)
}

#[derive(Deserialize)]
struct FlowQuery {
    next: Option<String>,
}

fn flow_page(next: &str, error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{e}</p>"))
        .unwrap_or_default();
    let next = html_escape(next);
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>authentik (Dezky sandbox)</title></head>\
         <body><main><h1>Welcome to authentik!</h1>\
         <p><strong>Sandbox identity provider</strong>: not a real authentik.</p>{error}\
         <form method=\"post\" action=\"{FLOW_PATH}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>Username or email <input id=\"username\" name=\"uid_field\" autocomplete=\"username\" autofocus></label>\
         <label>Password <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
         <button type=\"submit\">Log in</button></form></main></body></html>"
    ))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn flow_form(Query(q): Query<FlowQuery>) -> Html<String> {
    flow_page(q.next.as_deref().unwrap_or("/"), None)
}

#[derive(Deserialize)]
struct FlowSubmit {
    uid_field: String,
    password: String,
    next: Option<String>,
}

async fn flow_submit(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Form(f): Form<FlowSubmit>,
) -> Response {
    let next = f.next.unwrap_or_default();
    let mut st = s.lock();
    let user = st
        .users
        .iter_mut()
        .find(|u| u.username == f.uid_field || (!u.email.is_empty() && u.email == f.uid_field));
    match user {
        // No usable password (API-created, no set_password yet) never matches.
        Some(u) if u.password.as_deref() == Some(f.password.as_str()) && u.is_active => {
            let signed_in = clock::now();
            u.last_login = Some(signed_in);
            let pk = u.pk;
            let key = random(24);
            let user_agent = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            st.browser_sessions.insert(
                key.clone(),
                BrowserSession {
                    uuid: uuid::Uuid::new_v4().to_string(),
                    user_pk: pk,
                    // No ConnectInfo on the sandbox router: every client is on loopback.
                    last_ip: "127.0.0.1".into(),
                    last_user_agent: user_agent,
                    last_used: signed_in,
                    expires: signed_in + time::Duration::days(1),
                },
            );
            let target = if next.starts_with("/application/o/authorize/") {
                next
            } else {
                "/".to_string()
            };
            (
                [(
                    header::SET_COOKIE,
                    format!("{SESSION_COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax"),
                )],
                Redirect::to(&target),
            )
                .into_response()
        }
        _ => (
            StatusCode::OK,
            flow_page(&next, Some("Failed to authenticate.")),
        )
            .into_response(),
    }
}

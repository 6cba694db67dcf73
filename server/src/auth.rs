//! The browser side of OIDC sign-in: `/login` starts it, `/auth/callback` completes it, and
//! `POST /logout` ends the session here and at the IdP. Failures show a page that says what
//! happened and offers the way back; none of them leaves a session behind.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use platform::ctx::session_keys;
use platform::upstream::authentik::oidc::PendingSignIn;
use platform::{Ctx, Platform};
use serde::Deserialize;
use tower_sessions::Session;

use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login))
        .route("/auth/callback", get(callback))
        .route("/logout", post(logout))
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
}

/// The page to return to after sign-in: only a path on this console, else `/`.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil.example` or
/// `/\evil.example` would leave the site (an open redirect, CWE-601): any control character,
/// whitespace or backslash, a leading `//`, or anything that resolves to another origin is
/// refused. `/login` itself is refused too (no loop).
fn safe_next(next: Option<String>) -> String {
    let Some(n) = next else {
        return "/".into();
    };
    let plain = n
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\');
    let local = n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login");
    // What a browser makes of it, relative to some page of ours: still ours?
    let same_origin = url::Url::parse("http://console.invalid/")
        .and_then(|base| base.join(&n))
        .is_ok_and(|u| u.host_str() == Some("console.invalid") && u.port().is_none());
    if plain && local && same_origin {
        n
    } else {
        "/".into()
    }
}

/// The cookie that carries a sign-in under way from `/login` to `/auth/callback`: sealed,
/// HttpOnly, SameSite=Lax (the IdP's redirect back is a top-level navigation), ten minutes,
/// `__Host-` and Secure on https. Nothing is stored on the server before the IdP answers.
fn sign_in_cookie(state: &AppState, value: String, max_age_secs: i64) -> String {
    use tower_sessions::cookie::{Cookie, SameSite};
    let name = sign_in_cookie_name(state);
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.https)
        .max_age(time::Duration::seconds(max_age_secs))
        .build()
        .to_string()
}

/// The sign-in cookie's name: `__Host-` prefixed on https.
fn sign_in_cookie_name(state: &AppState) -> &'static str {
    if state.https {
        "__Host-dezky_signin"
    } else {
        "dezky_signin"
    }
}

/// The sealed sign-in from the request's cookies.
fn sign_in_from(headers: &axum::http::HeaderMap, state: &AppState) -> Option<String> {
    let name = sign_in_cookie_name(state);
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| tower_sessions::cookie::Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

async fn login(
    State(platform): State<Arc<Platform>>,
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next);
    match platform.auth.start_sign_in(next.clone()).await {
        Ok(request) => {
            let sealed = match platform.auth.seal_pending(&request.pending) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "could not seal the pending sign-in");
                    return error_page(
                        &state,
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Sign-in could not start",
                        "The console could not store your sign-in attempt. Please try again.",
                        &next,
                    );
                }
            };
            let window = platform::services::auth::SIGN_IN_WINDOW.as_secs() as i64;
            let mut response = Redirect::to(&request.url).into_response();
            if let Ok(v) =
                axum::http::HeaderValue::from_str(&sign_in_cookie(&state, sealed, window))
            {
                response
                    .headers_mut()
                    .append(axum::http::header::SET_COOKIE, v);
            }
            response
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in could not start");
            error_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "The identity provider is not reachable",
                &format!("{e} Please try again in a moment."),
                &next,
            )
        }
    }
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(platform): State<Arc<Platform>>,
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    session: Session,
    headers: axum::http::HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let pending = sign_in_from(&headers, &state).and_then(|s| platform.auth.open_pending(&s));
    let mut response = complete(&platform, &state, &ctx, session, q, pending).await;
    // Used once: whatever happened, the browser drops the sign-in cookie, so a replayed
    // callback finds nothing to complete.
    if let Ok(v) = axum::http::HeaderValue::from_str(&sign_in_cookie(&state, String::new(), 0)) {
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, v);
    }
    response
}

async fn complete(
    platform: &Platform,
    state: &AppState,
    ctx: &Ctx,
    session: Session,
    q: CallbackQuery,
    pending: Option<PendingSignIn>,
) -> Response {
    let Some(pending) = pending else {
        return error_page(
            state,
            StatusCode::BAD_REQUEST,
            "This sign-in link is no longer valid",
            "The sign-in response was already used, has expired, or was started in another browser. Start again from the sign-in page.",
            "/",
        );
    };
    if let Some(error) = q.error {
        let detail = q.error_description.unwrap_or_default();
        return error_page(
            state,
            StatusCode::BAD_REQUEST,
            "The identity provider refused the sign-in",
            &format!("It answered \"{error}\". {detail}"),
            &pending.next,
        );
    }
    let (Some(code), Some(returned_state)) = (q.code, q.state) else {
        return error_page(
            state,
            StatusCode::BAD_REQUEST,
            "The sign-in response is incomplete",
            "The identity provider's answer has no code or no state.",
            &pending.next,
        );
    };
    match platform
        .auth
        .finish_sign_in(ctx, &pending, &returned_state, &code)
        .await
    {
        Ok((_user, current)) => {
            // A new session id at sign-in, and nothing from before it (no stale partner mode).
            session.clear().await;
            if let Err(e) = session.cycle_id().await {
                tracing::error!(error = %e, "could not renew the session id");
                return error_page(
                    state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in could not be completed",
                    "The console could not renew your session. Please try again.",
                    &pending.next,
                );
            }
            if let Err(e) = session
                .insert(session_keys::AUTH_KEY, &current.auth_key)
                .await
            {
                tracing::error!(error = %e, "could not store the session");
                return error_page(
                    state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Sign-in could not be completed",
                    "The console could not store your session. Please try again.",
                    &pending.next,
                );
            }
            Redirect::to(&pending.next).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in failed");
            error_page(
                state,
                StatusCode::BAD_REQUEST,
                "Sign-in failed",
                &e.to_string(),
                &pending.next,
            )
        }
    }
}

async fn logout(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
    session: Session,
) -> Response {
    let key = session
        .get::<String>(session_keys::AUTH_KEY)
        .await
        .ok()
        .flatten();
    let end_session_url = match key {
        Some(key) => match platform.auth.sign_out(&ctx, &key).await {
            Ok(out) => out.end_session_url,
            Err(e) => {
                tracing::error!(error = %e, "sign-out failed at the store");
                None
            }
        },
        None => None,
    };
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "could not delete the session");
    }
    Redirect::to(end_session_url.as_deref().unwrap_or("/signed-out")).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain page for sign-in trouble (the app shell needs a session to render its frame).
fn error_page(
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
    next: &str,
) -> Response {
    let banner = if state.flags.sandbox {
        "<div id=\"sandbox-banner\" class=\"bg-amber-300 text-amber-950 text-sm text-center px-4 py-1.5 font-medium\">Sandbox: this console runs against local stand-ins for Authentik, Stalwart and OCIS. Nothing real is being provisioned.</div>"
    } else {
        ""
    };
    let retry = format!("/login?next={}", urlencoding::encode(next));
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — Dezky</title>\
         <link rel=\"icon\" href=\"data:,\"><link rel=\"stylesheet\" href=\"/pkg/{name}.css\"></head>\
         <body class=\"bg-slate-50 text-slate-900\">{banner}\
         <section id=\"sign-in-error\" class=\"max-w-xl mx-auto mt-12 rounded-xl border border-slate-200 bg-white p-8\">\
         <h1 class=\"text-xl font-semibold mb-2\">{title}</h1><p class=\"text-slate-700 mb-6\">{message}</p>\
         <a id=\"retry-sign-in\" class=\"inline-block rounded-md bg-indigo-600 px-4 py-2 text-white text-sm font-medium\" href=\"{retry}\">Sign in again</a> \
         <a class=\"ml-4 text-sm text-indigo-700\" href=\"/signed-out\">Back</a></section></body></html>",
        title = escape(title),
        message = escape(message),
        retry = escape(&retry),
        name = state.leptos.output_name,
    );
    (status, Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_always_a_local_path() {
        assert_eq!(safe_next(Some("/admin/acme".into())), "/admin/acme");
        assert_eq!(safe_next(Some("https://evil.example/".into())), "/");
        assert_eq!(safe_next(Some("//evil.example/".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
        // Decoded query values: what `/%09/evil.example` and `/%0d%0aSet-Cookie:x` become.
        for bad in [
            "/\t/evil.example",
            "/\r\nSet-Cookie:x",
            "/\\evil",
            "https://evil",
            "//evil",
            "/ /evil",
            "/admin\\..\\x",
        ] {
            assert_eq!(safe_next(Some(bad.into())), "/", "{bad:?}");
        }
        assert_eq!(
            safe_next(Some("/admin/acme/domains?x=1#y".into())),
            "/admin/acme/domains?x=1#y"
        );
    }
}

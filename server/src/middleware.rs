//! Request middleware, outermost first:
//! 1. `request_context`: a request id (kept from `x-request-id` or new), the client's IP
//!    (from `X-Forwarded-For` only when the peer is one of `TRUSTED_PROXIES`) and user agent, a tracing span carrying the id, and one log line per request with status and
//!    duration.
//! 2. `deadline`: a request still running after `REQUEST_TIMEOUT_SECS` is answered 503 with
//!    its request id (a JSON error under `/api`, a page elsewhere) and logged.
//! 3. `same_origin`: a state-changing request from another site is refused (CSRF).
//! 4. (the session layer)
//! 5. `identity`: resolves the session to the signed-in person (refreshing the access token
//!    when it is about to expire), builds the service `Ctx`, sends anonymous browsers on
//!    private pages to sign-in, and marks every answer `no-store` so the back button after
//!    sign-out shows no private page.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use platform::ctx::session_keys;
use platform::{Ctx, RequestMeta};
use tower_sessions::Session;
use tracing::Instrument;

use crate::startup::AppState;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn request_context(
    State(trusted): State<std::sync::Arc<[ipnet::IpNet]>>,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(String::from)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let ip = client_ip(peer, &forwarded, &trusted).map(|ip| ip.to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.chars().take(300).collect());
    req.extensions_mut().insert(RequestMeta {
        request_id: request_id.clone(),
        ip,
        user_agent,
    });
    let span = tracing::info_span!("request", request_id = %request_id);
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = Instant::now();
    let response = next.run(req).instrument(span.clone()).await;
    let mut response = crate::error::finish(response, &request_id);
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            %method,
            path,
            status,
            duration_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then
/// `X-Forwarded-For` is read from the right (each proxy appends the address it saw), skipping
/// trusted proxies, and the first address that is not one is the client (the leftmost when
/// all are). A hop that is not an address makes the client unknown (`None`: network rules
/// then refuse, fail closed).
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    forwarded: &[&str],
    trusted: &[ipnet::IpNet],
) -> Option<std::net::IpAddr> {
    // IPv4 peers of a dual-stack listener arrive as ::ffff:a.b.c.d.
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    let mut client = peer?.to_canonical();
    if !is_trusted(&client) {
        return Some(client);
    }
    let hops = forwarded
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        // A proxy may write the port too: `198.51.100.7:4711`, `[2001:db8::1]:443`.
        let ip = hop
            .parse::<std::net::IpAddr>()
            .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
            .ok()?
            .to_canonical();
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// Ends a request that runs longer than `limit`: a render or upstream call that hangs answers
/// 503 with the request id instead of holding the connection forever.
pub async fn deadline(State(limit): State<Duration>, req: Request<Body>, next: Next) -> Response {
    let request_id = req
        .extensions()
        .get::<RequestMeta>()
        .map(|m| m.request_id.clone())
        .unwrap_or_default();
    let api = req.uri().path().starts_with("/api/");
    let path = req.uri().path().to_string();
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::error!(
                path,
                limit_secs = limit.as_secs(),
                "the request did not finish in time; answered 503"
            );
            let message = format!(
                "The console took too long to answer (over {} s). Please try again. Reference: {request_id}.",
                limit.as_secs()
            );
            if api {
                crate::error::ApiError::timeout(message).into_response()
            } else {
                let page = format!(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Temporarily unavailable</title></head>\
                     <body><section id=\"error\" data-status=\"503\"><h1>Temporarily unavailable</h1><p>{}</p><a href=\"/\">Back to the start page</a></section></body></html>",
                    html_escape(&message)
                );
                no_store(
                    (
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        page,
                    )
                        .into_response(),
                )
            }
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Refuses cross-site requests that change state (CSRF, OWASP ASVS 4.0 V13.2.3 / V50): any
/// request other than GET, HEAD or OPTIONS — the JSON API, the server functions, `/logout` —
/// must come from the console's own pages. A browser says where a request comes from:
/// `Sec-Fetch-Site` (`same-origin`, or `none` for what the person typed) when it sends it,
/// else `Origin`, which must be the origin of `PUBLIC_URL`. A request with neither header
/// is not from a browser (a script with its own credentials) and passes. Refused: 403
/// `cross_site`.
pub async fn same_origin(
    State(origin): State<std::sync::Arc<str>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    match cross_site(req.headers(), &origin) {
        None => next.run(req).await,
        Some(seen) => {
            tracing::warn!(path = req.uri().path(), seen, "cross-site request refused");
            crate::error::ApiError::new(
                wire::ErrorClass::Forbidden,
                "cross_site",
                "This request did not come from the console's own pages, so it was refused.",
            )
            .into_response()
        }
    }
}

/// What shows a request came from another site (`None`: it did not).
fn cross_site(headers: &axum::http::HeaderMap, origin: &str) -> Option<String> {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().unwrap_or("(not text)").to_string())
    };
    match (header("sec-fetch-site"), header("origin")) {
        (Some(site), _) if site == "same-origin" || site == "none" => None,
        (Some(site), _) => Some(format!("Sec-Fetch-Site: {site}")),
        (None, Some(from)) if from == origin => None,
        (None, Some(from)) => Some(format!("Origin: {from}")),
        (None, None) => None,
    }
}

/// Pages that only a signed-in person may see; an anonymous browser is sent to sign in and
/// comes back afterwards.
fn is_private_page(path: &str) -> bool {
    path == "/"
        || path == "/profile"
        || path == "/signed-in"
        || path == "/admin"
        || path.starts_with("/admin/")
        || path == "/partner"
        || path.starts_with("/partner/")
}

pub async fn identity(
    State(state): State<AppState>,
    session: Session,
    mut req: Request<Body>,
    next: Next,
) -> Response {
    let meta = req
        .extensions()
        .get::<RequestMeta>()
        .cloned()
        .unwrap_or_default();
    let mut user = None;
    if let Ok(Some(key)) = session.get::<String>(session_keys::AUTH_KEY).await {
        match state.platform.auth.resolve(&key).await {
            Ok(Some(u)) => user = Some(u),
            Ok(None) => {
                let _ = session.remove::<String>(session_keys::AUTH_KEY).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the session could not be refreshed; treating the request as signed out");
            }
        }
    }
    let partner_mode = user.is_some()
        && session
            .get::<bool>(session_keys::PARTNER_MODE)
            .await
            .ok()
            .flatten()
            .unwrap_or(false);
    let ctx = Ctx::new(user.as_ref(), partner_mode, meta);
    let path = req.uri().path().to_string();
    if user.is_none()
        && matches!(*req.method(), Method::GET | Method::HEAD)
        && is_private_page(&path)
    {
        let next_path = req
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        return no_store(
            Redirect::to(&format!("/login?next={}", urlencoding::encode(&next_path)))
                .into_response(),
        );
    }
    req.extensions_mut().insert(ctx);
    if let Some(u) = user {
        req.extensions_mut().insert(u);
    }
    let response = next.run(req).await;
    if path.starts_with("/pkg/") {
        response
    } else {
        no_store(response)
    }
}

fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, private"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::{client_ip, is_private_page};

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted: Vec<ipnet::IpNet> =
            vec!["10.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        // An untrusted peer: the header is ignored (anyone can send one).
        assert_eq!(
            client_ip(Some(ip("203.0.113.5")), &["198.51.100.1"], &trusted),
            Some(ip("203.0.113.5"))
        );
        // A trusted proxy: the rightmost untrusted hop is the client, not a spoofed leftmost one.
        assert_eq!(
            client_ip(
                Some(ip("10.0.0.2")),
                &["6.6.6.6, 198.51.100.7", "10.0.0.9"],
                &trusted
            ),
            Some(ip("198.51.100.7"))
        );
        // IPv6 proxy and client.
        assert_eq!(
            client_ip(Some(ip("::1")), &["2001:db8::7"], &trusted),
            Some(ip("2001:db8::7"))
        );
        // Garbage makes the client unknown (not the proxy).
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &["198.51.100.7, junk"], &trusted),
            None
        );
        // Ports, and IPv4 peers of a dual-stack listener.
        assert_eq!(
            client_ip(
                Some(ip("::ffff:10.0.0.2")),
                &["198.51.100.7:4711"],
                &trusted
            ),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &["[2001:db8::9]:443"], &trusted),
            Some(ip("2001:db8::9"))
        );
        assert_eq!(
            client_ip(Some(ip("::ffff:203.0.113.5")), &[], &trusted),
            Some(ip("203.0.113.5"))
        );
        // A trusted proxy without the header is itself the client.
        assert_eq!(
            client_ip(Some(ip("10.0.0.2")), &[], &trusted),
            Some(ip("10.0.0.2"))
        );
        assert_eq!(client_ip(None, &["198.51.100.7"], &trusted), None);
    }

    #[test]
    fn private_pages_are_the_console_not_the_sign_in_machinery() {
        for p in [
            "/",
            "/admin",
            "/admin/acme",
            "/partner",
            "/profile",
            "/signed-in",
        ] {
            assert!(is_private_page(p), "{p}");
        }
        for p in [
            "/login",
            "/auth/callback",
            "/signed-out",
            "/healthz",
            "/pkg/dezky.js",
            "/administrator",
        ] {
            assert!(!is_private_page(p), "{p}");
        }
    }
}

//! The router: sign-in, the JSON API, health, the Leptos pages and server functions, under
//! the middleware stack (request context and timeout, sessions, identity).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use tower_http::limit::RequestBodyLimitLayer;

use app::{shell, App};
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::AppState;
use crate::config::Settings;
use crate::{api, auth, health, middleware};

pub(super) fn leptos_options(bound: SocketAddr) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD" | "prod" | "production") => Env::PROD,
        _ => Env::DEV,
    };
    LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "dezky".into()))
        .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(bound)
        .env(env)
        .build()
}

/// Leptos's route list, generated once per process.
///
/// Generating it runs the whole app under leptos_server's `SuppressResourceLoad` guard, which
/// sets a process-global flag; a `Resource` first polled anywhere in the process while the flag
/// is up waits forever (leptos-rs/leptos#4773, leptos_server 0.8 `resource.rs`). With one
/// generation per app, a second app starting in the same process (the integration tests start
/// one per test) stalled a page that another app was rendering at that moment. Once per
/// process, before any app serves, nothing can render while the flag is up.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Headers every answer carries (OWASP ASVS 4.0 V14.4): no MIME sniffing, the referrer only
/// to this origin, no framing, HSTS on https. Pages set their own Content-Security-Policy
/// with the response's nonce (`app::components::send_content_security_policy`); every other
/// answer gets one that allows nothing.
fn with_security_headers(router: Router<AppState>, https: bool) -> Router<AppState> {
    use axum::http::{header, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer as Set;
    let router = router
        .layer(Set::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(Set::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(Set::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(Set::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ));
    if https {
        router.layer(Set::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ))
    } else {
        router
    }
}

/// What no route takes: a file of the site (`LEPTOS_SITE_ROOT`: the wasm, JS and CSS under
/// `/pkg`, `public/`) by tower-http's `ServeDir`, else the console's "not found" page (404).
///
/// Not leptos_axum's `file_and_error_handler`: it answers a file inside `Owner::new()`, a
/// child of whatever reactive owner the worker thread last left current, and applies that
/// owner's `ResponseOptions` to the file. When that was a page still rendering on the same
/// thread, the file took the page's headers (its Content-Security-Policy) and the page went
/// out without them, so the browser refused its scripts and it never hydrated (seen in the
/// Security journey: one reload in two full runs).
fn static_files(
    options: &LeptosOptions,
    app_context: impl Fn() + Clone + Send + Sync + 'static,
) -> tower_http::services::ServeDir<
    impl tower::Service<
            axum::extract::Request,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
            Future = impl Send,
        > + Clone,
> {
    let not_found = {
        let options = options.clone();
        leptos_axum::render_app_async_with_context(app_context, move || shell(options.clone()))
    };
    tower_http::services::ServeDir::new(options.site_root.as_ref())
        .append_index_html_on_directories(false)
        .call_fallback_on_method_not_allowed(true)
        .fallback(tower::service_fn(move |req: axum::extract::Request| {
            let render = not_found(req);
            async move { Ok(render.await) }
        }))
}

/// The paths of the console's pages (Leptos's route list), as `/admin/{tenant}/…`.
pub fn page_paths() -> Vec<String> {
    route_list().iter().map(|r| r.path().to_string()).collect()
}

pub(super) fn router(state: AppState, settings: &Settings, public_url: &url::Url) -> Router {
    let platform = state.platform.clone();
    let flags = state.flags;
    let app_context = move || {
        provide_context(platform.clone());
        provide_context(flags);
    };
    let sessions = SessionManagerLayer::new(state.platform.session_store())
        .with_name(settings.session_cookie_name.clone())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(public_url.scheme() == "https")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            settings.session_idle_timeout.as_secs() as i64,
        )));
    let routes = route_list();
    let leptos = state.leptos.clone();
    let router = Router::new()
        .merge(auth::routes())
        .merge(api::routes())
        .merge(health::routes())
        .leptos_routes_with_context(&state, routes, app_context.clone(), move || {
            shell(leptos.clone())
        })
        .fallback_service(static_files(&state.leptos, app_context))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::identity,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            Arc::<str>::from(public_url.origin().ascii_serialization()),
            middleware::same_origin,
        ))
        .layer(axum::middleware::from_fn_with_state(
            settings.request_timeout,
            middleware::deadline,
        ))
        .layer(RequestBodyLimitLayer::new(settings.max_body_bytes));
    with_security_headers(router, public_url.scheme() == "https")
        .layer(axum::middleware::from_fn_with_state(
            Arc::<[ipnet::IpNet]>::from(settings.trusted_proxies.clone()),
            middleware::request_context,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use leptos::config::LeptosOptions;
    use leptos::prelude::{provide_context, Owner};
    use tower::ServiceExt;

    /// A page's render may leave its reactive owner current on a worker thread; a file served
    /// on that thread next must neither take the page's response headers nor carry them.
    #[tokio::test]
    async fn a_file_never_takes_the_headers_of_a_page_rendering_on_the_same_thread() {
        let site = std::env::temp_dir().join(format!("dezky-site-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/app.css"), "body{}").unwrap();
        let options = LeptosOptions::builder()
            .output_name("app")
            .site_root(site.to_string_lossy().to_string())
            .build();

        // The page still rendering: its owner holds its ResponseOptions, with its policy.
        let page = Owner::new_root(None);
        let page_headers = leptos_axum::ResponseOptions::default();
        page.with(|| provide_context(page_headers.clone()));
        let policy = header::HeaderValue::from_static("script-src 'nonce-page'");
        page_headers.insert_header(header::CONTENT_SECURITY_POLICY, policy.clone());
        page.set();

        let file = super::static_files(&options, || {})
            .oneshot(Request::get("/pkg/app.css").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(file.status(), StatusCode::OK);
        assert_eq!(file.headers()[header::CONTENT_TYPE], "text/css");
        assert_eq!(file.headers().get(header::CONTENT_SECURITY_POLICY), None);
        assert_eq!(
            page_headers
                .0
                .read()
                .unwrap()
                .headers
                .get(header::CONTENT_SECURITY_POLICY),
            Some(&policy),
            "the page keeps its policy"
        );
        std::fs::remove_dir_all(site).unwrap();
    }
}

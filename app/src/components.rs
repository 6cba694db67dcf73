//! Pieces shared by the pages: the error view, tiles, times, URL encoding, the clipboard.

use leptos::prelude::*;

use crate::error::AppError;
use wire::steps::{StepState, StepStatus};

/// The page's Content-Security-Policy (W3C CSP Level 3): scripts only from the console
/// itself or inline with this response's nonce (the hydration and resource scripts carry it),
/// WebAssembly compilation for the hydrate bundle, styles from the console itself or inline
/// with the nonce (the tenant's theme, `frame::Layout`; never `style` attributes), connections
/// to the console only, no framing. Set while the shell renders, so it reaches the first response.
///
/// The billing page (`/admin/{tenant}/billing`, always loaded in full) also allows Stripe.js:
/// its origin for scripts, connections and frames, and for Stripe's own script the origins
/// Stripe lists (`shared/reference/stripe.md` §4.1).
#[cfg(feature = "ssr")]
pub fn send_content_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let (script, connect, frame) = stripe_sources().unwrap_or_default();
    let frame_src = if frame.is_empty() {
        String::new()
    } else {
        format!(" frame-src{frame};")
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{script}; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; connect-src 'self'{connect};{frame_src} \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Extra (script, connect, frame) sources, each starting with a space, when this response is
/// the billing page and Stripe.js is configured.
#[cfg(feature = "ssr")]
fn stripe_sources() -> Option<(String, String, String)> {
    let parts = use_context::<http::request::Parts>()?;
    let segments: Vec<&str> = parts.uri.path().trim_end_matches('/').split('/').collect();
    if !matches!(segments.as_slice(), ["", "admin", _, "billing"]) {
        return None;
    }
    let platform = use_context::<std::sync::Arc<platform::Platform>>()?;
    let js = platform.billing.stripe_js()?;
    let url = http::Uri::try_from(js.url.as_str()).ok()?;
    let origin = format!("{}://{}", url.scheme_str()?, url.authority()?);
    if origin == "https://js.stripe.com" {
        Some((
            " https://js.stripe.com https://*.js.stripe.com".into(),
            " https://api.stripe.com".into(),
            " https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com".into(),
        ))
    } else {
        // Another Stripe.js (localstripe's in tests and the sandbox) talks to its own origin.
        Some((
            format!(" {origin}"),
            format!(" {origin}"),
            format!(" {origin}"),
        ))
    }
}

/// Answers a page request with `303 See Other` to `path` (whatever the `Accept` header).
#[cfg(feature = "ssr")]
pub fn ssr_redirect(path: &str) {
    if let (Some(response), Ok(location)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(path),
    ) {
        response.set_status(http::StatusCode::SEE_OTHER);
        response.insert_header(http::header::LOCATION, location);
    }
}

/// Shows an error with what happened and the way back, and gives the page its status code.
#[component]
pub fn ErrorView(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(error.status()) {
            response.set_status(status);
        }
    }
    let here = leptos_router::hooks::use_location();
    let (href, label) = match error.is_unauthenticated() {
        true => {
            let path = format!(
                "{}{}",
                here.pathname.get_untracked(),
                here.search.get_untracked()
            );
            let next = if path.is_empty() {
                "/".to_string()
            } else {
                path
            };
            (
                format!("/login?next={}", encode_component(&next)),
                "Sign in",
            )
        }
        false => ("/".to_string(), "Back to the start page"),
    };
    view! {
        <section id="error" data-status=error.status() class="max-w-xl mx-auto mt-12 rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
            <h1 class="text-xl font-semibold mb-2">{error.title()}</h1>
            <p class="text-slate-700 mb-6">{error.message()}</p>
            <a href=href class="inline-block rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium">{label}</a>
        </section>
    }
}

#[component]
pub fn Tile(
    #[prop(into)] title: String,
    #[prop(into)] description: String,
    #[prop(into, optional)] href: Option<String>,
    #[prop(into, optional)] id: Option<String>,
) -> impl IntoView {
    match href {
        Some(href) => view! {
            <a id=id href=href class="tile block rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-accent hover:shadow">
                <h3 class="font-semibold text-slate-900">{title}</h3>
                <p class="text-sm text-slate-600 mt-1">{description}</p>
            </a>
        }
        .into_any(),
        None => view! {
            <div id=id class="tile block rounded-xl border border-dashed border-slate-300 bg-slate-50 p-5" aria-disabled="true">
                <h3 class="font-semibold text-slate-500">{title}</h3>
                <p class="text-sm text-slate-500 mt-1">{description}</p>
            </div>
        }
        .into_any(),
    }
}

/// Percent-encodes a URL query component (RFC 3986 unreserved characters stay).
pub fn encode_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A time in milliseconds since the epoch, as UTC text (same on server and browser, so
/// hydration matches).
pub fn format_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Copies text to the clipboard (browser only; a button using it does nothing before
/// hydration).
pub fn copy_to_clipboard(text: String) {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().navigator().clipboard().write_text(&text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

fn upstream_label(u: &str) -> &'static str {
    match u {
        "authentik" => "Authentik (sign-in)",
        "ocis" => "OCIS (files)",
        "stalwart" => "Stalwart (mail)",
        "stripe" => "Stripe (billing)",
        "stripe_subscription" => "Stripe subscription (plan and seats)",
        _ => "Upstream",
    }
}

/// The colour of a state chip: step states (`StepState`) and record states (`RecordState`).
fn chip_class(state: &str) -> &'static str {
    match state {
        "ok" => "bg-emerald-100 text-emerald-800",
        "skipped" | "optional" | "unchecked" => "bg-slate-100 text-slate-700",
        "error" | "mismatch" | "missing" | "duplicate" => "bg-red-100 text-red-800",
        _ => "bg-amber-100 text-amber-800",
    }
}

#[component]
pub fn StateChip(state: &'static str) -> impl IntoView {
    let class = format!(
        "inline-block rounded-full px-2 py-0.5 text-xs font-medium {}",
        chip_class(state)
    );
    view! { <span class=class data-state=state>{state}</span> }
}

#[component]
pub fn StepList(steps: Vec<StepStatus>) -> impl IntoView {
    view! {
        <ul class="steps divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {steps.into_iter().map(|s| {
                let pending = s.state == StepState::Pending;
                view! {
                    <li class="flex items-start gap-3 p-3" data-upstream=s.upstream.clone() data-state=s.state.as_str()>
                        <span class="w-44 shrink-0 font-medium">{upstream_label(&s.upstream)}</span>
                        <span class="w-20 shrink-0">
                            {pending.then(|| view! { <span class="spinner inline-block h-3 w-3 mr-1 animate-spin rounded-full border-2 border-amber-500 border-t-transparent" aria-hidden="true"></span> })}
                            <StateChip state=s.state.as_str()/>
                        </span>
                        <span class="flex-1 text-sm text-slate-700">{s.message}</span>
                        <span class="text-xs text-slate-500 whitespace-nowrap">{s.last_run_at.map(format_time)}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_utc() {
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_time(1_795_000_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(format_time(951_782_400_000), "2000-02-29 00:00 UTC");
    }

    #[test]
    fn query_components_are_encoded() {
        assert_eq!(
            encode_component("/admin/acme?x=1"),
            "%2Fadmin%2Facme%3Fx%3D1"
        );
    }
}

/// What a [`pager`] is about: `id` prefixes its elements' ids (`{id}-pager`, `{id}-count`,
/// `{id}-previous`, `{id}-next`), `label` names the navigation for a screen reader, `noun` is
/// one and many of what is listed.
#[derive(Clone, Copy)]
pub struct Pages {
    pub id: &'static str,
    pub label: &'static str,
    pub noun: (&'static str, &'static str),
}

/// Under a cursor-paged table: how many are shown of how many match, and the buttons to the
/// previous and next pages (`pages` holds the cursors of the pages before this one).
pub fn pager(
    what: Pages,
    page_number: usize,
    shown: usize,
    total: i64,
    next_cursor: Option<String>,
    pages: RwSignal<Vec<String>>,
) -> impl IntoView {
    let has_previous = page_number > 1;
    let has_next = next_cursor.is_some();
    let noun = if total == 1 { what.noun.0 } else { what.noun.1 };
    view! {
        <nav id=format!("{}-pager", what.id) aria-label=what.label class="mt-3 flex items-center gap-3 text-sm text-slate-600">
            <span id=format!("{}-count", what.id) data-total=total.to_string()>
                {format!("Page {page_number}: {shown} shown of {total} {noun}")}
            </span>
            <button id=format!("{}-previous", what.id) type="button" class="rounded border border-slate-300 bg-white px-2 py-0.5 disabled:opacity-50"
                disabled=!has_previous on:click=move |_| pages.update(|p| { p.pop(); })>"Previous"</button>
            <button id=format!("{}-next", what.id) type="button" class="rounded border border-slate-300 bg-white px-2 py-0.5 disabled:opacity-50"
                disabled=!has_next on:click=move |_| if let Some(c) = next_cursor.clone() { pages.update(|p| p.push(c)); }>"Next"</button>
        </nav>
    }
}

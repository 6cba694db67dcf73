//! The frame of every page (sandbox banner, partner-mode banner, header with the user menu)
//! and shared pieces (error view, tiles).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::{exit_partner_mode, get_session_info};
use crate::error::AppError;
use crate::model::SessionInfo;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let info = Resource::new(|| (), |_| get_session_info());
    // Set only in the browser, once the wasm has taken over the page.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <div
            id="app"
            data-hydrated=move || if hydrated.get() { "true" } else { "false" }
            class="min-h-screen flex flex-col"
        >
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match info.await {
                        Ok(info) => view! { <Header info/> }.into_any(),
                        Err(_) => view! { <Header info=SessionInfo { me: None, sandbox: false, partner_mode: false }/> }.into_any(),
                    }
                })}
            </Suspense>
            <main class="flex-1 w-full max-w-6xl mx-auto px-4 py-6">{children()}</main>
        </div>
    }
}

#[component]
fn Header(info: SessionInfo) -> impl IntoView {
    let menu_open = RwSignal::new(false);
    let exiting = RwSignal::new(false);
    let exit = move |_| {
        exiting.set(true);
        leptos::task::spawn_local(async move {
            let _ = exit_partner_mode().await;
            let _ = window().location().set_href("/partner");
        });
    };
    let me = info.me.clone();
    view! {
        {info.sandbox.then(|| view! {
            <div id="sandbox-banner" role="status" class="bg-amber-300 text-amber-950 text-sm text-center px-4 py-1.5 font-medium">
                "Sandbox: this console runs against local stand-ins for Authentik, Stalwart and OCIS. Nothing real is being provisioned."
            </div>
        })}
        {(info.partner_mode).then(|| view! {
            <div id="partner-banner" class="bg-indigo-700 text-white text-sm px-4 py-1.5 flex items-center justify-center gap-4">
                <span>"Partner mode: you are acting as partner staff. Every action is recorded in the workspace's audit log."</span>
                <button id="exit-partner-mode" class="underline font-semibold" on:click=exit disabled=move || exiting.get()>
                    "Exit partner mode"
                </button>
            </div>
        })}
        <header class="bg-white border-b border-slate-200">
            <div class="max-w-6xl mx-auto px-4 h-14 flex items-center justify-between">
                <A href="/" attr:class="font-bold text-lg text-indigo-700">"Dezky"</A>
                {match me {
                    Some(me) => view! {
                        <div class="relative">
                            <button
                                id="user-menu-button"
                                class="flex items-center gap-2 rounded-full px-3 py-1.5 hover:bg-slate-100"
                                aria-haspopup="true"
                                aria-expanded=move || menu_open.get().to_string()
                                on:click=move |_| menu_open.update(|o| *o = !*o)
                            >
                                <span class="inline-flex h-7 w-7 items-center justify-center rounded-full bg-indigo-600 text-white text-xs font-semibold">
                                    {initials(&me.name)}
                                </span>
                                <span id="user-name" class="text-sm font-medium">{me.name.clone()}</span>
                            </button>
                            <div
                                id="user-menu"
                                class="absolute right-0 mt-2 w-64 rounded-lg border border-slate-200 bg-white shadow-lg p-3 z-10"
                                class:hidden=move || !menu_open.get()
                            >
                                <p class="text-sm font-medium">{me.name.clone()}</p>
                                <p class="text-xs text-slate-500 mb-3">{me.email.clone()}</p>
                                <A href="/profile" attr:class="block text-sm py-1 hover:underline">"My profile"</A>
                                <form method="post" action="/logout" class="mt-2">
                                    <button id="sign-out" type="submit" class="w-full rounded-md bg-slate-800 text-white text-sm py-1.5">
                                        "Sign out"
                                    </button>
                                </form>
                            </div>
                        </div>
                    }.into_any(),
                    None => view! {
                        <a href="/login" class="text-sm font-medium text-indigo-700">"Sign in"</a>
                    }.into_any(),
                }}
            </div>
        </header>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
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
    let (href, label) = match &error {
        AppError::Unauthenticated => {
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
        _ => ("/".to_string(), "Back to the start page"),
    };
    view! {
        <section id="error" data-status=error.status() class="max-w-xl mx-auto mt-12 rounded-xl border border-slate-200 bg-white p-8 shadow-sm">
            <h1 class="text-xl font-semibold mb-2">{error.title()}</h1>
            <p class="text-slate-700 mb-6">{error.to_string()}</p>
            <a href=href class="inline-block rounded-md bg-indigo-600 px-4 py-2 text-white text-sm font-medium">{label}</a>
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
            <a id=id href=href class="tile block rounded-xl border border-slate-200 bg-white p-5 shadow-sm hover:border-indigo-400 hover:shadow">
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

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("Olivia Owner"), "OO");
        assert_eq!(initials("mia"), "M");
    }
}

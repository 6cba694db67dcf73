//! The frame of every page (sandbox banner, partner-mode banner, header with the user menu)
//! and the admin sidebar.

mod api;
mod sidebar;

pub use api::*;
pub use sidebar::{AdminSection, AdminSidebar};

use leptos::prelude::*;
use leptos_meta::{Style, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_location;

use wire::branding::ThemeView;
use wire::tenants::SessionInfo;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let info = Resource::new(|| (), |_| get_session_info());
    // The theme of the tenant in the path, read on the server before the first byte (the
    // routes render with `SsrMode::Async`), so the page never shows the default colours first.
    let location = use_location();
    let theme_key = Memo::new(move |_| {
        let path = location.pathname.get();
        match api::admin_tenant_of(&path) {
            Some(slug) => format!("/admin/{slug}"),
            None if path == "/" || path == "/profile" => path,
            None => String::new(),
        }
    });
    let theme = Resource::new(
        move || theme_key.get(),
        |key| async move {
            if key.is_empty() {
                ThemeView::dezky()
            } else {
                get_theme(key).await.unwrap_or_else(|_| ThemeView::dezky())
            }
        },
    );
    // `data-hydrated` turns "true" in the browser once the whole page, the lazily loaded
    // route included, has hydrated (set by the hydrate entry, `frontend`).
    view! {
        <div
            id="app"
            data-hydrated="false"
            class="min-h-screen flex flex-col"
        >
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let theme = theme.await;
                    let info = info.await.unwrap_or(SessionInfo { me: None, sandbox: false, partner_mode: false });
                    let (css, title) = (theme.css(), format!("{} console", theme.product_name));
                    view! {
                        <Style id="theme">{css}</Style>
                        <Title text=title/>
                        <Header info theme/>
                    }
                })}
            </Suspense>
            <SessionBanner/>
            <main class="flex-1 w-full max-w-6xl mx-auto px-4 py-6">{children()}</main>
        </div>
    }
}

/// What a waiting call needs from the person (`crate::resilient`): to sign in again after the
/// session ended, or to try again when the console could not be reached. Always in the page
/// (hidden when nothing waits), so screen readers hear it appear.
#[component]
fn SessionBanner() -> impl IntoView {
    use crate::resilient::{Waiting, SIGN_IN_URL};
    #[cfg(feature = "hydrate")]
    let waiting: Signal<Waiting> = crate::resilient::waiting().into();
    #[cfg(not(feature = "hydrate"))]
    let waiting: Signal<Waiting> = Signal::from(Waiting::Nothing);
    let reopen = move |_| {
        #[cfg(feature = "hydrate")]
        crate::resilient::open_sign_in();
    };
    let cancel = move |_| {
        #[cfg(feature = "hydrate")]
        crate::resilient::give_up();
    };
    let again = move |_| {
        #[cfg(feature = "hydrate")]
        crate::resilient::try_again();
    };
    let button =
        "rounded-md border border-slate-400 bg-white px-3 py-1 text-sm font-medium text-slate-900";
    view! {
        <div id="session-banner" role="alert" data-waiting=move || match waiting.get() {
                Waiting::Nothing => "nothing",
                Waiting::SignIn { .. } => "sign-in",
                Waiting::Unreachable => "unreachable",
            }
            class="sticky top-0 z-50 bg-sky-100 text-sky-950 text-sm px-4 py-2 flex flex-wrap items-center justify-center gap-3"
            class:hidden=move || waiting.get() == Waiting::Nothing>
            {move || match waiting.get() {
                Waiting::Nothing => ().into_any(),
                Waiting::SignIn { window_opened: true } => view! {
                    <span>"Your session has ended. Sign in in the window that opened: what you typed stays here and is sent when you are back."</span>
                    <button id="session-reopen" type="button" class=button on:click=reopen>"Open the sign-in window again"</button>
                    <button id="session-cancel" type="button" class=button on:click=cancel>"Cancel"</button>
                }.into_any(),
                Waiting::SignIn { window_opened: false } => view! {
                    <span>"Your session has ended. Sign in to carry on: what you typed stays here and is sent when you are back."</span>
                    <a id="session-sign-in" href=SIGN_IN_URL target="_blank" class=button>"Sign in (opens a new tab)"</a>
                    <button id="session-cancel" type="button" class=button on:click=cancel>"Cancel"</button>
                }.into_any(),
                Waiting::Unreachable => view! {
                    <span>"The console could not be reached (offline, or no answer). What you typed is kept."</span>
                    <button id="session-try-again" type="button" class=button on:click=again>"Try again"</button>
                    <button id="session-give-up" type="button" class=button on:click=cancel>"Give up"</button>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn Header(info: SessionInfo, theme: ThemeView) -> impl IntoView {
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
                "Sandbox: this console runs against local stand-ins for Authentik, Stalwart and OCIS, and Stripe in test mode (localstripe). Nothing real is being provisioned or charged."
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
                <A href="/" attr:class="flex items-center gap-2 font-bold text-lg text-accent" attr:id="brand">
                    {theme.logo_url.clone().map(|src| view! { <img id="brand-logo" src=src alt="" class="h-8 w-auto max-w-32 object-contain"/> })}
                    <span id="product-name">{theme.product_name.clone()}</span>
                </A>
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
                                <span class="inline-flex h-7 w-7 items-center justify-center rounded-full bg-accent text-on-accent text-xs font-semibold">
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
                                <p class="text-xs text-slate-500 mb-3">
                                    {me.email.clone()}
                                    {(!me.email_verified).then(|| view! {
                                        <span id="email-unverified" class="ml-1 rounded bg-amber-100 px-1 text-amber-800" title="Your identity provider has not confirmed this address">"unverified"</span>
                                    })}
                                </p>
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
                        <a href="/login" class="text-sm font-medium text-accent">"Sign in"</a>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_two_words() {
        assert_eq!(initials("Olivia Owner"), "OO");
        assert_eq!(initials("mia"), "M");
    }
}

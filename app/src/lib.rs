//! The console's pages, components and server functions (Leptos 0.8, SSR + hydration).
//!
//! One folder per area (`frame`, `home`, `dashboard`, `partner`, `domains`, `members`,
//! `security`, `audit`, `sso_apps`, `storage`, `billing`, `branding`): the
//! pages in `mod.rs`, their server functions in `api.rs`. Server functions are thin: who is
//! asking (`call`), may they, call one platform service, `?` maps its error (`error`).
//! `platform` is only linked with the `ssr` feature, so none of it reaches the wasm bundle.

#![recursion_limit = "256"]

pub mod audit;
pub mod billing;
pub mod branding;
#[cfg(feature = "ssr")]
pub mod call;
pub mod components;
pub mod dashboard;
pub mod dialog;
pub mod domains;
pub mod error;
pub mod frame;
pub mod home;
pub mod members;
pub mod partner;
pub mod resilient;
pub mod security;
pub mod sso_apps;
pub mod storage;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

use audit::AuditPage;
use billing::BillingPage;
use branding::BrandingPage;
use dashboard::{AdminDashboard, AdminHome};
use domains::{DomainPage, DomainsPage};
use frame::Layout;
use home::{Home, NotFound, ProfilePage, SignedInPage, SignedOutPage};
use members::MembersPage;
use partner::PartnerHome;
use security::{MfaPage, SecurityPage};
use sso_apps::SsoAppsPage;
use storage::StoragePage;

/// The HTML document around the app (rendered on the server only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    components::send_content_security_policy();
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                // A page restored from the back/forward cache after sign-out must not show
                // private data: reload it so the server decides again.
                <script nonce=nonce>
                    "window.addEventListener('pageshow',function(e){if(e.persisted){location.reload();}});"
                </script>
                <MetaTags/>
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

/// A page whose code is its own wasm chunk (Leptos 0.8 lazy routes, `cargo leptos build
/// --split`): the router loads it when the route is first entered, and hydration waits for it.
/// The server renders the page as before and preloads the chunk from
/// `pkg/__wasm_split_manifest.json`. `$route` is the route type, `$page` the page component.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[doc = concat!("The lazily loaded route of [`", stringify!($page), "`].")]
        #[derive(Debug, Clone, Copy)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page/> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    HomeRoute => Home,
    ProfileRoute => ProfilePage,
    AdminHomeRoute => AdminHome,
    DashboardRoute => AdminDashboard,
    MembersRoute => MembersPage,
    DomainsRoute => DomainsPage,
    DomainRoute => DomainPage,
    SsoAppsRoute => SsoAppsPage,
    SecurityRoute => SecurityPage,
    MfaRoute => MfaPage,
    AuditRoute => AuditPage,
    StorageRoute => StoragePage,
    BillingRoute => BillingPage,
    BrandingRoute => BrandingPage,
    PartnerRoute => PartnerHome,
}

/// The console: the frame and one route per page. Every page but the sign-in and sign-out
/// landing pages and "not found" is a lazy route, so the first chunk holds the frame, the
/// router and the runtime, and each page's code arrives with the page.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/dezky.css"/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view={Lazy::<HomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view={Lazy::<ProfileRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<AdminHomeRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/members") view={Lazy::<MembersRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/domains") view={Lazy::<DomainsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/domains/:domain") view={Lazy::<DomainRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/apps") view={Lazy::<SsoAppsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/security") view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/mfa") view={Lazy::<MfaRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/storage") view={Lazy::<StorageRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/billing") view={Lazy::<BillingRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin/:tenant/branding") view={Lazy::<BrandingRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/partner") view={Lazy::<PartnerRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/signed-out") view=SignedOutPage/>
                    <Route path=path!("/signed-in") view=SignedInPage ssr=SsrMode::Async/>
                </Routes>
            </Layout>
        </Router>
    }
}

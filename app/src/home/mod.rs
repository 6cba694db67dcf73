//! The pages of everyone: the app launcher, the profile, the signed-out page, not found.

mod api;

pub use api::*;

use leptos::prelude::*;

use crate::components::{ErrorView, Tile};
use crate::error::AppError;
use crate::frame::get_session_info;

/// The app launcher: Personal tiles for everyone, Admin tiles for admins, the partner view
/// for partner staff.
#[component]
pub fn Home() -> impl IntoView {
    // Its own resource: awaiting the frame's resource from a second Suspense can stall SSR.
    let info = Resource::new(|| (), |_| get_session_info());
    let tiles = Resource::new(|| (), |_| crate::sso_apps::get_launch_tiles());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let info = match info.await {
                    Ok(i) => i,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                let Some(me) = info.me else {
                    return view! { <ErrorView error=AppError::unauthenticated()/> }.into_any();
                };
                let admin_tiles = me.tenants.iter().filter(|t| t.role.is_admin()).map(|t| view! {
                    <Tile
                        id=format!("admin-tile-{}", t.slug)
                        title=format!("Admin console — {}", t.name)
                        description=format!("Manage the {} workspace as {}.", t.name, t.role)
                        href=format!("/admin/{}", t.slug)
                    />
                }).collect_view();
                let has_admin = me.tenants.iter().any(|t| t.role.is_admin());
                let workspaces = me.tenants.iter().map(|t| format!("{} ({})", t.name, t.role)).collect::<Vec<_>>().join(", ");
                view! {
                    <h1 id="welcome" class="text-2xl font-semibold mb-1">{format!("Welcome, {}", me.name)}</h1>
                    <p class="text-slate-600 mb-6">
                        {if workspaces.is_empty() { "You are not a member of any workspace yet.".to_string() } else { format!("Your workspaces: {workspaces}") }}
                    </p>
                    <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500 mb-3">"Personal"</h2>
                    <div id="personal-tiles" class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 mb-8">
                        <Tile id="tile-profile" title="My profile" description="Your name, address and what your identity provider knows about you." href="/profile"/>
                        <Tile id="tile-mail" title="Mail" description="Not available yet: webmail arrives with mailboxes."/>
                        <Tile id="tile-files" title="Files" description="Not available yet: your file space arrives with storage."/>
                    </div>
                    {has_admin.then(|| view! {
                        <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500 mb-3">"Admin"</h2>
                        <div id="admin-tiles" class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 mb-8">{admin_tiles}</div>
                    })}
                    <AppTiles tiles/>
                    {me.partner.map(|p| view! {
                        <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500 mb-3">"Partner"</h2>
                        <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                            <Tile id="tile-partner" title=format!("Partner view — {}", p.name) description="The workspaces your organisation looks after." href="/partner"/>
                        </div>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// The workspace's SSO apps that have a launch URL, in their own boundary.
#[component]
fn AppTiles(tiles: Resource<Result<Vec<wire::sso_apps::LaunchTile>, AppError>>) -> impl IntoView {
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let tiles = tiles.await.unwrap_or_default();
                (!tiles.is_empty()).then(|| view! {
                    <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500 mb-3">"Apps"</h2>
                    <div id="app-tiles" class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3 mb-8">
                        {tiles.into_iter().map(|t| view! {
                            <Tile title=t.name.clone() description=format!("Open {} (signs in with your workspace account).", t.url) href=t.url/>
                        }).collect_view()}
                    </div>
                })
            })}
        </Suspense>
    }
}

/// `/admin`: the first workspace the person administers.

#[component]
pub fn ProfilePage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_profile());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! {
                        <h1 class="text-2xl font-semibold mb-4">"My profile"</h1>
                        <dl class="grid grid-cols-[10rem_1fr] gap-2 mb-6">
                            <dt class="text-slate-500">"Name"</dt><dd id="profile-name">{p.name}</dd>
                            <dt class="text-slate-500">"Email"</dt><dd id="profile-email">{p.email}</dd>
                        </dl>
                        <h2 class="text-lg font-semibold mb-2">"Workspaces"</h2>
                        <ul id="profile-tenants" class="mb-6 text-sm">
                            {p.tenants.into_iter().map(|t| view! {
                                <li data-tenant=t.slug.clone() data-role=t.role.as_str()>
                                    {t.name.clone()}" — "<span class="profile-role font-medium">{t.role.as_str()}</span>
                                    {t.role.is_admin().then(|| view! { <a class="ml-2 text-accent underline" href=format!("/admin/{}", t.slug)>"Admin console"</a> })}
                                </li>
                            }).collect_view()}
                        </ul>
                        <h2 class="text-lg font-semibold mb-2">"What the identity provider returns"</h2>
                        <table id="idp-claims" class="text-sm bg-white border border-slate-200">
                            <tbody>
                                {p.idp_claims.into_iter().map(|(k, v)| view! {
                                    <tr class="border-t border-slate-100"><td class="p-2 font-mono">{k}</td><td class="p-2">{v}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SignedOutPage() -> impl IntoView {
    view! {
        <section id="signed-out" class="max-w-xl mx-auto mt-12 rounded-xl border border-slate-200 bg-white p-8">
            <h1 class="text-xl font-semibold mb-2">"You have signed out"</h1>
            <p class="text-slate-700 mb-6">"Your Dezky session has ended and the identity provider has been told."</p>
            <a href="/login" class="inline-block rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium">"Sign in again"</a>
        </section>
    }
}

/// Where the sign-in window lands after a session ended mid-work (`crate::resilient`): it
/// tells the console's other tabs on the session channel, so their waiting calls go on, and
/// closes itself.
#[component]
pub fn SignedInPage() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Ok(channel) = web_sys::BroadcastChannel::new(crate::resilient::SESSION_CHANNEL) {
            let _ = channel.post_message(&wasm_bindgen::JsValue::from_str("signed-in"));
            // Closed with the window, once the message has left: closing at once can drop it.
            set_timeout(
                move || {
                    channel.close();
                    // Scripts may close only windows a script opened: a tab the person
                    // opened stays.
                    let _ = window().close();
                },
                std::time::Duration::from_millis(500),
            );
        }
    });
    view! {
        <section id="signed-in" class="max-w-xl mx-auto mt-12 rounded-xl border border-slate-200 bg-white p-8">
            <h1 class="text-xl font-semibold mb-2">"You are signed in again"</h1>
            <p class="text-slate-700">"Your page carries on where it stopped. This window closes by itself; if it stays, close it and go back to your page."</p>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <ErrorView error=AppError::new(crate::error::ErrorClass::NotFound, "not_found", "There is no page at this address.")/>
    }
}

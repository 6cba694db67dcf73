//! The pages. Each one loads its data through a server function and shows either the data
//! or an `ErrorView` with the right status code.

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

use crate::api::{
    enter_partner_mode, get_admin_dashboard, get_admin_home, get_partner_overview, get_profile,
    get_session_info,
};
use crate::components::{format_time, ErrorView, Tile};
use crate::domains::AdminNav;
use crate::error::AppError;
use crate::model::PartnerTenantView;
use crate::provisioning::{CreateTenantWizard, ProvisioningCard, StateChip};

/// The app launcher: Personal tiles for everyone, Admin tiles for admins, the partner view
/// for partner staff.
#[component]
pub fn Home() -> impl IntoView {
    // Its own resource: awaiting the frame's resource from a second Suspense can stall SSR.
    let info = Resource::new(|| (), |_| get_session_info());
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let info = match info.await {
                    Ok(i) => i,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                let Some(me) = info.me else {
                    return view! { <ErrorView error=AppError::Unauthenticated/> }.into_any();
                };
                let admin_tiles = me.tenants.iter().filter(|t| t.is_admin).map(|t| view! {
                    <Tile
                        id=format!("admin-tile-{}", t.slug)
                        title=format!("Admin console — {}", t.name)
                        description=format!("Manage the {} workspace as {}.", t.name, t.role)
                        href=format!("/admin/{}", t.slug)
                    />
                }).collect_view();
                let has_admin = me.tenants.iter().any(|t| t.is_admin);
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
                    {me.partner.map(|p| view! {
                        <h2 class="text-sm font-semibold uppercase tracking-wide text-slate-500 mb-3">"Partner"</h2>
                        <div class="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
                            <Tile id="tile-partner" title=format!("Partner view — {p}") description="The workspaces your organisation looks after." href="/partner"/>
                        </div>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// `/admin`: the first workspace the person administers.
#[component]
pub fn AdminHome() -> impl IntoView {
    let target = Resource::new(|| (), |_| get_admin_home());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match target.await {
                    Ok(slug) => {
                        let path = format!("/admin/{slug}");
                        #[cfg(feature = "ssr")]
                        crate::components::ssr_redirect(&path);
                        view! { <Redirect path/> }.into_any()
                    }
                    Err(e) => view! { <ErrorView error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminDashboard() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let data = Resource::new(tenant, get_admin_dashboard);
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                let events = d.recent_audit.clone();
                view! {
                    <div class="flex gap-6">
                        <AdminNav tenant=d.tenant_slug.clone() tenant_name=d.tenant_name.clone() current="dashboard"/>
                        <div class="flex-1">
                            <h1 id="dashboard-title" class="text-2xl font-semibold">{format!("{} — Admin dashboard", d.tenant_name)}</h1>
                            <p id="dashboard-viewer" class="text-slate-600 mb-6">
                                {format!("Signed in as {}", d.viewer_name)}
                                {match (&d.viewer_role, d.via_partner) {
                                    (_, true) => " (partner staff)".to_string(),
                                    (Some(r), false) => format!(" ({r})"),
                                    (None, false) => String::new(),
                                }}
                            </p>
                            <div class="grid gap-4 sm:grid-cols-2 mb-8">
                                <div class="rounded-xl border border-slate-200 bg-white p-5">
                                    <p class="text-sm text-slate-500">"Seats used"</p>
                                    <p id="seats-used" class="text-3xl font-semibold">{d.seats_used}</p>
                                </div>
                                <div class="rounded-xl border border-slate-200 bg-white p-5">
                                    <p class="text-sm text-slate-500">"Workspace status"</p>
                                    <p id="tenant-status" class="text-3xl font-semibold capitalize">{d.tenant_status.clone()}</p>
                                </div>
                            </div>
                            <ProvisioningCard tenant=d.tenant_slug.clone() steps=d.steps.clone()/>
                            <h2 class="text-lg font-semibold mb-2">"Recent activity"</h2>
                            {if events.is_empty() {
                                view! { <p class="text-slate-500">"No recorded activity yet."</p> }.into_any()
                            } else {
                                view! {
                                    <table id="recent-audit" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                                        <thead class="text-left text-slate-500"><tr>
                                            <th class="p-2">"Time"</th><th class="p-2">"Actor"</th><th class="p-2">"Action"</th><th class="p-2">"Target"</th><th class="p-2">"Outcome"</th>
                                        </tr></thead>
                                        <tbody>
                                            {events.into_iter().map(|e| view! {
                                                <tr class="border-t border-slate-100">
                                                    <td class="p-2 whitespace-nowrap">{format_time(e.at_ms)}</td>
                                                    <td class="p-2">{e.actor}{e.as_partner.then_some(" (partner)")}</td>
                                                    <td class="p-2 font-mono">{e.action}</td>
                                                    <td class="p-2">{e.target}</td>
                                                    <td class="p-2">{e.outcome}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </div>
                    </div>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn PartnerHome() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_partner_overview());
    let opening = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new("name".to_string());
    let open = move |slug: String| {
        opening.set(Some(slug.clone()));
        leptos::task::spawn_local(async move {
            match enter_partner_mode(slug).await {
                Ok(path) => {
                    let _ = window().location().set_href(&path);
                }
                Err(e) => {
                    failure.set(Some(e.to_string()));
                    opening.set(None);
                }
            }
        });
    };
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                // The list refreshes in place (not through the resource, which would
                // rebuild the wizard that is still showing its progress).
                let list = RwSignal::new(d.tenants.clone());
                let refresh = move || {
                    leptos::task::spawn_local(async move {
                        if let Ok(fresh) = get_partner_overview().await {
                            list.set(fresh.tenants);
                        }
                    })
                };
                let rows = move || {
                    let needle = search.get().trim().to_lowercase();
                    let mut rows: Vec<PartnerTenantView> = list
                        .get()
                        .iter()
                        .filter(|t| needle.is_empty() || t.name.to_lowercase().contains(&needle) || t.slug.contains(&needle))
                        .cloned()
                        .collect();
                    match sort.get().as_str() {
                        "status" => rows.sort_by(|a, b| (&a.status, &a.name).cmp(&(&b.status, &b.name))),
                        "attention" => rows.sort_by(|a, b| b.attention.cmp(&a.attention).then(a.name.cmp(&b.name))),
                        _ => rows.sort_by_key(|t| t.name.to_lowercase()),
                    }
                    rows
                };
                view! {
                    <h1 class="text-2xl font-semibold mb-1">{format!("Partner view — {}", d.partner_name)}</h1>
                    <p class="text-slate-600 mb-6">"The workspaces your organisation looks after."</p>
                    <CreateTenantWizard on_settled=refresh/>
                    {move || failure.get().map(|m| view! { <p role="alert" class="text-red-700 mb-4">{m}</p> })}
                    <div class="flex gap-3 mb-3">
                        <input id="tenant-search" type="search" placeholder="Search by name or slug" class="rounded-md border border-slate-300 px-2 py-1.5 text-sm w-64"
                            prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
                        <select id="tenant-sort" class="rounded-md border border-slate-300 px-2 py-1.5 text-sm" on:change=move |ev| sort.set(event_target_value(&ev))>
                            <option value="name">"Sort by name"</option>
                            <option value="status">"Sort by status"</option>
                            <option value="attention">"Needs attention first"</option>
                        </select>
                    </div>
                    <table id="partner-tenants" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                        <thead class="text-left text-slate-500"><tr>
                            <th class="p-2">"Workspace"</th><th class="p-2">"Status"</th><th class="p-2">"Provisioning"</th>
                            <th class="p-2">"Seats used"</th><th class="p-2">"Needs attention"</th><th class="p-2"></th>
                        </tr></thead>
                        <tbody>
                            <For each=rows key=|t| t.slug.clone() let:t>
                                {
                                    let slug = t.slug.clone();
                                    let busy = { let slug = slug.clone(); Signal::derive(move || opening.get().as_deref() == Some(slug.as_str())) };
                                    view! {
                                        <tr class="border-t border-slate-100" data-slug=t.slug.clone()>
                                            <td class="p-2"><span class="font-medium">{t.name.clone()}</span><br/><span class="text-xs text-slate-500 font-mono">{t.slug.clone()}</span></td>
                                            <td class="p-2 capitalize tenant-status">{t.status.clone()}</td>
                                            <td class="p-2">
                                                <div class="flex flex-wrap gap-1">
                                                    {t.steps.iter().map(|s| view! {
                                                        <span title=s.message.clone() class="text-xs">{s.upstream.clone()}" "<StateChip state=s.state.clone()/></span>
                                                    }).collect_view()}
                                                </div>
                                            </td>
                                            <td class="p-2 seats">{t.seats_used}</td>
                                            <td class="p-2 attention">{t.attention}</td>
                                            <td class="p-2 text-right">
                                                <button
                                                    id=format!("open-{}", t.slug)
                                                    class="rounded-md bg-indigo-600 px-3 py-1 text-white"
                                                    disabled=busy
                                                    on:click={ let slug = slug.clone(); move |_| open(slug.clone()) }
                                                >
                                                    {move || if busy.get() { "Opening…" } else { "Open" }}
                                                </button>
                                            </td>
                                        </tr>
                                    }
                                }
                            </For>
                        </tbody>
                    </table>
                }.into_any()
            })}
        </Suspense>
    }
}

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
                                <li data-tenant=t.slug.clone() data-role=t.role.clone()>
                                    {t.name.clone()}" — "<span class="profile-role font-medium">{t.role.clone()}</span>
                                    {t.is_admin.then(|| view! { <a class="ml-2 text-indigo-700 underline" href=format!("/admin/{}", t.slug)>"Admin console"</a> })}
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
            <a href="/login" class="inline-block rounded-md bg-indigo-600 px-4 py-2 text-white text-sm font-medium">"Sign in again"</a>
        </section>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <ErrorView error=AppError::NotFound { message: "There is no page at this address.".into() }/>
    }
}

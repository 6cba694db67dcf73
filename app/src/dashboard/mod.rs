//! `/admin` (the first workspace the person administers) and a tenant's admin dashboard.

mod api;

pub use api::*;

use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_params_map;

use crate::components::{format_time, ErrorView, StepList};
use crate::frame::{AdminSection, AdminSidebar};
use wire::steps::StepStatus;

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
        <div class="flex gap-6">
        <AdminSidebar current=AdminSection::Dashboard/>
        <div class="flex-1 min-w-0">
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                let events = d.recent_audit.clone();
                view! {
                        <div>
                            <h1 id="dashboard-title" class="text-2xl font-semibold">{format!("{} — Admin dashboard", d.tenant.name)}</h1>
                            <p id="dashboard-viewer" class="text-slate-600 mb-6">
                                {format!("Signed in as {}", d.viewer_name)}
                                {match (&d.viewer_role, d.via_partner) {
                                    (_, true) => " (partner staff)".to_string(),
                                    (Some(r), false) => format!(" ({})", r.as_str()),
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
                                    <p id="tenant-status" class="text-3xl font-semibold capitalize">{d.tenant.status.as_str()}</p>
                                </div>
                            </div>
                            <crate::billing::BillingSummary tenant=d.tenant.slug.clone()/>
                            <ProvisioningCard tenant=d.tenant.slug.clone() steps=d.steps.clone()/>
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
                                                    <td class="p-2 whitespace-nowrap">{format_time(e.created_at)}</td>
                                                    <td class="p-2">{e.actor_email.unwrap_or_else(|| "system".into())}{e.actor_partner_staff.then_some(" (partner)")}</td>
                                                    <td class="p-2 font-mono">{e.action}</td>
                                                    <td class="p-2">{e.target}</td>
                                                    <td class="p-2">{e.outcome.as_str()}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        </div>
                }.into_any()
            })}
        </Suspense>
        </div>
        </div>
    }
}

/// The dashboard's provisioning card with the Reconcile button.
#[component]
pub fn ProvisioningCard(tenant: String, steps: Vec<StepStatus>) -> impl IntoView {
    let steps = RwSignal::new(steps);
    let running = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let reconcile = move |_| {
        running.set(true);
        error.set(None);
        let tenant = tenant.clone();
        leptos::task::spawn_local(async move {
            match reconcile_tenant(tenant).await {
                Ok(s) => steps.set(s),
                Err(e) => error.set(Some(e.message())),
            }
            running.set(false);
        });
    };
    view! {
        <section id="provisioning" class="mb-8">
            <div class="flex items-center justify-between mb-2">
                <h2 class="text-lg font-semibold">"Provisioning"</h2>
                <button id="reconcile" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm disabled:opacity-50"
                    on:click=reconcile disabled=move || running.get()>
                    {move || if running.get() { "Reconciling…" } else { "Reconcile" }}
                </button>
            </div>
            {move || error.get().map(|m| view! { <p role="alert" class="text-sm text-red-700 mb-2">{m}</p> })}
            {move || view! { <StepList steps=steps.get()/> }}
        </section>
    }
}

//! The partner view: the workspaces a partner looks after (search, sort, per-upstream chips,
//! seats, attention), opening one in partner mode, and creating a workspace with its
//! provisioning followed step by step.

mod api;

pub use api::*;

use leptos::prelude::*;

use crate::components::{pager, ErrorView, Pages, StateChip, StepList};
use wire::tenants::{PartnerSort, PartnerTenantView, TenantProvisioning};

#[component]
pub fn PartnerHome() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new(PartnerSort::Name);
    // The cursors of the pages before the one shown (the first page has none).
    let pages = RwSignal::new(Vec::<String>::new());
    let data = Resource::new(
        move || {
            (
                version.get(),
                search.get(),
                sort.get(),
                pages.get().last().cloned(),
            )
        },
        |(_, q, sort, cursor)| {
            get_partner_overview(
                Some(q).filter(|q| !q.trim().is_empty()),
                Some(sort.as_str().to_string()),
                cursor,
            )
        },
    );
    let opening = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    // The page refreshes in place once a workspace is created; the wizard, outside the
    // list, keeps showing its progress.
    let refresh = move || version.update(|v| *v += 1);
    let open = move |slug: String| {
        opening.set(Some(slug.clone()));
        leptos::task::spawn_local(async move {
            match enter_partner_mode(slug).await {
                Ok(path) => {
                    let _ = window().location().set_href(&path);
                }
                Err(e) => {
                    failure.set(Some(e.message()));
                    opening.set(None);
                }
            }
        });
    };
    view! {
        <Transition fallback=|| view! { <h1 class="text-2xl font-semibold mb-1">"Partner view"</h1> }>
            {move || Suspend::new(async move {
                let name = data.await.map(|d| format!("Partner view — {}", d.partner_name)).unwrap_or_else(|_| "Partner view".into());
                view! { <h1 class="text-2xl font-semibold mb-1">{name}</h1> }
            })}
        </Transition>
        <p class="text-slate-600 mb-6">"The workspaces your organisation looks after."</p>
        <CreateTenantWizard on_settled=refresh/>
        {move || failure.get().map(|m| view! { <p role="alert" class="text-red-700 mb-4">{m}</p> })}
        <div class="flex gap-3 mb-3">
            <input id="tenant-search" type="search" aria-label="Search workspaces" placeholder="Search by name or slug" class="rounded-md border border-slate-300 px-2 py-1.5 text-sm w-64"
                prop:value=move || search.get() on:input=move |ev| { pages.set(Vec::new()); search.set(event_target_value(&ev)); }/>
            <select id="tenant-sort" aria-label="Sort workspaces" class="rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                on:change=move |ev| { pages.set(Vec::new()); sort.set(PartnerSort::parse(&event_target_value(&ev)).unwrap_or_default()); }>
                <option value="name">"Sort by name"</option>
                <option value="status">"Sort by status"</option>
                <option value="attention">"Needs attention first"</option>
            </select>
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let d = match data.await {
                    Ok(d) => d,
                    Err(e) => return view! { <ErrorView error=e/> }.into_any(),
                };
                let page_number = pages.get_untracked().len() + 1;
                let shown = d.tenants.len();
                view! {
                    <table id="partner-tenants" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                        <thead class="text-left text-slate-500"><tr>
                            <th class="p-2">"Workspace"</th><th class="p-2">"Status"</th><th class="p-2">"Provisioning"</th>
                            <th class="p-2">"Seats used"</th><th class="p-2">"Needs attention"</th><th class="p-2"></th>
                        </tr></thead>
                        <tbody>
                            {d.tenants.into_iter().map(|t| tenant_row(t, opening, open)).collect_view()}
                        </tbody>
                    </table>
                    {pager(Pages { id: "tenants", label: "Workspace pages", noun: ("workspace", "workspaces") }, page_number, shown, d.total, d.next_cursor, pages)}
                }.into_any()
            })}
        </Transition>
    }
}

/// One workspace of the partner view: name and slug, status, a chip per upstream step, seats,
/// what needs attention (with chips for mail domains and payment) and the button that opens it
/// in partner mode.
fn tenant_row(
    t: PartnerTenantView,
    opening: RwSignal<Option<String>>,
    open: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let slug = t.tenant.slug.clone();
    let busy = {
        let slug = slug.clone();
        Signal::derive(move || opening.get().as_deref() == Some(slug.as_str()))
    };
    view! {
        <tr class="border-t border-slate-100" data-slug=t.tenant.slug.clone()>
            <td class="p-2"><span class="font-medium">{t.tenant.name.clone()}</span><br/><span class="text-xs text-slate-500 font-mono">{t.tenant.slug.clone()}</span></td>
            <td class="p-2 capitalize tenant-status">{t.tenant.status.as_str()}</td>
            <td class="p-2">
                <div class="flex flex-wrap gap-1">
                    {t.steps.iter().map(|s| view! {
                        <span title=s.message.clone() class="text-xs">{s.upstream.clone()}" "<StateChip state=s.state.as_str()/></span>
                    }).collect_view()}
                </div>
            </td>
            <td class="p-2 seats">{t.seats_used}</td>
            <td class="p-2 attention">
                {t.attention}
                {(t.domains_attention > 0).then(|| view! {
                    <span class="domains-chip ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900" title="Verified mail domains that lost a DNS record">
                        {format!("{} domain{}", t.domains_attention, if t.domains_attention == 1 { "" } else { "s" })}
                    </span>
                })}
                {t.billing_state.filter(|s| s.behind_on_payment()).map(|s| view! {
                    <span class="billing-chip ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-800" title="Behind on payment: Stripe could not collect the last invoice">{s.label()}</span>
                })}
            </td>
            <td class="p-2 text-right">
                <button
                    id=format!("open-{}", t.tenant.slug)
                    class="rounded-md bg-accent px-3 py-1 text-on-accent"
                    disabled=busy
                    on:click=move |_| open(slug.clone())
                >
                    {move || if busy.get() { "Opening…" } else { "Open" }}
                </button>
            </td>
        </tr>
    }
}

/// Shows a tenant's provisioning steps as they run, while `running` (the creation call is
/// under way). Before the tenant exists the lookup fails; that is not an error here.
fn follow(slug: String, progress: RwSignal<Option<TenantProvisioning>>, running: RwSignal<bool>) {
    leptos::task::spawn_local(async move {
        if !running.get_untracked() {
            return;
        }
        if let Ok(view) = get_tenant_provisioning(slug.clone()).await {
            // The creation's own answer is final: a late poll must not replace it.
            if running.get_untracked() {
                progress.set(Some(view));
            }
        }
        set_timeout(
            move || follow(slug, progress, running),
            std::time::Duration::from_millis(300),
        );
    });
}

/// Suggests a slug from a workspace name: lowercase letters, digits and hyphens.
pub fn suggest_slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

/// `on_settled` runs once the new tenant's steps have all run (the list refreshes).
#[component]
pub fn CreateTenantWizard(#[prop(into)] on_settled: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let slug = RwSignal::new(String::new());
    let slug_touched = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let progress = RwSignal::new(None::<TenantProvisioning>);
    let running = RwSignal::new(false);
    let plan = RwSignal::new(String::new());
    let plans = Resource::new(|| (), |_| get_plan_catalogue());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        progress.set(None);
        let (n, s) = (name.get_untracked(), slug.get_untracked());
        let p = Some(plan.get_untracked()).filter(|p| !p.is_empty());
        running.set(true);
        follow(s.clone(), progress, running);
        leptos::task::spawn_local(async move {
            let result = create_tenant(n, s, p).await;
            running.set(false);
            match result {
                Ok(done) => {
                    progress.set(Some(done));
                    on_settled.run(());
                }
                Err(e) => {
                    progress.set(None);
                    error.set(Some((e.field().map(String::from), e.message())));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <section id="create-tenant" class="rounded-xl border border-slate-200 bg-white p-5 mb-8">
            <h2 class="text-lg font-semibold mb-3">"New workspace"</h2>
            <form class="flex flex-wrap items-end gap-3" on:submit=submit>
                <label class="flex flex-col text-sm">"Name"
                    <input id="tenant-name" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" required
                        prop:value=move || name.get()
                        on:input=move |ev| {
                            let v = event_target_value(&ev);
                            if !slug_touched.get_untracked() { slug.set(suggest_slug(&v)); }
                            name.set(v);
                        }/>
                </label>
                <label class="flex flex-col text-sm">"Slug (in addresses and upstream names)"
                    <input id="tenant-slug" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5 font-mono" required
                        prop:value=move || slug.get()
                        on:input=move |ev| { slug_touched.set(true); slug.set(event_target_value(&ev)); }/>
                </label>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let list = plans.await.unwrap_or_default();
                        (!list.is_empty()).then(|| view! {
                            <label class="flex flex-col text-sm">"Plan (Stripe)"
                                <select id="tenant-plan" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" on:change=move |ev| plan.set(event_target_value(&ev))>
                                    <option value="">"Choose later"</option>
                                    {list.into_iter().map(|p| {
                                        let label = format!("{} ({} per seat / {})", p.name, p.per_seat.map(|m| m.display).unwrap_or_else(|| "tiered".into()), p.interval);
                                        view! { <option value=p.id>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        })
                    })}
                </Suspense>
                <button id="create-tenant-submit" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create workspace" }}
                </button>
            </form>
            {move || error.get().map(|(field, message)| view! {
                <p id="create-tenant-error" role="alert" data-field=field.unwrap_or_default() class="mt-3 text-sm text-red-700">{message}</p>
            })}
            {move || progress.get().map(|p| {
                let settled = p.settled();
                view! {
                    <div id="provisioning-progress" class="mt-4" data-settled=settled.to_string()>
                        <p class="text-sm mb-2">
                            {format!("Provisioning {} ({}): ", p.tenant.name, p.tenant.slug)}
                            <strong id="provisioning-status">{p.tenant.status.as_str()}</strong>
                        </p>
                        <StepList steps=p.steps.clone()/>
                    </div>
                }
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::suggest_slug;

    #[test]
    fn slugs_are_suggested_from_names() {
        assert_eq!(suggest_slug("Acme GmbH & Co. KG"), "acme-gmbh-co-kg");
        assert_eq!(suggest_slug("  Über Café "), "ber-caf");
        assert_eq!(suggest_slug("---"), "");
    }
}

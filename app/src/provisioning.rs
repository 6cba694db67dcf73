//! Provisioning on the pages: the step list with state chips, the partner's create-tenant
//! wizard that follows each step live, and the admin's Reconcile button.

use leptos::prelude::*;

use crate::api::{create_tenant, get_tenant_provisioning, reconcile_tenant};
use crate::components::format_time;
use crate::model::{ProvisioningView, StepView};

fn upstream_label(u: &str) -> &'static str {
    match u {
        "authentik" => "Authentik (sign-in)",
        "ocis" => "OCIS (files)",
        "stalwart" => "Stalwart (mail)",
        "stripe" => "Stripe (billing)",
        _ => "Upstream",
    }
}

fn chip_class(state: &str) -> &'static str {
    match state {
        "ok" => "bg-emerald-100 text-emerald-800",
        "skipped" | "optional" | "unchecked" => "bg-slate-100 text-slate-700",
        "error" | "mismatch" | "missing" | "duplicate" => "bg-red-100 text-red-800",
        _ => "bg-amber-100 text-amber-800",
    }
}

#[component]
pub fn StateChip(#[prop(into)] state: String) -> impl IntoView {
    let class = format!(
        "inline-block rounded-full px-2 py-0.5 text-xs font-medium {}",
        chip_class(&state)
    );
    let attr = state.clone();
    view! { <span class=class data-state=attr>{state}</span> }
}

#[component]
pub fn StepList(steps: Vec<StepView>) -> impl IntoView {
    view! {
        <ul class="steps divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {steps.into_iter().map(|s| {
                let pending = s.state == "pending";
                view! {
                    <li class="flex items-start gap-3 p-3" data-upstream=s.upstream.clone() data-state=s.state.clone()>
                        <span class="w-44 shrink-0 font-medium">{upstream_label(&s.upstream)}</span>
                        <span class="w-20 shrink-0">
                            {pending.then(|| view! { <span class="spinner inline-block h-3 w-3 mr-1 animate-spin rounded-full border-2 border-amber-500 border-t-transparent" aria-hidden="true"></span> })}
                            <StateChip state=s.state.clone()/>
                        </span>
                        <span class="flex-1 text-sm text-slate-700">{s.message}</span>
                        <span class="text-xs text-slate-400 whitespace-nowrap">{s.last_run_at.map(format_time)}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// Follows a tenant's provisioning until no step is pending.
fn follow(
    slug: String,
    progress: RwSignal<Option<ProvisioningView>>,
    failure: RwSignal<Option<String>>,
    on_settled: Callback<()>,
) {
    leptos::task::spawn_local(async move {
        match get_tenant_provisioning(slug.clone()).await {
            Ok(view) => {
                let settled = view.settled();
                progress.set(Some(view));
                if settled {
                    on_settled.run(());
                } else {
                    set_timeout(
                        move || follow(slug, progress, failure, on_settled),
                        std::time::Duration::from_millis(300),
                    );
                }
            }
            Err(e) => failure.set(Some(e.to_string())),
        }
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
    let progress = RwSignal::new(None::<ProvisioningView>);
    let failure = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        progress.set(None);
        let (n, s) = (name.get_untracked(), slug.get_untracked());
        leptos::task::spawn_local(async move {
            match create_tenant(n, s).await {
                Ok(created) => follow(created, progress, failure, on_settled),
                Err(crate::error::AppError::Invalid { field, message }) => {
                    error.set(Some((field, message)))
                }
                Err(e) => error.set(Some((None, e.to_string()))),
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
                <button id="create-tenant-submit" type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-white text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create workspace" }}
                </button>
            </form>
            {move || error.get().map(|(field, message)| view! {
                <p id="create-tenant-error" role="alert" data-field=field.unwrap_or_default() class="mt-3 text-sm text-red-700">{message}</p>
            })}
            {move || failure.get().map(|m| view! { <p role="alert" class="mt-3 text-sm text-red-700">{m}</p> })}
            {move || progress.get().map(|p| {
                let settled = p.settled();
                view! {
                    <div id="provisioning-progress" class="mt-4" data-settled=settled.to_string()>
                        <p class="text-sm mb-2">
                            {format!("Provisioning {} ({}): ", p.name, p.slug)}
                            <strong id="provisioning-status">{p.status.clone()}</strong>
                        </p>
                        <StepList steps=p.steps.clone()/>
                    </div>
                }
            })}
        </section>
    }
}

/// The dashboard's provisioning card with the Reconcile button.
#[component]
pub fn ProvisioningCard(tenant: String, steps: Vec<StepView>) -> impl IntoView {
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
                Err(e) => error.set(Some(e.to_string())),
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

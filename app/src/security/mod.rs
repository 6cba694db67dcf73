//! The Security page (the tenant's policy, each setting labelled by what enforces it, the
//! lock-out guard) and the MFA page (who has a second factor, filtered by the URL).

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

mod api;

pub use api::*;

use crate::components::{format_time, ErrorView};
use crate::frame::{AdminSection, AdminSidebar};
use wire::security::{
    Enforcement, EnforcementNote, MfaMode, MfaState, NetworkEnforcement, SecurityPolicyView,
};

fn note_for(notes: &[EnforcementNote], setting: &str) -> impl IntoView {
    notes.iter().find(|n| n.setting == setting).map(|n| {
        let (label, class) = match n.enforcement {
            Enforcement::Console => ("Enforced by the console", "bg-emerald-100 text-emerald-800"),
            Enforcement::NotEnforced => ("Not enforced", "bg-amber-100 text-amber-900"),
        };
        view! {
            <p class="enforcement mt-1 text-xs text-slate-600" data-setting=n.setting.clone() data-enforcement=match n.enforcement { Enforcement::Console => "console", Enforcement::NotEnforced => "not_enforced" }>
                <span class=format!("mr-1 rounded px-1.5 py-0.5 font-medium {class}")>{label}</span>
                {n.note.clone()}
            </p>
        }
    })
}

#[component]
pub fn SecurityPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let policy = Resource::new(tenant, get_security_policy);
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Security/>
            <div class="flex-1 max-w-3xl">
                <h1 class="text-2xl font-semibold mb-4">"Security"</h1>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match policy.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(v) => view! { <PolicyForm tenant=tenant() view=v/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

#[component]
fn PolicyForm(tenant: String, view: SecurityPolicyView) -> impl IntoView {
    let p = view.policy.clone();
    let mfa = RwSignal::new(p.mfa_mode.as_str().to_string());
    let idle = RwSignal::new(
        p.idle_timeout_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let absolute = RwSignal::new(
        p.absolute_lifetime_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let countries = RwSignal::new(p.allowed_countries.join(", "));
    let networks = RwSignal::new(p.ip_allowlist.join("\n"));
    let enforcement = RwSignal::new(p.network_enforcement.as_str().to_string());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<(String, Option<String>)>);
    let lockout = RwSignal::new(None::<String>);
    let saved = RwSignal::new(None::<String>);
    let save = move |confirm: bool| {
        busy.set(true);
        error.set(None);
        saved.set(None);
        let t = tenant.clone();
        leptos::task::spawn_local(async move {
            let r = update_security_policy(
                t,
                mfa.get_untracked(),
                idle.get_untracked(),
                absolute.get_untracked(),
                countries.get_untracked(),
                networks.get_untracked(),
                enforcement.get_untracked(),
                confirm,
            )
            .await;
            match r {
                Ok(v) => {
                    lockout.set(None);
                    networks.set(v.policy.ip_allowlist.join("\n"));
                    countries.set(v.policy.allowed_countries.join(", "));
                    saved.set(Some("Saved.".into()));
                }
                Err(e) if e.code() == "would_lock_out" => lockout.set(Some(e.message())),
                Err(e) => error.set(Some((e.message(), e.field().map(String::from)))),
            }
            busy.set(false);
        });
    };
    let save_normal = save.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_normal(false);
    };
    let notes = view.enforcement.clone();
    let field_error = move |f: &'static str| {
        move || {
            error
                .get()
                .filter(|(_, field)| field.as_deref() == Some(f))
                .map(|(m, _)| view! { <p class="field-error mt-1 text-sm text-red-700" role="alert" data-field=f>{m}</p> })
        }
    };
    let where_from = match (&view.your_ip, &view.your_country) {
        (Some(ip), Some(c)) => format!("You are connecting from {ip} ({c})."),
        (Some(ip), None) => format!("You are connecting from {ip}."),
        _ => "Your address is not known to the console.".into(),
    };
    view! {
        <p id="your-address" class="mb-4 text-sm text-slate-600">{where_from}
            {view.updated_at.map(|at| format!(" Last changed {} by {}.", format_time(at), view.updated_by.clone().unwrap_or_else(|| "unknown".into())))}
        </p>
        <form id="security-policy" class="space-y-6" on:submit=submit>
            <fieldset class="rounded-lg border border-slate-200 bg-white p-4">
                <legend class="px-1 font-medium">"2-Step Verification"</legend>
                <label class="flex flex-col text-sm">"Who must use a second factor"
                    <select id="mfa-mode" class="mt-1 w-72 rounded-md border border-slate-300 px-2 py-1.5" prop:value=move || mfa.get() on:change=move |ev| mfa.set(event_target_value(&ev))>
                        {MfaMode::ALL.into_iter().map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                    </select>
                </label>
                {field_error("mfa_mode")}
                {note_for(&notes, "mfa_mode")}
            </fieldset>
            <fieldset class="rounded-lg border border-slate-200 bg-white p-4">
                <legend class="px-1 font-medium">"Sessions"</legend>
                <div class="flex gap-6">
                    <label class="flex flex-col text-sm">"Sign out after inactivity (minutes, 5–1440; empty: off)"
                        <input id="idle-timeout" inputmode="numeric" class="mt-1 w-40 rounded-md border border-slate-300 px-2 py-1.5" prop:value=move || idle.get() on:input=move |ev| idle.set(event_target_value(&ev))/>
                    </label>
                    <label class="flex flex-col text-sm">"Sign in again every (minutes, 15–43200; empty: off)"
                        <input id="absolute-lifetime" inputmode="numeric" class="mt-1 w-40 rounded-md border border-slate-300 px-2 py-1.5" prop:value=move || absolute.get() on:input=move |ev| absolute.set(event_target_value(&ev))/>
                    </label>
                </div>
                {field_error("idle_timeout_minutes")}
                {field_error("absolute_lifetime_minutes")}
                {note_for(&notes, "session_timeouts")}
            </fieldset>
            <fieldset class="rounded-lg border border-slate-200 bg-white p-4">
                <legend class="px-1 font-medium">"Network"</legend>
                <label class="flex flex-col text-sm">"IP allowlist (one IPv4 or IPv6 network per line, CIDR; empty: any address)"
                    <textarea id="ip-allowlist" rows="4" class="mt-1 w-96 rounded-md border border-slate-300 px-2 py-1.5 font-mono text-xs" prop:value=move || networks.get() on:input=move |ev| networks.set(event_target_value(&ev))></textarea>
                </label>
                {field_error("ip_allowlist")}
                {note_for(&notes, "ip_allowlist")}
                <label class="mt-3 flex flex-col text-sm">"Allowed countries (ISO 3166-1 codes such as DE, FR; empty: any country)"
                    <input id="allowed-countries" class="mt-1 w-96 rounded-md border border-slate-300 px-2 py-1.5" prop:value=move || countries.get() on:input=move |ev| countries.set(event_target_value(&ev))/>
                </label>
                {field_error("allowed_countries")}
                {note_for(&notes, "allowed_countries")}
                <div class="mt-3 text-sm" role="radiogroup" aria-label="When a request breaks the network rules">
                    <label class="mr-4"><input type="radio" name="network-enforcement" id="enforce" value="enforce"
                        prop:checked=move || enforcement.get() == NetworkEnforcement::Enforce.as_str() on:change=move |_| enforcement.set("enforce".into())/>" Refuse it"</label>
                    <label><input type="radio" name="network-enforcement" id="warn-only" value="warn_only"
                        prop:checked=move || enforcement.get() == NetworkEnforcement::WarnOnly.as_str() on:change=move |_| enforcement.set("warn_only".into())/>" Only record it in the audit log (warn only)"</label>
                </div>
                {field_error("network_enforcement")}
            </fieldset>
            {move || error.get().filter(|(_, f)| f.is_none()).map(|(m, _)| view! { <p role="alert" class="text-sm text-red-700">{m}</p> })}
            {move || lockout.get().map(|m| {
                let confirm = save.clone();
                view! {
                    <div id="lockout-warning" role="alert" class="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
                        <p>{m}</p>
                        <button id="save-anyway" type="button" class="mt-2 rounded-md bg-red-700 px-3 py-1.5 text-white" on:click=move |_| confirm(true)>"Save anyway"</button>
                    </div>
                }
            })}
            <div class="flex items-center gap-3">
                <button id="save-policy" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving…" } else { "Save" }}
                </button>
                {move || saved.get().map(|m| view! { <span id="policy-saved" role="status" class="text-sm text-emerald-700">{m}</span> })}
            </div>
        </form>
    }
}

/// Which members the MFA page lists (`?show=`).
fn shown(show: &str, m: &wire::security::MemberMfa) -> bool {
    match show {
        "not_enrolled" => matches!(m.mfa, MfaState::NotEnrolled),
        "admins" => m.role.is_admin(),
        _ => true,
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let location = use_location();
    let show = move || location.query.get().get("show").unwrap_or_default();
    let overview = Resource::new(tenant, get_mfa_overview);
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Mfa/>
            <div class="flex-1">
                <h1 class="text-2xl font-semibold mb-4">"2-Step Verification"</h1>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(o) => {
                                let t = tenant();
                                // The filter follows the address without reloading the data.
                                let filter = |key: &'static str, label: &'static str| {
                                    let href = if key.is_empty() { format!("/admin/{t}/mfa") } else { format!("/admin/{t}/mfa?show={key}") };
                                    let on = move || show() == key;
                                    view! {
                                        <a class=move || format!("mfa-filter text-xs rounded-full px-3 py-0.5 {}", if on() { "bg-accent text-on-accent" } else { "border border-slate-300 bg-white" })
                                            aria-current=move || on().to_string() data-show=key href=href>{label}</a>
                                    }
                                };
                                let rows = o.members.clone();
                                view! {
                                    {o.verdict.clone().map(|v| view! { <p id="mfa-verdict" role="status" class="mb-3 rounded-md bg-amber-50 p-3 text-sm text-amber-900">{v}</p> })}
                                    <p id="mfa-totals" class="mb-2 text-sm text-slate-600">
                                        {format!("{} enrolled, {} not enrolled, {} unknown. Policy: {}.", o.enrolled, o.not_enrolled, o.unknown, o.mode.label())}
                                    </p>
                                    {(!o.enforced_at_sign_in).then(|| view! {
                                        <p class="mb-3 text-xs text-slate-500">"The MFA policy is not enforced at sign-in yet: that needs a change to Authentik's shared sign-in flow. This overview shows who would be affected."</p>
                                    })}
                                    <div class="mb-3 flex gap-2">
                                        {filter("", "Everyone")}{filter("not_enrolled", "Not enrolled")}{filter("admins", "Admins and owners")}
                                    </div>
                                    <table id="mfa-members" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                                        <thead class="text-left text-slate-500"><tr><th class="p-2">"Name"</th><th class="p-2">"Address"</th><th class="p-2">"Role"</th><th class="p-2">"Second factors"</th></tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|m| {
                                                let state = match &m.mfa {
                                                    MfaState::Enrolled { .. } => "enrolled",
                                                    MfaState::NotEnrolled => "not_enrolled",
                                                    MfaState::Unknown { .. } => "unknown",
                                                };
                                                let cell = match m.mfa.clone() {
                                                    MfaState::Enrolled { authenticators } => authenticators.into_iter().map(|a| view! {
                                                        <div class="authenticator" data-kind=a.kind.clone()>
                                                            <span class="font-medium">{a.kind.to_uppercase()}</span>" "{a.name.clone()}
                                                            <span class="text-xs text-slate-500">{a.last_used.clone().map(|u| format!(" · last used {u}")).unwrap_or_else(|| " · never used".into())}</span>
                                                        </div>
                                                    }).collect_view().into_any(),
                                                    MfaState::NotEnrolled => view! { <span class="text-amber-800">"Not enrolled"</span> }.into_any(),
                                                    MfaState::Unknown { reason } => view! { <span class="text-slate-600">"Unknown: "{reason}</span> }.into_any(),
                                                };
                                                let this = m.clone();
                                                let hidden = move || !shown(&show(), &this);
                                                view! {
                                                    <tr class="border-t border-slate-100" class:hidden=hidden data-address=m.address.clone() data-mfa=state data-required-missing=m.required_missing.to_string()>
                                                        <td class="p-2 font-medium">{m.name.clone()}
                                                            {m.required_missing.then(|| view! { <span class="ml-1 rounded bg-red-100 px-1.5 text-xs text-red-800">"required"</span> })}
                                                        </td>
                                                        <td class="p-2 font-mono text-xs">{m.address.clone()}</td>
                                                        <td class="p-2">{m.role.as_str()}</td>
                                                        <td class="p-2">{cell}</td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

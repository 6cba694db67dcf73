//! The Domains pages: the list with status chips and the add step, and a domain's page with
//! the records to publish (copy buttons, zone-file download), expected against found per
//! record, recheck, the DMARC choice, make-primary and removal with confirmation.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

use crate::components::{copy_to_clipboard, encode_component, format_time, ErrorView, StateChip};
use crate::error::AppError;
use crate::frame::{AdminSection, AdminSidebar};

use wire::domains::{DnsRecordView, DomainStatus, MailDomainView, RecordState};

fn status_label(s: DomainStatus) -> &'static str {
    match s {
        DomainStatus::Verified => "Verified",
        DomainStatus::NeedsAttention => "Needs attention",
        DomainStatus::Pending => "Pending",
    }
}

fn status_chip(s: DomainStatus) -> impl IntoView {
    let class = match s {
        DomainStatus::Verified => "bg-emerald-100 text-emerald-800",
        DomainStatus::NeedsAttention => "bg-red-100 text-red-800",
        DomainStatus::Pending => "bg-amber-100 text-amber-800",
    };
    view! {
        <span class=format!("domain-status inline-block rounded-full px-2 py-0.5 text-xs font-medium {class}") data-status=s.as_str()>
            {status_label(s)}
        </span>
    }
}

#[component]
pub fn DomainsPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let list = Resource::new(tenant, get_domains);
    let name = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (t, n) = (tenant(), name.get_untracked());
        leptos::task::spawn_local(async move {
            match add_domain(t.clone(), n).await {
                Ok(d) => {
                    let _ = window()
                        .location()
                        .set_href(&format!("/admin/{t}/domains/{}", d.name));
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Domains/>
            <div class="flex-1">
                <h1 class="text-2xl font-semibold mb-4">"Mail domains"</h1>
                <form id="add-domain" class="flex items-end gap-3 mb-2" on:submit=submit>
                    <label class="flex flex-col text-sm">"Add a domain you own"
                        <input id="domain-name" class="mt-1 w-72 rounded-md border border-slate-300 px-2 py-1.5" placeholder="example.com" required
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    </label>
                    <button id="add-domain-submit" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                        {move || if busy.get() { "Adding…" } else { "Add domain" }}
                    </button>
                </form>
                {move || error.get().map(|m| view! { <p id="add-domain-error" role="alert" class="text-sm text-red-700 mb-2">{m}</p> })}
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(domains) if domains.is_empty() => view! { <p class="text-slate-500 mt-6">"No domains yet. Add the domain your mail addresses will use."</p> }.into_any(),
                            Ok(domains) => {
                                let t = tenant();
                                view! {
                                    <table id="domains" class="mt-6 w-full text-sm bg-white border border-slate-200 rounded-lg">
                                        <thead class="text-left text-slate-500"><tr><th class="p-2">"Domain"</th><th class="p-2">"Status"</th><th class="p-2">"Last checked"</th></tr></thead>
                                        <tbody>
                                            {domains.into_iter().map(|d| view! {
                                                <tr class="border-t border-slate-100" data-domain=d.name.clone()>
                                                    <td class="p-2">
                                                        <a class="font-medium text-accent" href=format!("/admin/{t}/domains/{}", d.name)>{d.unicode_name.clone()}</a>
                                                        {(d.unicode_name != d.name).then(|| view! { <span class="ml-2 text-xs text-slate-500 font-mono">{d.name.clone()}</span> })}
                                                        {d.is_primary.then(|| view! { <span class="ml-2 rounded bg-slate-100 px-1.5 text-xs text-accent">"primary"</span> })}
                                                    </td>
                                                    <td class="p-2">{status_chip(d.status)}</td>
                                                    <td class="p-2 text-slate-500">{d.last_checked_at.map(format_time).unwrap_or_else(|| "never".into())}</td>
                                                </tr>
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

#[component]
fn RecordRow(record: DnsRecordView, checking: bool) -> impl IntoView {
    let state = if checking {
        "checking"
    } else {
        record.state.as_str()
    };
    let value = record.value.clone();
    let copy_value = value.clone();
    view! {
        <tr class="border-t border-slate-100 align-top record" data-kind=record.kind.clone() data-state=state>
            <td class="p-2 font-medium">{record.kind.clone()}{(!record.required).then_some(" (optional)")}</td>
            <td class="p-2 font-mono text-xs break-all">{record.name.clone()}</td>
            <td class="p-2 font-mono text-xs break-all">
                {value}
                {(!record.value.is_empty()).then(|| view! {
                    <button type="button" class="ml-2 text-accent underline text-xs" on:click=move |_| copy_to_clipboard(copy_value.clone())>"Copy"</button>
                })}
            </td>
            <td class="p-2 whitespace-nowrap">
                {checking.then(|| view! { <span class="spinner inline-block h-3 w-3 mr-1 animate-spin rounded-full border-2 border-amber-500 border-t-transparent" aria-hidden="true"></span> })}
                <StateChip state/>
            </td>
            <td class="p-2 text-xs">
                {(!record.found.is_empty()).then(|| view! {
                    <div class="found">"Found: " {record.found.join(" | ")}</div>
                })}
                {(!record.to_remove.is_empty()).then(|| view! {
                    <div class="to-remove text-red-700">"Remove: " {record.to_remove.join(" | ")}</div>
                })}
                {record.message.clone().map(|m| view! { <div class="rule text-slate-600">{m}</div> })}
            </td>
        </tr>
    }
}

#[component]
pub fn DomainPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let name = move || params.read().get("domain").unwrap_or_default();
    let data = Resource::new(move || (tenant(), name()), |(t, n)| get_domain(t, n));
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Domains/>
            <div class="flex-1">
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(d) => view! { <DomainDetail tenant=tenant() domain=d/> }.into_any(),
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

#[component]
fn DomainDetail(tenant: String, domain: MailDomainView) -> impl IntoView {
    let state = RwSignal::new(domain);
    let checking = RwSignal::new(false);
    // The records whose own check is under way (kind, name): their rows show a spinner.
    let in_check = RwSignal::new(Vec::<(String, String)>::new());
    let notice = RwSignal::new(None::<Result<String, String>>);
    let confirm_remove = RwSignal::new(false);
    let policy = RwSignal::new(state.get_untracked().dmarc_policy.as_str().to_string());
    let rua = RwSignal::new(state.get_untracked().dmarc_rua.clone().unwrap_or_default());
    let name = state.get_untracked().name.clone();
    let run = {
        let (tenant, name) = (tenant.clone(), name.clone());
        move |action: &'static str| {
            let (t, n) = (tenant.clone(), name.clone());
            notice.set(None);
            if action == "recheck" || action == "publish" {
                checking.set(true);
            }
            if action == "recheck" {
                // Each required record is checked on its own, and its row updates as its
                // answer arrives; the full check that stores the result follows.
                let to_check: Vec<DnsRecordView> = state
                    .get_untracked()
                    .records
                    .into_iter()
                    .filter(|r| r.required && r.state != RecordState::Pending)
                    .collect();
                in_check.set(
                    to_check
                        .iter()
                        .map(|r| (r.kind.clone(), r.name.clone()))
                        .collect(),
                );
                for r in to_check {
                    let (t, n) = (t.clone(), n.clone());
                    leptos::task::spawn_local(async move {
                        if let Ok(checked) = check_domain_record(t, n, r.kind, r.name).await {
                            // By kind and name, and only while still checking: the full
                            // result may already have replaced the list.
                            let key = (checked.kind.clone(), checked.name.clone());
                            if in_check.get_untracked().contains(&key) {
                                in_check.update(|c| c.retain(|k| k != &key));
                                state.update(|d| {
                                    if let Some(slot) = d
                                        .records
                                        .iter_mut()
                                        .find(|x| x.kind == key.0 && x.name == key.1)
                                    {
                                        *slot = checked;
                                    }
                                });
                            }
                        }
                    });
                }
            }
            leptos::task::spawn_local(async move {
                let result: Result<Option<MailDomainView>, AppError> = match action {
                    "recheck" => recheck_domain(t.clone(), n).await.map(Some),
                    "dmarc" => {
                        set_domain_dmarc(t.clone(), n, policy.get_untracked(), rua.get_untracked())
                            .await
                            .map(Some)
                    }
                    "primary" => make_domain_primary(t.clone(), n).await.map(Some),
                    "publish" => publish_sandbox_records(t.clone(), n).await.map(Some),
                    _ => remove_domain(t.clone(), n).await.map(|_| None),
                };
                checking.set(false);
                in_check.set(Vec::new());
                match result {
                    Ok(Some(v)) => {
                        let done = match (action, v.status) {
                            ("publish", DomainStatus::Verified) => {
                                "Published in the sandbox DNS: the domain is verified."
                            }
                            ("publish", _) => {
                                "Published in the sandbox DNS; see each record's check below."
                            }
                            _ => "Saved.",
                        };
                        state.set(v);
                        notice.set(Some(Ok(done.into())));
                    }
                    Ok(None) => {
                        let _ = window().location().set_href(&format!("/admin/{t}/domains"));
                    }
                    Err(e) => notice.set(Some(Err(e.message()))),
                }
            });
        }
    };
    let (r1, r2, r3, r4) = (run.clone(), run.clone(), run.clone(), run.clone());
    let r5 = run;
    view! {
        {move || {
            let d = state.get();
            let zone = format!("data:text/plain;charset=utf-8,{}", encode_component(&d.zone_file()));
            view! {
                <h1 id="domain-title" class="text-2xl font-semibold">{d.unicode_name.clone()}
                    {(d.unicode_name != d.name).then(|| view! { <span class="ml-2 text-base text-slate-500 font-mono">{d.name.clone()}</span> })}
                </h1>
                <p class="mb-4 flex items-center gap-3">
                    {status_chip(d.status)}
                    {d.is_primary.then(|| view! { <span class="rounded bg-slate-100 px-1.5 text-xs text-accent">"primary"</span> })}
                    <span class="text-sm text-slate-500">{format!("Last checked: {}", d.last_checked_at.map(format_time).unwrap_or_else(|| "never".into()))}</span>
                    <span class="text-sm text-slate-500" title=d.stalwart_message.clone()>{format!("Stalwart: {}", d.stalwart_state.as_str())}</span>
                </p>
                <p class="text-sm text-slate-700 mb-2">"Publish these records at your DNS provider, then verify. They are judged as receiving mail servers judge them: SPF is evaluated for the mail server's own addresses (any record that authorises it passes), DKIM and DMARC records are parsed by their standards. Each check says which rule decided."</p>
                {d.sandbox_dns.then(|| view! {
                    <div id="sandbox-dns" class="mb-3 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
                        <p class="mb-2">"Sandbox: no real DNS provider is involved. The console can publish exactly these records in the sandbox's own DNS server, so you can verify the domain here."</p>
                        <button id="sandbox-publish" type="button" class="rounded-md border border-amber-400 bg-white px-3 py-1.5 font-medium disabled:opacity-50"
                            disabled=move || checking.get() on:click={ let r5 = r5.clone(); move |_| r5("publish") }>
                            "Publish these records in the sandbox DNS"
                        </button>
                    </div>
                })}
                <div class="flex gap-3 mb-3">
                    <a id="zone-download" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" href=zone download=format!("{}.zone", d.name)>"Download zone file"</a>
                </div>
                <table id="records" class="w-full text-sm bg-white border border-slate-200 rounded-lg mb-6">
                    <thead class="text-left text-slate-500"><tr><th class="p-2">"Type"</th><th class="p-2">"Name"</th><th class="p-2">"Expected value"</th><th class="p-2">"Check"</th><th class="p-2">"Found"</th></tr></thead>
                    <tbody>{d.records.into_iter().map(|r| { let checking = in_check.with(|c| c.iter().any(|(k, n)| *k == r.kind && *n == r.name)); view! { <RecordRow record=r checking/> } }).collect_view()}</tbody>
                </table>
            }
        }}
        <div class="flex flex-wrap items-center gap-3 mb-6">
            <button id="recheck" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || checking.get() on:click=move |_| r1("recheck")>
                {move || checking.get().then(|| view! { <span class="spinner inline-block h-3 w-3 mr-2 animate-spin rounded-full border-2 border-white border-t-transparent" aria-hidden="true"></span> })}
                {move || if checking.get() { "Checking DNS…" } else { "Verify now" }}
            </button>
            <button id="make-primary" class="rounded-md border border-slate-300 bg-white px-3 py-2 text-sm" on:click=move |_| r2("primary")>"Make primary"</button>
        </div>
        {move || notice.get().map(|n| match n {
            Ok(m) => view! { <p id="domain-notice" role="status" class="text-sm text-emerald-700 mb-4">{m}</p> }.into_any(),
            Err(m) => view! { <p id="domain-error" role="alert" class="text-sm text-red-700 mb-4">{m}</p> }.into_any(),
        })}
        <section class="rounded-xl border border-slate-200 bg-white p-4 mb-6">
            <h2 class="font-semibold mb-2">"DMARC"</h2>
            <div class="flex items-end gap-3">
                <label class="flex flex-col text-sm">"Policy"
                    <select id="dmarc-policy" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" on:change=move |ev| policy.set(event_target_value(&ev)) prop:value=move || policy.get()>
                        <option value="none">"none (monitor only)"</option>
                        <option value="quarantine">"quarantine"</option>
                        <option value="reject">"reject"</option>
                    </select>
                </label>
                <label class="flex flex-col text-sm">"Reports to"
                    <input id="dmarc-rua" class="mt-1 w-64 rounded-md border border-slate-300 px-2 py-1.5" placeholder="postmaster@your domain" prop:value=move || rua.get() on:input=move |ev| rua.set(event_target_value(&ev))/>
                </label>
                <button id="save-dmarc" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm" on:click=move |_| r3("dmarc")>"Save"</button>
            </div>
        </section>
        <section class="rounded-xl border border-red-200 bg-white p-4">
            <h2 class="font-semibold mb-2 text-red-800">"Remove"</h2>
            {move || if confirm_remove.get() {
                let r4 = r4.clone();
                view! {
                    <p class="text-sm mb-2">"This removes the domain from Stalwart (with its DKIM keys) and from Dezky. Mailboxes, aliases and lists must go first."</p>
                    <button id="confirm-remove" class="rounded-md bg-red-600 px-3 py-1.5 text-sm text-white" on:click=move |_| r4("remove")>"Remove the domain"</button>
                    <button class="ml-3 text-sm underline" on:click=move |_| confirm_remove.set(false)>"Cancel"</button>
                }.into_any()
            } else {
                view! { <button id="remove-domain" class="rounded-md border border-red-300 px-3 py-1.5 text-sm text-red-700" on:click=move |_| confirm_remove.set(true)>"Remove…"</button> }.into_any()
            }}
        </section>
    }
}

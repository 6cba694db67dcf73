//! Storage: each member's mail (Stalwart) and files (OCIS) against their quotas, drawn as bars,
//! with tenant totals and members near or over quota flagged; sortable by either store; quotas
//! set per member. A store that is off or down shows its column as unavailable with the
//! reason, and the other column still shows.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

use crate::components::ErrorView;
use crate::frame::{AdminSection, AdminSidebar};
use wire::storage::{MemberStorage, StorageView, StoreColumn, Usage, UsageLevel};

/// How the table is ordered.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Order {
    Name,
    Mail,
    Files,
}

fn level_class(level: UsageLevel) -> &'static str {
    match level {
        UsageLevel::Normal => "level-normal",
        UsageLevel::Nearing => "level-nearing",
        UsageLevel::Critical => "level-critical",
        UsageLevel::Exceeded => "level-exceeded",
    }
}

#[component]
fn UsageCell(usage: Option<Usage>, note: Option<String>, column: StoreColumn) -> impl IntoView {
    if !column.available {
        return view! { <span class="text-xs text-slate-500">"Unavailable"</span> }.into_any();
    }
    let Some(u) = usage else {
        return view! { <span class="text-xs text-slate-500">{note.unwrap_or_default()}</span> }
            .into_any();
    };
    let text = format!("{} of {}", u.used_display, u.quota_display);
    view! {
        <div class="min-w-40">
            <div class="flex items-center justify-between text-xs">
                <span class="usage-text">{text}</span>
                {u.percent.map(|p| view! { <span class="text-slate-500">{format!("{p} %")}</span> })}
            </div>
            // A native meter, for a quota only: no inline style (the page's CSP allows none),
            // and the browser colours it by the thresholds (low 75 %, high 90 %).
            {u.percent.map(|p| {
                let value = p.min(100);
                view! {
                    <meter class=format!("usage-meter mt-1 h-2 w-full {}", level_class(u.level)) min="0" max="100" low="75" high="90" optimum="0"
                        value=value.to_string() title=format!("{p} % of the quota")></meter>
                }
            })}
            {u.flagged.then(|| view! { <span class="flag mt-1 inline-block rounded-full bg-red-100 px-2 text-xs text-red-800">{u.level.label()}</span> })}
        </div>
    }
    .into_any()
}

#[component]
fn QuotaForm(
    tenant: String,
    member: MemberStorage,
    on_saved: Callback<MemberStorage>,
) -> impl IntoView {
    let mail = RwSignal::new(String::new());
    let files = RwSignal::new(String::new());
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let busy = RwSignal::new(false);
    let id = member.id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (t, i, m, f) = (
            tenant.clone(),
            id.clone(),
            mail.get_untracked(),
            files.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match set_storage_quota(t, i, m, f).await {
                Ok(updated) => {
                    mail.set(String::new());
                    files.set(String::new());
                    on_saved.run(updated);
                }
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
            busy.set(false);
        });
    };
    let input = "w-28 rounded-md border border-slate-300 px-2 py-1 text-xs";
    view! {
        <form class="quota-form flex flex-wrap items-center gap-1" on:submit=submit>
            <input class=input name="mail_quota" aria-label=format!("Mail quota of {}", member.address)
                placeholder=member.mail.as_ref().map(|u| u.quota_display.clone()).unwrap_or_else(|| "mail, e.g. 5 GiB".into())
                prop:value=move || mail.get() on:input=move |ev| mail.set(event_target_value(&ev))/>
            <input class=input name="files_quota" aria-label=format!("Files quota of {}", member.address)
                placeholder=member.files.as_ref().map(|u| u.quota_display.clone()).unwrap_or_else(|| "files, e.g. 10 GiB".into())
                prop:value=move || files.get() on:input=move |ev| files.set(event_target_value(&ev))/>
            <button type="submit" class="rounded-md border border-slate-300 px-2 py-1 text-xs disabled:opacity-50" disabled=move || busy.get()>"Set"</button>
            <p role="alert" class="quota-error w-full text-xs text-red-700" class:hidden=move || error.with(Option::is_none)
                data-field=move || error.get().and_then(|e| e.0).unwrap_or_default()>
                {move || error.get().map(|e| e.1).unwrap_or_default()}
            </p>
        </form>
    }
}

#[component]
fn StorageTable(tenant: String, view_data: StorageView) -> impl IntoView {
    let StorageView {
        members,
        mail,
        files,
        flagged,
    } = view_data;
    let tenant = StoredValue::new(tenant);
    let rows = RwSignal::new(members);
    let order = RwSignal::new(Order::Name);
    let on_saved = Callback::new(move |m: MemberStorage| {
        rows.update(|r| {
            if let Some(row) = r.iter_mut().find(|x| x.id == m.id) {
                *row = m;
            }
        })
    });
    let sorted = move || {
        let mut r = rows.get();
        let used = |u: &Option<Usage>| u.as_ref().map(|u| u.used).unwrap_or(0);
        match order.get() {
            Order::Name => r.sort_by(|a, b| a.address.cmp(&b.address)),
            Order::Mail => r.sort_by_key(|m| std::cmp::Reverse(used(&m.mail))),
            Order::Files => r.sort_by_key(|m| std::cmp::Reverse(used(&m.files))),
        }
        r
    };
    let (mail_col, files_col) = (
        StoredValue::new(mail.clone()),
        StoredValue::new(files.clone()),
    );
    let unavailable = [("mail", &mail), ("files", &files)]
        .into_iter()
        .filter_map(|(which, c)| c.reason.clone().map(|r| view! { <p class=format!("unavailable-{which} mb-2 rounded-md bg-amber-50 p-2 text-sm text-amber-900")>{r}</p> }))
        .collect_view();
    view! {
        <dl class="mb-4 grid grid-cols-3 gap-4">
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Mail, all members"</dt>
                <dd id="storage-mail-total" class="font-medium">{if mail.available { mail.total_display.clone() } else { "Unavailable".into() }}</dd>
            </div>
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Files, all members"</dt>
                <dd id="storage-files-total" class="font-medium">{if files.available { files.total_display.clone() } else { "Unavailable".into() }}</dd>
            </div>
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Near or over quota"</dt>
                <dd id="storage-flagged" class="font-medium">{flagged}</dd>
            </div>
        </dl>
        {unavailable}
        <label class="mb-2 flex items-center gap-2 text-sm">"Sort by"
            <select id="storage-sort" class="rounded-md border border-slate-300 px-2 py-1" on:change=move |ev| order.set(match event_target_value(&ev).as_str() {
                "mail" => Order::Mail,
                "files" => Order::Files,
                _ => Order::Name,
            })>
                <option value="name">"Member"</option>
                <option value="mail">"Mail used"</option>
                <option value="files">"Files used"</option>
            </select>
        </label>
        <table id="storage-table" class="w-full text-sm">
            <thead><tr class="text-left text-slate-500">
                <th class="p-2">"Member"</th><th class="p-2">"Mail"</th><th class="p-2">"Files"</th><th class="p-2">"Set quotas"</th>
            </tr></thead>
            <tbody>
                <For each=sorted key=|m| (m.id.clone(), m.mail.as_ref().map(|u| (u.used, u.quota)), m.files.as_ref().map(|u| (u.used, u.quota))) let:m>
                    <tr class="storage-row border-t border-slate-100" data-address=m.address.clone() data-flagged=m.flagged().to_string()>
                        <td class="p-2"><div class="font-medium">{m.name.clone()}</div><div class="text-xs text-slate-500">{m.address.clone()}</div></td>
                        <td class="p-2 mail"><UsageCell usage=m.mail.clone() note=m.mail_note.clone() column=mail_col.get_value()/></td>
                        <td class="p-2 files"><UsageCell usage=m.files.clone() note=m.files_note.clone() column=files_col.get_value()/></td>
                        <td class="p-2"><QuotaForm tenant=tenant.get_value() member=m.clone() on_saved=on_saved/></td>
                    </tr>
                </For>
            </tbody>
        </table>
    }
}

#[component]
pub fn StoragePage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let data = Resource::new(tenant, get_storage);
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Storage/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-1">"Storage"</h1>
                <p class="mb-4 text-sm text-slate-600">"Mail and files per member, against their quotas. Quotas take a size with its unit (5 GiB, 500 MiB) or unlimited."</p>
                <Suspense fallback=|| view! { <p>"Asking Stalwart and OCIS…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(v) => view! { <StorageTable tenant=tenant() view_data=v/> }.into_any(),
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

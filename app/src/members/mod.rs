//! Users & groups: the members table (search, role, status, mailbox usage), the create dialog
//! that follows each upstream step and then reveals the one-time password once, and the
//! lifecycle actions (suspend, resume, force sign-out, reset password, role, remove, retry,
//! cancel), each behind a confirmation. Groups, invitations and service accounts are not
//! built yet and say so.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

use crate::components::{
    copy_to_clipboard, format_time, pager, ErrorView, Pages, StateChip, StepList,
};
use crate::dialog::Dialog;
use crate::error::AppError;
use crate::frame::{AdminSection, AdminSidebar};

use wire::members::{MemberAction, MemberStatus, MemberView, RemovalItem};
use wire::steps::{StepState, StepStatus};

fn status_chip(m: &MemberView) -> impl IntoView {
    let (label, class) = match (m.status, m.needs_attention) {
        (MemberStatus::Active, false) => ("Active", "bg-emerald-100 text-emerald-800"),
        (MemberStatus::Suspended, _) => ("Suspended", "bg-slate-200 text-slate-800"),
        (MemberStatus::Creating, _) => ("Incomplete", "bg-red-100 text-red-800"),
        (MemberStatus::Removing, _) => ("Removal incomplete", "bg-red-100 text-red-800"),
        (MemberStatus::Active, true) => ("Needs attention", "bg-amber-100 text-amber-800"),
    };
    view! {
        <span class=format!("member-status inline-block rounded-full px-2 py-0.5 text-xs font-medium {class}") data-status=m.status.as_str()>
            {label}
        </span>
    }
}

/// Bytes in the units people read (1 KB = 1000 bytes, as mail clients show).
pub fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n.max(0) as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// An action waiting for the admin's confirmation.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    member: MemberView,
    action: MemberAction,
    plan: Vec<RemovalItem>,
}

/// The one-time password shown once, with a copy button.
#[component]
fn PasswordReveal(
    tenant: String,
    address: String,
    password: String,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let p = password.clone();
    // The sign-in instructions (never the password) to the person's own address.
    let to = RwSignal::new(String::new());
    let sent = RwSignal::new(None::<Result<String, String>>);
    let sending = RwSignal::new(false);
    let member = address.clone();
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        sending.set(true);
        let (t, m, a) = (tenant.clone(), member.clone(), to.get_untracked());
        leptos::task::spawn_local(async move {
            let r = send_welcome(t, m, a).await;
            sent.set(Some(match r {
                Ok(w) => Ok(format!("Sent \u{201c}{}\u{201d} to {}.", w.subject, w.to)),
                Err(e) => Err(e.message()),
            }));
            sending.set(false);
        });
    };
    view! {
        <Dialog id="otp-reveal" title=format!("One-time password for {address}") on_close=on_close width="max-w-2xl">
            <p class="text-sm text-slate-700 mb-3">
                "It is set on their sign-in and their mailbox. It is shown only now and is not stored anywhere: copy it and hand it over safely. They should change it after their first sign-in."
            </p>
            <div class="flex items-center gap-3">
                <code id="otp-value" class="rounded bg-white px-3 py-2 font-mono text-lg tracking-wide border border-slate-300">{password}</code>
                <button id="otp-copy" type="button" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm"
                    on:click=move |_| { copy_to_clipboard(p.clone()); copied.set(true); }>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
                <button id="otp-done" type="button" class="rounded-md bg-accent px-3 py-1.5 text-sm text-on-accent" on:click=move |_| on_close.run(())>
                    "Done"
                </button>
            </div>
            <form id="welcome-form" class="mt-4 flex flex-wrap items-center gap-2 text-sm" on:submit=send>
                <label for="welcome-to">"Email the sign-in instructions (without the password) to"</label>
                <input id="welcome-to" type="email" required placeholder="their.personal@example.com" class="rounded-md border border-slate-300 px-2 py-1"
                    prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                <button id="welcome-send" type="submit" class="rounded-md border border-slate-300 bg-white px-3 py-1 disabled:opacity-50" disabled=move || sending.get()>"Send"</button>
                <p id="welcome-result" role="status" class="w-full"
                    class:text-emerald-700=move || matches!(sent.get(), Some(Ok(_)))
                    class:text-red-700=move || matches!(sent.get(), Some(Err(_)))>
                    {move || sent.get().map(|r| r.unwrap_or_else(|e| e)).unwrap_or_default()}
                </p>
            </form>
        </Dialog>
    }
}

/// Follows a creation's steps (by address) while the create call runs.
fn follow(
    tenant: String,
    address: String,
    busy: RwSignal<bool>,
    progress: RwSignal<Option<Vec<StepStatus>>>,
) {
    leptos::task::spawn_local(async move {
        if !busy.get_untracked() {
            return;
        }
        if let Ok(Some(m)) = get_member_progress(tenant.clone(), address.clone()).await {
            if busy.get_untracked() {
                progress.set(Some(m.steps));
            }
        }
        set_timeout(
            move || follow(tenant, address, busy, progress),
            std::time::Duration::from_millis(250),
        );
    });
}

#[component]
fn CreateMemberDialog(
    tenant: String,
    domain: String,
    can_manage_owners: bool,
    #[prop(into)] on_created: Callback<(String, Option<String>)>,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let first = RwSignal::new(String::new());
    let last = RwSignal::new(String::new());
    let local = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let progress = RwSignal::new(None::<Vec<StepStatus>>);
    let result = RwSignal::new(None::<MemberView>);
    let d = domain.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        result.set(None);
        progress.set(Some(vec![]));
        let t = tenant.clone();
        let address = format!("{}@{d}", local.get_untracked().trim().to_lowercase());
        follow(t.clone(), address, busy, progress);
        let (f, l, lp, r) = (
            first.get_untracked(),
            last.get_untracked(),
            local.get_untracked(),
            role.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match create_member(t, f, l, lp, r).await {
                Ok(created) => {
                    busy.set(false);
                    progress.set(Some(created.member.steps.clone()));
                    let address = created.member.address.clone();
                    result.set(Some(created.member));
                    first.set(String::new());
                    last.set(String::new());
                    local.set(String::new());
                    on_created.run((address, created.one_time_password));
                }
                Err(e) => {
                    busy.set(false);
                    progress.set(None);
                    error.set(Some((e.field().map(String::from), e.message())));
                }
            }
        });
    };
    let input_class = "mt-1 rounded-md border border-slate-300 px-2 py-1.5";
    view! {
        <Dialog id="create-member" title="Add a member".to_string() on_close=on_close>
            <form class="flex flex-wrap items-end gap-3" on:submit=submit>
                <label class="flex flex-col text-sm">"First name"
                    <input id="member-first-name" class=input_class required prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev))/>
                </label>
                <label class="flex flex-col text-sm">"Last name"
                    <input id="member-last-name" class=input_class required prop:value=move || last.get() on:input=move |ev| last.set(event_target_value(&ev))/>
                </label>
                <label class="flex flex-col text-sm">"Address"
                    <span class="mt-1 flex items-center">
                        <input id="member-local-part" class="rounded-l-md border border-slate-300 px-2 py-1.5 w-36" required prop:value=move || local.get() on:input=move |ev| local.set(event_target_value(&ev))/>
                        <span class="rounded-r-md border border-l-0 border-slate-300 bg-slate-50 px-2 py-1.5 text-slate-600">{format!("@{domain}")}</span>
                    </span>
                </label>
                <label class="flex flex-col text-sm">"Role"
                    <select id="member-role" class=input_class on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="member" selected=true>"Member"</option>
                        <option value="admin">"Admin"</option>
                        {can_manage_owners.then(|| view! { <option value="owner">"Owner"</option> })}
                    </select>
                </label>
                <button id="create-member-submit" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create member" }}
                </button>
            </form>
            {move || error.get().map(|(field, message)| view! {
                <p id="create-member-error" role="alert" data-field=field.unwrap_or_default() class="mt-3 text-sm text-red-700">{message}</p>
            })}
            {move || progress.get().map(|steps| view! {
                <div id="member-progress" class="mt-4" data-busy=move || busy.get().to_string()>
                    {move || busy.get().then(|| view! { <p class="text-sm text-slate-600 mb-2"><span class="spinner inline-block h-3 w-3 mr-1 animate-spin rounded-full border-2 border-accent border-t-transparent" aria-hidden="true"></span>"Creating the sign-in, the mailbox and the file space…"</p> })}
                    {(!steps.is_empty()).then(|| view! { <StepList steps=steps.clone()/> })}
                </div>
            })}
            {move || result.get().filter(|m| m.needs_attention).map(|m| view! {
                <p id="create-member-incomplete" role="alert" class="mt-3 text-sm text-red-700">
                    {format!("{} was created with a step in error: use Retry in the table to complete it, or Cancel to undo what was made.", m.address)}
                </p>
            })}
        </Dialog>
    }
}

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let search = RwSignal::new(String::new());
    // The cursors of the pages before the one shown (the first page has none).
    let pages = RwSignal::new(Vec::<String>::new());
    // The page of members, then the MFA state of those members only (looked up in Authentik
    // one by one: never the whole workspace for one page).
    let list = Resource::new(
        move || {
            (
                tenant(),
                version.get(),
                search.get(),
                pages.get().last().cloned(),
            )
        },
        |(t, _, q, cursor)| async move {
            let list =
                get_members(t.clone(), Some(q).filter(|q| !q.trim().is_empty()), cursor).await;
            let mfa = match &list {
                Ok(page) => {
                    let ids = page.members.iter().map(|m| m.id.clone()).collect();
                    crate::security::get_members_mfa(t, ids).await
                }
                Err(e) => Err(e.clone()),
            };
            (list, mfa)
        },
    );
    let tab = RwSignal::new("members");
    let creating = RwSignal::new(false);
    let reveal = RwSignal::new(None::<(String, String)>);
    let pending = RwSignal::new(None::<Pending>);
    let new_role = RwSignal::new(String::new());
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let working = RwSignal::new(false);
    let refresh = move || version.update(|v| *v += 1);

    let ask = move |member: MemberView, action: MemberAction| {
        failure.set(None);
        notice.set(None);
        new_role.set(member.role.as_str().to_string());
        if matches!(action, MemberAction::Remove | MemberAction::Cancel) {
            let t = tenant();
            leptos::task::spawn_local(async move {
                match get_removal_plan(t, member.id.clone()).await {
                    Ok(plan) => pending.set(Some(Pending {
                        member,
                        action,
                        plan,
                    })),
                    Err(e) => failure.set(Some(e.message())),
                }
            });
        } else {
            pending.set(Some(Pending {
                member,
                action,
                plan: vec![],
            }));
        }
    };

    let confirm = move |_| {
        let Some(p) = pending.get_untracked() else {
            return;
        };
        let t = tenant();
        working.set(true);
        leptos::task::spawn_local(async move {
            let id = p.member.id.clone();
            let address = p.member.address.clone();
            let outcome: Result<Option<String>, AppError> = match p.action {
                MemberAction::Suspend => suspend_member(t, id).await.map(|_| Some(format!("{address} is suspended."))),
                MemberAction::Resume => resume_member(t, id).await.map(|_| Some(format!("{address} is active again."))),
                MemberAction::SetRole => set_member_role(t, id, new_role.get_untracked()).await
                    .map(|m| Some(format!("{address} is now {}.", m.role))),
                MemberAction::SignOut => sign_out_member(t, id).await.map(|r| Some(format!(
                    "Signed {address} out: {} Authentik session(s), {} refresh token(s), {} console session(s) ended.{}",
                    r.authentik_sessions, r.refresh_tokens, r.console_sessions,
                    if r.errors.is_empty() { String::new() } else { format!(" Not everything could be ended: {}", r.errors.join(" ")) }))),
                MemberAction::ResetPassword => reset_member_password(t, id).await.map(|r| {
                    if let Some(pw) = r.one_time_password {
                        reveal.set(Some((address.clone(), pw)));
                    }
                    Some(if r.member.needs_attention { format!("{address}: a step is still in error; see the table.") } else { format!("{address}: done.") })
                }),
                MemberAction::Retry => retry_member(t, id).await.map(|r| match r {
                    None => Some(format!("{address} was removed.")),
                    Some(r) => {
                        if let Some(pw) = r.one_time_password {
                            reveal.set(Some((address.clone(), pw)));
                        }
                        Some(if r.member.needs_attention { format!("{address}: a step is still in error; see the table.") } else { format!("{address}: done.") })
                    }
                }),
                MemberAction::Remove => remove_member(t, id).await.map(|_| Some(format!("{address} was removed."))),
                MemberAction::Cancel => cancel_member(t, id).await.map(|_| Some(format!("{address} was removed."))),
            };
            working.set(false);
            pending.set(None);
            match outcome {
                Ok(n) => notice.set(n),
                Err(e) => failure.set(Some(e.message())),
            }
            refresh();
        });
    };

    let action_button = move |m: &MemberView, action: MemberAction| {
        let label = action.label(m.status);
        let m = m.clone();
        view! {
            <button type="button" data-action=action.as_str() class="member-action rounded border border-slate-300 bg-white px-2 py-0.5 text-xs hover:bg-slate-50"
                on:click=move |_| ask(m.clone(), action)>{label}</button>
        }
    };

    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Members/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-4">"Users & groups"</h1>
                <div role="tablist" class="flex gap-1 border-b border-slate-200 mb-4">
                    {[("members", "Members"), ("groups", "Groups"), ("invitations", "Invitations"), ("service_accounts", "Service accounts")].into_iter().map(|(id, label)| view! {
                        <button type="button" role="tab" id=format!("tab-{id}") aria-selected=move || (tab.get() == id).to_string()
                            class=move || if tab.get() == id { "px-3 py-2 text-sm font-medium border-b-2 border-accent text-accent" } else { "px-3 py-2 text-sm text-slate-600" }
                            on:click=move |_| tab.set(id)>{label}</button>
                    }).collect_view()}
                </div>
                {move || match tab.get() {
                    "groups" => view! { <p id="coming" class="text-slate-600">"Groups are coming: today every member belongs to the workspace's one group in Authentik and OCIS. Nothing is listed here until groups can really be managed."</p> }.into_any(),
                    "invitations" => view! { <p id="coming" class="text-slate-600">"Invitations are coming: for now, add members directly and hand over their one-time password."</p> }.into_any(),
                    "service_accounts" => view! { <p id="coming" class="text-slate-600">"Service accounts are coming: there are none to show yet."</p> }.into_any(),
                    _ => ().into_any(),
                }}
                <div class:hidden=move || tab.get() != "members">
                    {move || notice.get().map(|n| view! { <p id="member-notice" role="status" class="mb-3 rounded-md bg-emerald-50 p-2 text-sm text-emerald-800">{n}</p> })}
                    {move || failure.get().map(|n| view! { <p id="member-error" role="alert" class="mb-3 rounded-md bg-red-50 p-2 text-sm text-red-800">{n}</p> })}
                    {move || pending.get().map(|p| {
                        let title = match p.action {
                            MemberAction::Suspend => format!("Suspend {}?", p.member.address),
                            MemberAction::Resume => format!("Resume {}?", p.member.address),
                            MemberAction::SignOut => format!("Sign {} out everywhere?", p.member.address),
                            MemberAction::ResetPassword => format!("Reset the password of {}?", p.member.address),
                            MemberAction::SetRole => format!("Change the role of {}", p.member.address),
                            MemberAction::Retry => format!("Retry the failed steps of {}?", p.member.address),
                            MemberAction::Cancel => format!("Cancel the creation of {}?", p.member.address),
                            MemberAction::Remove => format!("Remove {}?", p.member.address),
                        };
                        let explain = match p.action {
                            MemberAction::Suspend => "Their sign-in is deactivated in Authentik (ending their sessions and tokens there), their mailbox refuses sign-in (mail is still delivered, the password is kept), and their console sessions end.",
                            MemberAction::Resume => "Their sign-in and mailbox work again with their existing password.",
                            MemberAction::SignOut => "Ends their Authentik sessions and refresh tokens (apps must sign in again) and their console sessions. Their password does not change.",
                            MemberAction::ResetPassword => "A new one-time password replaces the current one on their sign-in and mailbox. It is shown once.",
                            MemberAction::Retry => "Completes the steps in error; nothing is created twice. If the sign-in or mailbox still needs its password, a new one-time password is set and shown once.",
                            MemberAction::SetRole => "Owners manage everything including other owners; admins manage the workspace; members use it.",
                            MemberAction::Cancel | MemberAction::Remove => "",
                        };
                        let can_owner = list.get().and_then(|(r, _)| r.ok()).map(|v| v.can_manage_owners).unwrap_or(false);
                        view! {
                            <Dialog id="member-confirm" title=title width="max-w-lg" on_close=move |_| pending.set(None)>
                            <div id="confirm" data-action=p.action.as_str()>
                                <p class="text-sm text-slate-700 mb-3">{explain}</p>
                                {(p.action == MemberAction::SetRole).then(|| view! {
                                    <select id="confirm-role" aria-label="New role" class="mb-3 rounded-md border border-slate-300 px-2 py-1.5" on:change=move |ev| new_role.set(event_target_value(&ev))>
                                        <option value="member" selected=move || new_role.get() == "member">"Member"</option>
                                        <option value="admin" selected=move || new_role.get() == "admin">"Admin"</option>
                                        {can_owner.then(|| view! { <option value="owner" selected=move || new_role.get() == "owner">"Owner"</option> })}
                                    </select>
                                })}
                                {(!p.plan.is_empty()).then(|| view! {
                                    <ul id="removal-plan" class="mb-3 list-disc pl-5 text-sm">
                                        {p.plan.iter().map(|i| view! { <li data-system=i.system.clone() data-action=i.action.as_str()><strong>{i.system.clone()}": "</strong>{i.description.clone()}</li> }).collect_view()}
                                    </ul>
                                })}
                                <div class="flex gap-2">
                                    <button id="confirm-yes" type="button" class="rounded-md bg-accent px-3 py-1.5 text-sm text-on-accent disabled:opacity-50" disabled=move || working.get() on:click=confirm>
                                        {move || if working.get() { "Working…" } else { "Confirm" }}
                                    </button>
                                    <button id="confirm-no" type="button" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" on:click=move |_| pending.set(None)>"Back"</button>
                                </div>
                            </div>
                            </Dialog>
                        }
                    })}
                    // Outside the list, so that refreshing the list after a creation keeps the
                    // dialog (and its step results) on screen.
                    {move || creating.get().then(|| {
                        list.get_untracked().and_then(|(r, _)| r.ok()).and_then(|v| {
                            v.primary_domain.map(|domain| view! {
                                <CreateMemberDialog tenant=tenant() domain can_manage_owners=v.can_manage_owners
                                    on_created=move |(address, pw): (String, Option<String>)| {
                                        if let Some(pw) = pw { reveal.set(Some((address, pw))); }
                                        refresh();
                                    }
                                    on_close=move |_| creating.set(false)/>
                            })
                        })
                    })}
                    // After the create dialog, so that it shows over it; Done closes both.
                    {move || reveal.get().map(|(address, password)| view! {
                        <PasswordReveal tenant=tenant() address password on_close=move |_| { reveal.set(None); creating.set(false); }/>
                    })}
                    // Outside the list, so that typing keeps focus while the matching page loads.
                    <input id="member-search" type="search" aria-label="Search members by name or address" placeholder="Search by name or address"
                        class="mb-3 w-80 rounded-md border border-slate-300 px-2 py-1.5 text-sm"
                        prop:value=move || search.get()
                        on:input=move |ev| { pages.set(Vec::new()); search.set(event_target_value(&ev)); }/>
                    <Transition fallback=|| view! { <p>"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            let (list, mfa) = list.await;
                            match list {
                                Err(e) => view! { <ErrorView error=e/> }.into_any(),
                                Ok(v) => {
                                    let t = tenant();
                                    let mfa = std::sync::Arc::new(mfa);
                                    let header = match v.primary_domain.clone() {
                                        None => view! {
                                            <p id="no-primary-domain" class="mb-4 rounded-md bg-amber-50 p-3 text-sm text-amber-900">
                                                "New members get an address on the workspace's primary mail domain, and there is none yet. "
                                                <a class="underline" href=format!("/admin/{t}/domains")>"Add and verify a domain on the Domains page"</a>
                                                ", then make it primary."
                                            </p>
                                        }.into_any(),
                                        Some(_) => view! {
                                            <div class="mb-4">
                                                <button id="add-member" type="button" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium" on:click=move |_| creating.update(|c| *c = !*c)>
                                                    "Add member"
                                                </button>
                                            </div>
                                        }.into_any(),
                                    };
                                    let members = v.members.clone();
                                    let can_manage_owners = v.can_manage_owners;
                                    let page_number = pages.get_untracked().len() + 1;
                                    let shown = members.len();
                                    let next_cursor = v.next_cursor.clone();
                                    view! {
                                        {header}
                                        {v.usage_note.clone().map(|n| view! { <p class="mb-2 text-xs text-slate-500">{n}</p> })}
                                        <table id="members" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                                            <thead class="text-left text-slate-500"><tr>
                                                <th class="p-2">"Name"</th><th class="p-2">"Address"</th><th class="p-2">"Role"</th><th class="p-2">"Status"</th>
                                                <th class="p-2">"MFA"</th><th class="p-2">"Mailbox"</th><th class="p-2">"Actions"</th>
                                            </tr></thead>
                                            <tbody>
                                                {members.into_iter().map(|m| {
                                                    let problems: Vec<StepStatus> = m.steps.iter().filter(|s| s.state == StepState::Error).cloned().collect();
                                                    let mfa_cell = mfa_cell(&mfa, &m.id);
                                                    let since = m.suspended_at.map(|at| format!("since {} by {}", format_time(at), m.suspended_by.clone().unwrap_or_else(|| "unknown".into())));
                                                    view! {
                                                        <tr class="border-t border-slate-100 align-top" data-address=m.address.clone() data-status=m.status.as_str()>
                                                            <td class="p-2 font-medium">{m.name.clone()}{m.is_self.then(|| view! { <span class="ml-1 text-xs text-slate-500">"(you)"</span> })}</td>
                                                            <td class="p-2 font-mono text-xs">{m.address.clone()}</td>
                                                            <td class="p-2 member-role">{m.role.as_str()}</td>
                                                            <td class="p-2">
                                                                {status_chip(&m)}
                                                                {since.map(|s| view! { <div class="member-suspended text-xs text-slate-500">{s}</div> })}
                                                                {problems.into_iter().map(|s| view! {
                                                                    <div class="member-step-error mt-1 text-xs text-red-700" data-upstream=s.upstream.clone()><StateChip state=s.state.as_str()/>" "{s.message.clone()}</div>
                                                                }).collect_view()}
                                                            </td>
                                                            <td class="p-2 text-xs member-mfa">{mfa_cell}</td>
                                                            <td class="p-2 text-xs member-usage">{m.mailbox_used_bytes.map(human_bytes).unwrap_or_else(|| "—".into())}</td>
                                                            <td class="p-2">
                                                                <div class="flex flex-wrap gap-1">
                                                                    {m.actions(can_manage_owners).into_iter().map(|a| action_button(&m, a)).collect_view()}
                                                                </div>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                        {pager(Pages { id: "members", label: "Member pages", noun: ("member", "members") }, page_number, shown, v.total, next_cursor, pages)}
                                    }.into_any()
                                }
                            }
                        })}
                    </Transition>
                </div>
            </div>
        </div>
    }
}

/// The MFA column of one member: enrolled (with the methods), not enrolled, or unknown with
/// the reason — never "not enrolled" when it is not known.
fn mfa_cell(
    mfa: &Result<Vec<wire::security::MemberMfa>, AppError>,
    member_id: &str,
) -> impl IntoView {
    use wire::security::MfaState;
    let state = match mfa {
        Err(e) => MfaState::Unknown {
            reason: e.message(),
        },
        Ok(members) => members
            .iter()
            .find(|m| m.member_id == member_id)
            .map(|m| m.mfa.clone())
            .unwrap_or(MfaState::Unknown {
                reason: "The MFA lookup did not return this member.".into(),
            }),
    };
    match state {
        MfaState::Enrolled { authenticators } => {
            let kinds: Vec<String> = authenticators.iter().map(|a| a.kind.clone()).collect();
            view! { <span data-mfa="enrolled" class="rounded-full bg-emerald-100 px-2 py-0.5 text-emerald-800" title=kinds.join(", ")>"Enrolled"</span> }.into_any()
        }
        MfaState::NotEnrolled => view! { <span data-mfa="not_enrolled" class="rounded-full bg-amber-100 px-2 py-0.5 text-amber-800">"Not enrolled"</span> }.into_any(),
        MfaState::Unknown { reason } => view! {
            <span data-mfa="unknown" class="text-slate-600">"Unknown"</span>
            <div class="mfa-reason text-slate-500">{reason}</div>
        }.into_any(),
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn bytes_read_like_mail_clients_show_them() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(2_340_000_000), "2.3 GB");
    }
}

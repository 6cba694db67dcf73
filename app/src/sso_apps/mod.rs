//! SSO apps: the tenant's OpenID Connect applications on Dezky's Authentik. The list (name,
//! client id, redirect URIs, who may sign in, created by and when), the register form that
//! ends with the one-time reveal of the client id and secret and the endpoints a developer
//! needs, the edit form, and rotate and delete behind confirmations.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

use crate::components::{copy_to_clipboard, format_time, ErrorView};
use crate::dialog::Dialog;
use crate::frame::{AdminSection, AdminSidebar};
use wire::sso_apps::{Fence, MatchingMode, SsoApp, SsoAppSecret, SsoAppState, SsoEndpoints};

const INPUT: &str = "mt-1 rounded-md border border-slate-300 px-2 py-1.5";

/// A value with a copy button.
#[component]
fn Copyable(id: &'static str, label: &'static str, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let v = value.clone();
    view! {
        <div class="mb-2">
            <div class="text-xs font-medium text-slate-600">{label}</div>
            <div class="flex items-center gap-2">
                <code id=id class="break-all rounded bg-white px-2 py-1 font-mono text-xs border border-slate-300">{value}</code>
                <button id=format!("{id}-copy") type="button" class="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs"
                    on:click=move |_| { copy_to_clipboard(v.clone()); copied.set(true); }>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}

#[component]
fn Endpoints(endpoints: Option<SsoEndpoints>) -> impl IntoView {
    match endpoints {
        None => view! { <p class="text-sm text-slate-600">"Authentik does not serve this app's endpoints right now."</p> }.into_any(),
        Some(e) => view! {
            <div id="sso-endpoints" class="grid gap-x-6 sm:grid-cols-2">
                <Copyable id="endpoint-issuer" label="Issuer" value=e.issuer/>
                <Copyable id="endpoint-discovery" label="Discovery (OpenID configuration)" value=e.discovery/>
                <Copyable id="endpoint-authorize" label="Authorization endpoint" value=e.authorize/>
                <Copyable id="endpoint-token" label="Token endpoint" value=e.token/>
                <Copyable id="endpoint-userinfo" label="Userinfo endpoint" value=e.userinfo/>
                <Copyable id="endpoint-jwks" label="JWKS" value=e.jwks/>
            </div>
        }.into_any(),
    }
}

/// The client id and secret, shown once, with the endpoints.
#[component]
fn SecretReveal(secret: SsoAppSecret, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    view! {
        <Dialog id="secret-reveal" title=format!("Credentials of {}", secret.detail.app.name) width="max-w-2xl" on_close=on_close>
            <p class="text-sm text-slate-700 mb-3">
                "The client secret is shown only now and Dezky keeps no copy: put it in your app's configuration. If it is lost, rotate it."
            </p>
            <Copyable id="client-id" label="Client ID" value=secret.client_id/>
            <Copyable id="client-secret" label="Client secret" value=secret.client_secret/>
            <h3 class="mt-4 mb-2 text-sm font-semibold">"Endpoints"</h3>
            <Endpoints endpoints=secret.detail.endpoints/>
            <button id="secret-done" type="button" class="mt-3 rounded-md bg-accent px-3 py-1.5 text-sm text-on-accent" on:click=move |_| on_close.run(())>
                "Done"
            </button>
        </Dialog>
    }
}

/// The register form, or the edit form of `editing`.
#[component]
fn AppForm(
    tenant: String,
    editing: Option<SsoApp>,
    #[prop(into)] on_saved: Callback<Option<SsoAppSecret>>,
) -> impl IntoView {
    let id = editing.as_ref().map(|a| a.id.clone());
    let name = RwSignal::new(editing.as_ref().map(|a| a.name.clone()).unwrap_or_default());
    let uris = RwSignal::new(
        editing
            .as_ref()
            .map(|a| {
                a.redirect_uris
                    .iter()
                    .map(|r| r.url.clone())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default(),
    );
    let regex = RwSignal::new(
        editing
            .as_ref()
            .and_then(|a| a.redirect_uris.first())
            .is_some_and(|r| r.matching_mode == MatchingMode::Regex),
    );
    let launch = RwSignal::new(
        editing
            .as_ref()
            .and_then(|a| a.launch_url.clone())
            .unwrap_or_default(),
    );
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let is_edit = id.is_some();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (t, id) = (tenant.clone(), id.clone());
        let (n, u, l) = (
            name.get_untracked(),
            uris.get_untracked(),
            launch.get_untracked(),
        );
        let m = if regex.get_untracked() {
            "regex"
        } else {
            "strict"
        }
        .to_string();
        leptos::task::spawn_local(async move {
            let result = match id {
                None => create_sso_app(t, n, u, m, l).await.map(Some),
                Some(id) => update_sso_app(t, id, n, u, m, l).await.map(|_| None),
            };
            busy.set(false);
            match result {
                Ok(s) => on_saved.run(s),
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
        });
    };
    view! {
        <section id="sso-app-form" class="mb-6 rounded-xl border border-slate-200 bg-white p-5">
            <h2 class="text-lg font-semibold mb-3">{if is_edit { "Edit app" } else { "Register an app" }}</h2>
            <form class="flex flex-col gap-3 max-w-2xl" on:submit=submit>
                <label class="flex flex-col text-sm">"Name"
                    <input id="sso-name" class=INPUT required maxlength="64" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    {(!is_edit).then(|| view! { <span class="text-xs text-slate-500 mt-1">"The app's address in Authentik is made from the name and your workspace; it does not change later."</span> })}
                </label>
                <label class="flex flex-col text-sm">"Redirect URIs (one per line, at most 10)"
                    <textarea id="sso-redirect-uris" rows="3" class=format!("{INPUT} font-mono text-xs") required
                        placeholder="https://wiki.example.com/oauth/callback"
                        prop:value=move || uris.get() on:input=move |ev| uris.set(event_target_value(&ev))></textarea>
                    <span class="text-xs text-slate-500 mt-1">"Full https addresses; plain http only for localhost. No fragments (#) and no wildcards."</span>
                </label>
                <fieldset class="text-sm">
                    <legend class="font-medium">"Matching"</legend>
                    <label class="mr-4"><input type="radio" name="sso-matching" id="sso-matching-strict" prop:checked=move || !regex.get() on:change=move |_| regex.set(false)/>" Exact (recommended)"</label>
                    <label><input type="radio" name="sso-matching" id="sso-matching-regex" prop:checked=move || regex.get() on:change=move |_| regex.set(true)/>" Regular expressions"</label>
                    {move || regex.get().then(|| view! {
                        <p id="sso-regex-warning" role="alert" class="mt-2 rounded-md bg-amber-50 p-2 text-xs text-amber-900">
                            "Each line is then a regular expression that must match the whole redirect URI. A loose pattern (an unescaped dot, .*) lets an attacker's address receive your members' sign-ins. Escape dots and prefer exact URIs."
                        </p>
                    })}
                </fieldset>
                <label class="flex flex-col text-sm">"Launch URL (optional: a tile in your members' app launcher)"
                    <input id="sso-launch-url" class=INPUT placeholder="https://wiki.example.com/" prop:value=move || launch.get() on:input=move |ev| launch.set(event_target_value(&ev))/>
                </label>
                <div>
                    <button id="sso-submit" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                        {move || match (busy.get(), is_edit) {
                            (true, false) => "Registering in Authentik…",
                            (true, true) => "Saving…",
                            (false, false) => "Register app",
                            (false, true) => "Save",
                        }}
                    </button>
                </div>
            </form>
            {move || error.get().map(|(field, message)| view! {
                <p id="sso-error" role="alert" data-field=field.unwrap_or_default() class="mt-3 text-sm text-red-700">{message}</p>
            })}
        </section>
    }
}

fn fence_chip(fence: &Fence) -> impl IntoView {
    let (label, class, title) = match fence {
        Fence::TenantOnly => (
            "Workspace members only",
            "bg-emerald-100 text-emerald-800",
            String::new(),
        ),
        Fence::Broken(why) => ("Not fenced", "bg-red-100 text-red-800", why.clone()),
        Fence::Unknown(why) => ("Unknown", "bg-slate-100 text-slate-700", why.clone()),
    };
    view! {
        <span class=format!("sso-fence rounded-full px-2 py-0.5 text-xs {class}") title=title.clone()>{label}</span>
        {(!title.is_empty()).then(|| view! { <div class="text-xs text-slate-500">{title}</div> })}
    }
}

/// An action waiting for confirmation.
#[derive(Clone, Debug, PartialEq)]
enum Confirm {
    Rotate(SsoApp),
    Delete(SsoApp),
}

#[component]
pub fn SsoAppsPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let list = Resource::new(move || (tenant(), version.get()), |(t, _)| get_sso_apps(t));
    let refresh = move || version.update(|v| *v += 1);
    let form = RwSignal::new(None::<Option<SsoApp>>);
    let reveal = RwSignal::new(None::<SsoAppSecret>);
    let details = RwSignal::new(None::<(String, Option<SsoEndpoints>)>);
    let confirm = RwSignal::new(None::<Confirm>);
    let working = RwSignal::new(false);
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);

    let show_details = move |app: SsoApp| {
        if details.get_untracked().is_some_and(|(id, _)| id == app.id) {
            details.set(None);
            return;
        }
        let t = tenant();
        leptos::task::spawn_local(async move {
            match get_sso_app(t, app.id.clone()).await {
                Ok(d) => details.set(Some((app.id, d.endpoints))),
                Err(e) => failure.set(Some(e.message())),
            }
        });
    };
    let run = move |_| {
        let Some(c) = confirm.get_untracked() else {
            return;
        };
        let t = tenant();
        working.set(true);
        failure.set(None);
        notice.set(None);
        leptos::task::spawn_local(async move {
            match c {
                Confirm::Rotate(app) => match rotate_sso_app_secret(t, app.id.clone()).await {
                    Ok(s) => {
                        reveal.set(Some(s));
                        notice.set(Some(format!(
                            "{}: the old secret no longer works.",
                            app.name
                        )));
                    }
                    Err(e) => failure.set(Some(e.message())),
                },
                Confirm::Delete(app) => match delete_sso_app(t, app.id.clone()).await {
                    Ok(()) => notice.set(Some(format!("{} was deleted from Authentik.", app.name))),
                    Err(e) => failure.set(Some(e.message())),
                },
            }
            working.set(false);
            confirm.set(None);
            refresh();
        });
    };

    let saved = move |s: Option<SsoAppSecret>| {
        form.set(None);
        match s {
            Some(s) => reveal.set(Some(s)),
            None => notice.set(Some("Saved in Authentik.".into())),
        }
        refresh();
    };

    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Apps/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-1">"SSO apps"</h1>
                <p class="mb-4 text-sm text-slate-600">
                    "Connect your own tools (a wiki, a CRM, an internal app) to your workspace's sign-in with OpenID Connect. Only members of this workspace can sign in to them."
                </p>
                <div class="mb-4">
                    <button id="sso-register" type="button" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium"
                        on:click=move |_| { reveal.set(None); form.update(|f| *f = if f.is_some() { None } else { Some(None) }); }>
                        "Register app"
                    </button>
                </div>
                {move || reveal.get().map(|s| view! { <SecretReveal secret=s on_close=move |_| reveal.set(None)/> })}
                {move || notice.get().map(|n| view! { <p id="sso-notice" role="status" class="mb-3 rounded-md bg-emerald-50 p-2 text-sm text-emerald-800">{n}</p> })}
                {move || failure.get().map(|n| view! { <p id="sso-failure" role="alert" class="mb-3 rounded-md bg-red-50 p-2 text-sm text-red-800">{n}</p> })}
                {move || form.get().map(|editing| view! {
                    <AppForm tenant=tenant() editing on_saved=saved/>
                })}
                {move || confirm.get().map(|c| {
                    let (title, explain, action) = match &c {
                        Confirm::Rotate(a) => (format!("Rotate the secret of {}?", a.name), "A new client secret is set and shown once. The current one stops working at once: the app cannot sign anyone in until its configuration has the new secret.", "rotate"),
                        Confirm::Delete(a) => (format!("Delete {}?", a.name), "Its binding, application and provider are deleted from Authentik, with every token it issued. Members can no longer sign in to it.", "delete"),
                    };
                    view! {
                        <Dialog id="sso-confirm-dialog" title=title width="max-w-lg" on_close=move |_| confirm.set(None)>
                        <div id="sso-confirm" data-action=action>
                            <p class="text-sm text-slate-700 mb-3">{explain}</p>
                            <div class="flex gap-2">
                                <button id="sso-confirm-yes" type="button" class="rounded-md bg-accent px-3 py-1.5 text-sm text-on-accent disabled:opacity-50" disabled=move || working.get() on:click=run>
                                    {move || if working.get() { "Working…" } else { "Confirm" }}
                                </button>
                                <button id="sso-confirm-no" type="button" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" on:click=move |_| confirm.set(None)>"Back"</button>
                            </div>
                        </div>
                        </Dialog>
                    }
                })}
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(apps) if apps.is_empty() => view! {
                                <p id="sso-empty" class="text-slate-600">"No apps yet. Register one to give your members single sign-on to it."</p>
                            }.into_any(),
                            Ok(apps) => view! {
                                <table id="sso-apps" class="w-full text-sm bg-white border border-slate-200 rounded-lg">
                                    <thead class="text-left text-slate-500"><tr>
                                        <th class="p-2">"Name"</th><th class="p-2">"Client ID"</th><th class="p-2">"Redirect URIs"</th>
                                        <th class="p-2">"Who may sign in"</th><th class="p-2">"Created"</th><th class="p-2">"Actions"</th>
                                    </tr></thead>
                                    <tbody>
                                        {apps.into_iter().map(|a| {
                                            let active = a.state == SsoAppState::Active;
                                            let (d, r, x, e) = (a.clone(), a.clone(), a.clone(), a.clone());
                                            let id = a.id.clone();
                                            view! {
                                                <tr class="border-t border-slate-100 align-top" data-app=a.name.clone() data-state=a.state.as_str()>
                                                    <td class="p-2 font-medium">{a.name.clone()}<div class="font-mono text-xs text-slate-500">{a.slug.clone()}</div></td>
                                                    <td class="p-2 font-mono text-xs break-all sso-client-id">{a.client_id.clone().unwrap_or_else(|| "—".into())}</td>
                                                    <td class="p-2 font-mono text-xs">
                                                        {a.redirect_uris.iter().map(|u| view! {
                                                            <div class="break-all">{u.url.clone()}{(u.matching_mode == MatchingMode::Regex).then(|| view! { <span class="ml-1 rounded bg-amber-100 px-1 text-amber-900">"regex"</span> })}</div>
                                                        }).collect_view()}
                                                    </td>
                                                    <td class="p-2">
                                                        {if active { fence_chip(&a.fence).into_any() } else {
                                                            view! { <span class="sso-state rounded-full bg-red-100 px-2 py-0.5 text-xs text-red-800">{a.state.as_str()}</span><div class="text-xs text-red-800">{a.message.clone()}</div> }.into_any()
                                                        }}
                                                    </td>
                                                    <td class="p-2 text-xs">{format_time(a.created_at)}<div class="text-slate-500">{a.created_by.clone().unwrap_or_default()}</div></td>
                                                    <td class="p-2">
                                                        <div class="flex flex-wrap gap-1">
                                                            {active.then(|| view! {
                                                                <button type="button" data-action="details" class="sso-action rounded border border-slate-300 bg-white px-2 py-0.5 text-xs" on:click=move |_| show_details(d.clone())>"Endpoints"</button>
                                                                <button type="button" data-action="edit" class="sso-action rounded border border-slate-300 bg-white px-2 py-0.5 text-xs" on:click=move |_| { reveal.set(None); form.set(Some(Some(x.clone()))) }>"Edit"</button>
                                                                <button type="button" data-action="rotate" class="sso-action rounded border border-slate-300 bg-white px-2 py-0.5 text-xs" on:click=move |_| confirm.set(Some(Confirm::Rotate(r.clone())))>"Rotate secret"</button>
                                                            })}
                                                            <button type="button" data-action="delete" class="sso-action rounded border border-slate-300 bg-white px-2 py-0.5 text-xs" on:click=move |_| confirm.set(Some(Confirm::Delete(e.clone())))>
                                                                {if active { "Delete" } else { "Delete (retry cleanup)" }}
                                                            </button>
                                                        </div>
                                                        {move || details.get().filter(|(d, _)| *d == id).map(|(_, endpoints)| view! {
                                                            <div class="mt-2"><Endpoints endpoints/></div>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

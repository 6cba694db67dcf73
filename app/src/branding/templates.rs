//! The email templates: subject and body per message, its placeholders, a live preview with
//! sample data (in a sandboxed frame: no script, no access to the console), save and reset.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::api::{
    get_email_templates, preview_email_template, reset_email_template, save_email_template,
};
use crate::components::ErrorView;
use wire::branding::{EmailTemplateView, RenderedEmail};

#[component]
fn TemplateEditor(tenant: String, template: EmailTemplateView) -> impl IntoView {
    let kind = template.kind;
    let subject = RwSignal::new(template.subject.clone());
    let body = RwSignal::new(template.body.clone());
    let customised = RwSignal::new(template.customised);
    let preview = RwSignal::new(None::<RenderedEmail>);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let notice = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Each edit asks for a preview; only the latest answer is shown.
    let asked = StoredValue::new(0u64);
    let t = tenant.clone();
    Effect::new(move |_| {
        let (s, b) = (subject.get(), body.get());
        let n = asked.get_value() + 1;
        asked.set_value(n);
        let t = t.clone();
        leptos::task::spawn_local(async move {
            let answer = preview_email_template(t, kind.as_str().into(), s, b).await;
            if asked.get_value() != n {
                return;
            }
            match answer {
                Ok(r) => {
                    preview.set(Some(r));
                    error.set(None);
                }
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
        });
    });
    let t = tenant.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        notice.set(None);
        let t = t.clone();
        let (s, b) = (subject.get_untracked(), body.get_untracked());
        leptos::task::spawn_local(async move {
            match save_email_template(t, kind.as_str().into(), s, b).await {
                Ok(v) => {
                    customised.set(v.customised);
                    error.set(None);
                    notice.set(Some(
                        "Saved: this message is now sent as written here.".into(),
                    ));
                }
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
            busy.set(false);
        });
    };
    let reset = move |_| {
        busy.set(true);
        notice.set(None);
        let t = tenant.clone();
        leptos::task::spawn_local(async move {
            match reset_email_template(t, kind.as_str().into()).await {
                Ok(v) => {
                    subject.set(v.subject);
                    body.set(v.body);
                    customised.set(v.customised);
                    notice.set(Some("Back to the console's default.".into()));
                }
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
            busy.set(false);
        });
    };
    let id = kind.as_str();
    let placeholders = template
        .placeholders
        .iter()
        .map(|p| {
            view! {
                <li><code class="text-xs">{format!("{{{{ {} }}}}", p.name)}</code>" — "{p.description.clone()}</li>
            }
        })
        .collect_view();
    let field_error = move |field: &'static str| {
        move || {
            error
                .get()
                .filter(|e| e.0.as_deref() == Some(field))
                .map(|e| e.1)
        }
    };
    view! {
        <form id=format!("template-{id}") class="template rounded-xl border border-slate-200 bg-white p-5 shadow-sm mb-6" on:submit=save>
            <div class="flex items-center justify-between mb-3">
                <h3 class="font-semibold">{template.label.clone()}</h3>
                <span class="template-state text-xs rounded-full px-2 py-0.5 bg-slate-100 text-slate-700">
                    {move || if customised.get() { "This workspace's own" } else { "Console default" }}
                </span>
            </div>
            <div class="grid gap-4 lg:grid-cols-2">
                <div class="space-y-3">
                    <label class="block text-sm">
                        <span class="font-medium">"Subject"</span>
                        <input name="subject" class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 text-sm"
                            prop:value=move || subject.get() on:input=move |ev| subject.set(event_target_value(&ev))/>
                    </label>
                    <p role="alert" class="subject-error text-xs text-red-700" class:hidden=move || field_error("subject")().is_none()>
                        {move || field_error("subject")().unwrap_or_default()}
                    </p>
                    <label class="block text-sm">
                        <span class="font-medium">"Message (HTML)"</span>
                        <textarea name="body" rows="10" class="mt-1 w-full rounded-md border border-slate-300 px-3 py-2 font-mono text-xs"
                            prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                    </label>
                    <p role="alert" class="body-error text-xs text-red-700" class:hidden=move || field_error("body")().is_none()>
                        {move || field_error("body")().unwrap_or_default()}
                    </p>
                    <details class="text-sm">
                        <summary class="cursor-pointer">"Placeholders (values are escaped)"</summary>
                        <ul class="mt-1 space-y-0.5 text-slate-700">{placeholders}</ul>
                    </details>
                    <div class="flex items-center gap-2">
                        <button type="submit" class="template-save rounded-md bg-accent text-on-accent px-4 py-2 text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>"Save"</button>
                        <button type="button" class="template-reset rounded-md border border-slate-300 px-3 py-2 text-sm disabled:opacity-50" on:click=reset disabled=move || busy.get()>"Reset to default"</button>
                    </div>
                    <p role="status" class="template-notice text-sm text-emerald-700" class:hidden=move || notice.with(Option::is_none)>
                        {move || notice.get().unwrap_or_default()}
                    </p>
                </div>
                <div>
                    <p class="text-sm font-medium mb-1">"Preview with sample data"</p>
                    <p class="preview-subject text-sm rounded-t-md border border-slate-200 bg-slate-50 px-3 py-2">
                        <span class="text-slate-500">"Subject: "</span>
                        {move || preview.get().map(|p| p.subject).unwrap_or_default()}
                    </p>
                    <iframe class="preview-body w-full h-64 rounded-b-md border border-t-0 border-slate-200 bg-white"
                        title=format!("Preview of the {}", template.label.to_lowercase())
                        sandbox="" srcdoc=move || preview.get().map(|p| p.body).unwrap_or_default()></iframe>
                </div>
            </div>
        </form>
    }
}

/// Every template of the workspace.
#[component]
pub fn TemplatesSection() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let data = Resource::new(tenant, get_email_templates);
    view! {
        <section id="email-templates">
            <h2 class="text-lg font-semibold mb-1">"Email templates"</h2>
            <p class="mb-3 text-sm text-slate-600">
                "The messages the console sends for this workspace, written with placeholders like {{ member_name }}. A password is never put in an email."
            </p>
            <Suspense fallback=|| view! { <p>"Loading the templates…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(list) => list.into_iter().map(|t| view! { <TemplateEditor tenant=tenant() template=t/> }).collect_view().into_any(),
                        Err(e) => view! { <ErrorView error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

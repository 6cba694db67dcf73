//! Branding: the workspace's product name, accent colour (checked for WCAG 2.x contrast as it
//! is typed, previewed on a small console before saving) and logo, and its email templates
//! (`templates.rs`).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;
mod templates;

pub use api::*;

use crate::components::ErrorView;
use crate::frame::{AdminSection, AdminSidebar};
use templates::TemplatesSection;
#[cfg(feature = "hydrate")]
use wire::branding::AccentCheck;
use wire::branding::{BrandingView, TextColour};

/// Reloads the page, so the server draws it in the saved theme.
fn reload() {
    #[cfg(feature = "hydrate")]
    {
        let _ = window().location().reload();
    }
}

/// "6.29:1".
fn ratio(r: f64) -> String {
    format!("{r:.2}:1")
}

/// Sets the preview's custom properties through the CSSOM (allowed by the page's CSP, which
/// refuses `style` attributes).
#[cfg(feature = "hydrate")]
fn paint(el: &web_sys::HtmlElement, check: &AccentCheck) {
    let style = el.style();
    let _ = style.set_property("--accent", &check.accent);
    let _ = style.set_property("--on-accent", check.on_accent.hex());
}

#[component]
fn ThemeForm(tenant: String, data: BrandingView) -> impl IntoView {
    let name = RwSignal::new(data.product_name.clone().unwrap_or_default());
    let accent = RwSignal::new(data.accent.clone().unwrap_or_default());
    let check = RwSignal::new(Some(data.check.clone()));
    let check_error = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let busy = RwSignal::new(false);
    let default_accent = wire::branding::ThemeView::dezky().accent;
    let preview = NodeRef::<leptos::html::Div>::new();
    let t = tenant.clone();
    // Every change of the colour: ask the server for its check (the same code that decides
    // at save), and repaint the preview.
    let recheck = move |typed: String| {
        let t = t.clone();
        let typed = if typed.trim().is_empty() {
            wire::branding::ThemeView::dezky().accent
        } else {
            typed
        };
        leptos::task::spawn_local(async move {
            match check_accent(t, typed).await {
                Ok(c) => {
                    check.set(Some(c));
                    check_error.set(None);
                }
                Err(e) => {
                    check.set(None);
                    check_error.set(Some(e.message()));
                }
            }
        });
    };
    Effect::new(move |_| {
        let c = check.get();
        #[cfg(feature = "hydrate")]
        if let (Some(el), Some(c)) = (preview.get(), c.as_ref()) {
            paint(&el, c);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = c;
    });
    let on_accent = {
        let recheck = recheck.clone();
        move |ev| {
            let v = event_target_value(&ev);
            accent.set(v.clone());
            recheck(v);
        }
    };
    let use_suggestion = {
        let recheck = recheck.clone();
        move |_| {
            if let Some(s) = check.get_untracked().and_then(|c| c.suggestion) {
                accent.set(s.clone());
                recheck(s);
            }
        }
    };
    let tenant_save = tenant.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let (t, n, a) = (
            tenant_save.clone(),
            name.get_untracked(),
            accent.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match update_branding(t, n, a).await {
                Ok(_) => reload(),
                Err(e) => {
                    error.set(Some((e.field().map(String::from), e.message())));
                    busy.set(false);
                }
            }
        });
    };
    let picker_value = move || {
        let a = accent.get();
        if a.len() == 7 && a.starts_with('#') {
            a.to_lowercase()
        } else {
            check
                .get()
                .map(|c| c.accent)
                .unwrap_or_else(|| "#4f46e5".into())
        }
    };
    let input = "rounded-md border border-slate-300 px-3 py-2 text-sm";
    view! {
        <form id="theme-form" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm mb-6" on:submit=submit>
            <h2 class="text-lg font-semibold mb-3">"Name and colour"</h2>
            <div class="grid gap-6 md:grid-cols-2">
                <div class="space-y-4">
                    <label class="block text-sm">
                        <span class="font-medium">"Product name"</span>
                        <span class="block text-xs text-slate-500 mb-1">"Shown instead of Dezky in the header, the title and the sidebar. Empty: Dezky."</span>
                        <input id="product-name-input" class=format!("{input} w-full") maxlength="40" placeholder="Dezky"
                            prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                    </label>
                    <div class="text-sm">
                        <label for="accent-input" class="font-medium">"Accent colour"</label>
                        <span class="block text-xs text-slate-500 mb-1">{format!("#rgb or #rrggbb. Empty: the console's own ({default_accent}).")}</span>
                        <div class="flex items-center gap-2">
                            <input id="accent-picker" type="color" aria-label="Pick the accent colour" class="h-9 w-12 rounded border border-slate-300"
                                prop:value=picker_value on:input=on_accent.clone()/>
                            <input id="accent-input" class=format!("{input} w-32 font-mono") placeholder=default_accent.clone()
                                prop:value=move || accent.get() on:input=on_accent/>
                        </div>
                    </div>
                    <div id="contrast" role="status" class="rounded-md bg-slate-50 p-3 text-sm">
                        <p class:hidden=move || check_error.with(Option::is_none) class="text-red-700">{move || check_error.get().unwrap_or_default()}</p>
                        {move || check.get().map(|c| {
                            let text = match c.on_accent { TextColour::Black => "Black", TextColour::White => "White" };
                            let suggestion = c.suggestion.clone();
                            view! {
                                <p id="contrast-text" data-ratio=c.on_accent_ratio.to_string()>
                                    {format!("{text} text on this colour: {} ", ratio(c.on_accent_ratio))}
                                    <span class="text-emerald-700">"✓"</span>
                                </p>
                                <p id="contrast-page" data-ratio=c.on_page_ratio.to_string()>
                                    {format!("As links on the white page: {} ", ratio(c.on_page_ratio))}
                                    {if c.on_page_ratio >= 4.5 {
                                        view! { <span class="text-emerald-700">"✓"</span> }.into_any()
                                    } else {
                                        view! { <span class="text-red-700 font-medium">"below 4.5:1 (WCAG 2.x AA)"</span> }.into_any()
                                    }}
                                </p>
                                {suggestion.map(|s| view! {
                                    <p class="mt-1">
                                        {format!("Nearest colour that passes: {s} ")}
                                        <button id="use-suggestion" type="button" class="underline text-slate-900" on:click=use_suggestion.clone()>"Use it"</button>
                                    </p>
                                })}
                            }
                        })}
                    </div>
                </div>
                // The preview: a small console drawn with the colour as typed.
                <div>
                    <p class="text-sm font-medium mb-1">"Preview"</p>
                    <div id="theme-preview" node_ref=preview class="rounded-lg border border-slate-200 bg-slate-50 overflow-hidden" aria-label="Preview of the console in these colours">
                        <div class="flex items-center justify-between bg-white border-b border-slate-200 px-3 h-10">
                            <span id="preview-name" class="font-bold text-accent">{move || { let n = name.get(); if n.trim().is_empty() { "Dezky".to_string() } else { n } }}</span>
                            <span class="h-6 w-6 rounded-full bg-accent"></span>
                        </div>
                        <div class="flex gap-3 p-3">
                            <div class="w-24 space-y-1 text-xs">
                                <div class="rounded bg-slate-100 px-2 py-1 font-medium text-accent">"Dashboard"</div>
                                <div class="px-2 py-1 text-slate-700">"Users"</div>
                                <div class="px-2 py-1 text-slate-700">"Domains"</div>
                            </div>
                            <div class="flex-1 rounded bg-white p-3 text-xs">
                                <p class="mb-2">"A page with " <a href="#theme-preview" class="text-accent underline">"a link"</a> "."</p>
                                <span id="preview-button" class="inline-block rounded-md bg-accent text-on-accent px-3 py-1.5 font-medium">"Primary action"</span>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <p role="alert" id="theme-error" class="mt-3 text-sm text-red-700" class:hidden=move || error.with(Option::is_none)
                data-field=move || error.get().and_then(|e| e.0).unwrap_or_default()>
                {move || error.get().map(|e| e.1).unwrap_or_default()}
            </p>
            <button id="theme-save" type="submit" class="mt-4 rounded-md bg-accent text-on-accent px-4 py-2 text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                "Save name and colour"
            </button>
        </form>
    }
}

/// Reads the chosen file as a `data:` URL into `out` (browser only).
#[cfg(feature = "hydrate")]
fn read_file(ev: &leptos::ev::Event, out: RwSignal<Option<String>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|f| f.get(0)) else {
        out.set(None);
        return;
    };
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let done = reader.clone();
    let onload = Closure::once(move |_: web_sys::Event| {
        out.set(done.result().ok().and_then(|v| v.as_string()));
    });
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let _ = reader.read_as_data_url(&file);
}

#[component]
fn LogoForm(tenant: String, data: BrandingView) -> impl IntoView {
    let chosen = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let current = data.theme.logo_url.clone();
    let info = data.logo.clone();
    let on_file = move |ev: leptos::ev::Event| {
        error.set(None);
        #[cfg(feature = "hydrate")]
        read_file(&ev, chosen);
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };
    let t = tenant.clone();
    let upload = move |_| {
        let Some(data_url) = chosen.get_untracked() else {
            error.set(Some("Choose a PNG, JPEG or WebP file first.".into()));
            return;
        };
        busy.set(true);
        let t = t.clone();
        leptos::task::spawn_local(async move {
            match upload_logo(t, data_url).await {
                Ok(_) => reload(),
                Err(e) => {
                    error.set(Some(e.message()));
                    busy.set(false);
                }
            }
        });
    };
    let remove = move |_| {
        busy.set(true);
        let t = tenant.clone();
        leptos::task::spawn_local(async move {
            match remove_logo(t).await {
                Ok(_) => reload(),
                Err(e) => {
                    error.set(Some(e.message()));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <section id="logo-form" class="rounded-xl border border-slate-200 bg-white p-5 shadow-sm mb-6">
            <h2 class="text-lg font-semibold mb-1">"Logo"</h2>
            <p class="text-sm text-slate-600 mb-3">"PNG, JPEG or WebP, up to 256 KiB and 1024 pixels a side. It is re-encoded as PNG, so only the picture is kept. SVG is not accepted."</p>
            <div class="flex flex-wrap items-center gap-4">
                {match (current, info) {
                    (Some(src), Some(i)) => view! {
                        <figure class="flex items-center gap-2">
                            <img id="current-logo" src=src alt="Current logo" class="h-12 w-auto max-w-48 object-contain border border-slate-200 rounded"/>
                            <figcaption class="text-xs text-slate-500">{format!("{}×{} px, {} bytes", i.width, i.height, i.bytes)}</figcaption>
                        </figure>
                        <button id="logo-remove" type="button" class="rounded-md border border-slate-300 px-3 py-1.5 text-sm disabled:opacity-50" on:click=remove disabled=move || busy.get()>"Remove"</button>
                    }.into_any(),
                    _ => view! { <p id="no-logo" class="text-sm text-slate-500">"No logo: the product name shows alone."</p> }.into_any(),
                }}
            </div>
            <div class="mt-4 flex flex-wrap items-center gap-3">
                <input id="logo-file" type="file" accept="image/png,image/jpeg,image/webp" aria-label="Logo file" class="text-sm" on:change=on_file/>
                <img id="logo-chosen" alt="Chosen logo" class="h-12 w-auto max-w-48 object-contain" class:hidden=move || chosen.with(Option::is_none)
                    src=move || chosen.get().unwrap_or_default()/>
                <button id="logo-upload" type="button" class="rounded-md bg-accent text-on-accent px-4 py-2 text-sm font-medium disabled:opacity-50"
                    on:click=upload disabled=move || busy.get() || chosen.with(Option::is_none)>"Upload logo"</button>
            </div>
            <p role="alert" id="logo-error" class="mt-2 text-sm text-red-700" class:hidden=move || error.with(Option::is_none)>
                {move || error.get().unwrap_or_default()}
            </p>
        </section>
    }
}

#[component]
pub fn BrandingPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let data = Resource::new(tenant, get_branding);
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Branding/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-1">"Branding"</h1>
                <p class="mb-4 text-sm text-slate-600">"How the console looks for this workspace's admins and members, and the messages it sends them."</p>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(v) => view! {
                                <ThemeForm tenant=tenant() data=v.clone()/>
                                <LogoForm tenant=tenant() data=v/>
                            }.into_any(),
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
                <TemplatesSection/>
            </div>
        </div>
    }
}

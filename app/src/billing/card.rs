//! The default card and "Change card": a dialog with Stripe.js's card element (from
//! `/billing-card.js`, which loads Stripe.js from `STRIPE_JS_URL`). The server creates the
//! SetupIntent, Stripe.js confirms it with the card data (which never reaches the console),
//! and the server makes its payment method the default. A declined card shows Stripe's message
//! and keeps the dialog open.

use leptos::prelude::*;

use crate::dialog::Dialog;
use wire::billing::{CardView, StripeJs};

use super::{finish_card_change, start_card_change};

/// Calls `window.dezkyCard[method](...args)` and awaits its promise.
#[cfg(feature = "hydrate")]
async fn glue(
    method: &str,
    args: &[wasm_bindgen::JsValue],
) -> Result<wasm_bindgen::JsValue, String> {
    use wasm_bindgen::JsCast;
    let text = |v: wasm_bindgen::JsValue| {
        v.as_string()
            .or_else(|| {
                js_sys::Reflect::get(&v, &"message".into())
                    .ok()
                    .and_then(|m| m.as_string())
            })
            .unwrap_or_else(|| "The card form failed.".into())
    };
    let window = web_sys::window().ok_or("No window.")?;
    let card = js_sys::Reflect::get(&window, &"dezkyCard".into()).map_err(text)?;
    if card.is_undefined() {
        return Err("The card form did not load (billing-card.js).".into());
    }
    let f: js_sys::Function = js_sys::Reflect::get(&card, &method.into())
        .map_err(text)?
        .dyn_into()
        .map_err(|_| format!("billing-card.js has no {method}."))?;
    let list = js_sys::Array::new();
    for a in args {
        list.push(a);
    }
    let out = f.apply(&card, &list).map_err(text)?;
    match out.dyn_into::<js_sys::Promise>() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.map_err(text),
        Err(v) => Ok(v),
    }
}

#[cfg(feature = "hydrate")]
async fn mount(js: &StripeJs) -> Result<(), String> {
    glue(
        "mount",
        &[
            js.url.clone().into(),
            js.publishable_key.clone().into(),
            "#card-element".into(),
        ],
    )
    .await
    .map(|_| ())
}

/// Confirms with Stripe.js: the SetupIntent id, or Stripe's message.
#[cfg(feature = "hydrate")]
async fn confirm(client_secret: String) -> Result<String, String> {
    let r = glue("confirm", &[client_secret.into()]).await?;
    let field = |k: &str| {
        js_sys::Reflect::get(&r, &k.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    match (field("setupIntent"), field("error")) {
        (Some(id), _) => Ok(id),
        (None, Some(e)) => Err(e),
        (None, None) => Err("Stripe did not confirm the card.".into()),
    }
}

#[cfg(not(feature = "hydrate"))]
async fn mount(_: &StripeJs) -> Result<(), String> {
    Err("The card form runs in the browser.".into())
}

#[cfg(not(feature = "hydrate"))]
async fn confirm(_: String) -> Result<String, String> {
    Err("The card form runs in the browser.".into())
}

#[component]
pub fn CardSection(
    tenant: String,
    card: Option<CardView>,
    stripe_js: Option<StripeJs>,
) -> impl IntoView {
    let card = RwSignal::new(card);
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let can_change = stripe_js.is_some();
    let js = StoredValue::new(stripe_js);
    let open_dialog = move |_| {
        open.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            if let Some(js) = js.get_value() {
                if let Err(e) = mount(&js).await {
                    error.set(Some(e));
                }
            }
        });
    };
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        error.set(None);
        let t = tenant.clone();
        leptos::task::spawn_local(async move {
            let result = async {
                let start = start_card_change(t.clone())
                    .await
                    .map_err(|e| e.message())?;
                let seti = confirm(start.client_secret).await?;
                finish_card_change(t, seti).await.map_err(|e| e.message())
            }
            .await;
            match result {
                Ok(c) => {
                    card.set(Some(c));
                    open.set(false);
                }
                // Declined or refused: Stripe's message, the dialog stays open.
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="mb-2 flex items-center gap-4">
            <p id="billing-card" class="text-sm">
                {move || match card.get() {
                    Some(c) => format!("{} (expires {:02}/{})", c.label(), c.exp_month, c.exp_year),
                    None => "No card on file.".into(),
                }}
            </p>
            {can_change.then(|| view! {
                <button id="change-card" class="rounded-md border border-slate-300 px-3 py-1 text-sm" on:click=open_dialog>"Change card"</button>
            })}
            {(!can_change).then(|| view! {
                <span class="text-xs text-slate-500">"Changing the card is not set up on this console."</span>
            })}
        </div>
        // Kept mounted while closed: Stripe.js's card frame lives in it.
        <Dialog id="card-dialog" title="Change card".to_string() open=open width="max-w-md" on_close=move |_| open.set(false)>
            <form on:submit=save>
                <p class="mb-3 text-xs text-slate-600">"The card goes to Stripe directly; this console never sees its number."</p>
                <div id="card-element" class="mb-3 rounded-md border border-slate-300 p-2"></div>
                // Always in the page, shown when set: an optional view here lost its place once
                // Stripe.js had mounted its inputs beside it (the message never appeared).
                <p id="card-error" role="alert" class="mb-2 text-sm text-red-700" class:hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="flex justify-end gap-2">
                    <button type="button" class="px-3 py-1 text-sm" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button id="card-save" type="submit" class="rounded-md bg-accent px-3 py-1 text-sm text-on-accent disabled:opacity-50" disabled=move || busy.get()>
                        {move || if busy.get() { "Confirming with Stripe…" } else { "Save card" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

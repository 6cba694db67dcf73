//! Billing: the workspace's billing details on Stripe (company, billing email, country, EU VAT
//! id). The subscription, invoices and payment method are not built yet, and the page says so
//! rather than showing numbers it cannot read.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

use crate::components::ErrorView;
use crate::frame::{AdminSection, AdminSidebar};
use wire::billing::BillingDetails;

const INPUT: &str = "mt-1 rounded-md border border-slate-300 px-2 py-1.5";

#[component]
fn DetailsForm(tenant: String, details: BillingDetails) -> impl IntoView {
    let company = RwSignal::new(details.company_name.unwrap_or_default());
    let email = RwSignal::new(details.billing_email.unwrap_or_default());
    let country = RwSignal::new(details.country.unwrap_or_default());
    let vat = RwSignal::new(details.vat_id.unwrap_or_default());
    let busy = RwSignal::new(false);
    let saved = RwSignal::new(false);
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        saved.set(false);
        error.set(None);
        let t = tenant.clone();
        let (c, e, k, v) = (
            company.get_untracked(),
            email.get_untracked(),
            country.get_untracked(),
            vat.get_untracked(),
        );
        leptos::task::spawn_local(async move {
            match update_billing_details(t, c, e, k, v).await {
                Ok(d) => {
                    // What Stripe now holds (the VAT id normalised).
                    vat.set(d.vat_id.unwrap_or_default());
                    saved.set(true);
                }
                Err(e) => error.set(Some((e.field().map(String::from), e.message()))),
            }
            busy.set(false);
        });
    };
    view! {
        <form id="billing-details" class="flex flex-col gap-3 max-w-xl" on:submit=submit>
            <label class="flex flex-col text-sm">"Company name (on invoices)"
                <input id="billing-company" class=INPUT required prop:value=move || company.get() on:input=move |ev| company.set(event_target_value(&ev))/>
            </label>
            <label class="flex flex-col text-sm">"Billing email"
                <input id="billing-email" type="email" class=INPUT prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
            </label>
            <label class="flex flex-col text-sm">"Country (ISO code, e.g. DE)"
                <input id="billing-country" class=INPUT required maxlength="2" prop:value=move || country.get() on:input=move |ev| country.set(event_target_value(&ev))/>
            </label>
            <label class="flex flex-col text-sm">"VAT id (EU, optional)"
                <input id="billing-vat" class=INPUT placeholder="DE123456789" prop:value=move || vat.get() on:input=move |ev| vat.set(event_target_value(&ev))/>
            </label>
            <div>
                <button id="billing-save" type="submit" class="rounded-md bg-indigo-600 px-4 py-2 text-white text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
                    {move || if busy.get() { "Saving in Stripe…" } else { "Save" }}
                </button>
            </div>
            {move || saved.get().then(|| view! { <p id="billing-saved" role="status" class="text-sm text-emerald-800">"Saved in Stripe."</p> })}
            {move || error.get().map(|(field, message)| view! {
                <p id="billing-error" role="alert" data-field=field.unwrap_or_default() class="text-sm text-red-700">{message}</p>
            })}
        </form>
    }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let details = Resource::new(tenant, get_billing_details);
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Billing/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-4">"Billing"</h1>
                <p id="billing-coming" class="mb-6 rounded-md bg-slate-50 p-3 text-sm text-slate-700">
                    "The subscription, seats, invoices and the payment method are not shown yet: they arrive with billing on Stripe. Nothing here is an estimate."
                </p>
                <h2 class="text-lg font-semibold mb-3">"Billing details"</h2>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match details.await {
                            Ok(d) => view! { <DetailsForm tenant=tenant() details=d/> }.into_any(),
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

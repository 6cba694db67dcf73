//! Billing on Stripe: the plan with seats used of seats paid, monthly spend, renewal and state;
//! the default card and "Change card" (Stripe.js's card element confirms a SetupIntent, card
//! data never reaches the console); the invoice history; the billing details. Partner staff
//! looking after the workspace choose its plan here.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

mod api;

pub use api::*;

mod card;
mod invoices;
mod summary;

pub use summary::BillingSummary;

use crate::components::ErrorView;
use crate::frame::{AdminSection, AdminSidebar};
use wire::billing::{BillingDetails, BillingOverview, SubscriptionState, SubscriptionView};

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
                <button id="billing-save" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent text-sm font-medium disabled:opacity-50" disabled=move || busy.get()>
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

fn date(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

fn state_class(s: SubscriptionState) -> &'static str {
    match s {
        SubscriptionState::Active => "bg-emerald-100 text-emerald-800",
        SubscriptionState::Trialing => "bg-sky-100 text-sky-800",
        s if s.behind_on_payment() => "bg-red-100 text-red-800",
        _ => "bg-slate-100 text-slate-700",
    }
}

#[component]
fn Subscription(tenant: String, overview: BillingOverview) -> impl IntoView {
    let seats_used = overview.seats_used;
    let note = RwSignal::new(overview.seats_note.clone());
    let busy = RwSignal::new(false);
    let sync = move |_| {
        busy.set(true);
        let t = tenant.clone();
        leptos::task::spawn_local(async move {
            match sync_billing_seats(t).await {
                Ok(_) => note.set(Some("Synced: reload to see Stripe's new count.".into())),
                Err(e) => note.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let Some(s) = overview.subscription else {
        return view! {
            <p id="billing-no-subscription" class="rounded-md bg-slate-50 p-3 text-sm text-slate-700">
                {format!("No plan yet: the partner looking after this workspace chooses it. {seats_used} members use seats.")}
            </p>
        }
        .into_any();
    };
    let SubscriptionView {
        plan,
        state,
        seats_paid,
        renews_at,
        cancel_at_period_end,
        monthly,
        per_period,
        ..
    } = s;
    let yearly = (plan.interval == "year")
        .then(|| per_period.clone())
        .flatten();
    view! {
        <dl id="billing-subscription" class="grid grid-cols-2 gap-4 md:grid-cols-4 mb-4">
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Plan"</dt>
                <dd id="billing-plan" class="font-medium">{plan.name.clone()}</dd>
                <dd><span id="billing-state" class=format!("rounded-full px-2 py-0.5 text-xs font-medium {}", state_class(state))>{state.label()}</span></dd>
            </div>
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Seats"</dt>
                <dd id="billing-seats" class="font-medium">{format!("{seats_used} used of {seats_paid} paid")}</dd>
                <dd class="text-xs text-slate-500">{format!("at least {}", plan.min_seats)}</dd>
            </div>
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">"Monthly spend"</dt>
                <dd id="billing-monthly" class="font-medium">{monthly.map(|m| m.display).unwrap_or_else(|| "Tiered: see the invoices".into())}</dd>
                <dd class="text-xs text-slate-500">
                    {plan.per_seat.map(|p| format!("{} per seat per {}", p.display, if plan.interval_count > 1 { format!("{} {}s", plan.interval_count, plan.interval) } else { plan.interval.clone() }))}
                </dd>
                {yearly.map(|y| view! { <dd id="billing-yearly" class="text-xs text-slate-500">{format!("{} a year", y.display)}</dd> })}
            </div>
            <div class="rounded-md border border-slate-200 p-3">
                <dt class="text-xs text-slate-500">{if cancel_at_period_end { "Ends on" } else { "Renews on" }}</dt>
                <dd id="billing-renewal" class="font-medium">{renews_at.as_deref().map(date).unwrap_or_else(|| "—".into())}</dd>
            </div>
        </dl>
        {move || note.get().map(|n| view! {
            <p id="billing-seats-note" role="status" class="mb-4 rounded-md bg-amber-50 p-2 text-sm text-amber-900">
                {n}" "
                <button id="billing-sync-seats" class="underline" disabled=move || busy.get() on:click=sync.clone()>"Sync seats"</button>
            </p>
        })}
    }
    .into_any()
}

#[component]
fn PlanChooser(tenant: String) -> impl IntoView {
    let plans = Resource::new(move || (), {
        let t = tenant.clone();
        move |_| get_billing_plans(t.clone())
    });
    let chosen = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (t, p) = (tenant.clone(), chosen.get_untracked());
        leptos::task::spawn_local(async move {
            match choose_plan(t, p).await {
                Ok(Some(s)) => message.set(Some(format!("Subscribed: {} with {} seats ({}). Reload to see it.", s.plan.name, s.seats_paid, s.state.label()))),
                Ok(None) => message.set(Some("Plan recorded; the subscription follows once the Stripe customer exists (reconcile).".into())),
                Err(e) => message.set(Some(e.message())),
            }
        });
    };
    view! {
        <form id="plan-chooser" class="mb-6 flex items-end gap-2" on:submit=submit>
            <label class="flex flex-col text-sm">"Plan (partner staff)"
                <select id="plan-select" class=INPUT on:change=move |ev| chosen.set(event_target_value(&ev))>
                    <option value="">"Choose a plan…"</option>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            plans.await.unwrap_or_default().into_iter().map(|p| {
                                let label = format!("{} — {} per seat / {}", p.name, p.per_seat.map(|m| m.display).unwrap_or_else(|| "tiered".into()), p.interval);
                                view! { <option value=p.id>{label}</option> }
                            }).collect_view()
                        })}
                    </Suspense>
                </select>
            </label>
            <button id="plan-save" type="submit" class="rounded-md bg-accent px-3 py-1.5 text-sm text-on-accent">"Subscribe"</button>
            {move || message.get().map(|m| view! { <p id="plan-message" role="status" class="text-sm">{m}</p> })}
        </form>
    }
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let overview = Resource::new(tenant, get_billing_overview);
    view! {
        <script src="/billing-card.js" defer></script>
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Billing/>
            <div class="flex-1 min-w-0">
                <h1 class="text-2xl font-semibold mb-4">"Billing"</h1>
                <Suspense fallback=|| view! { <p>"Reading Stripe…"</p> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(o) => {
                                let t = tenant();
                                let chooser = o.can_choose_plan.then(|| view! { <PlanChooser tenant=t.clone()/> });
                                let details = o.details.clone();
                                let (card, js) = (o.card.clone(), o.stripe_js.clone());
                                view! {
                                    <h2 class="text-lg font-semibold mb-3">"Subscription"</h2>
                                    <Subscription tenant=t.clone() overview=o/>
                                    {chooser}
                                    <h2 class="text-lg font-semibold mb-3">"Payment method"</h2>
                                    <card::CardSection tenant=t.clone() card=card stripe_js=js/>
                                    <h2 class="text-lg font-semibold mb-3 mt-6">"Invoices"</h2>
                                    <invoices::InvoiceList tenant=t.clone()/>
                                    <h2 class="text-lg font-semibold mb-3 mt-6">"Billing details"</h2>
                                    <DetailsForm tenant=t details=details/>
                                }.into_any()
                            }
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

//! The dashboard's billing card: plan, state, seats used of seats paid, monthly spend and
//! renewal, read from Stripe after the page has loaded (the dashboard never waits on Stripe;
//! when Stripe is off or down the card says so and the rest of the dashboard is unaffected).

use leptos::prelude::*;
use wire::billing::BillingOverview;

use super::{date, get_billing_overview};

#[component]
pub fn BillingSummary(tenant: String) -> impl IntoView {
    let overview = RwSignal::new(None::<Result<BillingOverview, String>>);
    {
        let t = tenant.clone();
        Effect::new(move |_| {
            let t = t.clone();
            leptos::task::spawn_local(async move {
                overview.set(Some(get_billing_overview(t).await.map_err(|e| e.message())));
            });
        });
    }
    let href = format!("/admin/{tenant}/billing");
    view! {
        <div id="billing-summary" class="rounded-xl border border-slate-200 bg-white p-5 mb-8">
            <div class="flex items-center justify-between">
                <p class="text-sm text-slate-500">"Billing"</p>
                <a href=href rel="external" class="text-sm text-accent underline">"Subscription & invoices"</a>
            </div>
            {move || match overview.get() {
                None => view! { <p class="text-sm text-slate-500">"Reading Stripe…"</p> }.into_any(),
                Some(Err(message)) => view! { <p id="billing-summary-error" class="text-sm text-slate-700">{message}</p> }.into_any(),
                Some(Ok(o)) => match o.subscription {
                    None => view! {
                        <p id="billing-summary-text" class="text-sm">{format!("No plan yet ({} members).", o.seats_used)}</p>
                    }.into_any(),
                    Some(s) => {
                        let yearly = (s.plan.interval == "year").then_some(s.per_period.clone()).flatten();
                        view! {
                            <p id="billing-summary-text" class="text-lg font-semibold">
                                {format!("{} · {}", s.plan.name, s.state.label())}
                            </p>
                            <p class="text-sm text-slate-700">
                                {format!("{} used of {} paid seats", o.seats_used, s.seats_paid)}
                                {s.monthly.map(|m| format!(" · {} a month", m.display))}
                                {yearly.map(|y| format!(" ({} a year)", y.display))}
                                {s.renews_at.map(|r| format!(" · renews {}", date(&r)))}
                            </p>
                        }.into_any()
                    }
                },
            }}
        </div>
    }
}

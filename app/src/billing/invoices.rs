//! The invoice history: newest first, a page at a time ("Older invoices" follows the cursor).

use leptos::prelude::*;
use wire::billing::InvoiceView;

use super::{date, get_billing_invoices};

#[component]
pub fn InvoiceList(tenant: String) -> impl IntoView {
    let rows = RwSignal::new(Vec::<InvoiceView>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let load = move |t: String, c: String| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            match get_billing_invoices(t, c).await {
                Ok(page) => {
                    rows.update(|r| r.extend(page.invoices));
                    cursor.set(page.next_cursor);
                    error.set(None);
                }
                Err(e) => error.set(Some(e.message())),
            }
            loaded.set(true);
            busy.set(false);
        });
    };
    // Loaded in the browser after hydration: the page itself never waits on the list.
    {
        let t = tenant.clone();
        Effect::new(move |_| load(t.clone(), String::new()));
    }
    let more = move |_| {
        if let Some(c) = cursor.get_untracked() {
            load(tenant.clone(), c);
        }
    };
    view! {
        <div id="invoices">
            {move || error.get().map(|e| view! { <p id="invoices-error" role="alert" class="text-sm text-red-700">{e}</p> })}
            {move || (loaded.get() && rows.with(|r| r.is_empty()) && error.get().is_none()).then(|| view! {
                <p id="invoices-empty" class="text-sm text-slate-600">"No invoices yet."</p>
            })}
            <table class="w-full text-sm" class:hidden=move || rows.with(|r| r.is_empty())>
                <thead><tr class="text-left text-slate-500">
                    <th class="p-2">"Number"</th><th class="p-2">"Date"</th><th class="p-2">"Status"</th>
                    <th class="p-2 text-right">"Amount"</th><th class="p-2"></th>
                </tr></thead>
                <tbody>
                    <For each=move || rows.get() key=|i| i.id.clone() let:i>
                        <tr class="invoice border-t border-slate-100">
                            <td class="p-2">{i.number.clone().unwrap_or_else(|| i.id.clone())}</td>
                            <td class="p-2">{date(&i.created)}</td>
                            <td class="p-2 invoice-status">{i.status.clone()}</td>
                            <td class="p-2 text-right invoice-amount">{i.amount_due.display.clone()}</td>
                            <td class="p-2 text-right">
                                {match i.url.clone() {
                                    Some(u) => view! { <a href=u target="_blank" rel="noopener" class="text-accent underline">"View"</a> }.into_any(),
                                    None => view! { <span class="text-xs text-slate-500">"No document at Stripe"</span> }.into_any(),
                                }}
                            </td>
                        </tr>
                    </For>
                </tbody>
            </table>
            {move || cursor.get().map(|_| view! {
                <button id="invoices-more" class="mt-2 text-sm underline" disabled=move || busy.get() on:click=more.clone()>"Older invoices"</button>
            })}
        </div>
    }
}

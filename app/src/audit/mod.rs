//! The Audit page: who did what, when, from where. The filter lives in the URL (search,
//! outcome, time range, actor, partner actions, action chips, cursor), so a filtered view can
//! be bookmarked and shared; the form is a plain GET form. Above the list, a chart of events
//! per day over the range; each row opens to its details; paging is by cursor (newer/older);
//! "Export CSV" downloads the whole filtered view from the JSON API.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

mod api;

pub use api::*;

use crate::components::{format_time, ErrorView};
use crate::frame::{AdminSection, AdminSidebar};
use wire::audit::{AuditDay, AuditQuery};
use wire::tenants::{AuditEvent, Outcome};

fn outcome_chip(o: Outcome) -> impl IntoView {
    let class = match o {
        Outcome::Success => "bg-emerald-100 text-emerald-800",
        Outcome::Failure => "bg-amber-100 text-amber-800",
        Outcome::Denied => "bg-red-100 text-red-800",
    };
    view! { <span class=format!("outcome rounded-full px-2 py-0.5 text-xs font-medium {class}") data-outcome=o.as_str()>{o.as_str()}</span> }
}

/// `q` with `edit` applied and the paging reset, as a link to this page.
fn link(tenant: &str, q: &AuditQuery, edit: impl FnOnce(&mut AuditQuery)) -> String {
    let mut next = q.clone();
    next.cursor = None;
    edit(&mut next);
    let s = search_of(&next);
    if s.is_empty() {
        format!("/admin/{tenant}/audit")
    } else {
        format!("/admin/{tenant}/audit?{s}")
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let location = use_location();
    let search = move || location.search.get().trim_start_matches('?').to_string();
    let query = Memo::new(move |_| query_of(&search()));
    let events = Resource::new(
        move || (tenant(), search()),
        |(t, s)| get_audit_events(t, s),
    );
    let summary = Resource::new(
        move || (tenant(), search_of(&query.get().without_paging())),
        |(t, s)| get_audit_summary(t, s),
    );
    let value =
        move |f: fn(&AuditQuery) -> Option<String>| move || f(&query.get()).unwrap_or_default();
    let range = move || {
        query.get().range.unwrap_or_else(|| {
            if query.get().since.is_some() {
                "custom".into()
            } else {
                String::new()
            }
        })
    };
    let export = move || {
        let q = query.get().without_paging();
        format!("/api/tenants/{}/audit.csv?{}", tenant(), search_of(&q))
    };
    view! {
        <div class="flex gap-6">
            <AdminSidebar current=AdminSection::Audit/>
            <div class="flex-1 min-w-0">
                <div class="flex items-center justify-between mb-4">
                    <h1 class="text-2xl font-semibold">"Audit log"</h1>
                    <a id="audit-export" class="rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm" href=export download>"Export CSV"</a>
                </div>
                <form id="audit-filter" method="get" class="flex flex-wrap items-end gap-3 mb-3 text-sm">
                    <label class="flex flex-col">"Search"
                        <input id="audit-q" name="q" type="search" class="mt-1 w-64 rounded-md border border-slate-300 px-2 py-1.5" placeholder="person, action, target, address…" prop:value=value(|q| q.q.clone())/>
                    </label>
                    <label class="flex flex-col">"Outcome"
                        <select id="audit-outcome" name="outcome" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" prop:value=move || query.get().outcome.first().cloned().unwrap_or_default()>
                            <option value="">"Any"</option>
                            <option value="success">"Success"</option>
                            <option value="failure">"Failure"</option>
                            <option value="denied">"Denied"</option>
                        </select>
                    </label>
                    <label class="flex flex-col">"Time"
                        <select id="audit-range" name="range" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" prop:value=range>
                            <option value="">"All time"</option>
                            <option value="24h">"Last 24 hours"</option>
                            <option value="7d">"Last 7 days"</option>
                            <option value="30d">"Last 30 days"</option>
                            <option value="custom">"Custom…"</option>
                        </select>
                    </label>
                    <label class="flex flex-col">"From (UTC)"
                        <input id="audit-since" name="since" class="mt-1 w-52 rounded-md border border-slate-300 px-2 py-1.5" placeholder="2026-11-01T00:00:00Z" prop:value=value(|q| q.since.clone())/>
                    </label>
                    <label class="flex flex-col">"Before (UTC)"
                        <input id="audit-before" name="before" class="mt-1 w-52 rounded-md border border-slate-300 px-2 py-1.5" placeholder="2026-12-01T00:00:00Z" prop:value=value(|q| q.before.clone())/>
                    </label>
                    <label class="flex flex-col">"Person (email)"
                        <input id="audit-actor" name="actor" class="mt-1 w-52 rounded-md border border-slate-300 px-2 py-1.5" prop:value=value(|q| q.actor.clone())/>
                    </label>
                    <label class="flex flex-col">"Who"
                        <select id="audit-partner" name="partner" class="mt-1 rounded-md border border-slate-300 px-2 py-1.5" prop:value=value(|q| q.partner.clone())>
                            <option value="">"Everyone"</option>
                            <option value="true">"Partner staff only"</option>
                            <option value="false">"Without partner staff"</option>
                        </select>
                    </label>
                    <input type="hidden" name="action" prop:value=move || query.get().action.join(",")/>
                    <button id="audit-apply" type="submit" class="rounded-md bg-accent px-4 py-2 text-on-accent font-medium">"Apply"</button>
                    <a class="text-accent underline" href=move || format!("/admin/{}/audit", tenant())>"Clear"</a>
                </form>
                <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading the chart…"</p> }>
                    {move || Suspend::new(async move {
                        match summary.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(s) => {
                                let t = tenant();
                                let q = query.get_untracked();
                                let chips = s.families.iter().map(|f| {
                                    let prefix = format!("{f}.");
                                    let on = q.action.contains(&prefix);
                                    let href = link(&t, &q, |n| {
                                        if on { n.action.retain(|a| a != &prefix) } else { n.action.push(prefix.clone()) }
                                    });
                                    let class = if on { "rounded-full bg-accent px-3 py-0.5 text-xs text-on-accent" } else { "rounded-full border border-slate-300 bg-white px-3 py-0.5 text-xs text-slate-700" };
                                    view! { <a class=format!("action-chip {class}") data-family=f.clone() aria-current=on.to_string() href=href>{f.clone()}</a> }
                                }).collect_view();
                                view! {
                                    <div id="audit-chips" class="flex flex-wrap gap-2 mb-3" aria-label="Action families">{chips}</div>
                                    <Chart days=s.days total=s.total/>
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match events.await {
                            Err(e) => view! { <ErrorView error=e/> }.into_any(),
                            Ok(page) => {
                                let t = tenant();
                                let q = query.get_untracked();
                                let newer = page.prev_cursor.clone().map(|c| link(&t, &q, |n| n.cursor = Some(c)));
                                let older = page.next_cursor.clone().map(|c| link(&t, &q, |n| n.cursor = Some(c)));
                                let empty = page.events.is_empty();
                                view! {
                                    {empty.then(|| view! { <p id="audit-empty" class="text-slate-500 mt-4">"No events match this filter."</p> })}
                                    <ul id="audit-events" class="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white text-sm">
                                        {page.events.into_iter().map(|e| view! { <EventRow event=e/> }).collect_view()}
                                    </ul>
                                    <nav class="flex gap-4 mt-3 text-sm" aria-label="Pages">
                                        {newer.map(|h| view! { <a id="audit-newer" class="text-accent underline" href=h>"← Newer"</a> })}
                                        {older.map(|h| view! { <a id="audit-older" class="text-accent underline" href=h>"Older →"</a> })}
                                    </nav>
                                }.into_any()
                            }
                        }
                    })}
                </Suspense>
            </div>
        </div>
    }
}

/// Events per day as bars (SVG), with the count of each day as its tooltip.
#[component]
fn Chart(days: Vec<AuditDay>, total: i64) -> impl IntoView {
    let max = days.iter().map(|d| d.count).max().unwrap_or(0).max(1);
    let n = days.len().max(1) as f64;
    let width = 100.0 / n;
    let first = days.first().map(|d| d.day.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.day.clone()).unwrap_or_default();
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let h = (d.count as f64 / max as f64) * 56.0;
            view! {
                <rect class="fill-accent" x=format!("{:.3}", i as f64 * width + width * 0.1) y=format!("{:.2}", 60.0 - h)
                    width=format!("{:.3}", width * 0.8) height=format!("{:.2}", h) data-day=d.day.clone() data-count=d.count>
                    <title>{format!("{}: {} event{}", d.day, d.count, if d.count == 1 { "" } else { "s" })}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure id="audit-chart" class="mb-4 rounded-lg border border-slate-200 bg-white p-3">
            <svg viewBox="0 0 100 60" preserveAspectRatio="none" class="h-24 w-full" role="img" aria-label=format!("{total} events per day from {first} to {last}")>
                {bars}
            </svg>
            <figcaption class="mt-1 flex justify-between text-xs text-slate-500">
                <span>{first.clone()}</span>
                <span id="audit-total">{format!("{total} events from {first} to {last}")}</span>
                <span>{last.clone()}</span>
            </figcaption>
        </figure>
    }
}

#[component]
fn EventRow(event: AuditEvent) -> impl IntoView {
    let actor = event
        .actor_email
        .clone()
        .or_else(|| event.actor_user_id.clone().map(|id| format!("user {id}")))
        .unwrap_or_else(|| "system".into());
    let details = serde_json::to_string_pretty(&event.details).unwrap_or_default();
    view! {
        <li class="audit-event" data-action=event.action.clone() data-outcome=event.outcome.as_str()>
            <details>
                <summary class="flex cursor-pointer flex-wrap items-center gap-3 px-3 py-2">
                    <span class="w-40 shrink-0 text-slate-500">{format_time(event.created_at)}</span>
                    <span class="w-56 truncate">{actor}
                        {event.actor_partner_staff.then(|| view! { <span class="partner-badge ml-1 rounded bg-violet-100 px-1.5 text-xs text-violet-800">"partner"</span> })}
                    </span>
                    <span class="font-mono text-xs">{event.action.clone()}</span>
                    <span class="truncate text-slate-700">{event.target.clone()}</span>
                    {outcome_chip(event.outcome)}
                    <span class="ml-auto text-xs text-slate-500">{event.ip.clone().unwrap_or_default()}</span>
                </summary>
                <dl class="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 px-3 pb-3 text-xs">
                    <dt class="text-slate-500">"Details"</dt><dd><pre class="event-details whitespace-pre-wrap break-all">{details}</pre></dd>
                    <dt class="text-slate-500">"Browser"</dt><dd class="break-all">{event.user_agent.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt class="text-slate-500">"Request"</dt><dd class="font-mono">{event.request_id.clone().unwrap_or_else(|| "—".into())}</dd>
                </dl>
            </details>
        </li>
    }
}

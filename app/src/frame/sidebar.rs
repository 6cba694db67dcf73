//! The admin sidebar of a tenant: a typed list of sections, the tenant's real name, and the
//! number of domains needing attention as a badge.
//!
//! Its data loads through its own resource, created when the component is (not inside a
//! `Suspend`): a resource created inside another one's `Suspend` is re-created on every
//! re-run of the child and can keep an SSR `Suspense` from settling (leptos-rs/leptos#4866).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::api::get_admin_sidebar;

/// The sections of a tenant's admin console, in sidebar order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminSection {
    Dashboard,
    Members,
    Domains,
    Apps,
    Security,
    Mfa,
    Audit,
    Storage,
    Billing,
    Branding,
}

impl AdminSection {
    pub const ALL: [AdminSection; 10] = [
        AdminSection::Dashboard,
        AdminSection::Members,
        AdminSection::Domains,
        AdminSection::Apps,
        AdminSection::Security,
        AdminSection::Mfa,
        AdminSection::Audit,
        AdminSection::Storage,
        AdminSection::Billing,
        AdminSection::Branding,
    ];

    pub fn label(self) -> &'static str {
        match self {
            AdminSection::Dashboard => "Dashboard",
            AdminSection::Members => "Users & groups",
            AdminSection::Domains => "Domains",
            AdminSection::Apps => "SSO apps",
            AdminSection::Security => "Security",
            AdminSection::Mfa => "2-Step Verification",
            AdminSection::Audit => "Audit log",
            AdminSection::Storage => "Storage",
            AdminSection::Billing => "Billing",
            AdminSection::Branding => "Branding",
        }
    }

    /// The section's page under `/admin/{tenant}`.
    pub fn href(self, tenant: &str) -> String {
        match self {
            AdminSection::Dashboard => format!("/admin/{tenant}"),
            AdminSection::Members => format!("/admin/{tenant}/members"),
            AdminSection::Domains => format!("/admin/{tenant}/domains"),
            AdminSection::Apps => format!("/admin/{tenant}/apps"),
            AdminSection::Security => format!("/admin/{tenant}/security"),
            AdminSection::Mfa => format!("/admin/{tenant}/mfa"),
            AdminSection::Audit => format!("/admin/{tenant}/audit"),
            AdminSection::Storage => format!("/admin/{tenant}/storage"),
            AdminSection::Billing => format!("/admin/{tenant}/billing"),
            AdminSection::Branding => format!("/admin/{tenant}/branding"),
        }
    }

    fn id(self) -> &'static str {
        match self {
            AdminSection::Dashboard => "nav-dashboard",
            AdminSection::Members => "nav-members",
            AdminSection::Domains => "nav-domains",
            AdminSection::Apps => "nav-apps",
            AdminSection::Security => "nav-security",
            AdminSection::Mfa => "nav-mfa",
            AdminSection::Audit => "nav-audit",
            AdminSection::Storage => "nav-storage",
            AdminSection::Billing => "nav-billing",
            AdminSection::Branding => "nav-branding",
        }
    }
}

/// The sidebar of the tenant in the route (`/admin/:tenant/…`), `current` highlighted.
///
/// One `Suspense` reads the resource once: the same resource read in two boundaries can leave
/// one of them unresolved in an SSR response (leptos-rs/leptos#4851).
#[component]
pub fn AdminSidebar(current: AdminSection) -> impl IntoView {
    let params = use_params_map();
    let tenant = move || params.read().get("tenant").unwrap_or_default();
    let data = Resource::new(tenant, get_admin_sidebar);
    view! {
        <nav class="w-48 shrink-0" aria-label="Admin">
            <Suspense fallback=move || view! { <SidebarLinks tenant=tenant() name=tenant() product=String::new() current attention=0 behind=None plan=None seats=None/> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <SidebarLinks tenant=d.tenant_slug name=d.tenant_name product=d.product_name current attention=d.domains_attention behind=d.billing_behind plan=d.plan seats=Some(d.seats)/> },
                        Err(_) => view! { <SidebarLinks tenant=tenant() name=tenant() product=String::new() current attention=0 behind=None plan=None seats=None/> },
                    }
                })}
            </Suspense>
        </nav>
    }
}

#[component]
fn SidebarLinks(
    tenant: String,
    name: String,
    product: String,
    current: AdminSection,
    attention: i64,
    behind: Option<wire::billing::SubscriptionState>,
    plan: Option<String>,
    seats: Option<i64>,
) -> impl IntoView {
    // Dunning: the subscription is behind on payment; the way to fix it is the card.
    let dunning = behind.map(|state| {
        let href = AdminSection::Billing.href(&tenant);
        view! {
            <div id="dunning-banner" role="alert" class="mb-3 rounded-md border border-red-300 bg-red-50 p-2 text-xs text-red-800">
                <p class="font-semibold">{format!("Payment {}", state.label().to_lowercase())}</p>
                <p>"Stripe could not collect the last invoice. Update the card to keep the workspace running."</p>
                <a href=href rel="external" class="underline font-medium">"Update the card"</a>
            </div>
        }
    });
    let links = AdminSection::ALL
        .into_iter()
        .map(|section| {
            let active = section == current;
            let class = if active {
                "flex items-center justify-between rounded-md bg-slate-100 px-3 py-2 text-sm font-medium text-accent"
            } else {
                "flex items-center justify-between rounded-md px-3 py-2 text-sm text-slate-700 hover:bg-slate-100"
            };
            let badge = (section == AdminSection::Domains && attention > 0).then(|| {
                view! {
                    <span id="domains-badge" class="rounded-full bg-red-600 px-2 text-xs text-white" title="Domains needing attention">{attention}</span>
                }
            });
            // The billing page loads in full: its Content-Security-Policy (Stripe.js) comes
            // with its own response.
            let rel = (section == AdminSection::Billing).then_some("external");
            view! {
                <a id=section.id() href=section.href(&tenant) rel=rel class=class aria-current=active.then_some("page")>
                    {section.label()}
                    {badge}
                </a>
            }
        })
        .collect_view();
    view! {
        {dunning}
        <div id="sidebar-mark" class="mb-3 border-l-4 border-accent pl-2">
            <p id="sidebar-product" class="text-xs font-semibold uppercase tracking-wide text-accent">{product}</p>
            <p id="sidebar-tenant" class="text-sm font-semibold text-slate-900">{name}</p>
            <p id="sidebar-plan" class="text-xs text-slate-600">
                {mark_line(plan.as_deref(), seats)}
            </p>
        </div>
        {links}
    }
}

/// "Team plan · 3 seats", "No plan · 1 seat".
fn mark_line(plan: Option<&str>, seats: Option<i64>) -> String {
    let plan = match plan {
        Some(p) if p.to_lowercase().ends_with("plan") => p.to_string(),
        Some(p) => format!("{p} plan"),
        None => "No plan".into(),
    };
    match seats {
        Some(1) => format!("{plan} · 1 seat"),
        Some(n) => format!("{plan} · {n} seats"),
        None => plan,
    }
}

#[cfg(test)]
mod tests {
    use super::{mark_line, AdminSection};

    #[test]
    fn the_mark_names_plan_and_seats() {
        assert_eq!(mark_line(Some("Team"), Some(3)), "Team plan · 3 seats");
        assert_eq!(
            mark_line(Some("Business plan"), Some(1)),
            "Business plan · 1 seat"
        );
        assert_eq!(mark_line(None, Some(2)), "No plan · 2 seats");
        assert_eq!(mark_line(None, None), "No plan");
    }

    #[test]
    fn every_section_has_its_own_page() {
        let hrefs: Vec<String> = AdminSection::ALL.iter().map(|s| s.href("acme")).collect();
        assert_eq!(
            hrefs,
            [
                "/admin/acme",
                "/admin/acme/members",
                "/admin/acme/domains",
                "/admin/acme/apps",
                "/admin/acme/security",
                "/admin/acme/mfa",
                "/admin/acme/audit",
                "/admin/acme/storage",
                "/admin/acme/billing",
                "/admin/acme/branding"
            ]
        );
    }
}

//! What the workspace pays and for what: the overview (subscription, spend, seats, card,
//! details), the invoices, the plan catalogue and the plan choice.

use serde_json::json;
use wire::billing::{
    BillingOverview, CardView, InvoicePage, InvoiceView, PlanView, SubscriptionState,
    SubscriptionView,
};

use super::seats::{seats_used, SeatOutcome};
use super::{from_upstream, invalid, view, BillingError, BillingService};
use crate::domain::billing::{money, monthly, Interval};
use crate::domain::Outcome;
use crate::domain::Tenant;
use crate::repo::billing as repo;
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::upstream::stripe::{Card, InvoiceInfo, PlanInfo, SubscriptionInfo};
use crate::Ctx;

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

pub(super) fn plan_view(p: &PlanInfo) -> PlanView {
    PlanView {
        id: p.id.clone(),
        name: p.name.clone(),
        per_seat: p.amount.map(|a| money(a, &p.currency)),
        interval: p.interval.clone(),
        interval_count: p.interval_count,
        min_seats: p.min_seats,
    }
}

fn subscription_view(s: &SubscriptionInfo) -> Option<SubscriptionView> {
    let state = SubscriptionState::parse(&s.status)?;
    let per_period = s
        .plan
        .amount
        .map(|a| a.saturating_mul(i64::try_from(s.seats).unwrap_or(i64::MAX)));
    let monthly = match (per_period, Interval::parse(&s.plan.interval)) {
        (Some(p), Some(i)) => Some(money(
            monthly(p, i, s.plan.interval_count),
            &s.plan.currency,
        )),
        _ => None,
    };
    Some(SubscriptionView {
        id: s.id.clone(),
        plan: plan_view(&s.plan),
        state,
        seats_paid: s.seats,
        renews_at: s.period_end.map(rfc3339),
        cancel_at_period_end: s.cancel_at_period_end,
        monthly,
        per_period: per_period.map(|p| money(p, &s.plan.currency)),
    })
}

fn card_view(c: Card) -> CardView {
    CardView {
        brand: c.brand,
        last4: c.last4,
        exp_month: c.exp_month,
        exp_year: c.exp_year,
    }
}

fn invoice_view(i: InvoiceInfo) -> InvoiceView {
    InvoiceView {
        amount_due: money(i.amount_due, &i.currency),
        amount_paid: money(i.amount_paid, &i.currency),
        url: i.hosted_invoice_url.or(i.invoice_pdf),
        created: rfc3339(i.created),
        id: i.id,
        number: i.number,
        status: i.status,
    }
}

impl BillingService {
    /// Subscription, spend, seats, default card and billing details, read from Stripe now
    /// (the stored state is refreshed from this read, so the partner view follows even when
    /// a webhook never came).
    pub async fn overview(&self, admin: &TenantAdmin) -> Result<BillingOverview, BillingError> {
        let (stripe, customer) = self.customer(admin).await?;
        let tenant_id = &admin.tenant().id;
        let (sub, card, details) = tokio::join!(
            stripe.subscription_of(&customer),
            stripe.default_card(&customer),
            stripe.customer_details(&customer),
        );
        let sub = sub.map_err(|e| from_upstream("read the subscription", e))?;
        let card = card.map_err(|e| from_upstream("read the default card", e))?;
        let details = details
            .map_err(|e| from_upstream("read the billing details", e))?
            .ok_or(BillingError::NoCustomer)?;
        let seats_used = seats_used(&self.db, tenant_id).await?;
        if let Some(s) = &sub {
            if let Some(state) = SubscriptionState::parse(&s.status) {
                repo::record_subscription(
                    &self.db,
                    tenant_id,
                    &s.id,
                    state,
                    Some(s.seats as i64),
                    crate::now_ms() / 1000,
                )
                .await?;
            }
        }
        let subscription = sub.as_ref().and_then(subscription_view);
        let seats_note = subscription.as_ref().and_then(|s| {
            let wanted = seats_used.max(s.plan.min_seats);
            (s.seats_paid != wanted && s.state != SubscriptionState::Canceled).then(|| {
                format!(
                    "Stripe bills {} seats; the {seats_used} members call for {wanted}. \
                     The next sync sets it (Sync seats).",
                    s.seats_paid
                )
            })
        });
        Ok(BillingOverview {
            subscription,
            seats_used,
            seats_note,
            card: card.map(card_view),
            details: view(details),
            stripe_js: self.stripe_js().cloned(),
            can_choose_plan: admin.via_partner(),
        })
    }

    /// A page of invoices, newest first. `cursor`: the last invoice id of the previous page;
    /// `limit`: 1–100 (default 24).
    pub async fn invoices(
        &self,
        admin: &TenantAdmin,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<InvoicePage, BillingError> {
        if let Some(c) = cursor {
            let ok = c.starts_with("in_")
                && c.len() <= 255
                && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
            if !ok {
                return Err(invalid(
                    "cursor",
                    "This cursor is not one the invoice list gave.",
                ));
            }
        }
        let limit = match limit {
            None => 24,
            Some(l @ 1..=100) => l,
            Some(_) => return Err(invalid("limit", "Ask for 1 to 100 invoices at a time.")),
        };
        let (stripe, customer) = self.customer(admin).await?;
        let (invoices, more) = stripe
            .invoices(&customer, limit, cursor)
            .await
            .map_err(|e| from_upstream("list the invoices", e))?;
        let next_cursor = more
            .then(|| invoices.last().map(|i| i.id.clone()))
            .flatten();
        Ok(InvoicePage {
            invoices: invoices.into_iter().map(invoice_view).collect(),
            next_cursor,
        })
    }

    /// The plan catalogue (`STRIPE_PLANS`) as Stripe describes it; plans Stripe does not know
    /// are left out (and `server doctor` names them).
    pub async fn plans(&self) -> Result<Vec<PlanView>, BillingError> {
        let stripe = self.stripe.as_deref().ok_or(BillingError::Disabled)?;
        let mut out = Vec::new();
        for id in &self.settings.plans {
            if let Some(p) = stripe
                .plan(id)
                .await
                .map_err(|e| from_upstream("read the plan catalogue", e))?
            {
                out.push(plan_view(&p));
            }
        }
        Ok(out)
    }

    /// The catalogue for a form: empty when billing is off (not an error there).
    pub async fn catalogue(&self) -> Result<Vec<PlanView>, BillingError> {
        match self.plans().await {
            Err(BillingError::Disabled) => Ok(Vec::new()),
            other => other,
        }
    }

    /// Partner staff choose the tenant's plan (at creation or later): recorded, then the
    /// subscription is created or moved to it with the current seats. Audited.
    pub async fn choose_plan(
        &self,
        ctx: &Ctx,
        staff: &PartnerStaff,
        tenant: &Tenant,
        plan: &str,
    ) -> Result<Option<SubscriptionView>, BillingError> {
        let result = self.choose_plan_inner(tenant, plan).await;
        let (outcome, details) = match &result {
            Ok(s) => (
                Outcome::Success,
                json!({ "plan": plan, "subscription": s.as_ref().map(|s| &s.id),
                        "partner": staff.partner().slug }),
            ),
            Err(e) => (
                Outcome::Failure,
                json!({ "plan": plan, "error": e.to_string(), "partner": staff.partner().slug }),
            ),
        };
        self.audit
            .record_in(
                ctx,
                &tenant.id,
                "billing.choose_plan",
                &tenant.slug,
                outcome,
                details,
            )
            .await;
        result
    }

    async fn choose_plan_inner(
        &self,
        tenant: &Tenant,
        plan: &str,
    ) -> Result<Option<SubscriptionView>, BillingError> {
        let plan = plan.trim();
        if self.stripe.is_none() {
            return Err(BillingError::Disabled);
        }
        self.seats
            .check_plan(plan)
            .map_err(|m| invalid("plan", m))?;
        self.seats.set_plan(&tenant.id, plan).await?;
        self.synced(&tenant.id).await
    }

    /// Runs the seats step now ("Sync seats"); audited.
    pub async fn sync_seats(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
    ) -> Result<Option<SubscriptionView>, BillingError> {
        if self.stripe.is_none() {
            return Err(BillingError::Disabled);
        }
        let result = self.synced(&admin.tenant().id).await;
        let (outcome, details) = match &result {
            Ok(s) => (
                Outcome::Success,
                json!({ "seats": s.as_ref().map(|s| s.seats_paid) }),
            ),
            Err(e) => (Outcome::Failure, json!({ "error": e.to_string() })),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "billing.sync_seats",
                &admin.tenant().slug,
                outcome,
                details,
            )
            .await;
        result
    }

    async fn synced(&self, tenant_id: &str) -> Result<Option<SubscriptionView>, BillingError> {
        match self.seats.sync(tenant_id).await? {
            SeatOutcome::NothingToDo => Ok(None),
            SeatOutcome::Synced(s) => Ok(subscription_view(&s)),
            SeatOutcome::Failed(message) => Err(BillingError::StepFailed(message)),
        }
    }
}

/// The sandbox's demo catalogue (`STRIPE_PLANS` when none is configured in sandbox mode).
pub const DEMO_PLANS: [&str; 2] = ["dezky-demo-team", "dezky-demo-team-yearly"];

impl BillingService {
    /// The sandbox's demo billing, against localstripe only: the demo catalogue, Stripe's test
    /// card `pm_card_visa` as the default card, and the first demo plan, so the subscription
    /// starts paid and has an invoice. Does nothing against Stripe itself, with a catalogue of
    /// its own (`STRIPE_PLANS`), or when the tenant already has a plan.
    pub async fn seed_sandbox(&self, tenant: &Tenant) -> Result<(), BillingError> {
        use crate::upstream::stripe::{NewPlan, StripeDialect};
        let Some(stripe) = self.stripe.as_deref() else {
            return Ok(());
        };
        if stripe.dialect() != StripeDialect::Localstripe
            || self
                .settings
                .plans
                .iter()
                .map(String::as_str)
                .ne(DEMO_PLANS)
            || repo::get(&self.db, &tenant.id).await?.plan_id.is_some()
        {
            return Ok(());
        }
        let Some(customer) = super::seats::customer_id(&self.db, &tenant.id).await? else {
            return Ok(());
        };
        let fail = |what: &'static str| move |e| from_upstream(what, e);
        for (id, nickname, amount, interval) in [
            (DEMO_PLANS[0], "Team (monthly)", 800, "month"),
            (DEMO_PLANS[1], "Team (yearly)", 8_000, "year"),
        ] {
            let plan = NewPlan {
                id,
                product: "prod_dezky_demo_team",
                nickname,
                amount,
                currency: "eur",
                interval,
                min_seats: "3".into(),
            };
            stripe
                .ensure_plan(&plan, "Dezky Team")
                .await
                .map_err(fail("create the demo plans"))?;
        }
        stripe
            .make_default_payment_method(&customer, "pm_card_visa")
            .await
            .map_err(fail("add the test card"))?;
        repo::set_plan(&self.db, &tenant.id, DEMO_PLANS[0]).await?;
        self.synced(&tenant.id).await.map(|_| ())
    }
}

/// `server doctor`'s check that Stripe knows every plan of the catalogue (`STRIPE_PLANS`),
/// and that the card and webhook settings are there.
pub async fn plans_check(
    stripe: &crate::upstream::stripe::StripeClient,
    plans: &[String],
    card_and_webhooks: (bool, bool),
) -> crate::services::health::Check {
    use crate::services::health::{Check, CheckStatus};
    let mut missing = Vec::new();
    let mut failure = None;
    for id in plans {
        match stripe.plan(id).await {
            Ok(Some(_)) => {}
            Ok(None) => missing.push(id.as_str()),
            Err(e) => {
                failure = Some(e.to_string());
                break;
            }
        }
    }
    let unset: Vec<&str> = [
        (!card_and_webhooks.0).then_some("STRIPE_PUBLISHABLE_KEY (card changes)"),
        (!card_and_webhooks.1).then_some("STRIPE_WEBHOOK_SECRET (dunning from webhooks)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (status, detail, hint) = match (failure, missing.is_empty(), plans.is_empty()) {
        (Some(e), _, _) => (
            CheckStatus::Failed,
            format!("the plans could not be read: {e}"),
            Some("check STRIPE_API_BASE and STRIPE_SECRET_KEY".to_string()),
        ),
        (None, false, _) => (
            CheckStatus::Failed,
            format!("Stripe does not know the plans {}", missing.join(", ")),
            Some("create them in Stripe, or correct STRIPE_PLANS".to_string()),
        ),
        (None, true, true) => (
            CheckStatus::Failed,
            "no plan catalogue: partner staff cannot choose a plan".to_string(),
            Some("set STRIPE_PLANS to the Stripe plan or price ids on sale".to_string()),
        ),
        (None, true, false) if !unset.is_empty() => (
            CheckStatus::Failed,
            format!(
                "the {} plans exist; not set: {}",
                plans.len(),
                unset.join(", ")
            ),
            Some("set them from the Stripe dashboard (API keys, webhook endpoint)".to_string()),
        ),
        (None, true, false) => (
            CheckStatus::Ok,
            format!(
                "the {} plans of the catalogue exist; card changes and webhooks are set up",
                plans.len()
            ),
            None,
        ),
    };
    Check {
        name: "stripe plans".into(),
        status,
        detail,
        hint,
    }
}

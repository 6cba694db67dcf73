//! Billing on Stripe: `/api/tenants/{slug}/billing…`, `/api/tenants/{slug}/invoices`,
//! `/api/tenants/{slug}/plan` and Stripe's webhook `/webhooks/stripe`.
//!
//! Errors common to all: 409 `billing_disabled` when Stripe is switched off, 503
//! `billing_unavailable` when it does not answer, 409 `no_customer` before the workspace has
//! its Stripe customer, 502 `upstream` when Stripe refuses.

use axum::extract::Path;
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use platform::services::billing::WebhookOutcome;
use serde::Deserialize;
use wire::billing::{
    BillingDetails, BillingDetailsUpdate, BillingOverview, CardView, DefaultPaymentMethod,
    InvoicePage, PlanChoice, PlanView, SetupIntentStart, SubscriptionView,
};

use super::{Admin, Api, Caller, Json, Query};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route(
        "/api/tenants/{slug}/billing-info",
        get(details).patch(update),
    )
    .route("/api/tenants/{slug}/billing", get(overview))
    .route("/api/tenants/{slug}/invoices", get(invoices))
    .route("/api/tenants/{slug}/billing/plans", get(plans))
    .route("/api/tenants/{slug}/plan", put(choose_plan))
    .route("/api/tenants/{slug}/billing/sync-seats", post(sync_seats))
    .route(
        "/api/tenants/{slug}/billing/setup-intent",
        post(setup_intent),
    )
    .route(
        "/api/tenants/{slug}/billing/default-payment-method",
        post(default_payment_method),
    )
    .route("/webhooks/stripe", post(webhook))
}

/// `GET …/billing-info`: company name, billing email, country and VAT id, read from Stripe.
async fn details(a: Admin) -> Api<BillingDetails> {
    Ok(Json(a.platform.billing.details(&a.admin).await?))
}

/// `PATCH …/billing-info` `{"company_name", "billing_email", "country", "vat_id"}` (the whole
/// form; empty `billing_email`/`vat_id` remove them): 200 with the details as Stripe now has
/// them; 400 naming the field (a VAT id that does not fit its country's format, or that Stripe
/// refuses, is on `vat_id`).
async fn update(
    a: Admin,
    body: Result<Json<BillingDetailsUpdate>, ApiError>,
) -> Api<BillingDetails> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .billing
            .update_details(&a.ctx, &a.admin, &b)
            .await?,
    ))
}

/// `GET …/billing`: subscription (plan, state, seats paid, renewal, monthly spend), seats
/// used, default card and billing details, read from Stripe now.
async fn overview(a: Admin) -> Api<BillingOverview> {
    Ok(Json(a.platform.billing.overview(&a.admin).await?))
}

#[derive(Deserialize)]
struct InvoiceQuery {
    cursor: Option<String>,
    limit: Option<u32>,
}

/// `GET …/invoices?cursor=&limit=`: newest first, `limit` 1–100 (24), `next_cursor` for older
/// ones; 400 naming `cursor` or `limit` when they are not valid.
async fn invoices(a: Admin, q: Result<Query<InvoiceQuery>, ApiError>) -> Api<InvoicePage> {
    let Query(q) = q?;
    Ok(Json(
        a.platform
            .billing
            .invoices(&a.admin, q.cursor.as_deref(), q.limit)
            .await?,
    ))
}

/// `GET …/billing/plans`: the plan catalogue (`STRIPE_PLANS`) as Stripe describes it.
async fn plans(a: Admin) -> Api<Vec<PlanView>> {
    Ok(Json(a.platform.billing.plans().await?))
}

/// `PUT …/plan` `{"plan"}` (partner staff looking after the tenant): subscribes the tenant to
/// a plan of the catalogue, or moves it there, with its current seats. 200 with the
/// subscription (`null` while the Stripe customer does not exist yet: it follows on
/// reconcile); 400 on `plan` for a plan outside the catalogue.
async fn choose_plan(
    c: Caller,
    Path(slug): Path<String>,
    body: Result<Json<PlanChoice>, ApiError>,
) -> Api<Option<SubscriptionView>> {
    let (staff, tenant) = c.platform.access.partner_for_tenant(&c.ctx, &slug).await?;
    let Json(b) = body?;
    Ok(Json(
        c.platform
            .billing
            .choose_plan(&c.ctx, &staff, &tenant, &b.plan)
            .await?,
    ))
}

/// `POST …/billing/sync-seats`: sets the subscription to the seats the members call for now.
async fn sync_seats(a: Admin) -> Api<Option<SubscriptionView>> {
    Ok(Json(a.platform.billing.sync_seats(&a.ctx, &a.admin).await?))
}

/// `POST …/billing/setup-intent`: a SetupIntent (`usage=off_session`) whose `client_secret`
/// the browser confirms with Stripe.js; 400 on `card` when no publishable key is configured.
async fn setup_intent(a: Admin) -> Api<SetupIntentStart> {
    Ok(Json(
        a.platform
            .billing
            .start_card_change(&a.ctx, &a.admin)
            .await?,
    ))
}

/// `POST …/billing/default-payment-method` `{"setup_intent"}`: makes the confirmed
/// SetupIntent's card the default; 400 on `setup_intent` when it is not this workspace's or
/// not succeeded.
async fn default_payment_method(
    a: Admin,
    body: Result<Json<DefaultPaymentMethod>, ApiError>,
) -> Api<CardView> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .billing
            .finish_card_change(&a.ctx, &a.admin, &b.setup_intent)
            .await?,
    ))
}

/// `POST /webhooks/stripe`: Stripe's events, `Stripe-Signature` checked against
/// `STRIPE_WEBHOOK_SECRET`. 200 `{"outcome": "applied" | "duplicate" | "ignored" | "stale"}`;
/// 400 `invalid_signature` for a forged or stale signature; 409 `billing_disabled` without a
/// secret.
async fn webhook(
    c: Caller,
    headers: HeaderMap,
    body: String,
) -> Result<Json<serde_json::Value>, ApiError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let ctx = platform::Ctx {
        partner_mode: false,
        ..c.ctx
    };
    let outcome: WebhookOutcome = c.platform.billing.webhook(&ctx, &body, signature).await?;
    Ok(Json(serde_json::json!({ "outcome": outcome })))
}

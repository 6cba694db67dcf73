//! The Billing page's server functions: check, call one service method, answer.

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use wire::billing::BillingDetailsUpdate;
use wire::billing::{
    BillingDetails, BillingOverview, CardView, InvoicePage, PlanView, SetupIntentStart,
    SubscriptionView,
};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// The billing details, read from Stripe.
#[server(prefix = "/api/fn", endpoint = "billing_details", client = crate::resilient::Resilient)]
pub async fn get_billing_details(tenant: String) -> Result<BillingDetails, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.billing.details(&admin).await?)
}

/// Saves the billing details form (every field as typed).
#[server(prefix = "/api/fn", endpoint = "update_billing_details", client = crate::resilient::Resilient)]
pub async fn update_billing_details(
    tenant: String,
    company_name: String,
    billing_email: String,
    country: String,
    vat_id: String,
) -> Result<BillingDetails, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let update = BillingDetailsUpdate {
        company_name,
        billing_email,
        country,
        vat_id,
    };
    Ok(call
        .platform
        .billing
        .update_details(&call.ctx, &admin, &update)
        .await?)
}

/// Subscription, spend, seats, card and details, read from Stripe.
#[server(prefix = "/api/fn", endpoint = "billing_overview", client = crate::resilient::Resilient)]
pub async fn get_billing_overview(tenant: String) -> Result<BillingOverview, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.billing.overview(&admin).await?)
}

/// A page of invoices, newest first (`cursor`: empty for the newest).
#[server(prefix = "/api/fn", endpoint = "billing_invoices", client = crate::resilient::Resilient)]
pub async fn get_billing_invoices(tenant: String, cursor: String) -> Result<InvoicePage, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let cursor = Some(cursor).filter(|c| !c.is_empty());
    Ok(call
        .platform
        .billing
        .invoices(&admin, cursor.as_deref(), None)
        .await?)
}

/// The plan catalogue (for partner staff choosing a plan).
#[server(prefix = "/api/fn", endpoint = "billing_plans", client = crate::resilient::Resilient)]
pub async fn get_billing_plans(tenant: String) -> Result<Vec<PlanView>, AppError> {
    let call = call()?;
    call.tenant_admin(&tenant).await?;
    Ok(call.platform.billing.plans().await?)
}

/// Partner staff choose the workspace's plan.
#[server(prefix = "/api/fn", endpoint = "choose_plan", client = crate::resilient::Resilient)]
pub async fn choose_plan(
    tenant: String,
    plan: String,
) -> Result<Option<SubscriptionView>, AppError> {
    let call = call()?;
    let (staff, tenant) = call
        .platform
        .access
        .partner_for_tenant(&call.ctx, &tenant)
        .await?;
    Ok(call
        .platform
        .billing
        .choose_plan(&call.ctx, &staff, &tenant, &plan)
        .await?)
}

/// Sets the subscription to the seats the members call for now.
#[server(prefix = "/api/fn", endpoint = "sync_billing_seats", client = crate::resilient::Resilient)]
pub async fn sync_billing_seats(tenant: String) -> Result<Option<SubscriptionView>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.billing.sync_seats(&call.ctx, &admin).await?)
}

/// A SetupIntent for the card dialog (its client secret goes to Stripe.js only).
#[server(prefix = "/api/fn", endpoint = "start_card_change", client = crate::resilient::Resilient)]
pub async fn start_card_change(tenant: String) -> Result<SetupIntentStart, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .billing
        .start_card_change(&call.ctx, &admin)
        .await?)
}

/// Makes the card of the SetupIntent Stripe.js confirmed the default.
#[server(prefix = "/api/fn", endpoint = "finish_card_change", client = crate::resilient::Resilient)]
pub async fn finish_card_change(
    tenant: String,
    setup_intent: String,
) -> Result<CardView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .billing
        .finish_card_change(&call.ctx, &admin, &setup_intent)
        .await?)
}

//! The Billing page's server functions: check, call one service method, answer.

use leptos::prelude::*;
use wire::billing::BillingDetails;
#[cfg(feature = "ssr")]
use wire::billing::BillingDetailsUpdate;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// The billing details, read from Stripe.
#[server(prefix = "/api/fn", endpoint = "billing_details")]
pub async fn get_billing_details(tenant: String) -> Result<BillingDetails, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.billing.details(&admin).await?)
}

/// Saves the billing details form (every field as typed).
#[server(prefix = "/api/fn", endpoint = "update_billing_details")]
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

//! `/api/tenants/{slug}/billing-info`: the workspace's billing details on Stripe.

use axum::routing::get;
use wire::billing::{BillingDetails, BillingDetailsUpdate};

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route(
        "/api/tenants/{slug}/billing-info",
        get(details).patch(update),
    )
}

/// `GET …/billing-info`: company name, billing email, country and VAT id, read from Stripe.
/// 409 `billing_disabled` when Stripe is switched off, 503 `billing_unavailable` when it does
/// not answer, 409 `no_customer` before the workspace has its Stripe customer.
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

//! Billing: what the page and the JSON API show of a workspace's billing on Stripe. Today the
//! billing details (`/api/tenants/:slug/billing-info`); card data never crosses here.

use serde::{Deserialize, Serialize};

/// The company's billing details as Stripe holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetails {
    pub company_name: Option<String>,
    pub billing_email: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// With its prefix, e.g. `EL123456789`.
    pub vat_id: Option<String>,
}

/// `PATCH /api/tenants/:slug/billing-info`: the whole form. An empty `billing_email` or
/// `vat_id` removes it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingDetailsUpdate {
    pub company_name: String,
    #[serde(default)]
    pub billing_email: String,
    pub country: String,
    #[serde(default)]
    pub vat_id: String,
}

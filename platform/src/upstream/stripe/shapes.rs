//! Our own response types for the Stripe reads whose typed async-stripe 1.0.0-rc.10 decode
//! refuses what localstripe 1.15.10 answers (`shared/reference/stripe.md` §3, §8): invoices,
//! subscriptions, plans, and every customer once it has a subscription (localstripe inlines
//! the subscription in an older shape). They declare only what Dezky shows, every field that
//! either server may leave out is optional, and unknown fields are ignored, so the same types
//! decode Stripe's current objects (docs.stripe.com/api/{customers,subscriptions,invoices,
//! plans,payment_methods}/object).
//!
//! They travel through async-stripe's own request path (`RequestBuilder` →
//! `customize::<T>()` → the same `stripe::Client`), not a second HTTP stack.

use std::collections::HashMap;

use miniserde::Deserialize;

/// `{ "data": [...], "has_more" }`, Stripe's list envelope.
#[derive(Deserialize, Debug)]
pub struct List<T> {
    pub data: Vec<T>,
    pub has_more: bool,
}

/// A customer (`deleted: true` when Stripe answers a deleted one).
#[derive(Deserialize, Debug)]
pub struct Customer {
    pub id: String,
    pub deleted: Option<bool>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub address: Option<Address>,
    pub metadata: Option<HashMap<String, String>>,
    pub invoice_settings: Option<InvoiceSettings>,
}

#[derive(Deserialize, Debug)]
pub struct Address {
    pub country: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct InvoiceSettings {
    /// Unexpanded: the payment method's id.
    pub default_payment_method: Option<String>,
}

/// A payment method; only cards are shown.
#[derive(Deserialize, Debug)]
pub struct PaymentMethod {
    pub id: String,
    pub customer: Option<String>,
    pub card: Option<Card>,
}

/// Brand, last four digits and expiry: all Stripe gives out of a card, and all Dezky shows.
#[derive(Deserialize, Debug)]
pub struct Card {
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// A plan (`/v1/plans`), or a price read through the plans endpoint (Stripe answers a
/// recurring price's id there in the plan shape).
#[derive(Deserialize, Debug)]
pub struct Plan {
    pub id: String,
    pub nickname: Option<String>,
    /// Per seat, minor units of `currency`; absent for tiered plans.
    pub amount: Option<i64>,
    pub currency: String,
    pub interval: String,
    pub interval_count: u32,
    /// Unexpanded: the product's id.
    pub product: Option<String>,
    pub metadata: Option<HashMap<String, String>>,
}

/// A price (real Stripe's subscription items carry one; localstripe's never do).
#[derive(Deserialize, Debug)]
pub struct Price {
    pub id: String,
    pub nickname: Option<String>,
    pub unit_amount: Option<i64>,
    pub currency: String,
    pub recurring: Option<Recurring>,
}

#[derive(Deserialize, Debug)]
pub struct Recurring {
    pub interval: String,
    pub interval_count: u32,
}

#[derive(Deserialize, Debug)]
pub struct Product {
    pub id: String,
    pub name: String,
}

#[derive(Deserialize, Debug)]
pub struct Subscription {
    pub id: String,
    pub status: String,
    pub customer: Option<String>,
    pub cancel_at_period_end: Option<bool>,
    pub trial_end: Option<i64>,
    /// The pre-2025-03-31 place of the period end (localstripe); Stripe moved it to the items.
    pub current_period_end: Option<i64>,
    pub items: List<SubscriptionItem>,
    pub metadata: Option<HashMap<String, String>>,
}

#[derive(Deserialize, Debug)]
pub struct SubscriptionItem {
    pub id: String,
    pub quantity: Option<u64>,
    pub current_period_end: Option<i64>,
    pub price: Option<Price>,
    pub plan: Option<Plan>,
}

#[derive(Deserialize, Debug)]
pub struct Invoice {
    pub id: String,
    pub number: Option<String>,
    pub status: Option<String>,
    /// Minor units of `currency`.
    pub amount_due: i64,
    pub amount_paid: i64,
    pub total: Option<i64>,
    pub currency: String,
    /// Unix seconds.
    pub created: i64,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
}

/// A SetupIntent as the server re-reads it after the browser confirmed it (reference §2.4):
/// trusted only when it is `succeeded` and belongs to the tenant's customer.
#[derive(Deserialize, Debug)]
pub struct SetupIntent {
    pub id: String,
    pub status: String,
    pub customer: Option<String>,
    pub payment_method: Option<String>,
}

/// A SetupIntent as created: its id and the client secret for the browser. No `Debug`: the
/// secret must not reach logs.
#[derive(Deserialize)]
pub struct SetupIntentCreated {
    pub id: String,
    pub client_secret: Option<String>,
}

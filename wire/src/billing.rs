//! Billing: what the page and the JSON API show of a workspace's billing on Stripe: the
//! billing details, the subscription with spend and seats, invoices, the default card and the
//! SetupIntent that changes it; card numbers never cross here.

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

/// A subscription's state as Stripe names it (docs.stripe.com/api/subscriptions/object
/// `status`). Stored as [`SubscriptionState::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionState {
    Active,
    Trialing,
    PastDue,
    Unpaid,
    Canceled,
    Incomplete,
    IncompleteExpired,
    Paused,
}

impl SubscriptionState {
    pub const ALL: [SubscriptionState; 8] = [
        Self::Active,
        Self::Trialing,
        Self::PastDue,
        Self::Unpaid,
        Self::Canceled,
        Self::Incomplete,
        Self::IncompleteExpired,
        Self::Paused,
    ];

    /// Stripe's own word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Trialing => "trialing",
            Self::PastDue => "past_due",
            Self::Unpaid => "unpaid",
            Self::Canceled => "canceled",
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Paused => "paused",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Trialing => "Trial",
            Self::PastDue => "Past due",
            Self::Unpaid => "Unpaid",
            Self::Canceled => "Cancelled",
            Self::Incomplete => "Incomplete (first payment pending)",
            Self::IncompleteExpired => "Expired before the first payment",
            Self::Paused => "Paused",
        }
    }

    /// Behind on payment: the tenant's admins see a banner, the partner a chip (dunning).
    pub fn behind_on_payment(self) -> bool {
        matches!(self, Self::PastDue | Self::Unpaid)
    }
}

/// An amount of money: minor units of an ISO 4217 currency, and the same amount written with
/// that currency's own exponent (JPY none, EUR two, KWD three) and symbol.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (cents for EUR, yen for JPY, fils for KWD).
    pub minor: i64,
    /// ISO 4217, upper case.
    pub currency: String,
    /// For people, e.g. `€8.00`, `¥1,200`, `KD1.500`.
    pub display: String,
}

/// A plan of the catalogue (`STRIPE_PLANS`), as Stripe describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    /// Stripe's plan or price id.
    pub id: String,
    pub name: String,
    /// Per seat and billing period; `None` for a tiered plan.
    pub per_seat: Option<Money>,
    /// `day`, `week`, `month` or `year`.
    pub interval: String,
    pub interval_count: u32,
    /// Seats the subscription never goes below (the plan's `min_seats` metadata, else 1).
    pub min_seats: u64,
}

/// The workspace's subscription, read from Stripe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionView {
    pub id: String,
    pub plan: PlanView,
    pub state: SubscriptionState,
    /// The subscription's quantity.
    pub seats_paid: u64,
    /// The end of the current period (RFC 3339), when the next invoice comes.
    pub renews_at: Option<String>,
    pub cancel_at_period_end: bool,
    /// Spend per month: per seat × seats, normalised from the plan's interval (a yearly plan
    /// shows a twelfth). `None` for a tiered plan.
    pub monthly: Option<Money>,
    /// Per billing period (a yearly plan: the yearly total).
    pub per_period: Option<Money>,
}

/// The default card: all of a card that Stripe gives out, and all the console shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardView {
    /// Stripe's brand word (`visa`, `mastercard`, `amex`, …).
    pub brand: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

impl CardView {
    /// `Visa •••• 4242`.
    pub fn label(&self) -> String {
        let brand = match self.brand.as_str() {
            "visa" => "Visa".to_string(),
            "mastercard" => "Mastercard".to_string(),
            "amex" => "American Express".to_string(),
            "discover" => "Discover".to_string(),
            "jcb" => "JCB".to_string(),
            "diners" => "Diners Club".to_string(),
            "unionpay" => "UnionPay".to_string(),
            "cartes_bancaires" => "Cartes Bancaires".to_string(),
            other => {
                let mut c = other.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
        };
        format!("{brand} •••• {}", self.last4)
    }
}

/// What the page needs to load Stripe.js: the script's URL and the publishable key (public by
/// design, `pk_…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeJs {
    pub url: String,
    pub publishable_key: String,
}

/// `GET /api/tenants/:slug/billing`: subscription, spend, card and details together.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    /// `None`: no plan chosen yet.
    pub subscription: Option<SubscriptionView>,
    /// Active and suspended members: the seats in use.
    pub seats_used: u64,
    /// Set when Stripe's quantity differs from what the members call for (a sync that has not
    /// gone through yet), with what to do.
    pub seats_note: Option<String>,
    pub card: Option<CardView>,
    pub details: BillingDetails,
    /// `None` when card changes are not possible here (no publishable key configured).
    pub stripe_js: Option<StripeJs>,
    /// The caller is partner staff looking after the workspace: they may choose its plan.
    pub can_choose_plan: bool,
}

/// One invoice (docs.stripe.com/api/invoices/object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub id: String,
    /// Stripe's invoice number, once finalised.
    pub number: Option<String>,
    /// RFC 3339.
    pub created: String,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    pub status: String,
    pub amount_due: Money,
    pub amount_paid: Money,
    /// The hosted invoice page, else the PDF, when Stripe has one.
    pub url: Option<String>,
}

/// `GET /api/tenants/:slug/invoices?cursor=&limit=`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub invoices: Vec<InvoiceView>,
    /// Pass back as `cursor` for older invoices.
    pub next_cursor: Option<String>,
}

/// `POST /api/tenants/:slug/billing/setup-intent`: what Stripe.js confirms in the browser.
/// The client secret is handed to the browser only, never stored or logged.
#[derive(Clone, Serialize, Deserialize)]
pub struct SetupIntentStart {
    pub setup_intent: String,
    pub client_secret: String,
}

impl std::fmt::Debug for SetupIntentStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupIntentStart")
            .field("setup_intent", &self.setup_intent)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// `POST /api/tenants/:slug/billing/default-payment-method`: the SetupIntent the browser
/// confirmed; the server re-reads it and trusts only that.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultPaymentMethod {
    pub setup_intent: String,
}

/// `PUT /api/tenants/:slug/plan` (partner staff): the plan of the catalogue to subscribe to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanChoice {
    pub plan: String,
}

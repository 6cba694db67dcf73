//! Plans, subscriptions, invoices and the card: the reads go through [`super::shapes`] (our
//! own response types, reference §3), the writes send Stripe's documented parameters
//! (docs.stripe.com/api/subscriptions/create, /api/setup_intents/create,
//! /api/payment_methods/attach, /api/customers/update `invoice_settings`).

use std::collections::HashMap;

use secrecy::SecretString;
use serde::Serialize;
use stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_client_core::{RequestBuilder, StripeMethod};
use stripe_core::setup_intent::{CreateSetupIntent, CreateSetupIntentUsage};
use stripe_shared::SetupIntentAllowedPaymentMethodTypes;

use super::shapes;
use super::{idempotency_key, upstream_error, StripeClient, StripeDialect, UPSTREAM};
use crate::upstream::UpstreamError;

/// A plan as Dezky reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanInfo {
    pub id: String,
    pub name: String,
    /// Per seat and period, minor units of `currency`; `None` for tiered plans.
    pub amount: Option<i64>,
    /// ISO 4217, as Stripe writes it (lower case).
    pub currency: String,
    pub interval: String,
    pub interval_count: u32,
    /// The plan's `min_seats` metadata, else 1.
    pub min_seats: u64,
}

/// The tenant's subscription as Dezky reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionInfo {
    pub id: String,
    /// Stripe's status word (parsed by the service).
    pub status: String,
    /// The one item Dezky subscribes to (seats).
    pub item_id: String,
    pub seats: u64,
    pub plan: PlanInfo,
    /// Unix seconds: the item's period end (Stripe since 2025-03-31), else the subscription's
    /// (older shape, localstripe).
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// One invoice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceInfo {
    pub id: String,
    pub number: Option<String>,
    pub status: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub currency: String,
    /// Unix seconds.
    pub created: i64,
    pub hosted_invoice_url: Option<String>,
    pub invoice_pdf: Option<String>,
}

pub use shapes::Card;

fn protocol(detail: impl std::fmt::Display) -> UpstreamError {
    UpstreamError::Protocol {
        upstream: UPSTREAM,
        detail: detail.to_string(),
    }
}

fn plan_info(p: shapes::Plan, name: String) -> PlanInfo {
    let min_seats = p
        .metadata
        .as_ref()
        .and_then(|m| m.get("min_seats"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    PlanInfo {
        id: p.id,
        name,
        amount: p.amount,
        currency: p.currency,
        interval: p.interval,
        interval_count: p.interval_count,
        min_seats,
    }
}

#[derive(Serialize)]
struct SubscriptionList<'a> {
    customer: &'a str,
    status: &'a str,
    limit: u32,
}

#[derive(Serialize)]
struct InvoiceList<'a> {
    customer: &'a str,
    limit: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    starting_after: Option<&'a str>,
}

/// One subscription item: `price` on Stripe, `plan` on localstripe (reference §8).
#[derive(Serialize)]
struct Item<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    price: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<&'a str>,
    quantity: u64,
}

#[derive(Serialize)]
struct SubscriptionCreate<'a> {
    customer: &'a str,
    items: [Item<'a>; 1],
    metadata: HashMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trial_period_days: Option<u32>,
}

#[derive(Serialize)]
struct SubscriptionUpdate<'a> {
    items: [Item<'a>; 1],
}

#[derive(Serialize)]
struct Attach<'a> {
    customer: &'a str,
}

#[derive(Serialize)]
struct DefaultPm<'a> {
    invoice_settings: DefaultPmSettings<'a>,
}

#[derive(Serialize)]
struct DefaultPmSettings<'a> {
    default_payment_method: &'a str,
}

impl StripeClient {
    async fn get<T: miniserde::Deserialize>(
        &self,
        path: String,
        query: Option<&impl Serialize>,
    ) -> Result<T, UpstreamError> {
        let mut req = RequestBuilder::new(StripeMethod::Get, path);
        if let Some(q) = query {
            req = req.query(q);
        }
        req.customize::<T>()
            .send(self.client()?)
            .await
            .map_err(upstream_error)
    }

    async fn post<T: miniserde::Deserialize>(
        &self,
        path: String,
        form: &impl Serialize,
        key: Option<String>,
    ) -> Result<T, UpstreamError> {
        let mut req = RequestBuilder::new(StripeMethod::Post, path)
            .form(form)
            .customize::<T>();
        if let Some(key) = key {
            let key = IdempotencyKey::new(key).map_err(protocol)?;
            req = req.request_strategy(RequestStrategy::Idempotent(key));
        }
        req.send(self.client()?).await.map_err(upstream_error)
    }

    /// The plan under `id` (`GET /v1/plans/{id}`), named by its nickname, else its product's
    /// name; `None` when Stripe does not know it.
    pub async fn plan(&self, id: &str) -> Result<Option<PlanInfo>, UpstreamError> {
        let plan: shapes::Plan = match self.get(format!("/plans/{id}"), None::<&()>).await {
            Ok(p) => p,
            Err(UpstreamError::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let name = match (&plan.nickname, &plan.product) {
            (Some(n), _) if !n.trim().is_empty() => n.clone(),
            (_, Some(product)) => {
                let p: shapes::Product = self
                    .get(format!("/products/{product}"), None::<&()>)
                    .await?;
                p.name
            }
            _ => plan.id.clone(),
        };
        Ok(Some(plan_info(plan, name)))
    }

    /// The customer's current subscription: the newest that is not cancelled, else the newest
    /// cancelled one; `None` when there never was one. Plan names come from
    /// [`StripeClient::plan`] (one more read per subscription shown).
    pub async fn subscription_of(
        &self,
        customer: &str,
    ) -> Result<Option<SubscriptionInfo>, UpstreamError> {
        let list: shapes::List<shapes::Subscription> = self
            .get(
                "/subscriptions".into(),
                Some(&SubscriptionList {
                    customer,
                    status: "all",
                    limit: 10,
                }),
            )
            .await?;
        let chosen = list
            .data
            .iter()
            .position(|s| s.status != "canceled" && s.status != "incomplete_expired")
            .or(if list.data.is_empty() { None } else { Some(0) });
        match chosen {
            None => Ok(None),
            Some(i) => {
                let s = list
                    .data
                    .into_iter()
                    .nth(i)
                    .ok_or_else(|| protocol("list"))?;
                self.subscription_info(s).await.map(Some)
            }
        }
    }

    async fn subscription_info(
        &self,
        s: shapes::Subscription,
    ) -> Result<SubscriptionInfo, UpstreamError> {
        let item = s
            .items
            .data
            .into_iter()
            .next()
            .ok_or_else(|| protocol(format!("subscription {} has no item", s.id)))?;
        // `price` on Stripe, `plan` on localstripe; the plan endpoint names it, else what the
        // item itself says (a price the plans endpoint does not answer).
        let from_item = match (item.price, item.plan) {
            (Some(p), _) => PlanInfo {
                name: p.nickname.unwrap_or_else(|| p.id.clone()),
                id: p.id,
                amount: p.unit_amount,
                currency: p.currency,
                interval: p
                    .recurring
                    .as_ref()
                    .map(|r| r.interval.clone())
                    .unwrap_or_default(),
                interval_count: p.recurring.map(|r| r.interval_count).unwrap_or(1),
                min_seats: 1,
            },
            (None, Some(p)) => {
                let name = p.nickname.clone().unwrap_or_else(|| p.id.clone());
                plan_info(p, name)
            }
            (None, None) => return Err(protocol(format!("subscription {} has no price", s.id))),
        };
        let plan = self.plan(&from_item.id).await?.unwrap_or(from_item);
        Ok(SubscriptionInfo {
            id: s.id,
            status: s.status,
            item_id: item.id,
            seats: item.quantity.unwrap_or(1),
            plan,
            period_end: item.current_period_end.or(s.current_period_end),
            cancel_at_period_end: s.cancel_at_period_end.unwrap_or(false),
        })
    }

    fn item<'a>(&self, id: Option<&'a str>, plan: Option<&'a str>, quantity: u64) -> Item<'a> {
        let (price, plan) = match self.dialect {
            StripeDialect::Stripe => (plan, None),
            StripeDialect::Localstripe => (None, plan),
        };
        Item {
            id,
            price,
            plan,
            quantity,
        }
    }

    /// Subscribes the customer to `plan` with `seats`. Without a default card the
    /// subscription starts with a trial of `trial_days` (Stripe refuses a charged one). The
    /// idempotency key covers the tenant, customer, plan and seats: a retry replays it.
    pub async fn create_subscription(
        &self,
        customer: &str,
        tenant_id: &str,
        plan: &str,
        seats: u64,
        trial_days: Option<u32>,
    ) -> Result<SubscriptionInfo, UpstreamError> {
        let seats_s = seats.to_string();
        let key = idempotency_key(
            "subscription-create",
            &[
                tenant_id,
                customer,
                plan,
                &seats_s,
                &format!("{trial_days:?}"),
            ],
        );
        let s: shapes::Subscription = self
            .post(
                "/subscriptions".into(),
                &SubscriptionCreate {
                    customer,
                    items: [self.item(None, Some(plan), seats)],
                    metadata: HashMap::from([("dezky_tenant_id", tenant_id)]),
                    trial_period_days: trial_days,
                },
                Some(key),
            )
            .await?;
        self.subscription_info(s).await
    }

    /// Sets the subscription item's plan and quantity (both sent: localstripe resets the
    /// quantity when only the plan changes). Setting the same values again changes nothing.
    pub async fn update_subscription(
        &self,
        subscription: &str,
        item: &str,
        plan: &str,
        seats: u64,
    ) -> Result<SubscriptionInfo, UpstreamError> {
        let s: shapes::Subscription = self
            .post(
                format!("/subscriptions/{subscription}"),
                &SubscriptionUpdate {
                    items: [self.item(Some(item), Some(plan), seats)],
                },
                None,
            )
            .await?;
        self.subscription_info(s).await
    }

    /// A page of the customer's invoices, newest first: at most `limit` (1–100) older than
    /// the invoice `starting_after`, and whether there are more.
    pub async fn invoices(
        &self,
        customer: &str,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<(Vec<InvoiceInfo>, bool), UpstreamError> {
        let list: shapes::List<shapes::Invoice> = self
            .get(
                "/invoices".into(),
                Some(&InvoiceList {
                    customer,
                    limit: limit.clamp(1, 100),
                    starting_after,
                }),
            )
            .await?;
        let invoices = list
            .data
            .into_iter()
            .map(|i| InvoiceInfo {
                id: i.id,
                number: i.number,
                status: i.status.unwrap_or_else(|| "draft".into()),
                amount_due: i.amount_due,
                amount_paid: i.amount_paid,
                currency: i.currency,
                created: i.created,
                hosted_invoice_url: i.hosted_invoice_url,
                invoice_pdf: i.invoice_pdf,
            })
            .collect();
        Ok((invoices, list.has_more))
    }

    /// The customer's default card (`invoice_settings.default_payment_method`), if any.
    pub async fn default_card(&self, customer: &str) -> Result<Option<Card>, UpstreamError> {
        let c: shapes::Customer = self
            .get(format!("/customers/{customer}"), None::<&()>)
            .await?;
        let Some(pm) = c.invoice_settings.and_then(|s| s.default_payment_method) else {
            return Ok(None);
        };
        let pm: shapes::PaymentMethod = self
            .get(format!("/payment_methods/{pm}"), None::<&()>)
            .await?;
        Ok(pm.card)
    }

    /// A SetupIntent for a card to be charged later (`usage=off_session`), for the browser to
    /// confirm. Cards only: `allowed_payment_method_types=[card]` on Stripe; localstripe
    /// refuses that parameter and offers cards alone anyway (reference §2.3).
    /// Returns the SetupIntent's id and its client secret (for the browser only).
    pub async fn create_setup_intent(
        &self,
        customer: &str,
        tenant_slug: &str,
    ) -> Result<(String, SecretString), UpstreamError> {
        let mut create = CreateSetupIntent::new()
            .customer(customer)
            .usage(CreateSetupIntentUsage::OffSession)
            .metadata(HashMap::from([(
                "tenant_slug".to_string(),
                tenant_slug.to_string(),
            )]));
        if self.dialect == StripeDialect::Stripe {
            create = create
                .allowed_payment_method_types(vec![SetupIntentAllowedPaymentMethodTypes::Card]);
        }
        let si: shapes::SetupIntentCreated = create
            .build()
            .customize()
            .send(self.client()?)
            .await
            .map_err(upstream_error)?;
        let secret = si
            .client_secret
            .ok_or_else(|| protocol("the SetupIntent came back without a client secret"))?;
        Ok((si.id, SecretString::from(secret)))
    }

    /// The SetupIntent under `id`, as Stripe has it now.
    pub async fn setup_intent(
        &self,
        id: &str,
    ) -> Result<Option<shapes::SetupIntent>, UpstreamError> {
        match self.get(format!("/setup_intents/{id}"), None::<&()>).await {
            Ok(si) => Ok(Some(si)),
            Err(UpstreamError::Status { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Makes `payment_method` the customer's default: attached first when it is not yet the
    /// customer's (Stripe attaches on a successful setup; localstripe does not), then set in
    /// `invoice_settings.default_payment_method`. Returns its card.
    pub async fn make_default_payment_method(
        &self,
        customer: &str,
        payment_method: &str,
    ) -> Result<Option<Card>, UpstreamError> {
        let pm: shapes::PaymentMethod = self
            .get(format!("/payment_methods/{payment_method}"), None::<&()>)
            .await?;
        if pm.customer.as_deref() != Some(customer) {
            let _: shapes::PaymentMethod = self
                .post(
                    format!("/payment_methods/{payment_method}/attach"),
                    &Attach { customer },
                    None,
                )
                .await?;
        }
        let _: shapes::Customer = self
            .post(
                format!("/customers/{customer}"),
                &DefaultPm {
                    invoice_settings: DefaultPmSettings {
                        default_payment_method: payment_method,
                    },
                },
                None,
            )
            .await?;
        Ok(pm.card)
    }
}

/// A plan to make sure of (the sandbox's demo catalogue).
#[derive(Clone, Debug, Serialize)]
pub struct NewPlan<'a> {
    pub id: &'a str,
    pub product: &'a str,
    pub nickname: &'a str,
    /// Per seat, minor units.
    pub amount: i64,
    pub currency: &'a str,
    pub interval: &'a str,
    #[serde(rename = "metadata[min_seats]")]
    pub min_seats: String,
}

#[derive(Serialize)]
struct NewProduct<'a> {
    id: &'a str,
    name: &'a str,
}

impl StripeClient {
    /// Creates the plan (and its product) unless Stripe has it: for the sandbox's demo only,
    /// against localstripe (real catalogues are made in Stripe's dashboard).
    pub async fn ensure_plan(
        &self,
        plan: &NewPlan<'_>,
        product_name: &str,
    ) -> Result<(), UpstreamError> {
        if self.plan(plan.id).await?.is_some() {
            return Ok(());
        }
        let product: Result<shapes::Product, _> = self
            .post(
                "/products".into(),
                &NewProduct {
                    id: plan.product,
                    name: product_name,
                },
                None,
            )
            .await;
        match product {
            Ok(_)
            | Err(UpstreamError::Status {
                status: 400 | 409, ..
            }) => {}
            Err(e) => return Err(e),
        }
        let _: shapes::Plan = self.post("/plans".into(), plan, None).await?;
        Ok(())
    }
}

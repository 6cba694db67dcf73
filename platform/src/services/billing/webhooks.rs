//! `POST /webhooks/stripe`: Stripe tells the console about subscriptions and invoices
//! (docs.stripe.com/webhooks). The `Stripe-Signature` is checked by async-stripe's webhook
//! crate (HMAC-SHA256 over `t.payload`, five minutes' tolerance); a delivery seen before is
//! acknowledged and ignored. The event's object is then read as JSON for the few fields used:
//! the crate's typed decode of the object follows the newest Stripe shapes, which neither
//! older endpoints' versions nor localstripe send.
//!
//! - `customer.subscription.*`: the subscription's state as the event says, unless a newer
//!   state is stored (events arrive out of order);
//! - `invoice.*`: the subscription is read again from Stripe (an invoice carries no state).

use secrecy::ExposeSecret;
use serde_json::{json, Value};
use stripe_webhook::{Webhook, WebhookError};
use wire::billing::SubscriptionState;

use super::{seats::customer_id, BillingError, BillingService};
use crate::domain::Outcome;
use crate::repo::billing as repo;
use crate::Ctx;

/// What a delivery did (the handler answers 200 with it).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// The state was recorded for the tenant.
    Applied,
    /// Seen before: acknowledged, nothing done.
    Duplicate,
    /// Not an event Dezky acts on, or about a customer that is no workspace's.
    Ignored,
    /// Older than the stored state.
    Stale,
}

impl BillingService {
    /// Checks and applies one webhook delivery.
    pub async fn webhook(
        &self,
        ctx: &Ctx,
        payload: &str,
        signature: Option<&str>,
    ) -> Result<WebhookOutcome, BillingError> {
        let secret = self
            .settings
            .webhook_secret
            .as_ref()
            .filter(|_| self.stripe.is_some())
            .ok_or(BillingError::Disabled)?;
        let signature =
            signature.ok_or_else(|| BillingError::BadSignature("the header is missing".into()))?;
        match Webhook::construct_event(payload, signature, secret.expose_secret()) {
            // Signed and decoded, or signed and only our reading below can decode it.
            Ok(_) | Err(WebhookError::BadParse(_)) => {}
            Err(e) => {
                tracing::warn!(error = %e, "a Stripe webhook with a bad signature was refused");
                return Err(BillingError::BadSignature(e.to_string()));
            }
        }
        let event: Value = serde_json::from_str(payload).map_err(|e| BillingError::Invalid {
            field: "body",
            message: format!("The event is not JSON: {e}"),
        })?;
        let (Some(id), Some(kind)) = (event["id"].as_str(), event["type"].as_str()) else {
            return Err(BillingError::Invalid {
                field: "body",
                message: "The event has no id or type.".into(),
            });
        };
        if !repo::first_delivery(&self.db, id, kind).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
        let result = self.apply_event(ctx, id, kind, &event).await;
        if result.is_err() {
            // Stripe retries a delivery that failed; let the retry through.
            repo::forget_delivery(&self.db, id).await?;
        }
        result
    }

    async fn apply_event(
        &self,
        ctx: &Ctx,
        id: &str,
        kind: &str,
        event: &Value,
    ) -> Result<WebhookOutcome, BillingError> {
        let object = &event["data"]["object"];
        let created = event["created"].as_i64().unwrap_or(0);
        let Some(customer) = object["customer"].as_str() else {
            return Ok(WebhookOutcome::Ignored);
        };
        let Some(tenant_id) = repo::tenant_of_customer(&self.db, customer).await? else {
            return Ok(WebhookOutcome::Ignored);
        };
        let (sub_id, state, seats, at) = if kind.starts_with("customer.subscription.") {
            let Some(state) = object["status"].as_str().and_then(SubscriptionState::parse) else {
                return Ok(WebhookOutcome::Ignored);
            };
            let seats = object["items"]["data"][0]["quantity"]
                .as_i64()
                .or(object["quantity"].as_i64());
            let Some(sub) = object["id"].as_str() else {
                return Ok(WebhookOutcome::Ignored);
            };
            (sub.to_string(), state, seats, created)
        } else if kind.starts_with("invoice.") {
            let Some(stripe) = self.stripe.as_deref() else {
                return Ok(WebhookOutcome::Ignored);
            };
            if customer_id(&self.db, &tenant_id).await?.as_deref() != Some(customer) {
                return Ok(WebhookOutcome::Ignored);
            }
            let sub = stripe.subscription_of(customer).await.map_err(|e| {
                super::from_upstream("read the subscription after an invoice event", e)
            })?;
            let Some(sub) = sub else {
                return Ok(WebhookOutcome::Ignored);
            };
            let Some(state) = SubscriptionState::parse(&sub.status) else {
                return Ok(WebhookOutcome::Ignored);
            };
            (
                sub.id,
                state,
                Some(sub.seats as i64),
                crate::now_ms() / 1000,
            )
        } else {
            return Ok(WebhookOutcome::Ignored);
        };
        let applied =
            repo::record_subscription(&self.db, &tenant_id, &sub_id, state, seats, at).await?;
        self.audit
            .record_in(
                ctx,
                &tenant_id,
                "billing.subscription_state",
                &sub_id,
                Outcome::Success,
                json!({ "event": id, "type": kind, "state": state.as_str(), "applied": applied }),
            )
            .await;
        Ok(if applied {
            WebhookOutcome::Applied
        } else {
            WebhookOutcome::Stale
        })
    }
}

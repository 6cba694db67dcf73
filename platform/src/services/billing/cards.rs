//! The default card, changed without card data touching the console: the server creates a
//! SetupIntent (`usage=off_session`), the browser confirms it with Stripe.js's card element,
//! and the server re-reads the SetupIntent and makes its payment method the customer's
//! default (`shared/reference/stripe.md` §2.3–2.4).

use secrecy::ExposeSecret;
use serde_json::json;
use wire::billing::{CardView, SetupIntentStart};

use super::{from_upstream, invalid, BillingError, BillingService};
use crate::domain::Outcome;
use crate::services::access::TenantAdmin;
use crate::Ctx;

impl BillingService {
    /// A SetupIntent for a new card; its client secret goes to the browser only. Audited
    /// (without the secret).
    pub async fn start_card_change(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
    ) -> Result<SetupIntentStart, BillingError> {
        let result = async {
            if self.stripe_js().is_none() {
                return Err(BillingError::Invalid {
                    field: "card",
                    message: "Changing the card is not set up on this console \
                              (STRIPE_PUBLISHABLE_KEY)."
                        .into(),
                });
            }
            let (stripe, customer) = self.customer(admin).await?;
            stripe
                .create_setup_intent(&customer, &admin.tenant().slug)
                .await
                .map_err(|e| from_upstream("start the card change", e))
        }
        .await;
        let (outcome, details) = match &result {
            Ok((id, _)) => (Outcome::Success, json!({ "setup_intent": id })),
            Err(e) => (Outcome::Failure, json!({ "error": e.to_string() })),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "billing.card_change_started",
                &admin.tenant().slug,
                outcome,
                details,
            )
            .await;
        result.map(|(id, secret)| SetupIntentStart {
            setup_intent: id,
            client_secret: secret.expose_secret().to_string(),
        })
    }

    /// Makes the card of a SetupIntent the browser confirmed the default: trusted only when
    /// Stripe says it succeeded and belongs to this workspace's customer. Audited with the
    /// brand and last four digits only.
    pub async fn finish_card_change(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        setup_intent: &str,
    ) -> Result<CardView, BillingError> {
        let result = self.finish_inner(admin, setup_intent.trim()).await;
        let (outcome, details) = match &result {
            Ok(c) => (
                Outcome::Success,
                json!({ "setup_intent": setup_intent, "card": c.label(),
                        "expires": format!("{:02}/{}", c.exp_month, c.exp_year) }),
            ),
            Err(e) => (
                Outcome::Failure,
                json!({ "setup_intent": setup_intent, "error": e.to_string() }),
            ),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "billing.change_card",
                &admin.tenant().slug,
                outcome,
                details,
            )
            .await;
        result
    }

    async fn finish_inner(
        &self,
        admin: &TenantAdmin,
        setup_intent: &str,
    ) -> Result<CardView, BillingError> {
        let well_formed = setup_intent.starts_with("seti_")
            && setup_intent.len() <= 255
            && setup_intent
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !well_formed {
            return Err(invalid(
                "setup_intent",
                "Give the SetupIntent id (seti_…) Stripe.js confirmed.",
            ));
        }
        let (stripe, customer) = self.customer(admin).await?;
        let si = stripe
            .setup_intent(setup_intent)
            .await
            .map_err(|e| from_upstream("read the SetupIntent", e))?
            .filter(|si| si.customer.as_deref() == Some(customer.as_str()))
            .ok_or_else(|| {
                invalid(
                    "setup_intent",
                    "This SetupIntent does not belong to this workspace.",
                )
            })?;
        if si.status != "succeeded" {
            return Err(invalid(
                "setup_intent",
                format!(
                    "The card is not confirmed (Stripe says the SetupIntent is {}); nothing changed.",
                    si.status.replace('_', " ")
                ),
            ));
        }
        let pm = si.payment_method.ok_or_else(|| {
            invalid(
                "setup_intent",
                "The SetupIntent has no payment method; nothing changed.",
            )
        })?;
        let card = stripe
            .make_default_payment_method(&customer, &pm)
            .await
            .map_err(|e| from_upstream("make the card the default", e))?
            .ok_or_else(|| invalid("setup_intent", "That payment method is not a card."))?;
        Ok(CardView {
            brand: card.brand,
            last4: card.last4,
            exp_month: card.exp_month,
            exp_year: card.exp_year,
        })
    }
}

//! Billing on Stripe, for the workspace's Stripe customer (the one tenant provisioning
//! ensured, its `stripe` step):
//! - the billing details (company name, billing email, country, EU VAT id), here;
//! - the plan, the subscription with its seats and spend, and invoices ([`subscription`]);
//! - the seats following the members, a recorded and retryable step ([`seats`]);
//! - the default card, changed through a SetupIntent the browser confirms with Stripe.js
//!   ([`cards`]); card numbers never reach the console;
//! - Stripe's webhooks, which keep the subscription's state (dunning) current ([`webhooks`]).
//!
//! Every change is audited (never with card data or a client secret).

mod cards;
pub mod seats;
mod subscription;
mod webhooks;

pub use seats::SeatSync;
pub use subscription::{plans_check, DEMO_PLANS};
pub use webhooks::WebhookOutcome;

use serde_json::json;
use wire::billing::{BillingDetails, BillingDetailsUpdate};

use crate::domain::{Outcome, VatId};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::services::security::policy::CountryCode;
use crate::upstream::stripe::{CustomerDetails, StripeClient};
use crate::upstream::UpstreamError;
use crate::{Ctx, Db};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Stripe did not answer.
    #[error("{0}")]
    Unavailable(String),
    /// Billing is switched off on this console (`STRIPE_ENABLED=false`).
    #[error(
        "Billing is not available: Stripe is not configured for this console (STRIPE_ENABLED)."
    )]
    Disabled,
    #[error("This workspace has no Stripe customer yet; reconcile the workspace first.")]
    NoCustomer,
    #[error("{message}")]
    Upstream {
        message: String,
        #[source]
        source: UpstreamError,
    },
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
    /// The subscription step failed at Stripe; recorded, and run again on the next member
    /// change, reconcile or "Sync seats".
    #[error("{0} The step is recorded and runs again on the next member change, reconcile or Sync seats.")]
    StepFailed(String),
    /// A webhook whose `Stripe-Signature` does not match (forged, or another secret).
    #[error("The Stripe-Signature header does not match this payload: {0}")]
    BadSignature(String),
}

impl crate::error::Classify for BillingError {
    fn class(&self) -> wire::ErrorClass {
        use wire::ErrorClass;
        match self {
            BillingError::Invalid { .. } | BillingError::BadSignature(_) => ErrorClass::Invalid,
            BillingError::Unavailable(_) => ErrorClass::Unavailable,
            BillingError::NoCustomer | BillingError::Disabled => ErrorClass::Conflict,
            BillingError::Upstream { .. } | BillingError::StepFailed(_) => ErrorClass::Upstream,
            BillingError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            BillingError::Invalid { .. } => "invalid",
            BillingError::Unavailable(_) => "billing_unavailable",
            BillingError::NoCustomer => "no_customer",
            BillingError::Disabled => "billing_disabled",
            BillingError::Upstream { .. } => "upstream",
            BillingError::Store(_) => "internal",
            BillingError::BadSignature(_) => "invalid_signature",
            BillingError::StepFailed(_) => "subscription_step_failed",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            BillingError::Invalid { field, .. } => Some(field),
            BillingError::BadSignature(_) => Some("Stripe-Signature"),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> BillingError {
    BillingError::Invalid {
        field,
        message: message.into(),
    }
}

/// What Stripe failing means here: not reachable is "billing is unavailable" (503), a refusal
/// names the step.
fn from_upstream(step: &str, e: UpstreamError) -> BillingError {
    match e {
        UpstreamError::Unreachable { .. } | UpstreamError::Timeout { .. } => {
            BillingError::Unavailable(format!(
                "Billing is unavailable right now: {e}. Nothing else is affected; try again later."
            ))
        }
        e => BillingError::Upstream {
            message: format!("Stripe: could not {step}: {e}"),
            source: e,
        },
    }
}

/// The parsed form.
struct Details {
    company_name: String,
    billing_email: Option<String>,
    country: CountryCode,
    vat_id: Option<VatId>,
}

fn parse(u: &BillingDetailsUpdate) -> Result<Details, BillingError> {
    let company_name = u.company_name.trim();
    if company_name.is_empty() || company_name.chars().count() > 200 {
        return Err(invalid(
            "company_name",
            "Give the company's name (at most 200 characters), as it should appear on invoices.",
        ));
    }
    let email = u.billing_email.trim();
    let billing_email = if email.is_empty() {
        None
    } else {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }) && email.matches('@').count() == 1
            && email.len() <= 254;
        if !valid {
            return Err(invalid(
                "billing_email",
                format!("{email} is not an email address."),
            ));
        }
        Some(email.to_string())
    };
    let country = CountryCode::parse(u.country.trim()).ok_or_else(|| {
        invalid(
            "country",
            "Choose the country as a two-letter ISO code, like DE or FR.",
        )
    })?;
    let vat = u.vat_id.trim();
    let vat_id = if vat.is_empty() {
        None
    } else {
        Some(VatId::parse(country.as_str(), vat).map_err(|m| invalid("vat_id", m))?)
    };
    Ok(Details {
        company_name: company_name.to_string(),
        billing_email,
        country,
        vat_id,
    })
}

fn view(d: CustomerDetails) -> BillingDetails {
    BillingDetails {
        company_name: d.name,
        billing_email: d.email,
        country: d.country,
        vat_id: d.vat_ids.into_iter().next().map(|(_, v)| v),
    }
}

/// What billing needs from the configuration.
#[derive(Clone, Debug, Default)]
pub struct BillingSettings {
    /// The plan catalogue: Stripe plan or price ids (`STRIPE_PLANS`), described by Stripe.
    pub plans: Vec<String>,
    /// Days of trial for a subscription started without a card (`STRIPE_TRIAL_DAYS`).
    pub trial_days: u32,
    /// Stripe.js and the publishable key (`STRIPE_JS_URL`, `STRIPE_PUBLISHABLE_KEY`); `None`:
    /// the card cannot be changed here.
    pub stripe_js: Option<wire::billing::StripeJs>,
    /// The webhook endpoint's signing secret (`STRIPE_WEBHOOK_SECRET`, `whsec_…`).
    pub webhook_secret: Option<secrecy::SecretString>,
}

#[derive(Clone)]
pub struct BillingService {
    db: Db,
    audit: AuditRecorder,
    stripe: Option<std::sync::Arc<StripeClient>>,
    settings: std::sync::Arc<BillingSettings>,
    seats: SeatSync,
    /// Plan names by id, as Stripe last described them (the sidebar mark reads them without
    /// asking Stripe on every page).
    plan_names: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
}

impl BillingService {
    pub fn new(db: Db, audit: AuditRecorder, seats: SeatSync, settings: BillingSettings) -> Self {
        Self {
            db,
            audit,
            stripe: seats.stripe(),
            settings: std::sync::Arc::new(settings),
            seats,
            plan_names: Default::default(),
        }
    }

    /// The sidebar mark: the plan's name (from Stripe, remembered after the first read; `None`
    /// without a plan or when Stripe cannot say) and the seats (what Stripe bills when known,
    /// else the members holding a seat, [`seats::seats_used`], one `COUNT`). Never fails on
    /// Stripe.
    pub async fn mark(&self, admin: &TenantAdmin) -> Result<(Option<String>, i64), BillingError> {
        let row = self.billing_row_once(admin).await?;
        let seats = match row.seats_paid {
            Some(paid) => paid,
            None => seats::seats_used_once(&self.db, admin).await? as i64,
        };
        let Some(plan) = row.plan_id else {
            return Ok((None, seats));
        };
        let known = self
            .plan_names
            .lock()
            .ok()
            .and_then(|names| names.get(&plan).cloned());
        if let Some(name) = known {
            return Ok((Some(name), seats));
        }
        let read = match self.stripe.as_deref() {
            Some(stripe) => stripe.plan(&plan).await.ok().flatten(),
            None => None,
        };
        let name = read.map(|p| p.name);
        if let (Some(name), Ok(mut names)) = (&name, self.plan_names.lock()) {
            names.insert(plan, name.clone());
        }
        Ok((name, seats))
    }

    /// The subscription's state when it is behind on payment (past due, unpaid), as last
    /// recorded: the dunning banner. Reads the database only.
    pub async fn behind_on_payment(
        &self,
        admin: &TenantAdmin,
    ) -> Result<Option<wire::billing::SubscriptionState>, BillingError> {
        Ok(self
            .billing_row_once(admin)
            .await?
            .state
            .filter(|s| s.behind_on_payment()))
    }

    /// The tenant's billing row, read once per request (the sidebar's mark and its dunning
    /// banner both need it). Only for reads: a change reads the row itself.
    async fn billing_row_once(
        &self,
        admin: &TenantAdmin,
    ) -> Result<crate::repo::billing::TenantBilling, sqlx::Error> {
        let tenant_id = &admin.tenant().id;
        admin
            .memo()
            .get_or_try_init(format!("billing_row:{tenant_id}"), || {
                crate::repo::billing::get(&self.db, tenant_id)
            })
            .await
    }

    /// Stripe.js for the billing page (its Content-Security-Policy allows the script's
    /// origin there only); `None` when no publishable key is configured.
    pub fn stripe_js(&self) -> Option<&wire::billing::StripeJs> {
        self.settings
            .stripe_js
            .as_ref()
            .filter(|_| self.stripe.is_some())
    }

    /// The Stripe client and the tenant's customer id.
    async fn customer(&self, admin: &TenantAdmin) -> Result<(&StripeClient, String), BillingError> {
        let stripe = self.stripe.as_deref().ok_or(BillingError::Disabled)?;
        let id = seats::customer_id(&self.db, &admin.tenant().id)
            .await?
            .ok_or(BillingError::NoCustomer)?;
        Ok((stripe, id))
    }

    /// The billing details, read from Stripe.
    pub async fn details(&self, admin: &TenantAdmin) -> Result<BillingDetails, BillingError> {
        let (stripe, id) = self.customer(admin).await?;
        let found = stripe
            .customer_details(&id)
            .await
            .map_err(|e| from_upstream("read the billing details", e))?;
        found.map(view).ok_or(BillingError::NoCustomer)
    }

    /// Saves the billing details on the Stripe customer: a new VAT id first (a refusal changes
    /// nothing), then name, email and country (a failure there removes the VAT id just added),
    /// then the old VAT id is removed. A VAT id Stripe refuses is reported on the
    /// `vat_id` field. Audited with before and after.
    pub async fn update_details(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        update: &BillingDetailsUpdate,
    ) -> Result<BillingDetails, BillingError> {
        let result = self.update_inner(admin, update).await;
        let (outcome, details) = match &result {
            Ok((before, after)) => (
                Outcome::Success,
                json!({ "before": before_json(before), "after": before_json(after) }),
            ),
            Err(e) => (
                Outcome::Failure,
                json!({ "error": e.to_string(), "field": crate::error::Classify::field(e) }),
            ),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "billing.update_details",
                &admin.tenant().slug,
                outcome,
                details,
            )
            .await;
        result.map(|(_, after)| after)
    }

    async fn update_inner(
        &self,
        admin: &TenantAdmin,
        update: &BillingDetailsUpdate,
    ) -> Result<(BillingDetails, BillingDetails), BillingError> {
        let d = parse(update)?;
        let (stripe, id) = self.customer(admin).await?;
        let before = stripe
            .customer_details(&id)
            .await
            .map_err(|e| from_upstream("read the billing details", e))?
            .ok_or(BillingError::NoCustomer)?;
        // The new VAT id first: when Stripe refuses it, nothing has changed yet.
        let wanted = d.vat_id.as_ref().map(VatId::as_str);
        let vat_changes = before.vat_ids.iter().map(|(_, v)| v.as_str()).ne(wanted);
        let added = match wanted.filter(|_| vat_changes) {
            None => None,
            Some(vat) => Some(stripe.add_vat_id(&id, vat).await.map_err(|e| match e {
                UpstreamError::Status {
                    status: 400,
                    detail,
                    ..
                } => invalid("vat_id", format!("Stripe refused the VAT id: {detail}")),
                e => from_upstream("add the VAT id", e),
            })?),
        };
        let saved = stripe
            .update_customer_details(
                &id,
                &d.company_name,
                d.billing_email.as_deref(),
                d.country.as_str(),
            )
            .await;
        if let Err(e) = saved {
            // Undo the VAT id added above, so the details stay as they were.
            if let Some(tax_id) = &added {
                if let Err(undo) = stripe.remove_tax_id(&id, tax_id).await {
                    tracing::warn!(error = %undo, "the new VAT id could not be rolled back");
                }
            }
            return Err(from_upstream("save the billing details", e));
        }
        if vat_changes {
            for (tax_id, value) in &before.vat_ids {
                if Some(value.as_str()) != wanted {
                    stripe
                        .remove_tax_id(&id, tax_id)
                        .await
                        .map_err(|e| from_upstream("remove the old VAT id", e))?;
                }
            }
        }
        let after = self.details(admin).await?;
        Ok((view(before), after))
    }
}

fn before_json(d: &BillingDetails) -> serde_json::Value {
    json!({
        "company_name": d.company_name, "billing_email": d.billing_email,
        "country": d.country, "vat_id": d.vat_id,
    })
}

//! Billing on Stripe. Built so far: the workspace's billing details (company name, billing
//! email, country, EU VAT id) on its Stripe customer, read from Stripe and changed there,
//! every change audited with before and after (no card data exists here). The customer is the
//! one tenant provisioning ensured (its `stripe` step).

use serde_json::json;
use wire::billing::{BillingDetails, BillingDetailsUpdate};

use crate::domain::{Outcome, VatId};
use crate::repo::provisioning as tenant_steps;
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::services::provisioning::STRIPE;
use crate::services::security::policy::CountryCode;
use crate::services::steps::StepState;
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
}

impl crate::error::Classify for BillingError {
    fn class(&self) -> wire::ErrorClass {
        use wire::ErrorClass;
        match self {
            BillingError::Invalid { .. } => ErrorClass::Invalid,
            BillingError::Unavailable(_) => ErrorClass::Unavailable,
            BillingError::NoCustomer | BillingError::Disabled => ErrorClass::Conflict,
            BillingError::Upstream { .. } => ErrorClass::Upstream,
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
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            BillingError::Invalid { field, .. } => Some(field),
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

#[derive(Clone)]
pub struct BillingService {
    db: Db,
    audit: AuditRecorder,
    stripe: Option<std::sync::Arc<StripeClient>>,
}

impl BillingService {
    pub fn new(db: Db, audit: AuditRecorder, stripe: Option<StripeClient>) -> Self {
        Self {
            db,
            audit,
            stripe: stripe.map(std::sync::Arc::new),
        }
    }

    /// The Stripe client and the tenant's customer id.
    async fn customer(&self, admin: &TenantAdmin) -> Result<(&StripeClient, String), BillingError> {
        let stripe = self.stripe.as_deref().ok_or(BillingError::Disabled)?;
        let id = tenant_steps::steps(&self.db, &admin.tenant().id)
            .await?
            .into_iter()
            .find(|s| s.upstream == STRIPE && s.state == StepState::Ok)
            .and_then(|s| s.upstream_id)
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

    /// Saves the billing details on the Stripe customer: name, email and country, then the VAT
    /// id (the old one is removed when it changes). A VAT id Stripe refuses is reported on the
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
        stripe
            .update_customer_details(
                &id,
                &d.company_name,
                d.billing_email.as_deref(),
                d.country.as_str(),
            )
            .await
            .map_err(|e| from_upstream("save the billing details", e))?;
        let wanted = d.vat_id.as_ref().map(VatId::as_str);
        if before.vat_ids.iter().map(|(_, v)| v.as_str()).ne(wanted) {
            if let Some(vat) = wanted {
                stripe.add_vat_id(&id, vat).await.map_err(|e| match e {
                    UpstreamError::Status {
                        status: 400,
                        detail,
                        ..
                    } => invalid("vat_id", format!("Stripe refused the VAT id: {detail}")),
                    e => from_upstream("add the VAT id", e),
                })?;
            }
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

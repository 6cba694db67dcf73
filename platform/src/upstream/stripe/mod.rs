//! Stripe, through `async-stripe` 1.0.0-rc.10 (every `async-stripe*` crate pinned to that exact
//! version; `shared/reference/stripe.md` §1–2), for what provisioning needs: one customer per
//! tenant, found by its stored id, else by the tenant id in its metadata, else created.
//! `STRIPE_API_BASE` points tests at localstripe.
//!
//! Creations carry an idempotency key derived from the operation and its parameters
//! ([`idempotency_key`]): a retried create replays the same customer, while a create that
//! replaces a deleted customer is a different operation (its parameters name the customer it
//! replaces) and never replays the deleted one within Stripe's 24-hour key window.

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use stripe::{IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::tax_id::{
    CreateCustomerTaxId, CreateCustomerTaxIdType, DeleteCustomerTaxId, ListCustomerTaxId,
};
use stripe_core::customer::{
    CreateCustomer, ListCustomer, OptionalFieldsCustomerAddress, RetrieveCustomer, UpdateCustomer,
};

use crate::upstream::UpstreamError;

mod billing;
pub mod shapes;

pub use billing::{Card, InvoiceInfo, NewPlan, PlanInfo, SubscriptionInfo};

const UPSTREAM: &str = "Stripe";

/// Which server answers: Stripe itself, or localstripe, which takes a few parameters in their
/// older form (`STRIPE_DIALECT`; reference §8): subscription items name a `plan`, not a
/// `price`, and SetupIntents take no `allowed_payment_method_types`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StripeDialect {
    #[default]
    Stripe,
    Localstripe,
}

#[derive(Clone, Debug)]
pub struct StripeConfig {
    pub api_base: String,
    pub secret_key: SecretString,
    pub timeout: std::time::Duration,
    pub dialect: StripeDialect,
}

/// A customer as Dezky reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub metadata: HashMap<String, String>,
}

impl From<stripe_shared::Customer> for Customer {
    fn from(c: stripe_shared::Customer) -> Self {
        Self {
            id: c.id.to_string(),
            metadata: c.metadata.unwrap_or_default(),
        }
    }
}

impl From<shapes::Customer> for Customer {
    fn from(c: shapes::Customer) -> Self {
        Self {
            id: c.id,
            metadata: c.metadata.unwrap_or_default(),
        }
    }
}

/// What [`StripeClient::get_customer`] found under an id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CustomerLookup {
    Live(Customer),
    /// Stripe keeps a deleted customer's id and answers it as deleted.
    Deleted,
    Missing,
}

/// `dezky-<operation>-<hex SHA-256 of the parameters>`: the same operation with the same
/// parameters gets the same key (a retry replays it), anything else another one. Stripe keys
/// are at most 255 characters; this one is 64 plus the operation's name.
pub fn idempotency_key(operation: &str, parameters: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parameters {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("dezky-{operation}-{digest}")
}

fn upstream_error(e: StripeError) -> UpstreamError {
    match e {
        StripeError::Stripe(errors, status) => UpstreamError::Status {
            upstream: UPSTREAM,
            status,
            detail: crate::upstream::scrub(
                errors
                    .message
                    .as_deref()
                    .unwrap_or("Stripe refused the request"),
            ),
        },
        StripeError::Timeout => UpstreamError::Timeout { upstream: UPSTREAM },
        StripeError::ClientError(detail) => UpstreamError::Unreachable {
            upstream: UPSTREAM,
            detail: crate::upstream::scrub(&detail),
        },
        StripeError::JSONDeserialize(detail) | StripeError::ConfigError(detail) => {
            UpstreamError::Protocol {
                upstream: UPSTREAM,
                detail,
            }
        }
    }
}

pub struct StripeClient {
    client: Result<stripe::Client, String>,
    dialect: StripeDialect,
}

impl StripeClient {
    /// A client of `cfg.api_base`; a configuration the library refuses turns every call into
    /// a [`UpstreamError::Protocol`] naming it (checked at start by `server doctor`).
    pub fn new(cfg: StripeConfig) -> Self {
        let base = format!("{}/", cfg.api_base.trim_end_matches('/'));
        let client = stripe::ClientBuilder::new(cfg.secret_key.expose_secret())
            .url(base)
            .timeout(cfg.timeout)
            .app_info("dezky", Some(env!("CARGO_PKG_VERSION").into()), None)
            .build()
            .map_err(|e| e.to_string());
        Self {
            client,
            dialect: cfg.dialect,
        }
    }

    /// Which server this client talks to.
    pub fn dialect(&self) -> StripeDialect {
        self.dialect
    }

    fn client(&self) -> Result<&stripe::Client, UpstreamError> {
        self.client
            .as_ref()
            .map_err(|detail| UpstreamError::Protocol {
                upstream: UPSTREAM,
                detail: format!("the Stripe client could not be built: {detail}"),
            })
    }

    /// The customer under `id`: live, deleted, or unknown to Stripe.
    ///
    /// Read through [`shapes::Customer`]: localstripe inlines a customer's subscriptions in a
    /// shape the typed `Customer` refuses (reference §2.6).
    pub async fn get_customer(&self, id: &str) -> Result<CustomerLookup, UpstreamError> {
        Ok(match self.read_customer(id).await? {
            None => CustomerLookup::Missing,
            Some(c) if c.deleted == Some(true) => CustomerLookup::Deleted,
            Some(c) => CustomerLookup::Live(c.into()),
        })
    }

    /// The customer under `id` as Stripe answers it (deleted ones included); `None` on 404.
    async fn read_customer(&self, id: &str) -> Result<Option<shapes::Customer>, UpstreamError> {
        match RetrieveCustomer::new(id)
            .build()
            .customize::<shapes::Customer>()
            .send(self.client()?)
            .await
        {
            Ok(c) => Ok(Some(c)),
            Err(StripeError::Stripe(_, 404)) => Ok(None),
            Err(e) => Err(upstream_error(e)),
        }
    }

    /// Walks the customer list for the one whose metadata names the tenant (a repair path:
    /// the stored id is the source of truth; search is eventually consistent upstream and
    /// absent from localstripe, reference §2.1).
    pub async fn find_customer_of_tenant(
        &self,
        tenant_id: &str,
    ) -> Result<Option<Customer>, UpstreamError> {
        let client = self.client()?;
        let mut after: Option<String> = None;
        loop {
            let mut list = ListCustomer::new().limit(100);
            if let Some(a) = &after {
                list = list.starting_after(a.clone());
            }
            let page = list
                .build()
                .customize::<shapes::List<shapes::Customer>>()
                .send(client)
                .await
                .map_err(upstream_error)?;
            let last = page.data.last().map(|c| c.id.clone());
            if let Some(c) = page.data.into_iter().find(|c| {
                c.metadata
                    .as_ref()
                    .and_then(|m| m.get("dezky_tenant_id"))
                    .is_some_and(|t| t == tenant_id)
            }) {
                return Ok(Some(c.into()));
            }
            match (page.has_more, last) {
                (true, Some(last)) => after = Some(last),
                _ => return Ok(None),
            }
        }
    }

    /// Creates the tenant's customer. `replaces`: the deleted customer this one takes the
    /// place of, part of the idempotency key.
    pub async fn create_customer(
        &self,
        name: &str,
        slug: &str,
        tenant_id: &str,
        replaces: Option<&str>,
    ) -> Result<Customer, UpstreamError> {
        let key = idempotency_key(
            "customer-create",
            &[tenant_id, name, slug, replaces.unwrap_or("")],
        );
        let key = IdempotencyKey::new(key).map_err(|e| UpstreamError::Protocol {
            upstream: UPSTREAM,
            detail: e.to_string(),
        })?;
        CreateCustomer::new()
            .name(name)
            .metadata(HashMap::from([
                ("tenant_slug".to_string(), slug.to_string()),
                ("dezky_tenant_id".to_string(), tenant_id.to_string()),
            ]))
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(self.client()?)
            .await
            .map(Customer::from)
            .map_err(upstream_error)
    }
}

/// A customer's billing details as Stripe has them (reference §2.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerDetails {
    pub name: Option<String>,
    pub email: Option<String>,
    /// ISO 3166-1 alpha-2, from the address.
    pub country: Option<String>,
    /// The `eu_vat` tax ids: (tax id object id, value).
    pub vat_ids: Vec<(String, String)>,
}

impl StripeClient {
    /// The billing details of a live customer; `None` when it is deleted or unknown.
    pub async fn customer_details(
        &self,
        id: &str,
    ) -> Result<Option<CustomerDetails>, UpstreamError> {
        let client = self.client()?;
        let customer = match self.read_customer(id).await? {
            Some(c) if c.deleted != Some(true) => c,
            _ => return Ok(None),
        };
        // Listed, not read from `customer.tax_ids`: Stripe includes that field only on request.
        let tax_ids = ListCustomerTaxId::new(id)
            .send(client)
            .await
            .map_err(upstream_error)?;
        Ok(Some(CustomerDetails {
            name: customer.name,
            email: customer.email,
            country: customer.address.and_then(|a| a.country),
            vat_ids: tax_ids
                .data
                .into_iter()
                .filter(|t| t.type_.as_str() == "eu_vat")
                .map(|t| (t.id.to_string(), t.value))
                .collect(),
        }))
    }

    /// Sets the company name, billing email and country. The whole address Dezky keeps (the
    /// country) is sent: localstripe replaces the address object on update.
    pub async fn update_customer_details(
        &self,
        id: &str,
        name: &str,
        email: Option<&str>,
        country: &str,
    ) -> Result<(), UpstreamError> {
        let mut address = OptionalFieldsCustomerAddress::new();
        address.country = Some(country.to_string());
        let mut update = UpdateCustomer::new(id).name(name).address(address);
        if let Some(email) = email {
            update = update.email(email);
        }
        update
            .build()
            .customize::<shapes::Customer>()
            .send(self.client()?)
            .await
            .map(|_| ())
            .map_err(upstream_error)
    }

    /// Adds an `eu_vat` tax id. Stripe refuses a number it does not accept with a 400.
    /// Returns the tax id object's id.
    pub async fn add_vat_id(&self, customer: &str, value: &str) -> Result<String, UpstreamError> {
        CreateCustomerTaxId::new(customer, CreateCustomerTaxIdType::EuVat, value)
            .send(self.client()?)
            .await
            .map(|t| t.id.to_string())
            .map_err(upstream_error)
    }

    /// Deletes a tax id of the customer; gone already is fine.
    pub async fn remove_tax_id(&self, customer: &str, tax_id: &str) -> Result<(), UpstreamError> {
        match DeleteCustomerTaxId::new(customer, tax_id)
            .send(self.client()?)
            .await
        {
            Ok(_) | Err(StripeError::Stripe(_, 404)) => Ok(()),
            Err(e) => Err(upstream_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::idempotency_key;

    #[test]
    fn keys_follow_the_operation_and_its_parameters() {
        let a = idempotency_key("customer-create", &["t1", "Acme", "acme", ""]);
        assert_eq!(
            a,
            idempotency_key("customer-create", &["t1", "Acme", "acme", ""])
        );
        assert!(a.starts_with("dezky-customer-create-") && a.len() <= 255);
        // Replacing a deleted customer is another operation: no replay of the deleted one.
        assert_ne!(
            a,
            idempotency_key("customer-create", &["t1", "Acme", "acme", "cus_old"])
        );
        assert_ne!(
            a,
            idempotency_key("customer-create", &["t1", "Acme Corp", "acme", ""])
        );
        assert_ne!(
            idempotency_key("x", &["ab", "c"]),
            idempotency_key("x", &["a", "bc"])
        );
    }
}

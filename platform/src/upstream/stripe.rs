//! Stripe's REST API (form-encoded requests, JSON answers) for what provisioning needs: one
//! customer per tenant, found by its stored id, else by the tenant id in its metadata, else
//! created (with an idempotency key, so a retried create does not make a second one).
//! `STRIPE_API_BASE` points tests at localstripe.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use crate::upstream::{http_client, json as read_json, send, UpstreamError};

const UPSTREAM: &str = "Stripe";

#[derive(Clone, Debug)]
pub struct StripeConfig {
    pub api_base: String,
    pub secret_key: SecretString,
    pub timeout: std::time::Duration,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default)]
    pub deleted: bool,
    #[serde(default)]
    pub metadata: Value,
}

#[derive(Deserialize)]
struct List {
    data: Vec<Customer>,
    #[serde(default)]
    has_more: bool,
}

pub struct StripeClient {
    cfg: StripeConfig,
    http: reqwest::Client,
}

impl StripeClient {
    pub fn new(cfg: StripeConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self { cfg, http }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(
                method,
                format!("{}/v1{path}", self.cfg.api_base.trim_end_matches('/')),
            )
            .bearer_auth(self.cfg.secret_key.expose_secret())
    }

    /// The customer, unless it does not exist or was deleted.
    pub async fn get_customer(&self, id: &str) -> Result<Option<Customer>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::GET, &format!("/customers/{id}")),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let c: Customer = read_json(UPSTREAM, response).await?;
        Ok((!c.deleted).then_some(c))
    }

    /// Walks the customer list for the one whose metadata names the tenant (a repair path:
    /// the stored id is the source of truth).
    pub async fn find_customer_of_tenant(
        &self,
        tenant_id: &str,
    ) -> Result<Option<Customer>, UpstreamError> {
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("limit", "100".to_string())];
            if let Some(a) = &after {
                query.push(("starting_after", a.clone()));
            }
            let response = send(
                UPSTREAM,
                self.req(reqwest::Method::GET, "/customers").query(&query),
            )
            .await?;
            let page: List = read_json(UPSTREAM, response).await?;
            if let Some(c) = page
                .data
                .iter()
                .find(|c| !c.deleted && c.metadata["dezky_tenant_id"] == tenant_id)
            {
                return Ok(Some(c.clone()));
            }
            match (page.has_more, page.data.last()) {
                (true, Some(last)) => after = Some(last.id.clone()),
                _ => return Ok(None),
            }
        }
    }

    pub async fn create_customer(
        &self,
        name: &str,
        slug: &str,
        tenant_id: &str,
    ) -> Result<Customer, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::POST, "/customers")
                .header("Idempotency-Key", format!("dezky-customer-{tenant_id}"))
                .form(&[
                    ("name", name),
                    ("metadata[tenant_slug]", slug),
                    ("metadata[dezky_tenant_id]", tenant_id),
                ]),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }
}

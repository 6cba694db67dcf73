//! The Stripe client (async-stripe) against answers in Stripe's own shapes that localstripe
//! does not give: a deleted customer is `200 {"id", "object": "customer", "deleted": true}`
//! (docs.stripe.com/api/customers/delete), an unknown one a 404 error body. Also what every
//! creation sends: the pinned `Stripe-Version` and a key derived from the operation.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use platform::upstream::stripe::{CustomerLookup, StripeClient, StripeConfig};
use platform::upstream::UpstreamError;
use secrecy::SecretString;
use serde_json::json;

/// The `Idempotency-Key` and `Stripe-Version` headers of one creation.
type Sent = (Option<String>, Option<String>);

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<Sent>>>);

async fn customer(Path(id): Path<String>) -> impl IntoResponse {
    match id.as_str() {
        "cus_live" => (
            StatusCode::OK,
            Json(json!({
                "id": "cus_live", "object": "customer", "created": 1, "livemode": false,
                "metadata": { "dezky_tenant_id": "t1" },
            })),
        ),
        "cus_gone" => (
            StatusCode::OK,
            Json(json!({ "id": "cus_gone", "object": "customer", "deleted": true })),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": {
                "type": "invalid_request_error", "code": "resource_missing",
                "message": format!("No such customer: '{id}'"), "param": "id",
            }})),
        ),
    }
}

async fn create(State(seen): State<Seen>, headers: HeaderMap) -> impl IntoResponse {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    seen.0
        .lock()
        .unwrap()
        .push((h("idempotency-key"), h("stripe-version")));
    Json(json!({
        "id": "cus_new", "object": "customer", "created": 2, "livemode": false,
        "metadata": { "dezky_tenant_id": "t1", "tenant_slug": "acme" },
    }))
}

#[tokio::test]
async fn deleted_unknown_and_live_customers_and_derived_keys() {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/customers/{id}", get(customer))
        .route("/v1/customers", post(create))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = StripeClient::new(StripeConfig {
        api_base: base,
        secret_key: SecretString::from("sk_test_fake"),
        timeout: std::time::Duration::from_secs(5),
        dialect: Default::default(),
    });

    match client.get_customer("cus_live").await.unwrap() {
        CustomerLookup::Live(c) => assert_eq!(c.metadata["dezky_tenant_id"], "t1"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.get_customer("cus_gone").await.unwrap(),
        CustomerLookup::Deleted
    );
    assert_eq!(
        client.get_customer("cus_nope").await.unwrap(),
        CustomerLookup::Missing
    );

    let first = client
        .create_customer("Acme", "acme", "t1", None)
        .await
        .unwrap();
    assert_eq!(first.id, "cus_new");
    client
        .create_customer("Acme", "acme", "t1", None)
        .await
        .unwrap();
    client
        .create_customer("Acme", "acme", "t1", Some("cus_gone"))
        .await
        .unwrap();
    let seen = seen.0.lock().unwrap().clone();
    let keys: Vec<&str> = seen.iter().map(|(k, _)| k.as_deref().unwrap()).collect();
    assert_eq!(keys[0], keys[1], "a retried create replays");
    assert_ne!(
        keys[0], keys[2],
        "replacing a deleted customer is another operation"
    );
    assert!(keys[0].starts_with("dezky-customer-create-"));
    assert!(
        seen.iter()
            .all(|(_, v)| v.as_deref() == Some("2026-09-30.endive")),
        "the pinned API version: {seen:?}"
    );
}

#[tokio::test]
async fn stripe_down_is_an_upstream_error_naming_stripe() {
    let client = StripeClient::new(StripeConfig {
        api_base: "http://127.0.0.1:9".into(),
        secret_key: SecretString::from("sk_test_fake"),
        timeout: std::time::Duration::from_secs(2),
        dialect: Default::default(),
    });
    let e = client.get_customer("cus_live").await.unwrap_err();
    assert!(
        matches!(
            e,
            UpstreamError::Unreachable {
                upstream: "Stripe",
                ..
            } | UpstreamError::Timeout { upstream: "Stripe" }
        ),
        "{e:?}"
    );
}

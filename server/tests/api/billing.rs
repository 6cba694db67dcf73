//! Billing details on the tenant's Stripe customer, against localstripe: read and saved
//! there, VAT ids normalised per country and refused on the field, audited; Stripe off or
//! down answers that billing is unavailable and nothing else breaks.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn stripe_app(backend: Backend, api_base: String) -> TestApp {
    spawn_app_with(
        backend,
        vec![
            ("STRIPE_ENABLED", "true".into()),
            ("STRIPE_SECRET_KEY", "sk_test_dezky".into()),
            ("STRIPE_API_BASE", api_base),
        ],
    )
    .await
}

async fn patch(app: &TestApp, b: &Browser, body: Value) -> (StatusCode, Value) {
    let r = b
        .client
        .patch(app.url("/api/tenants/acme/billing-info"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, b: &Browser) -> (StatusCode, Value) {
    let r = b
        .client
        .get(app.url("/api/tenants/acme/billing-info"))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn billing_details_live_on_the_stripe_customer(backend: Backend) {
    let app = stripe_app(backend, localstripe_url()).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    // The workspace's Stripe customer (provisioning ensures it; reconcile is idempotent).
    let r = app
        .post_json(&owner, "/api/tenants/acme/reconcile", json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Greece: typed with GR and separators, stored as EL once.
    let (s, saved) = patch(
        &app,
        &owner,
        json!({
            "company_name": "Acme Hellas", "billing_email": "billing@acme.example",
            "country": "GR", "vat_id": "gr 123-456-789",
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{saved}");
    assert_eq!(
        saved,
        json!({
            "company_name": "Acme Hellas", "billing_email": "billing@acme.example",
            "country": "GR", "vat_id": "EL123456789",
        })
    );
    assert_eq!(get(&app, &owner).await.1, saved, "read back from Stripe");

    // Another VAT id replaces the first; none stays behind.
    let (s, moved) = patch(
        &app,
        &owner,
        json!({ "company_name": "Acme GmbH", "billing_email": "", "country": "DE", "vat_id": "DE 123 456 789" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{moved}");
    assert_eq!(moved["vat_id"], "DE123456789");
    assert_eq!(moved["country"], "DE");

    // Refused with the field, and Stripe keeps what it had.
    for (body, field) in [
        (
            json!({ "company_name": "", "country": "DE" }),
            "company_name",
        ),
        (
            json!({ "company_name": "A", "country": "Germany" }),
            "country",
        ),
        (
            json!({ "company_name": "A", "country": "DE", "billing_email": "billing@" }),
            "billing_email",
        ),
        (
            json!({ "company_name": "A", "country": "DE", "vat_id": "DE12345" }),
            "vat_id",
        ),
        (
            json!({ "company_name": "A", "country": "US", "vat_id": "123456789" }),
            "vat_id",
        ),
    ] {
        let (s, e) = patch(&app, &owner, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["field"], field, "{body}: {e}");
    }
    assert_eq!(get(&app, &owner).await.1, moved);

    let audit = app.audit().await;
    let updates: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "billing.update_details")
        .collect();
    assert!(updates
        .iter()
        .any(|e| e.details["after"]["vat_id"] == "DE123456789"
            && e.details["before"]["vat_id"] == "EL123456789"));
    assert_eq!(
        updates
            .iter()
            .filter(|e| format!("{:?}", e.outcome) == "Failure")
            .count(),
        5,
        "refusals are audited"
    );
    app.cleanup().await;
}
on_both_backends!(billing_details, billing_details_live_on_the_stripe_customer);

/// Without Stripe (409 `billing_disabled`), or with Stripe down (503 `billing_unavailable`), the
/// endpoint says so and the rest of the console works.
async fn billing_without_stripe_is_unavailable_not_broken(backend: Backend) {
    let off = spawn_app(backend).await;
    let owner = Browser::new();
    off.sign_in(&owner, &OWNER, "/").await;
    let (s, e) = get(&off, &owner).await;
    assert_eq!(s, StatusCode::CONFLICT, "switched off: {e}");
    assert_eq!(e["error"], "billing_disabled");
    assert!(e["message"].as_str().unwrap().contains("STRIPE_ENABLED"));
    off.cleanup().await;

    let down = stripe_app(backend, "http://127.0.0.1:9".into()).await;
    let owner = Browser::new();
    down.sign_in(&owner, &OWNER, "/").await;
    // The customer id as provisioning would have stored it.
    let acme = platform::repo::identity::tenant_by_slug(&down.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    platform::repo::provisioning::record(
        &down.platform.db,
        &acme.id,
        "stripe",
        platform::services::steps::StepState::Ok,
        "The customer exists.",
        Some("cus_unreachable"),
    )
    .await
    .unwrap();
    let (s, e) = get(&down, &owner).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Billing is unavailable"),
        "{e}"
    );
    let r = owner
        .client
        .get(down.url("/api/tenants/acme/members"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the rest of the console works");
    down.cleanup().await;
}
on_both_backends!(
    billing_unavailable,
    billing_without_stripe_is_unavailable_not_broken
);

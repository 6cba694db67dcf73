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
        // Fits Luxembourg's format (LU and 8 digits) but Stripe refuses it (localstripe
        // 1.15.10 takes no 10-character EU VAT id): Stripe's refusal lands on the field.
        (
            json!({ "company_name": "A", "country": "LU", "vat_id": "LU12345678" }),
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
        6,
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
    // Without a seat count from Stripe the sidebar shows the members holding a seat, as the
    // dashboard counts them: one being removed holds none.
    let acme = platform::repo::identity::tenant_by_slug(&off.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    let members = platform::repo::members::of_tenant(&off.platform.db, &acme.id)
        .await
        .unwrap();
    platform::repo::members::set_status(
        &off.platform.db,
        &members[0].id,
        wire::members::MemberStatus::Removing,
        None,
    )
    .await
    .unwrap();
    let r = off
        .server_fn(&owner, "admin_sidebar", &[("tenant", "acme")])
        .await;
    let mark: Value = r.json().await.unwrap();
    assert_eq!(mark["seats"], members.len() - 1, "{mark}");
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
    for path in ["/api/tenants/acme/billing", "/api/tenants/acme/invoices"] {
        let r = owner.client.get(down.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"], "billing_unavailable", "{path}: {e}");
    }
    // The page says so, in its own words, with the status.
    let r = owner.get(&down.url("/admin/acme/billing")).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.text().await.unwrap().contains("Billing is unavailable"));
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

// ---- plan, seats, card, invoices and webhooks (against localstripe) --------------------------

const WHSEC: &str = "whsec_dezky_test_secret";
const EUR_PLAN: &str = "dezky-test-eur-month";
const JPY_PLAN: &str = "dezky-test-jpy-year";
const KWD_PLAN: &str = "dezky-test-kwd-month";

/// A call to localstripe with the secret key (what Stripe's dashboard or Stripe.js would do).
async fn stripe(method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .request(method, format!("{}/v1{path}", localstripe_url()))
        .basic_auth("sk_test_dezky", Some(""))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The catalogue's plans in localstripe (shared by the run: created once, "exists" is fine).
async fn ensure_plans() {
    use reqwest::Method;
    stripe(
        Method::POST,
        "/products",
        &[("id", "prod_dezky_test"), ("name", "Dezky Team")],
    )
    .await;
    for (id, amount, currency, interval, nickname, min) in [
        (EUR_PLAN, "800", "eur", "month", "Team (monthly)", "2"),
        (JPY_PLAN, "12000", "jpy", "year", "Team Japan (yearly)", "1"),
        (KWD_PLAN, "1500", "kwd", "month", "Team Kuwait", "1"),
    ] {
        let (s, b) = stripe(
            Method::POST,
            "/plans",
            &[
                ("id", id),
                ("product", "prod_dezky_test"),
                ("amount", amount),
                ("currency", currency),
                ("interval", interval),
                ("nickname", nickname),
                ("metadata[min_seats]", min),
            ],
        )
        .await;
        assert!(
            s.is_success() || s == StatusCode::CONFLICT,
            "plan {id}: {s} {b}"
        );
    }
}

async fn billing_app(backend: Backend) -> TestApp {
    ensure_plans().await;
    let ls = localstripe_url();
    spawn_app_with(
        backend,
        vec![
            ("STRIPE_ENABLED", "true".into()),
            ("STRIPE_SECRET_KEY", "sk_test_dezky".into()),
            ("STRIPE_API_BASE", ls.clone()),
            ("STRIPE_DIALECT", "localstripe".into()),
            ("STRIPE_PLANS", format!("{EUR_PLAN},{JPY_PLAN},{KWD_PLAN}")),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_dezky".into()),
            ("STRIPE_JS_URL", format!("{ls}/js.stripe.com/v3/")),
            ("STRIPE_WEBHOOK_SECRET", WHSEC.into()),
        ],
    )
    .await
}

/// The billing app with acme's owner and its partner signed in, and acme's Stripe customer
/// made (reconcile).
async fn billing_workspace(backend: Backend) -> (TestApp, Browser, Browser) {
    let app = billing_app(backend).await;
    let (owner, partner) = (Browser::new(), Browser::new());
    app.sign_in(&owner, &OWNER, "/").await;
    app.sign_in(&partner, &PARTNER, "/").await;
    let r = app
        .post_json(&owner, "/api/tenants/acme/reconcile", json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "reconcile");
    (app, owner, partner)
}

async fn call(
    app: &TestApp,
    b: &Browser,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let mut req = b.client.request(method.clone(), app.url(path));
    if method != reqwest::Method::GET {
        req = req.json(&body);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn put_plan(app: &TestApp, b: &Browser, plan: &str) -> (StatusCode, Value) {
    let body = json!({ "plan": plan });
    call(app, b, reqwest::Method::PUT, "/api/tenants/acme/plan", body).await
}

async fn get_json(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, Value) {
    call(app, b, reqwest::Method::GET, path, Value::Null).await
}

async fn overview(app: &TestApp, b: &Browser) -> (StatusCode, Value) {
    get_json(app, b, "/api/tenants/acme/billing").await
}

/// A 400 naming `field`.
fn refused_on(status: StatusCode, e: &Value, field: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], field, "{e}");
}

/// The workspace's Stripe customer id, as provisioning recorded it.
async fn customer_of_acme(app: &TestApp) -> String {
    let acme = platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    platform::repo::provisioning::steps(&app.platform.db, &acme.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.upstream == "stripe")
        .and_then(|s| s.upstream_id)
        .expect("the stripe step recorded the customer")
}

/// Adds a card the way the page does: a SetupIntent from the console, confirmed at Stripe
/// (server-side here, with `payment_method`; Stripe.js in the browser test), then made the
/// default. Returns the console's answer to the last step.
async fn add_card(app: &TestApp, owner: &Browser, card: &[(&str, &str)]) -> (StatusCode, Value) {
    use reqwest::Method;
    let (s, start) = call(
        app,
        owner,
        Method::POST,
        "/api/tenants/acme/billing/setup-intent",
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{start}");
    let secret = start["client_secret"].as_str().unwrap().to_string();
    remember_secret(&secret);
    let seti = start["setup_intent"].as_str().unwrap().to_string();
    let (s, confirmed) = stripe(
        Method::POST,
        &format!("/setup_intents/{seti}/confirm"),
        card,
    )
    .await;
    if !s.is_success() {
        assert_eq!(confirmed["error"]["code"], "card_declined", "{confirmed}");
    }
    call(
        app,
        owner,
        Method::POST,
        "/api/tenants/acme/billing/default-payment-method",
        json!({ "setup_intent": seti }),
    )
    .await
}

async fn seats_at_stripe(customer: &str) -> u64 {
    let (_, subs) = stripe(
        reqwest::Method::GET,
        &format!("/subscriptions?customer={customer}&status=all"),
        &[],
    )
    .await;
    let live: Vec<&Value> = subs["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "canceled")
        .collect();
    assert_eq!(live.len(), 1, "one live subscription: {subs}");
    live[0]["items"]["data"][0]["quantity"].as_u64().unwrap()
}

async fn plan_seats_and_card_follow_the_workspace(backend: Backend) {
    use reqwest::Method;
    let (app, owner, partner) = billing_workspace(backend).await;
    let customer = customer_of_acme(&app).await;

    let (s, o) = overview(&app, &owner).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["subscription"], Value::Null, "no plan yet");
    assert_eq!(o["card"], Value::Null);
    assert_eq!(o["stripe_js"]["publishable_key"], "pk_test_dezky");
    // Stripe.js's origin is allowed on the billing page, and nowhere else.
    let csp = |path: &'static str| {
        let b = owner.client.clone();
        let url = app.url(path);
        async move {
            let r = b.get(url).send().await.unwrap();
            r.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_string()
        }
    };
    let origin = localstripe_url();
    let billing_csp = csp("/admin/acme/billing").await;
    assert!(
        billing_csp.contains("script-src 'self'")
            && billing_csp.contains(&format!("{origin}; style-src"))
            && billing_csp.contains(&format!("connect-src 'self' {origin}")),
        "{billing_csp}"
    );
    assert!(!csp("/admin/acme").await.contains(&origin));
    assert!(!csp("/admin/acme/members").await.contains(&origin));
    assert_eq!(o["can_choose_plan"], false, "the owner is no partner");
    let used = o["seats_used"].as_u64().unwrap();

    // The card: a SetupIntent confirmed at Stripe becomes the default.
    let (s, card) = add_card(&app, &owner, &[("payment_method", "pm_card_visa")]).await;
    assert_eq!(s, StatusCode::OK, "{card}");
    assert_eq!(
        (card["brand"].as_str(), card["last4"].as_str()),
        (Some("visa"), Some("4242"))
    );
    // A declined card changes nothing and says why, on the field.
    let (s, e) = add_card(
        &app,
        &owner,
        &[
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", "4000000000000002"),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "setup_intent");
    assert!(
        e["message"].as_str().unwrap().contains("not confirmed"),
        "{e}"
    );
    // Not this workspace's SetupIntent: refused.
    let (_, other) = stripe(Method::POST, "/setup_intents", &[("usage", "off_session")]).await;
    let (s, e) = call(
        &app,
        &owner,
        Method::POST,
        "/api/tenants/acme/billing/default-payment-method",
        json!({ "setup_intent": other["id"] }),
    )
    .await;
    refused_on(s, &e, "setup_intent");

    // The plan: partner staff only, from the catalogue.
    let (s, e) = put_plan(&app, &owner, EUR_PLAN).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = put_plan(&app, &partner, "gold").await;
    refused_on(s, &e, "plan");
    let (s, sub) = put_plan(&app, &partner, EUR_PLAN).await;
    assert_eq!(s, StatusCode::OK, "{sub}");
    let paid = used.max(2);
    assert_eq!(
        sub["seats_paid"], paid,
        "never below the plan's minimum of 2: {sub}"
    );
    assert_eq!(sub["state"], "active", "{sub}");
    assert_eq!(sub["plan"]["name"], "Team (monthly)");
    assert_eq!(sub["monthly"]["minor"], 800 * paid as i64);
    assert_eq!(sub["monthly"]["currency"], "EUR");
    assert_eq!(seats_at_stripe(&customer).await, paid);
    // The sidebar's workspace mark names the plan and the seats billed.
    let r = app
        .server_fn(&owner, "admin_sidebar", &[("tenant", "acme")])
        .await;
    let mark: Value = r.json().await.unwrap();
    assert_eq!(mark["plan"], "Team (monthly)", "{mark}");
    assert_eq!(mark["seats"], paid, "{mark}");
    // Choosing it again changes nothing at Stripe.
    let (s, again) = put_plan(&app, &partner, EUR_PLAN).await;
    assert_eq!((s, &again["id"]), (StatusCode::OK, &sub["id"]));

    // Seats follow members: two more, then one fewer.
    app.primary_domain(&owner, "seats.example").await;
    let (s, a) = app.create_member(&owner, "seat-one", "member").await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let (s, b) = app.create_member(&owner, "seat-two", "member").await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(seats_at_stripe(&customer).await, (used + 2).max(2));
    let id = b["member"]["id"].as_str().unwrap();
    let r = owner
        .client
        .delete(app.url(&format!("/api/tenants/acme/members/{id}")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(seats_at_stripe(&customer).await, (used + 1).max(2));

    let (s, o) = overview(&app, &owner).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    assert_eq!(o["seats_used"], used + 1);
    assert_eq!(o["subscription"]["seats_paid"], (used + 1).max(2));
    assert_eq!(
        o["seats_note"],
        Value::Null,
        "Stripe has the members' count"
    );
    assert_eq!(o["card"]["last4"], "4242");
    assert!(
        o["subscription"]["renews_at"]
            .as_str()
            .is_some_and(|d| d.len() == 20),
        "{o}"
    );

    // Stripe has another count (changed at Stripe): the page says so, Sync seats fixes it.
    let sub_id = o["subscription"]["id"].as_str().unwrap();
    let (_, s_obj) = stripe(Method::GET, &format!("/subscriptions/{sub_id}"), &[]).await;
    let item = s_obj["items"]["data"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    stripe(
        Method::POST,
        &format!("/subscriptions/{sub_id}"),
        &[("items[0][id]", &item), ("items[0][quantity]", "9")],
    )
    .await;
    let (_, o) = overview(&app, &owner).await;
    assert!(
        o["seats_note"]
            .as_str()
            .is_some_and(|n| n.contains("Stripe bills 9 seats")),
        "{o}"
    );
    let (s, synced) = call(
        &app,
        &owner,
        Method::POST,
        "/api/tenants/acme/billing/sync-seats",
        json!({}),
    )
    .await;
    assert_eq!(
        (s, &synced["seats_paid"]),
        (StatusCode::OK, &json!((used + 1).max(2))),
        "{synced}"
    );

    // Invoices: the first period's, paid, in euros.
    let (s, page) = get_json(&app, &owner, "/api/tenants/acme/invoices?limit=10").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let first = &page["invoices"][0];
    assert_eq!(first["status"], "paid", "{page}");
    assert_eq!(first["amount_due"]["minor"], 800 * paid as i64);
    assert_eq!(first["amount_due"]["display"], format!("€{},00", 8 * paid));
    let (s, e) = get_json(
        &app,
        &owner,
        "/api/tenants/acme/invoices?cursor=drop%20table",
    )
    .await;
    assert_eq!(
        (s, e["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("cursor"))
    );

    let audit = app.audit().await;
    let has = |action: &str, outcome: &str| {
        audit
            .iter()
            .any(|e| e.action == action && format!("{:?}", e.outcome) == outcome)
    };
    assert!(has("billing.change_card", "Success") && has("billing.change_card", "Failure"));
    assert!(audit
        .iter()
        .any(|e| e.action == "billing.change_card" && e.details["card"] == "Visa •••• 4242"));
    assert!(has("billing.choose_plan", "Success") && has("billing.choose_plan", "Failure"));
    assert!(has("billing.card_change_started", "Success") && has("billing.sync_seats", "Success"));
    let steps = platform::repo::provisioning::steps(
        &app.platform.db,
        &platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    let step = steps
        .iter()
        .find(|s| s.upstream == "stripe_subscription")
        .expect("the seats step");
    assert_eq!(step.upstream_id.as_deref(), Some(sub_id));
    app.cleanup().await;
}
on_both_backends!(
    plan_seats_and_card,
    plan_seats_and_card_follow_the_workspace
);

/// Invoices in a currency without minor units (JPY) and one with three (KWD) are written by
/// the currency's own exponent; a yearly plan shows its monthly equivalent.
async fn invoices_follow_the_currency_exponent(backend: Backend) {
    // The seeded acme has three members: three seats.
    for (plan, invoice_display, monthly_minor, monthly_display) in [
        (JPY_PLAN, "¥36,000", 3_000, "¥3,000"),
        (KWD_PLAN, "د.ك4.500", 4_500, "د.ك4.500"),
    ] {
        let (app, owner, partner) = billing_workspace(backend).await;
        let (_, o) = overview(&app, &owner).await;
        assert_eq!(o["seats_used"], 3, "{o}");
        let (s, card) = add_card(&app, &owner, &[("payment_method", "pm_card_visa")]).await;
        assert_eq!(s, StatusCode::OK, "{card}");
        let (s, sub) = put_plan(&app, &partner, plan).await;
        assert_eq!(s, StatusCode::OK, "{sub}");
        assert_eq!(sub["seats_paid"], 3);
        assert_eq!(sub["monthly"]["minor"], monthly_minor, "{sub}");
        assert_eq!(sub["monthly"]["display"], monthly_display, "{sub}");
        // Per billing period: the yearly total for the yearly plan.
        assert_eq!(sub["per_period"]["display"], invoice_display, "{sub}");
        let (s, page) = get_json(&app, &owner, "/api/tenants/acme/invoices").await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert_eq!(
            page["invoices"][0]["amount_due"]["display"], invoice_display,
            "{page}"
        );
        app.cleanup().await;
    }
}
on_both_backends!(invoice_currencies, invoices_follow_the_currency_exponent);

async fn deliver(app: &TestApp, payload: &str, signature: Option<String>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(payload.to_string());
    if let Some(sig) = signature {
        req = req.header("stripe-signature", sig);
    }
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Delivers `payload` signed with the endpoint's secret, as Stripe does.
async fn deliver_signed(app: &TestApp, payload: &str) -> (StatusCode, Value) {
    let signature = stripe_webhook::Webhook::generate_test_header(payload, WHSEC, None);
    deliver(app, payload, Some(signature)).await
}

/// A 200 with this outcome.
fn delivered(status: StatusCode, r: &Value, outcome: &str) {
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["outcome"], outcome, "{r}");
}

fn subscription_event(id: &str, created: i64, sub: &str, customer: &str, status: &str) -> String {
    json!({
        "id": id, "object": "event", "api_version": "2026-09-30.endive", "created": created,
        "livemode": false, "pending_webhooks": 1, "request": { "id": null, "idempotency_key": null },
        "type": "customer.subscription.updated",
        "data": { "object": {
            "id": sub, "object": "subscription", "customer": customer, "status": status,
            "items": { "object": "list", "data": [{ "id": "si_x", "quantity": 2 }] },
        }},
    })
    .to_string()
}

/// Webhooks: a forged signature is refused, a past-due subscription shows to the tenant's
/// admins (banner) and the partner (chip, attention), a duplicate or older delivery changes
/// nothing, and reading Stripe corrects the state when no webhook came.
async fn webhooks_keep_dunning_current(backend: Backend) {
    use stripe_webhook::Webhook;
    let (app, owner, partner) = billing_workspace(backend).await;
    let customer = customer_of_acme(&app).await;
    add_card(&app, &owner, &[("payment_method", "pm_card_visa")]).await;
    let (_, sub) = put_plan(&app, &partner, EUR_PLAN).await;
    let sub_id = sub["id"].as_str().unwrap().to_string();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let evt = format!("evt_{}", uuid::Uuid::new_v4().simple());
    let payload = subscription_event(&evt, now, &sub_id, &customer, "past_due");

    // Forged: another secret, a changed body, no header.
    let forged = Webhook::generate_test_header(&payload, "whsec_someone_else", None);
    let (s, e) = deliver(&app, &payload, Some(forged)).await;
    assert_eq!(
        (s, e["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_signature")),
        "{e}"
    );
    let signed = Webhook::generate_test_header(&payload, WHSEC, None);
    let (s, _) = deliver(
        &app,
        &payload.replace("past_due", "active"),
        Some(signed.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = deliver(&app, &payload, None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let sidebar = |b: &Browser| {
        let b = b.client.clone();
        let url = app.url("/api/fn/admin_sidebar");
        async move {
            let r = b
                .post(url)
                .header("accept", "application/json")
                .form(&[("tenant", "acme")])
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        sidebar(&owner).await["billing_behind"],
        Value::Null,
        "forgeries change nothing"
    );

    // Signed: applied once.
    let (s, r) = deliver(&app, &payload, Some(signed.clone())).await;
    delivered(s, &r, "applied");
    let (s, r) = deliver(&app, &payload, Some(signed)).await;
    delivered(s, &r, "duplicate");
    // An older delivery arriving late does not undo it.
    let old = subscription_event(
        &format!("{evt}_old"),
        now - 600,
        &sub_id,
        &customer,
        "active",
    );
    let (s, r) = deliver_signed(&app, &old).await;
    delivered(s, &r, "stale");

    assert_eq!(sidebar(&owner).await["billing_behind"], "past_due");
    let r = app.server_fn(&partner, "partner_overview", &[]).await;
    let view: Value = r.json().await.unwrap();
    let acme = view["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant"]["slug"] == "acme")
        .unwrap();
    assert_eq!(acme["billing_state"], "past_due", "{acme}");
    assert!(acme["attention"].as_i64().unwrap() >= 1);
    let page = |b: &Browser, path: &str| {
        let (b, url) = (b.client.clone(), app.url(path));
        async move { b.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let members = page(&owner, "/admin/acme/members").await;
    assert!(
        members.contains("dunning-banner") && members.contains("Update the card"),
        "the banner on every admin page"
    );
    let partner_view = page(&partner, "/partner").await;
    assert!(
        partner_view.contains("billing-chip"),
        "the chip in the partner view"
    );

    // Reading Stripe (which says active) corrects the state.
    let (s, o) = overview(&app, &owner).await;
    assert_eq!(
        (s, &o["subscription"]["state"]),
        (StatusCode::OK, &json!("active")),
        "{o}"
    );
    assert_eq!(sidebar(&owner).await["billing_behind"], Value::Null);

    // A customer that is no workspace's: acknowledged, ignored.
    let stray = subscription_event(
        &format!("{evt}_stray"),
        now,
        "sub_stray",
        "cus_nobody",
        "past_due",
    );
    let (s, r) = deliver_signed(&app, &stray).await;
    delivered(s, &r, "ignored");
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "billing.subscription_state" && e.details["state"] == "past_due"));
    app.cleanup().await;
}
on_both_backends!(webhooks_dunning, webhooks_keep_dunning_current);

/// Partner staff choose the plan when they create a workspace: subscribed as soon as its
/// Stripe customer exists, the step recorded with the others; a plan outside the catalogue
/// creates nothing.
async fn a_new_workspace_starts_on_its_plan(backend: Backend) {
    use reqwest::Method;
    let app = billing_app(backend).await;
    let partner = Browser::new();
    app.sign_in(&partner, &PARTNER, "/").await;
    let slug = format!("plan-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let (s, e) = call(
        &app,
        &partner,
        Method::POST,
        "/api/tenants",
        json!({ "slug": slug, "name": "Planned", "plan": "gold" }),
    )
    .await;
    refused_on(s, &e, "plan");
    assert!(
        platform::repo::identity::tenant_by_slug(&app.platform.db, &slug)
            .await
            .unwrap()
            .is_none()
    );

    let (s, created) = call(
        &app,
        &partner,
        Method::POST,
        "/api/tenants",
        json!({ "slug": slug, "name": "Planned", "plan": KWD_PLAN }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let step = created["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["upstream"] == "stripe_subscription")
        .unwrap_or_else(|| panic!("the subscription step: {created}"));
    assert_eq!(step["state"], "ok", "{step}");
    assert!(
        step["message"].as_str().unwrap().contains("Team Kuwait"),
        "{step}"
    );
    // No card yet: a trial, which localstripe reports as incomplete; one seat (no members).
    let tenant = platform::repo::identity::tenant_by_slug(&app.platform.db, &slug)
        .await
        .unwrap()
        .unwrap();
    let billing = platform::repo::billing::get(&app.platform.db, &tenant.id)
        .await
        .unwrap();
    assert_eq!(billing.plan_id.as_deref(), Some(KWD_PLAN));
    assert_eq!(billing.seats_paid, Some(1));
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "tenant.create" && e.details["plan"] == KWD_PLAN));
    app.cleanup().await;
}
on_both_backends!(new_workspace_plan, a_new_workspace_starts_on_its_plan);

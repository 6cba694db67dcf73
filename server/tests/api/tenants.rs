//! Tenants: creation provisions every upstream once, failures leave the tenant pending with
//! the step in error, reconcile repairs (also drift) without creating anything twice, and
//! every tenant endpoint refuses outsiders.

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn step<'a>(body: &'a Value, upstream: &str) -> &'a Value {
    body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["upstream"] == upstream)
        .unwrap_or_else(|| panic!("no {upstream} step in {body}"))
}

fn groups_named(app: &TestApp, name: &str) -> (usize, usize) {
    (
        app.authentik
            .groups()
            .iter()
            .filter(|g| g.name == name)
            .count(),
        app.ocis
            .groups()
            .iter()
            .filter(|g| g.display_name == name)
            .count(),
    )
}

async fn partner_creates_a_tenant_that_exists_everywhere_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let r = app
        .post_json(
            &pat,
            "/api/tenants",
            json!({ "slug": "initech", "name": "Initech" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["tenant"]["status"], "active", "{body}");
    assert_eq!(step(&body, "authentik")["state"], "ok");
    assert_eq!(step(&body, "ocis")["state"], "ok");
    assert_eq!(step(&body, "stalwart")["state"], "ok");
    assert!(step(&body, "stalwart")["message"]
        .as_str()
        .unwrap()
        .contains("first mail domain"));
    assert!(step(&body, "stripe")["message"]
        .as_str()
        .unwrap()
        .contains("STRIPE_ENABLED=false"));
    assert_eq!(groups_named(&app, "dezky-tenant-initech"), (1, 1));
    let group = app
        .authentik
        .groups()
        .into_iter()
        .find(|g| g.name == "dezky-tenant-initech")
        .unwrap();
    assert_eq!(group.attributes["dezky_tenant_slug"], "initech");

    // Running it again (reconcile) leaves one group per upstream.
    let r = app
        .post_json(&pat, "/api/tenants/initech/reconcile", json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(groups_named(&app, "dezky-tenant-initech"), (1, 1));

    let audit: Value = pat
        .get(&app.url("/api/tenants/initech/audit"))
        .await
        .json()
        .await
        .unwrap();
    let audit = audit["events"].as_array().unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["tenant.reconcile", "tenant.provision", "tenant.create"],
        "newest first"
    );
    assert!(audit
        .iter()
        .all(|e| e["actor_email"] == PARTNER.username && e["actor_partner_staff"] == true));

    let partner_page = pat.get(&app.url("/partner")).await.text().await.unwrap();
    assert!(partner_page.contains("Initech"));
    app.cleanup().await;
}
on_both_backends!(create, partner_creates_a_tenant_that_exists_everywhere_once);

async fn a_failing_upstream_leaves_the_tenant_pending_until_reconcile(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    // Authentik answers 503 to every group request; OCIS times out once.
    app.fault(
        &app.sandbox_url,
        json!({ "path_prefix": "/api/v3/core/groups/", "count": 0, "status": 503 }),
    )
    .await;
    app.fault(
        &app.ocis_url,
        json!({ "path_prefix": "/graph/v1.0/groups", "count": 1, "timeout": true }),
    )
    .await;
    let r = app
        .post_json(
            &pat,
            "/api/tenants",
            json!({ "slug": "hooli", "name": "Hooli" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["tenant"]["status"], "pending");
    let a = step(&body, "authentik");
    assert_eq!(a["state"], "error");
    let message = a["message"].as_str().unwrap();
    assert!(
        message.starts_with("Authentik: could not ensure the tenant group")
            && message.contains("503"),
        "{message}"
    );
    let o = step(&body, "ocis");
    assert_eq!(o["state"], "error");
    assert!(
        o["message"]
            .as_str()
            .unwrap()
            .contains("did not answer in time"),
        "{o}"
    );
    assert_eq!(
        step(&body, "stalwart")["state"],
        "ok",
        "other steps still run"
    );

    // Still down: reconcile fails the same way and the tenant stays pending.
    let r = app
        .post_json(&pat, "/api/tenants/hooli/reconcile", json!({}))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["tenant"]["status"], "pending");
    assert_eq!(
        step(&body, "ocis")["state"],
        "ok",
        "OCIS recovered after one timeout"
    );

    app.clear_faults().await;
    let r = app
        .post_json(&pat, "/api/tenants/hooli/reconcile", json!({}))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["tenant"]["status"], "active", "{body}");
    assert_eq!(groups_named(&app, "dezky-tenant-hooli"), (1, 1));
    let failures = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.target == "hooli" && e.outcome == Outcome::Failure)
        .count();
    assert_eq!(
        failures, 2,
        "the failed provisioning and the failed reconcile are audited"
    );
    app.cleanup().await;
}
on_both_backends!(
    failure_then_reconcile,
    a_failing_upstream_leaves_the_tenant_pending_until_reconcile
);

async fn reconcile_repairs_drift(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    app.post_json(
        &pat,
        "/api/tenants",
        json!({ "slug": "pied-piper", "name": "Pied Piper" }),
    )
    .await;
    let name = "dezky-tenant-pied-piper";
    let old = app
        .authentik
        .groups()
        .into_iter()
        .find(|g| g.name == name)
        .unwrap();
    assert!(app.authentik.remove_group(&old.pk));
    let ocis_old = app
        .ocis
        .groups()
        .into_iter()
        .find(|g| g.display_name == name)
        .unwrap();
    app.ocis.remove_group(&ocis_old.id);
    assert_eq!(groups_named(&app, name), (0, 0));
    let r = app
        .post_json(&pat, "/api/tenants/pied-piper/reconcile", json!({}))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["tenant"]["status"], "active");
    assert_eq!(groups_named(&app, name), (1, 1), "both groups are back");
    assert!(step(&body, "authentik")["message"]
        .as_str()
        .unwrap()
        .contains("Created"));
    app.cleanup().await;
}
on_both_backends!(drift, reconcile_repairs_drift);

async fn two_concurrent_reconciles_create_nothing_twice(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    app.fault(
        &app.sandbox_url,
        json!({ "path_prefix": "/api/v3/core/groups/", "count": 0, "status": 500 }),
    )
    .await;
    app.fault(
        &app.ocis_url,
        json!({ "path_prefix": "/graph/v1.0/groups", "count": 0, "status": 500 }),
    )
    .await;
    app.post_json(
        &pat,
        "/api/tenants",
        json!({ "slug": "raviga", "name": "Raviga" }),
    )
    .await;
    app.clear_faults().await;
    // Slow lookups widen the window in which two runs could both decide to create.
    app.fault(
        &app.sandbox_url,
        json!({ "path_prefix": "/api/v3/core/groups/", "count": 2, "delay_ms": 150 }),
    )
    .await;
    let (a, b) = tokio::join!(
        app.post_json(&pat, "/api/tenants/raviga/reconcile", json!({})),
        app.post_json(&pat, "/api/tenants/raviga/reconcile", json!({})),
    );
    assert_eq!((a.status(), b.status()), (StatusCode::OK, StatusCode::OK));
    assert_eq!(groups_named(&app, "dezky-tenant-raviga"), (1, 1));
    app.cleanup().await;
}
on_both_backends!(concurrent, two_concurrent_reconciles_create_nothing_twice);

async fn bad_input_is_refused_with_the_rule_it_broke(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    for (slug, name, status, code, field, says) in [
        ("ab", "X", 400, "invalid", "slug", "3 to 40"),
        ("Big-Co", "X", 400, "invalid", "slug", "lowercase"),
        ("-co", "X", 400, "invalid", "slug", "start and end"),
        ("admin", "X", 400, "invalid", "slug", "reserved"),
        (
            "acme",
            "Acme again",
            409,
            "slug_taken",
            "slug",
            "already taken",
        ),
        ("newco", "   ", 400, "invalid", "name", "1 to 100"),
    ] {
        let r = app
            .post_json(&pat, "/api/tenants", json!({ "slug": slug, "name": name }))
            .await;
        assert_eq!(r.status().as_u16(), status, "{slug}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], code, "{slug}");
        assert_eq!(body["field"], field, "{slug}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{slug}: {body}"
        );
    }
    let r = pat
        .client
        .post(app.url("/api/tenants"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid");
    // The wizard's server function says the same.
    let r = app
        .server_fn(&pat, "create_tenant", &[("name", "X"), ("slug", "ab")])
        .await;
    let text = r.text().await.unwrap();
    assert!(
        text.contains("invalid") && text.contains("3 to 40"),
        "{text}"
    );
    app.cleanup().await;
}
on_both_backends!(bad_input, bad_input_is_refused_with_the_rule_it_broke);

async fn tenant_endpoints_refuse_outsiders(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = Browser::new();
    let member = Browser::new();
    app.sign_in(&member, &MEMBER, "/").await;
    let other_admin = Browser::new();
    app.sign_in(&other_admin, &GLOBEX_ADMIN, "/").await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;

    let create = json!({ "slug": "evilcorp", "name": "Evil" });
    let expect = |b: &Browser, method: &'static str, path: &'static str, status: StatusCode| {
        let req = match method {
            "GET" => b.client.get(app.url(path)),
            _ => b.client.post(app.url(path)).json(&create),
        };
        async move {
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), status, "{method} {path}");
            let body: Value = r.json().await.unwrap();
            assert!(
                body["error"].is_string() && body["message"].is_string(),
                "{body}"
            );
        }
    };
    for (method, path) in [
        ("POST", "/api/tenants"),
        ("POST", "/api/tenants/acme/reconcile"),
        ("GET", "/api/tenants/acme/audit"),
        ("GET", "/api/tenants/acme/members"),
    ] {
        expect(&anonymous, method, path, StatusCode::UNAUTHORIZED).await;
        expect(&member, method, path, StatusCode::FORBIDDEN).await;
        expect(&other_admin, method, path, StatusCode::FORBIDDEN).await;
    }
    expect(&admin, "POST", "/api/tenants", StatusCode::FORBIDDEN).await;
    expect(
        &admin,
        "GET",
        "/api/tenants/globex/members",
        StatusCode::FORBIDDEN,
    )
    .await;
    expect(
        &admin,
        "GET",
        "/api/tenants/nope/members",
        StatusCode::NOT_FOUND,
    )
    .await;
    for (f, args) in [
        (
            "create_tenant",
            vec![("name", "Evil"), ("slug", "evilcorp")],
        ),
        ("tenant_provisioning", vec![("tenant", "acme")]),
        ("reconcile_tenant", vec![("tenant", "acme")]),
    ] {
        for b in [&member, &other_admin] {
            let text = app.server_fn(b, f, &args).await.text().await.unwrap();
            assert!(text.contains("forbidden"), "{f}: {text}");
        }
        let text = app
            .server_fn(&anonymous, f, &args)
            .await
            .text()
            .await
            .unwrap();
        assert!(text.contains("unauthenticated"), "{f}: {text}");
    }
    assert!(
        platform::repo::identity::tenant_by_slug(&app.platform.db, "evilcorp")
            .await
            .unwrap()
            .is_none()
    );
    let denied: Vec<(Option<String>, Option<String>)> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.outcome == Outcome::Denied)
        .map(|e| (e.actor_email, e.tenant_id))
        .collect();
    let pairs: std::collections::HashSet<_> = denied.iter().cloned().collect();
    assert!(
        pairs.len() >= 5,
        "every refused actor is recorded per tenant ({denied:?})"
    );
    assert_eq!(
        pairs.len(),
        denied.len(),
        "once per actor, tenant and minute: {denied:?}"
    );
    app.cleanup().await;
}
on_both_backends!(isolation, tenant_endpoints_refuse_outsiders);

async fn admins_read_members_audit_and_a_dashboard_with_real_numbers(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let overview: Value = admin
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    let users: Vec<Value> = overview["members"].as_array().unwrap().clone();
    let mut roles: Vec<(String, String)> = users
        .iter()
        .map(|u| {
            (
                u["address"].as_str().unwrap().to_string(),
                u["role"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    roles.sort();
    assert_eq!(
        roles,
        [
            ("adam@acme.example".to_string(), "admin".to_string()),
            ("mia@acme.example".to_string(), "member".to_string()),
            ("olivia@acme.example".to_string(), "owner".to_string()),
        ]
    );
    assert!(users.iter().all(|u| u["status"] == "active"));
    // The demo tenant was never provisioned: reconcile from the dashboard's server function.
    let r = app
        .server_fn(&admin, "reconcile_tenant", &[("tenant", "acme")])
        .await;
    let steps: Vec<Value> = r.json().await.unwrap();
    assert!(steps
        .iter()
        .any(|s| s["upstream"] == "authentik" && s["state"] == "ok"));
    let page = admin
        .get(&app.url("/admin/acme"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"id="seats-used""#) && page.contains(">3<"));
    assert!(
        page.contains("tenant.reconcile"),
        "recent activity shows the reconcile"
    );
    assert!(page.contains(r#"data-upstream="authentik" data-state="ok""#));
    let limited: Value = admin
        .get(&app.url("/api/tenants/acme/audit?limit=1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(limited["events"].as_array().unwrap().len(), 1);
    assert_eq!(limited["events"][0]["action"], "tenant.reconcile");
    assert!(limited["next_cursor"].is_string(), "older events follow");
    app.cleanup().await;
}
on_both_backends!(
    admin_reads,
    admins_read_members_audit_and_a_dashboard_with_real_numbers
);

async fn the_stripe_customer_is_ensured_once_and_recreated_when_deleted(backend: Backend) {
    let stripe = localstripe_url();
    let probe = reqwest::Client::new()
        .get(format!("{stripe}/v1/customers"))
        .bearer_auth("sk_test_dezky")
        .send()
        .await;
    assert!(
        probe.is_ok(),
        "localstripe must run at {stripe} (scripts/test.sh starts it)"
    );
    let app = spawn_app_with(
        backend,
        vec![
            ("STRIPE_ENABLED", "true".into()),
            ("STRIPE_SECRET_KEY", "sk_test_dezky".into()),
            ("STRIPE_API_BASE", stripe.clone()),
        ],
    )
    .await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let slug = format!("stripe-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let r = app
        .post_json(
            &pat,
            "/api/tenants",
            json!({ "slug": slug, "name": "Billing Co" }),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(step(&body, "stripe")["state"], "ok", "{body}");
    let tenant_id = body["tenant"]["id"].as_str().unwrap().to_string();
    // Every page of localstripe's customers (it is shared by every test of the run).
    let customers = |stripe: String, tenant_id: String| async move {
        let mut found = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = match &after {
                Some(id) => format!("{stripe}/v1/customers?limit=100&starting_after={id}"),
                None => format!("{stripe}/v1/customers?limit=100"),
            };
            let list: Value = reqwest::Client::new()
                .get(page)
                .bearer_auth("sk_test_dezky")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let data = list["data"].as_array().unwrap();
            found.extend(
                data.iter()
                    .filter(|c| c["metadata"]["dezky_tenant_id"] == tenant_id.as_str())
                    .map(|c| c["id"].as_str().unwrap().to_string()),
            );
            match (list["has_more"].as_bool(), data.last()) {
                (Some(true), Some(last)) => after = last["id"].as_str().map(String::from),
                _ => break,
            }
        }
        found
    };
    let first = customers(stripe.clone(), tenant_id.clone()).await;
    assert_eq!(first.len(), 1);
    app.post_json(&pat, &format!("/api/tenants/{slug}/reconcile"), json!({}))
        .await;
    assert_eq!(
        customers(stripe.clone(), tenant_id.clone()).await,
        first,
        "no second customer"
    );

    // Deleted at Stripe: reconcile creates a new one.
    reqwest::Client::new()
        .delete(format!("{stripe}/v1/customers/{}", first[0]))
        .bearer_auth("sk_test_dezky")
        .send()
        .await
        .unwrap();
    let r = app
        .post_json(&pat, &format!("/api/tenants/{slug}/reconcile"), json!({}))
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(step(&body, "stripe")["state"], "ok");
    let now = customers(stripe.clone(), tenant_id.clone()).await;
    assert_eq!(now.len(), 1);
    assert_ne!(now, first);
    // The step says what happened (localstripe answers a deleted customer 404, Stripe with
    // `deleted: true`; either way it is replaced).
    let message = step(&body, "stripe")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains(&first[0])
            && message.contains(&now[0])
            && message.contains("in its place"),
        "{message}"
    );
    app.cleanup().await;
}
on_both_backends!(
    stripe_customer,
    the_stripe_customer_is_ensured_once_and_recreated_when_deleted
);

/// The partner overview's rows of one call, as (slug, attention).
async fn partner_page(
    app: &TestApp,
    pat: &Browser,
    args: &[(&str, &str)],
) -> (Vec<(String, i64)>, i64, Option<String>) {
    let r = app.server_fn(pat, "partner_overview", args).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let rows = v["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tenant"]["slug"].as_str().unwrap().to_string(),
                t["attention"].as_i64().unwrap(),
            )
        })
        .collect();
    (
        rows,
        v["total"].as_i64().unwrap(),
        v["next_cursor"].as_str().map(String::from),
    )
}

async fn the_partner_overview_pages_and_orders_on_the_server(backend: Backend) {
    use platform::repo::{billing, identity, mail_domains, provisioning};
    use wire::billing::SubscriptionState;
    use wire::domains::DomainStatus;
    use wire::steps::StepState;
    use wire::tenants::TenantStatus;

    let app = spawn_app(backend).await;
    let db = &app.platform.db;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let (slug, name) = sandbox::demo::DEMO_PARTNER;
    let northwind = identity::ensure_partner(db, slug, name).await.unwrap();
    // 60 more workspaces (a page is 50): probe-00 … probe-59, every tenth pending.
    let mut ids = Vec::new();
    for i in 0..60 {
        let status = if i % 10 == 0 {
            TenantStatus::Pending
        } else {
            TenantStatus::Active
        };
        let t = identity::insert_tenant(
            db,
            &format!("probe-{i:02}"),
            &format!("Probe {i:02}"),
            status,
        )
        .await
        .unwrap()
        .unwrap();
        identity::add_partner_tenant(db, &northwind.id, &t.id)
            .await
            .unwrap();
        ids.push(t.id);
    }
    // What needs attention: two steps in error (probe-41), a payment behind (probe-07), a
    // domain that lost a record (probe-33).
    for upstream in ["authentik", "ocis"] {
        provisioning::record(db, &ids[41], upstream, StepState::Error, "down", None)
            .await
            .unwrap();
    }
    billing::record_subscription(
        db,
        &ids[7],
        "sub_probe",
        SubscriptionState::PastDue,
        None,
        1,
    )
    .await
    .unwrap();
    mail_domains::insert(
        db,
        &mail_domains::NewDomain {
            id: "00000000-0000-7000-8000-0000000000d1",
            tenant_id: &ids[33],
            name: "probe-33.example",
            unicode_name: "probe-33.example",
            ownership_token: "t",
        },
    )
    .await
    .unwrap();
    mail_domains::set_checks(
        db,
        "00000000-0000-7000-8000-0000000000d1",
        DomainStatus::NeedsAttention,
        "[]",
    )
    .await
    .unwrap();

    // By name, two pages: every workspace once, in order, 61 in all (with acme).
    let (first, total, next) = partner_page(&app, &pat, &[]).await;
    assert_eq!((first.len(), total), (50, 61));
    let next = next.expect("a second page");
    let (second, total2, last) = partner_page(&app, &pat, &[("cursor", &next)]).await;
    assert_eq!((second.len(), total2, last), (11, 61, None));
    let slugs: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|(s, _)| s.as_str())
        .collect();
    let mut want: Vec<String> = (0..60).map(|i| format!("probe-{i:02}")).collect();
    want.insert(0, "acme".into()); // "Acme Corp" sorts before "Probe 00"
    assert_eq!(slugs, want);

    // Most attention first, counted the same way the rows show it; then by name.
    let (by_attention, _, cursor) = partner_page(&app, &pat, &[("sort", "attention")]).await;
    assert_eq!(
        by_attention[..4],
        [
            ("probe-41".to_string(), 2),
            ("probe-07".to_string(), 1),
            ("probe-33".to_string(), 1),
            ("acme".to_string(), 0),
        ]
    );
    let (rest, _, _) = partner_page(
        &app,
        &pat,
        &[("sort", "attention"), ("cursor", &cursor.unwrap())],
    )
    .await;
    assert_eq!(rest.len(), 11);
    assert!(rest.iter().all(|(_, a)| *a == 0));
    // By status: the active ones before the pending ones.
    let (by_status, _, _) = partner_page(&app, &pat, &[("sort", "status")]).await;
    assert_eq!(by_status[0].0, "acme");
    // Search on the server, case-insensitive, on name or slug; the total follows it.
    let (found, total, none) = partner_page(&app, &pat, &[("q", "PROBE 4")]).await;
    assert_eq!((found.len(), total, none), (10, 10, None));
    let (found, total, _) = partner_page(&app, &pat, &[("q", "probe-07")]).await;
    assert_eq!((found, total), (vec![("probe-07".to_string(), 1)], 1));

    // Bad input names its field; a cursor of another order is not taken.
    for (args, field) in [
        (vec![("sort", "size")], "sort"),
        (vec![("cursor", "not-ours")], "cursor"),
        (
            vec![("sort", "attention"), ("cursor", next.as_str())],
            "cursor",
        ),
    ] {
        let r = app.server_fn(&pat, "partner_overview", &args).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{args:?}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], field, "{e}");
    }
    app.cleanup().await;
}
on_both_backends!(
    partner_overview_pages,
    the_partner_overview_pages_and_orders_on_the_server
);

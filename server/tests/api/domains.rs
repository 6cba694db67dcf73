//! Mail domains end to end against the Stalwart stand-in and a loopback DNS server: add with
//! the records to publish, verify (ok, missing, wrong), needs attention when a record goes,
//! IDN, one tenant per domain, Stalwart down during add, removal blocked by a mailbox, the
//! primary domain, and isolation.

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;
use sandbox::dns::DnsSandbox;
use serde_json::{json, Value};

use crate::helpers::*;

const MAIL_HOST_IP: &str = "192.0.2.25";

async fn app_with_dns(backend: Backend) -> (TestApp, DnsSandbox) {
    let dns = DnsSandbox::start().await.unwrap();
    let app = spawn_app_with(
        backend,
        vec![
            ("DNS_RESOLVERS", dns.addr.to_string()),
            ("DNS_TIMEOUT_MS", "500".into()),
        ],
    )
    .await;
    // DKIM keys are generated at once, so the records are complete right after adding.
    app.stalwart().set_dkim_delay(std::time::Duration::ZERO);
    // The mail host's address: SPF is evaluated for it.
    dns.address("mail.dezky.example", MAIL_HOST_IP.parse().unwrap());
    (app, dns)
}

fn records<'a>(view: &'a Value, kind: &str) -> Vec<&'a Value> {
    view["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == kind)
        .collect()
}

/// Publishes every required record of a domain view in the DNS sandbox.
fn publish(dns: &DnsSandbox, view: &Value) {
    for r in view["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["required"] == true)
    {
        let name = r["name"].as_str().unwrap();
        let value = r["value"].as_str().unwrap();
        match r["kind"].as_str().unwrap() {
            "MX" => {
                let (pref, host) = value.split_once(' ').unwrap();
                dns.mx(name, pref.parse().unwrap(), host);
            }
            _ => {
                let parts: Vec<&str> = value
                    .as_bytes()
                    .chunks(200)
                    .map(|c| std::str::from_utf8(c).unwrap())
                    .collect();
                dns.txt(name, &parts);
            }
        }
    }
}

/// Verifies a domain of the demo tenant now and returns its view.
async fn recheck(app: &TestApp, b: &Browser, domain: &str) -> Value {
    app.post_json(
        b,
        &format!("/api/tenants/acme/domains/{domain}/recheck"),
        json!({}),
    )
    .await
    .json()
    .await
    .unwrap()
}

async fn add(app: &TestApp, b: &Browser, tenant: &str, name: &str) -> reqwest::Response {
    app.post_json(
        b,
        &format!("/api/tenants/{tenant}/domains"),
        json!({ "name": name }),
    )
    .await
}

async fn a_domain_goes_from_added_to_verified_and_back_to_needs_attention(backend: Backend) {
    let (app, dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = add(&app, &admin, "acme", " Acme-Corp.Example. ").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["name"], "acme-corp.example");
    assert_eq!(view["status"], "pending");
    assert_eq!(view["stalwart_state"], "ok");
    assert_eq!(records(&view, "MX")[0]["value"], "10 mail.dezky.example");
    assert_eq!(
        records(&view, "DKIM").len(),
        2,
        "one Ed25519 and one RSA key"
    );
    assert!(records(&view, "DMARC")[0]["value"]
        .as_str()
        .unwrap()
        .contains("p=quarantine"));
    assert!(
        view["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["required"] == false && r["kind"] == "SRV"),
        "the rest of the zone file is optional"
    );
    assert!(app
        .stalwart()
        .domain_names()
        .contains(&"acme-corp.example".to_string()));

    // Nothing published: each required record is missing.
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains/acme-corp.example/recheck",
            json!({}),
        )
        .await;
    let checked: Value = r.json().await.unwrap();
    assert_eq!(checked["status"], "pending");
    assert!(records(&checked, "SPF")[0]["state"] == "missing");
    assert!(checked["last_checked_at"].is_i64());

    publish(&dns, &view);
    // One record at a time, as the page checks them.
    let one: Value = app
        .server_fn(
            &admin,
            "check_domain_record",
            &[
                ("tenant", "acme"),
                ("name", "acme-corp.example"),
                ("kind", "SPF"),
                ("record", "acme-corp.example"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["state"], "ok", "{one}");
    let checked: Value = recheck(&app, &admin, "acme-corp.example").await;
    assert_eq!(checked["status"], "verified", "{checked}");

    // A second SPF record appears and MX points elsewhere too: needs attention, audited.
    dns.txt("acme-corp.example", &["v=spf1 include:old.example -all"]);
    let checked: Value = recheck(&app, &admin, "acme-corp.example").await;
    assert_eq!(checked["status"], "needs_attention");
    let spf = records(&checked, "SPF")[0];
    assert_eq!(spf["state"], "duplicate");
    assert_eq!(spf["to_remove"].as_array().unwrap().len(), 2);
    let changed = app
        .audit()
        .await
        .into_iter()
        .find(|e| e.action == "domain.status_changed" && e.details["to"] == "needs_attention");
    assert!(changed.is_some());
    // acme's admins hear of it by email (owner and admin, at their workspace addresses)...
    for admin_address in ["olivia@acme.example", "adam@acme.example"] {
        let mail = app.smtp.messages_to(admin_address);
        assert_eq!(mail.len(), 1, "{admin_address}: {:?}", app.smtp.messages());
        assert!(mail[0]
            .data
            .contains("Subject: acme-corp.example needs attention"));
        assert!(mail[0].data.contains("SPF duplicate"), "{}", mail[0].data);
    }
    // ... and the partner view counts it.
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let overview: Value = app
        .server_fn(&pat, "partner_overview", &[])
        .await
        .json()
        .await
        .unwrap();
    let acme = overview["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant"]["slug"] == "acme")
        .unwrap();
    assert_eq!(acme["domains_attention"], 1, "{acme}");
    assert!(acme["attention"].as_i64().unwrap() >= 1);
    // Still needing attention at the next check: no second email.
    recheck(&app, &admin, "acme-corp.example").await;
    assert_eq!(app.smtp.messages_to("adam@acme.example").len(), 1);

    // A wrong DKIM key is a mismatch with the value found.
    dns.clear("acme-corp.example");
    publish(&dns, &view);
    let dkim_name = records(&view, "DKIM")[0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    dns.clear(&dkim_name);
    dns.txt(&dkim_name, &["v=DKIM1; k=ed25519; p=WRONGKEY"]);
    let checked: Value = recheck(&app, &admin, "acme-corp.example").await;
    let dash = app.html(&admin, "/admin/acme").await;
    assert!(
        dash.contains(r#"id="domains-badge""#),
        "the sidebar shows the domain needing attention"
    );
    let dkim = records(&checked, "DKIM")
        .into_iter()
        .find(|r| r["name"] == dkim_name.as_str())
        .unwrap();
    assert_eq!(dkim["state"], "mismatch");
    assert_eq!(dkim["found"][0], "v=DKIM1; k=ed25519; p=WRONGKEY");
    app.cleanup().await;
}
on_both_backends!(
    lifecycle,
    a_domain_goes_from_added_to_verified_and_back_to_needs_attention
);

async fn names_are_checked_and_claimed_by_one_tenant(backend: Backend) {
    let (app, _dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    for (bad, says) in [
        ("192.0.2.1", "IP address"),
        ("localhost", "two labels"),
        ("bad_name.example", "letters, digits"),
    ] {
        let r = add(&app, &admin, "acme", bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["field"], "name");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{bad}: {body}"
        );
    }
    let idn: Value = add(&app, &admin, "acme", "Bücher.Example")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(idn["name"], "xn--bcher-kva.example");
    assert_eq!(idn["unicode_name"], "bücher.example");
    let again = add(&app, &admin, "acme", "xn--bcher-kva.example").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "already_added"
    );

    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    let r = add(&app, &gina, "globex", "bücher.example").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "claimed_by_another_workspace");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("another workspace"));
    // Other tenants see nothing of it.
    assert_eq!(
        gina.get(&app.url("/api/tenants/globex/domains/bücher.example"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for (method, path) in [
        ("GET", "/api/tenants/acme/domains"),
        (
            "POST",
            "/api/tenants/acme/domains/xn--bcher-kva.example/recheck",
        ),
        ("DELETE", "/api/tenants/acme/domains/xn--bcher-kva.example"),
    ] {
        let req = match method {
            "GET" => gina.client.get(app.url(path)),
            "POST" => gina.client.post(app.url(path)),
            _ => gina.client.delete(app.url(path)),
        };
        assert_eq!(
            req.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{method} {path}"
        );
    }
    let d = "xn--bcher-kva.example";
    for (f, args) in [
        ("domains", vec![("tenant", "acme")]),
        ("domain", vec![("tenant", "acme"), ("name", d)]),
        (
            "add_domain",
            vec![("tenant", "acme"), ("name", "evil.example")],
        ),
        ("recheck_domain", vec![("tenant", "acme"), ("name", d)]),
        (
            "set_domain_dmarc",
            vec![
                ("tenant", "acme"),
                ("name", d),
                ("policy", "none"),
                ("rua", ""),
            ],
        ),
        ("make_domain_primary", vec![("tenant", "acme"), ("name", d)]),
        ("remove_domain", vec![("tenant", "acme"), ("name", d)]),
        ("admin_sidebar", vec![("tenant", "acme")]),
        (
            "check_domain_record",
            vec![
                ("tenant", "acme"),
                ("name", d),
                ("kind", "SPF"),
                ("record", d),
            ],
        ),
    ] {
        let r = app.server_fn(&gina, f, &args).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{f}");
        let text = r.text().await.unwrap();
        assert!(text.contains("forbidden"), "{f}: {text}");
        let r = app.server_fn(&Browser::new(), f, &args).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{f}");
        let text = r.text().await.unwrap();
        assert!(text.contains("unauthenticated"), "{f}: {text}");
    }
    let anonymous = Browser::new();
    assert_eq!(
        anonymous
            .get(&app.url("/api/tenants/acme/domains"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let member = Browser::new();
    app.sign_in(&member, &MEMBER, "/").await;
    assert_eq!(
        add(&app, &member, "acme", "member.example").await.status(),
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}
on_both_backends!(
    names_and_claims,
    names_are_checked_and_claimed_by_one_tenant
);

async fn stalwart_down_during_add_leaves_nothing_and_retry_works(backend: Backend) {
    let (app, _dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    app.fault(
        &app.stalwart_url,
        json!({ "path_prefix": "/jmap", "count": 1, "status": 503 }),
    )
    .await;
    let r = add(&app, &admin, "acme", "retry.example").await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Stalwart could not create retry.example"),
        "{body}"
    );
    let list: Vec<Value> = admin
        .get(&app.url("/api/tenants/acme/domains"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing half-written");
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "domain.add" && e.outcome == Outcome::Failure));
    assert_eq!(
        add(&app, &admin, "acme", "retry.example").await.status(),
        StatusCode::CREATED
    );
    app.cleanup().await;
}
on_both_backends!(
    stalwart_down,
    stalwart_down_during_add_leaves_nothing_and_retry_works
);

async fn removal_is_refused_while_a_mailbox_uses_the_domain(backend: Backend) {
    let (app, _dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    assert_eq!(
        add(&app, &admin, "acme", "mail.acme.example")
            .await
            .status(),
        StatusCode::CREATED
    );
    // A mailbox on it, made directly in Stalwart.
    let domain_id = app.stalwart().domain_id("mail.acme.example").unwrap();
    let account = app.stalwart().create_account("alice", &domain_id);
    let r = admin
        .client
        .delete(app.url("/api/tenants/acme/domains/mail.acme.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "domain_in_use");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("mailbox or alias alice@mail.acme.example"),
        "{body}"
    );
    assert!(
        !body["message"].as_str().unwrap().contains("Dkim"),
        "its own DKIM keys are no blocker"
    );
    assert!(app
        .stalwart()
        .domain_names()
        .contains(&"mail.acme.example".to_string()));

    app.stalwart().remove_account(&account);
    let r = admin
        .client
        .delete(app.url("/api/tenants/acme/domains/mail.acme.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(!app
        .stalwart()
        .domain_names()
        .contains(&"mail.acme.example".to_string()));
    assert!(app.stalwart().dkim_records("mail.acme.example").is_empty());
    app.cleanup().await;
}
on_both_backends!(
    guarded_removal,
    removal_is_refused_while_a_mailbox_uses_the_domain
);

async fn only_a_verified_domain_becomes_primary_and_dmarc_follows_the_choice(backend: Backend) {
    let (app, dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    assert_eq!(
        add(&app, &admin, "acme", "primary.example").await.status(),
        StatusCode::CREATED
    );
    let patch = |body: Value| {
        admin
            .client
            .patch(app.url("/api/tenants/acme/domains/primary.example"))
            .json(&body)
            .send()
    };
    let r = patch(json!({ "primary": true })).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "not_verified");
    let r = patch(json!({ "dmarc_policy": "block" })).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["field"], "dmarc_policy");
    let r: Value = patch(json!({ "dmarc_policy": "reject", "dmarc_rua": "dmarc@acme.example" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        records(&r, "DMARC")[0]["value"],
        "v=DMARC1; p=reject; rua=mailto:dmarc@acme.example"
    );
    publish(&dns, &r);
    let checked: Value = recheck(&app, &admin, "primary.example").await;
    assert_eq!(checked["status"], "verified", "{checked}");
    let r: Value = patch(json!({ "primary": true }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["is_primary"], true);
    // With another domain present, the primary cannot be removed.
    add(&app, &admin, "acme", "second.example").await;
    let r = admin
        .client
        .delete(app.url("/api/tenants/acme/domains/primary.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "primary_domain");
    app.cleanup().await;
}
on_both_backends!(
    primary_and_dmarc,
    only_a_verified_domain_becomes_primary_and_dmarc_follows_the_choice
);

async fn without_stalwart_domains_are_kept_and_verified_here(backend: Backend) {
    let dns = DnsSandbox::start().await.unwrap();
    dns.address("mail.dezky.example", MAIL_HOST_IP.parse().unwrap());
    let app = spawn_app_with(
        backend,
        vec![
            ("DNS_RESOLVERS", dns.addr.to_string()),
            ("DNS_TIMEOUT_MS", "500".into()),
            ("STALWART_PROVISIONING_ENABLED", "false".into()),
        ],
    )
    .await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let view: Value = add(&app, &admin, "acme", "plain.example")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["stalwart_state"], "skipped");
    assert!(view["stalwart_message"]
        .as_str()
        .unwrap()
        .contains("STALWART_PROVISIONING_ENABLED=false"));
    assert!(
        records(&view, "DKIM").is_empty(),
        "no DKIM without a mail server"
    );
    assert_eq!(records(&view, "MX")[0]["value"], "10 mail.dezky.example");
    publish(&dns, &view);
    let checked: Value = recheck(&app, &admin, "plain.example").await;
    assert_eq!(checked["status"], "verified", "{checked}");
    let steps: Value = app
        .post_json(&admin, "/api/tenants/acme/reconcile", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let stalwart = steps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["upstream"] == "stalwart")
        .unwrap()
        .clone();
    assert_eq!(stalwart["state"], "skipped");
    let r = admin
        .client
        .delete(app.url("/api/tenants/acme/domains/plain.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.cleanup().await;
}
on_both_backends!(
    without_stalwart,
    without_stalwart_domains_are_kept_and_verified_here
);

async fn dkim_keys_not_generated_yet_are_pending_never_missing(backend: Backend) {
    let (app, dns) = app_with_dns(backend).await;
    app.stalwart()
        .set_dkim_delay(std::time::Duration::from_secs(3600));
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let view: Value = add(&app, &admin, "acme", "slow-keys.example")
        .await
        .json()
        .await
        .unwrap();
    let dkim = records(&view, "DKIM");
    assert_eq!(dkim.len(), 1);
    assert_eq!(dkim[0]["state"], "pending");
    assert!(dkim[0]["message"]
        .as_str()
        .unwrap()
        .contains("generating the DKIM keys"));
    publish(&dns, &view);
    let checked: Value = recheck(&app, &admin, "slow-keys.example").await;
    assert_eq!(
        checked["status"], "pending",
        "not verified without its keys, not in trouble either"
    );
    assert_eq!(records(&checked, "DKIM")[0]["state"], "pending");
    assert_eq!(records(&checked, "SPF")[0]["state"], "ok");
    app.cleanup().await;
}
on_both_backends!(
    dkim_pending,
    dkim_keys_not_generated_yet_are_pending_never_missing
);

/// A domain that already exists on the mail server is adopted only when this tenant made it
/// (an earlier attempt whose answer was lost); anyone else's is refused, untouched.
async fn a_domain_on_the_mail_server_is_adopted_only_when_ours(backend: Backend) {
    let (app, _dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let theirs = app
        .stalwart()
        .create_domain("theirs.example", "created by hand on the mail server");
    let r = add(&app, &admin, "acme", "theirs.example").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "exists_on_mail_server", "{body}");
    assert_eq!(body["field"], "name");
    let list: Vec<Value> = admin
        .get(&app.url("/api/tenants/acme/domains"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing was claimed: {list:?}");
    assert_eq!(
        app.stalwart().domain_id("theirs.example").as_deref(),
        Some(theirs.as_str()),
        "their domain is untouched"
    );
    assert!(app.audit().await.iter().any(|e| e.action == "domain.add"
        && e.target == "theirs.example"
        && e.outcome != Outcome::Success));
    // Made by an earlier attempt of acme: adopted, not created twice.
    let acme = platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    let ours = app
        .stalwart()
        .create_domain("ours.example", &format!("Dezky tenant acme [{}]", acme.id));
    let r = add(&app, &admin, "acme", "ours.example").await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let names = app.stalwart().domain_names();
    assert_eq!(names.iter().filter(|n| *n == "ours.example").count(), 1);
    assert_eq!(app.stalwart().domain_id("ours.example"), Some(ours));
    app.cleanup().await;
}
on_both_backends!(
    stalwart_adoption,
    a_domain_on_the_mail_server_is_adopted_only_when_ours
);

/// Sandbox mode: the domain page publishes exactly the expected records in the sandbox's own
/// DNS server and the domain verifies; with real resolvers configured there is nothing to
/// publish to and the request is refused.
async fn the_sandbox_publishes_the_expected_records(backend: Backend) {
    let app = spawn_app(backend).await;
    app.stalwart().set_dkim_delay(std::time::Duration::ZERO);
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = add(&app, &admin, "acme", "walkthrough.example").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["sandbox_dns"], true, "{view}");
    assert_eq!(view["status"], "pending");

    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains/walkthrough.example/sandbox-publish",
            json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["status"], "verified", "{view}");
    let audit = app.audit().await;
    let published = audit
        .iter()
        .find(|e| e.action == "domain.sandbox_publish")
        .expect("audited");
    assert_eq!(published.target, "walkthrough.example");
    // Another workspace's admin cannot publish for acme.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    let r = app
        .post_json(
            &gina,
            "/api/tenants/acme/domains/walkthrough.example/sandbox-publish",
            json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.cleanup().await;

    let (app, _dns) = app_with_dns(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = add(&app, &admin, "acme", "real-dns.example").await;
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["sandbox_dns"], false, "{view}");
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains/real-dns.example/sandbox-publish",
            json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "sandbox_only");
    app.cleanup().await;
}
on_both_backends!(sandbox_publish, the_sandbox_publishes_the_expected_records);

//! The security policy (validation, audit with before and after, enforcement on both faces
//! for the session timeouts and the network rules, warn-only, the lock-out guard and the
//! owners' way back, trusted proxies, countries by a GeoIP file the test writes) and the MFA
//! overview from Authentik (enrolled, not enrolled, and an upstream failure shown as unknown).

use std::collections::BTreeMap;

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn patch(app: &TestApp, b: &Browser, body: Value) -> (StatusCode, Value) {
    let r = b
        .client
        .patch(app.url("/api/tenants/acme/security-policy"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn status_of(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, String) {
    let r = b.get(&app.url(path)).await;
    let s = r.status();
    (s, r.text().await.unwrap())
}

fn trusted_loopback() -> Vec<(&'static str, String)> {
    vec![("TRUSTED_PROXIES", "127.0.0.1/32, ::1/128".into())]
}

async fn the_policy_is_validated_audited_and_labelled(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = admin
        .get(&app.url("/api/tenants/acme/security-policy"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["policy"]["mfa_mode"], "optional");
    assert_eq!(view["geoip_configured"], false);
    let label = |v: &Value, setting: &str| {
        v["enforcement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["setting"] == setting)
            .unwrap()["enforcement"]
            .clone()
    };
    assert_eq!(label(&view, "mfa_mode"), "not_enforced");
    assert_eq!(label(&view, "session_timeouts"), "console");
    assert_eq!(label(&view, "ip_allowlist"), "console");
    assert_eq!(
        label(&view, "allowed_countries"),
        "not_enforced",
        "no GeoIP database"
    );

    for (body, field) in [
        (json!({ "mfa_mode": "sometimes" }), "mfa_mode"),
        (json!({ "idle_timeout_minutes": 1 }), "idle_timeout_minutes"),
        (
            json!({ "absolute_lifetime_minutes": 999_999 }),
            "absolute_lifetime_minutes",
        ),
        (
            json!({ "idle_timeout_minutes": 600, "absolute_lifetime_minutes": 60 }),
            "idle_timeout_minutes",
        ),
        (
            json!({ "allowed_countries": ["DE", "XX"] }),
            "allowed_countries",
        ),
        (
            json!({ "ip_allowlist": ["10.0.0.0/8", "300.1.1.1/32"] }),
            "ip_allowlist",
        ),
        (
            json!({ "ip_allowlist": ["2001:db8::/129"] }),
            "ip_allowlist",
        ),
        (
            json!({ "network_enforcement": "sometimes" }),
            "network_enforcement",
        ),
    ] {
        let (s, e) = patch(&app, &admin, body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["field"], field, "{body}: {e}");
        assert!(!e["message"].as_str().unwrap().is_empty());
    }
    let (s, e) = patch(&app, &admin, json!({ "unknown_setting": true })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");

    let (s, v) = patch(
        &app,
        &admin,
        json!({
            "mfa_mode": "required_for_admins",
            "idle_timeout_minutes": 30,
            "absolute_lifetime_minutes": 480,
            "allowed_countries": ["de", "FR", "DE"],
            "network_enforcement": "warn_only",
        }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["policy"]["allowed_countries"], json!(["DE", "FR"]));
    assert_eq!(v["policy"]["idle_timeout_minutes"], 30);
    assert_eq!(v["updated_by"], ADMIN.username);
    // `null` clears a limit.
    let (_, v) = patch(&app, &admin, json!({ "idle_timeout_minutes": null })).await;
    assert!(v["policy"]["idle_timeout_minutes"].is_null(), "{v}");
    assert_eq!(v["policy"]["absolute_lifetime_minutes"], 480);

    let updates: Vec<_> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "security.policy_update")
        .collect();
    let ok = updates
        .iter()
        .find(|e| {
            e.outcome == Outcome::Success
                && e.details["before"]["mfa_mode"] == "optional"
                && e.details["after"]["mfa_mode"] == "required_for_admins"
        })
        .expect("the change is audited");
    assert_eq!(ok.details["before"]["mfa_mode"], "optional");
    assert!(
        updates.iter().any(|e| e.outcome == Outcome::Failure),
        "refused changes are audited too"
    );
    // A save based on a stale read loses (compare-and-swap on updated_at).
    let acme = platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    let stored = platform::repo::security::get(&app.platform.db, &acme.id)
        .await
        .unwrap()
        .unwrap();
    let stale = stored.updated_at - 1;
    let won = platform::repo::security::put(
        &app.platform.db,
        &acme.id,
        &stored.policy,
        stored.updated_at + 1,
        None,
        Some(stale),
    )
    .await
    .unwrap();
    assert!(!won, "a write based on an older read must not win");
    // A member may neither read nor change it.
    let mia = Browser::new();
    app.sign_in(&mia, &MEMBER, "/").await;
    let (s, _) = patch(&app, &mia, json!({ "mfa_mode": "off" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.cleanup().await;
}
on_both_backends!(
    the_policy_is_validated_audited_and_labelled,
    the_policy_is_validated_audited_and_labelled
);

async fn the_allowlist_refuses_on_both_faces_and_owners_can_undo_it(backend: Backend) {
    let app = spawn_app_with(backend, trusted_loopback()).await;
    let owner = Browser::from_address("203.0.113.5");
    app.sign_in(&owner, &OWNER, "/").await;
    let outside = Browser::from_address("203.0.113.9");
    app.sign_in(&outside, &ADMIN, "/").await;
    let inside = Browser::from_address("2001:db8::7");
    app.sign_in(&inside, &ADMIN, "/").await;

    // The owner's own address is outside: refused unless confirmed.
    let rules = json!({ "ip_allowlist": ["198.51.100.0/24", "2001:db8::/32"] });
    let (s, e) = patch(&app, &owner, rules.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"], "would_lock_out");
    assert!(
        e["message"].as_str().unwrap().contains("203.0.113.5"),
        "{e}"
    );
    let (s, v) = patch(
        &app,
        &owner,
        json!({ "ip_allowlist": ["198.51.100.0/24", "2001:db8::/32"], "confirm_lockout": true }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // JSON API, server function and page, from outside: refused with the reason.
    let (s, body) = status_of(&app, &outside, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["error"], "network_blocked");
    assert!(
        body["message"].as_str().unwrap().contains("203.0.113.9"),
        "{body}"
    );
    let r = app
        .server_fn(&outside, "members", &[("tenant", "acme")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (s, page) = status_of(&app, &outside, "/admin/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        page.contains("not in this workspace") && page.contains("203.0.113.9"),
        "{page}"
    );
    // From inside (IPv6): allowed.
    let (s, _) = status_of(&app, &inside, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::OK);
    // The owner is outside too, but reaches the Security page and its API to undo it...
    let (s, _) = status_of(&app, &owner, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = status_of(&app, &owner, "/admin/acme/security").await;
    assert_eq!(s, StatusCode::OK);
    // ... which an admin who is not an owner cannot.
    let (s, _) = status_of(&app, &outside, "/api/tenants/acme/security-policy").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let denied = app
        .audit()
        .await
        .into_iter()
        .find(|e| e.action == "security.ip_blocked" && e.ip.as_deref() == Some("203.0.113.9"))
        .expect("the refusal is audited");
    assert_eq!(denied.outcome, Outcome::Denied);
    assert_eq!(
        denied.details["reason"]
            .as_str()
            .map(|r| r.contains("allowlist")),
        Some(true)
    );

    // Warn only: let through, audited as not enforced.
    let (s, _) = patch(&app, &owner, json!({ "network_enforcement": "warn_only" })).await;
    assert_eq!(s, StatusCode::OK);
    let late = Browser::from_address("192.0.2.44");
    app.sign_in(&late, &ADMIN, "/").await;
    let (s, _) = status_of(&app, &late, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::OK);
    let warned = app
        .audit()
        .await
        .into_iter()
        .find(|e| e.action == "security.ip_blocked" && e.ip.as_deref() == Some("192.0.2.44"))
        .expect("warn-only is audited");
    assert_eq!(warned.outcome, Outcome::Success);
    assert_eq!(warned.details["enforced"], false);

    // The owner clears the rules from outside: everyone is back.
    let (s, _) = patch(
        &app,
        &owner,
        json!({ "ip_allowlist": [], "network_enforcement": "enforce" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = status_of(&app, &outside, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::OK);
    app.cleanup().await;
}
on_both_backends!(
    the_allowlist_refuses_on_both_faces_and_owners_can_undo_it,
    the_allowlist_refuses_on_both_faces_and_owners_can_undo_it
);

async fn forwarded_for_counts_only_from_trusted_proxies(backend: Backend) {
    // No TRUSTED_PROXIES: the TCP peer (loopback) is the client, whatever the header says.
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let (s, _) = patch(
        &app,
        &owner,
        json!({ "ip_allowlist": ["198.51.100.0/24"], "confirm_lockout": true }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let spoofer = Browser::from_address("198.51.100.7");
    app.sign_in(&spoofer, &ADMIN, "/").await;
    let (s, body) = status_of(&app, &spoofer, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("127.0.0.1"), "{body}");
    app.cleanup().await;
}
on_both_backends!(
    forwarded_for_counts_only_from_trusted_proxies,
    forwarded_for_counts_only_from_trusted_proxies
);

/// A MaxMind DB country file: 198.51.100.0/24 in DE, 203.0.113.0/24 in FR (GeoLite2's
/// `country.iso_code` layout), written with the `mmdb-writer` crate.
fn geoip_file() -> std::path::PathBuf {
    #[derive(serde::Serialize)]
    struct Country {
        iso_code: String,
    }
    #[derive(serde::Serialize)]
    struct Record {
        country: Country,
    }
    let mut w = mmdb_writer::Writer::new("GeoLite2-Country");
    for (net, code) in [("198.51.100.0/24", "DE"), ("203.0.113.0/24", "FR")] {
        w.insert(
            net.parse::<ipnet::IpNet>().unwrap(),
            &Record {
                country: Country {
                    iso_code: code.into(),
                },
            },
        )
        .unwrap();
    }
    let path = std::env::temp_dir().join(format!("dezky-geoip-{}.mmdb", uuid::Uuid::new_v4()));
    std::fs::write(&path, w.to_bytes().unwrap()).unwrap();
    path
}

async fn countries_are_enforced_with_a_geoip_database(backend: Backend) {
    let geo = geoip_file();
    let mut extra = trusted_loopback();
    extra.push(("GEOIP_DB", geo.to_string_lossy().into_owned()));
    let app = spawn_app_with(backend, extra).await;
    let owner = Browser::from_address("198.51.100.20");
    app.sign_in(&owner, &OWNER, "/").await;
    let view: Value = owner
        .get(&app.url("/api/tenants/acme/security-policy"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["geoip_configured"], true);
    assert_eq!(view["your_country"], "DE");
    let (s, v) = patch(&app, &owner, json!({ "allowed_countries": ["DE"] })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let german = Browser::from_address("198.51.100.7");
    app.sign_in(&german, &ADMIN, "/").await;
    let french = Browser::from_address("203.0.113.9");
    app.sign_in(&french, &ADMIN, "/").await;
    let nowhere = Browser::from_address("192.0.2.1");
    app.sign_in(&nowhere, &ADMIN, "/").await;
    assert_eq!(
        status_of(&app, &german, "/api/tenants/acme/members")
            .await
            .0,
        StatusCode::OK
    );
    let (s, body) = status_of(&app, &french, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("FR"), "{body}");
    let (s, page) = status_of(&app, &french, "/admin/acme").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(page.contains("allowed countries"), "{page}");
    let (s, body) = status_of(&app, &nowhere, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("could not be determined"), "{body}");
    // Saving rules that exclude the saver's own country needs the confirmation.
    let (s, e) = patch(&app, &owner, json!({ "allowed_countries": ["FR"] })).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    app.cleanup().await;
    let _ = std::fs::remove_file(geo);
}
on_both_backends!(
    countries_are_enforced_with_a_geoip_database,
    countries_are_enforced_with_a_geoip_database
);

/// Moves the session clocks of `user`'s console sessions back by `minutes`.
async fn age_sessions(
    app: &TestApp,
    email: &str,
    signed_in_minutes_ago: i64,
    seen_minutes_ago: i64,
) {
    let now = platform::now_ms();
    sqlx::query(
        "UPDATE auth_tokens SET created_at = $1, last_seen_at = $2
          WHERE user_id IN (SELECT id FROM users WHERE email = $3)",
    )
    .bind(now - signed_in_minutes_ago * 60_000)
    .bind(now - seen_minutes_ago * 60_000)
    .bind(email)
    .execute(app.platform.db.pool())
    .await
    .unwrap();
}

async fn session_timeouts_end_sessions_on_both_faces(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let (s, _) = patch(
        &app,
        &owner,
        json!({ "idle_timeout_minutes": 10, "absolute_lifetime_minutes": 60 }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    // Active a minute ago, signed in 30 minutes ago: fine.
    age_sessions(&app, ADMIN.username, 30, 1).await;
    assert_eq!(
        status_of(&app, &admin, "/api/tenants/acme/members").await.0,
        StatusCode::OK
    );
    // Idle for 11 minutes: the session ends (API), for good. Requests outside the tenant's
    // console (the start page, /api/me) are not activity that keeps it alive.
    age_sessions(&app, ADMIN.username, 30, 11).await;
    assert_eq!(app.me_status(&admin).await, StatusCode::OK);
    assert_eq!(status_of(&app, &admin, "/").await.0, StatusCode::OK);
    let (s, body) = status_of(&app, &admin, "/api/tenants/acme/members").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body.contains("session_expired") && body.contains("10 minutes"),
        "{body}"
    );
    assert_eq!(
        app.me_status(&admin).await,
        StatusCode::UNAUTHORIZED,
        "signed out, not only refused"
    );
    // Signing in again starts a new session.
    app.sign_in(&admin, &ADMIN, "/").await;
    assert_eq!(
        status_of(&app, &admin, "/api/tenants/acme/members").await.0,
        StatusCode::OK
    );
    // Past the absolute lifetime, though active: the page answers 401 and the session ends.
    age_sessions(&app, ADMIN.username, 61, 0).await;
    let (s, page) = status_of(&app, &admin, "/admin/acme/members").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(page.contains("sign in again every 60 minutes"), "{page}");
    assert_eq!(app.me_status(&admin).await, StatusCode::UNAUTHORIZED);
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "security.session_expired" && e.outcome == Outcome::Denied));
    // Another workspace's pages are not under acme's policy.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    age_sessions(&app, GLOBEX_ADMIN.username, 300, 120).await;
    assert_eq!(
        status_of(&app, &gina, "/api/tenants/globex/members")
            .await
            .0,
        StatusCode::OK
    );
    app.cleanup().await;
}
on_both_backends!(
    session_timeouts_end_sessions_on_both_faces,
    session_timeouts_end_sessions_on_both_faces
);

async fn the_mfa_overview_reads_authentik_and_never_guesses(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    app.primary_domain(&owner, "mfa.example").await;
    let (s, created) = app.create_member(&owner, "jane", "member").await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    // Jane enrolls a TOTP device and backup codes; Mia starts an enrollment she never
    // finishes (unconfirmed: not a second factor).
    app.sandbox_post(
        "/_sandbox/authentik/users/jane@mfa.example/devices",
        json!({ "kind": "totp", "name": "Phone", "used": true }),
    )
    .await;
    app.sandbox_post(
        "/_sandbox/authentik/users/jane@mfa.example/devices",
        json!({ "kind": "static", "name": "Backup codes" }),
    )
    .await;
    app.sandbox_post(
        "/_sandbox/authentik/users/mia@acme.example/devices",
        json!({ "kind": "totp", "name": "Half done", "confirmed": false }),
    )
    .await;
    let (s, _) = patch(&app, &owner, json!({ "mfa_mode": "required_for_admins" })).await;
    assert_eq!(s, StatusCode::OK);

    let r = owner.get(&app.url("/api/tenants/acme/mfa-status")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let o: Value = r.json().await.unwrap();
    let by: BTreeMap<&str, &Value> = o["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["address"].as_str().unwrap(), m))
        .collect();
    let jane = by["jane@mfa.example"];
    assert_eq!(jane["mfa"]["state"], "enrolled", "{o}");
    let kinds: Vec<&str> = jane["mfa"]["authenticators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["totp", "static"]);
    assert!(jane["mfa"]["authenticators"][0]["last_used"].is_string());
    assert_eq!(by["mia@acme.example"]["mfa"]["state"], "not_enrolled");
    assert_eq!(
        by["mia@acme.example"]["required_missing"], false,
        "members are not required"
    );
    assert_eq!(by["adam@acme.example"]["required_missing"], true);
    // Admins and owners without MFA come first.
    let first_two: Vec<&str> = o["members"].as_array().unwrap()[..2]
        .iter()
        .map(|m| m["address"].as_str().unwrap())
        .collect();
    assert_eq!(first_two, ["adam@acme.example", "olivia@acme.example"]);
    assert_eq!(o["enrolled"], 1);
    assert_eq!(
        o["verdict"],
        "Required for admins and owners: 2 admins not enrolled."
    );
    assert_eq!(o["enforced_at_sign_in"], false);

    // The members page asks for its own page's members only: in the order asked, the same
    // states, and nothing of a member of another workspace (gina's id, sent as a probe).
    let id_of = |address: &str| by[address]["member_id"].as_str().unwrap().to_string();
    let gina = platform::repo::members::by_address(
        &app.platform.db,
        &platform::repo::identity::tenant_by_slug(&app.platform.db, "globex")
            .await
            .unwrap()
            .unwrap()
            .id,
        "gina@globex.example",
    )
    .await
    .unwrap()
    .expect("gina is a member of globex");
    let (mia, jane_id) = (id_of("mia@acme.example"), id_of("jane@mfa.example"));
    let r = app
        .server_fn(
            &owner,
            "members_mfa",
            &[
                ("tenant", "acme"),
                ("member_ids[0]", &mia),
                ("member_ids[1]", &gina.id),
                ("member_ids[2]", &jane_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page: Value = r.json().await.unwrap();
    let states: Vec<(&str, &str)> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["address"].as_str().unwrap(),
                m["mfa"]["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("mia@acme.example", "not_enrolled"),
            ("jane@mfa.example", "enrolled")
        ]
    );
    let too_many: Vec<(String, String)> = (0..501)
        .map(|i| (format!("member_ids[{i}]"), mia.clone()))
        .collect();
    let mut form: Vec<(&str, &str)> = vec![("tenant", "acme")];
    form.extend(too_many.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = app.server_fn(&owner, "members_mfa", &form).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert_eq!(
        (e["error"].as_str(), e["field"].as_str()),
        (Some("invalid"), Some("member_ids")),
        "{e}"
    );

    // Authentik failing: unknown with the reason, never "not enrolled".
    app.fault(
        &app.sandbox_url,
        json!({ "path_prefix": "/api/v3/authenticators/admin/all/", "status": 503, "count": 0 }),
    )
    .await;
    let o: Value = owner
        .get(&app.url("/api/tenants/acme/mfa-status"))
        .await
        .json()
        .await
        .unwrap();
    for m in o["members"].as_array().unwrap() {
        assert_eq!(m["mfa"]["state"], "unknown", "{m}");
        assert!(
            m["mfa"]["reason"].as_str().unwrap().contains("Authentik"),
            "{m}"
        );
        assert_eq!(m["required_missing"], false);
    }
    assert_eq!(o["not_enrolled"], 0);
    assert_eq!(o["verdict"], "Required for admins and owners: 2 unknown.");
    app.clear_faults().await;
    app.cleanup().await;
}
on_both_backends!(
    the_mfa_overview_reads_authentik_and_never_guesses,
    the_mfa_overview_reads_authentik_and_never_guesses
);

//! Storage: mail (Stalwart) and files (OCIS) per member against their quotas, flagged near or
//! over quota, quotas set per member (validated, audited), and one store down leaving the
//! other column standing.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const DOMAIN: &str = "storage.example";

async fn storage(app: &TestApp, b: &Browser) -> (StatusCode, Value) {
    let r = b.get(&app.url("/api/tenants/acme/storage")).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn set_quota(app: &TestApp, b: &Browser, id: &str, body: Value) -> (StatusCode, Value) {
    let r = b
        .client
        .patch(app.url(&format!("/api/tenants/acme/storage/{id}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

fn row<'a>(view: &'a Value, address: &str) -> &'a Value {
    view["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == address)
        .unwrap_or_else(|| panic!("{address} in {view}"))
}

/// Two members with mailboxes; one has signed in to OCIS (a drive), one not yet.
async fn workspace(backend: Backend) -> (TestApp, Browser, String, String) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    app.primary_domain(&owner, DOMAIN).await;
    for local in ["ann", "bob"] {
        let (s, body) = app.create_member(&owner, local, "member").await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (ann, bob) = (format!("ann@{DOMAIN}"), format!("bob@{DOMAIN}"));
    assert!(app.ocis.first_sign_in(&ann));
    (app, owner, ann, bob)
}

async fn storage_shows_use_against_quotas(backend: Backend) {
    let (app, owner, ann, bob) = workspace(backend).await;
    assert!(app.stalwart().set_used_disk(&ann, 3 << 20));
    assert!(app.ocis.set_drive_used(&ann, 7 << 30));

    let (s, v) = storage(&app, &owner).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let a = row(&v, &ann);
    assert_eq!(a["mail"]["used"], 3 << 20);
    assert_eq!(a["mail"]["used_display"], "3.0 MiB");
    assert_eq!(a["mail"]["quota_display"], "Unlimited");
    assert_eq!(a["files"]["used"], 7u64 << 30);
    assert_eq!(a["files"]["quota"], Value::Null, "no limit set: unlimited");
    let b = row(&v, &bob);
    assert_eq!(b["files"], Value::Null);
    assert!(
        b["files_note"].as_str().unwrap().contains("first sign-in"),
        "{b}"
    );
    assert_eq!(v["mail"]["available"], true);
    assert_eq!(v["files"]["total_used"], 7u64 << 30);
    assert_eq!(v["flagged"], 0);

    // Quotas: validated per field, then set in Stalwart and OCIS.
    let id = a["id"].as_str().unwrap().to_string();
    for (body, field) in [
        (json!({ "mail_quota": "lots" }), "mail_quota"),
        (json!({ "files_quota": "10 KiB" }), "files_quota"),
        (json!({}), "mail_quota"),
    ] {
        let (s, e) = set_quota(&app, &owner, &id, body.clone()).await;
        assert_eq!(
            (s, e["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{body}: {e}"
        );
    }
    let (s, e) = set_quota(
        &app,
        &owner,
        row(&v, &bob)["id"].as_str().unwrap(),
        json!({ "files_quota": "1 GiB" }),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::CONFLICT,
        "no drive before the first sign-in: {e}"
    );
    let (s, updated) = set_quota(
        &app,
        &owner,
        &id,
        json!({ "mail_quota": "3.3 MiB", "files_quota": "7.5 GiB" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(app.ocis.drive_total(&ann), Some(15 << 29));
    assert_eq!(updated["files"]["quota_display"], "7.5 GiB");
    // 7 of 7.5 GiB is 93 %: OCIS says critical; flagged.
    assert_eq!(updated["files"]["level"], "critical");
    assert_eq!(updated["files"]["percent"], 93);
    assert_eq!(updated["files"]["flagged"], true);
    assert_eq!(updated["mail"]["percent"], 90);
    assert_eq!(updated["mail"]["flagged"], true, "mail from 90 %");

    let (_, v) = storage(&app, &owner).await;
    assert_eq!(v["flagged"], 1);
    // Back to unlimited.
    let (s, updated) = set_quota(&app, &owner, &id, json!({ "mail_quota": "unlimited" })).await;
    assert_eq!(
        (s, &updated["mail"]["quota"]),
        (StatusCode::OK, &Value::Null),
        "{updated}"
    );

    // Another workspace's admin cannot see or set acme's.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    assert_eq!(storage(&app, &gina).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        set_quota(&app, &gina, &id, json!({ "mail_quota": "1 GiB" }))
            .await
            .0,
        StatusCode::FORBIDDEN
    );

    let audit = app.audit().await;
    assert!(audit.iter().any(|e| e.action == "storage.set_quota"
        && e.target == ann
        && e.details["files_quota"]["after"] == 15u64 << 29));
    assert!(audit
        .iter()
        .any(|e| e.action == "storage.set_quota" && format!("{:?}", e.outcome) == "Failure"));
    app.cleanup().await;
}
on_both_backends!(use_against_quotas, storage_shows_use_against_quotas);

/// OCIS down: its column says so, mail still shows; and the other way round.
async fn one_store_down_leaves_the_other(backend: Backend) {
    let (app, owner, ann, _) = workspace(backend).await;
    app.fault(
        &app.ocis_url,
        json!({ "path_prefix": "/graph/v1.0/drives", "status": 503 }),
    )
    .await;
    let (s, v) = storage(&app, &owner).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["files"]["available"], false);
    assert!(
        v["files"]["reason"]
            .as_str()
            .unwrap()
            .contains("File storage is unavailable"),
        "{v}"
    );
    assert_eq!(v["mail"]["available"], true);
    assert!(row(&v, &ann)["mail"]["used"].is_u64());
    assert_eq!(
        row(&v, &ann)["files_note"],
        Value::Null,
        "the column says why, not each row"
    );

    app.stalwart().fail_next("x:Account/get");
    let (s, v) = storage(&app, &owner).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["mail"]["available"], false, "{v}");
    assert_eq!(v["files"]["available"], true);
    assert!(row(&v, &ann)["files"]["used"].is_u64());
    app.cleanup().await;
}
on_both_backends!(one_store_down, one_store_down_leaves_the_other);

//! Tenant SSO apps through the JSON API, against the Authentik stand-in: a real
//! authorization-code flow with the shown credentials, the tenant fence, rotation, deletion,
//! rollback under fault injection, isolation between two tenants, and the secret leak scan.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

const WIKI_CB: &str = "https://wiki.acme.example/oauth/callback";

async fn ready(backend: Backend) -> (TestApp, Browser) {
    let app = spawn_app(backend).await;
    app.stalwart().set_dkim_delay(std::time::Duration::ZERO);
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    app.primary_domain(&owner, "team.example").await;
    (app, owner)
}

async fn send(r: reqwest::RequestBuilder) -> (StatusCode, Value, Option<String>) {
    let r = r.send().await.unwrap();
    let status = r.status();
    let cache = r
        .headers()
        .get(header::CACHE_CONTROL)
        .map(|v| v.to_str().unwrap().to_string());
    let body = r.json().await.unwrap_or(Value::Null);
    if let Some(s) = body["client_secret"].as_str() {
        remember_secret(s);
    }
    (status, body, cache)
}

async fn create(app: &TestApp, b: &Browser, tenant: &str, body: Value) -> (StatusCode, Value) {
    let (s, v, _) = send(
        b.client
            .post(app.url(&format!("/api/tenants/{tenant}/sso-apps")))
            .json(&body),
    )
    .await;
    (s, v)
}

/// The page's `create_sso_app` server function, as the browser calls it.
async fn create_by_page(
    app: &TestApp,
    b: &Browser,
    name: &str,
    uris: &str,
    mode: &str,
) -> reqwest::Response {
    let form = [
        ("tenant", "acme"),
        ("name", name),
        ("redirect_uris", uris),
        ("matching_mode", mode),
        ("launch_url", ""),
    ];
    app.server_fn(b, "create_sso_app", &form).await
}

fn wiki() -> Value {
    json!({
        "name": "Wiki",
        "redirect_uris": [WIKI_CB],
        "launch_url": "https://wiki.acme.example/",
    })
}

/// Register, sign a member in with the shown credentials, refuse another tenant's person,
/// rotate (the old secret fails), keep two tenants' "Wiki" apart, delete (discovery goes),
/// and find no client secret in the database, logs or audit.
async fn a_registered_app_signs_in_the_tenants_members_only(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (s, member) = app.create_member(&owner, "jane", "member").await;
    assert_eq!(s, StatusCode::CREATED, "{member}");
    let jane_password = member["one_time_password"].as_str().unwrap().to_string();

    let (s, created, cache) = send(
        owner
            .client
            .post(app.url("/api/tenants/acme/sso-apps"))
            .json(&wiki()),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    assert!(
        cache.unwrap_or_default().contains("no-store"),
        "a secret is never cached"
    );
    let client_id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 128, "Authentik's generated secret");
    let detail = &created["detail"];
    let id = detail["app"]["id"].as_str().unwrap().to_string();
    assert_eq!(detail["app"]["slug"], "acme_wiki");
    assert_eq!(detail["app"]["state"], "active");
    assert_eq!(detail["app"]["fence"]["state"], "tenant_only", "{detail}");
    let issuer = detail["endpoints"]["issuer"].as_str().unwrap();
    assert_eq!(
        issuer,
        format!("{}/application/o/acme_wiki/", app.sandbox_url)
    );
    let discovery = detail["endpoints"]["discovery"]
        .as_str()
        .unwrap()
        .to_string();
    let doc: Value = reqwest::get(&discovery)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], issuer);

    // A member of acme signs in to the app; gina (globex) is refused at authorize.
    let idp = sandbox::relying_party::RelyingParty::new(&app.sandbox_url, WIKI_CB);
    let jane = "jane@team.example";
    let code = idp
        .code((jane, &jane_password), &client_id)
        .await
        .expect("jane is a member of acme");
    let (s, tokens) = idp.token(&code, &client_id, &secret).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    let info = idp.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(info["email"], jane);
    let (s, page) = idp
        .code((GLOBEX_ADMIN.username, GLOBEX_ADMIN.password), &client_id)
        .await
        .expect_err("gina is not a member of acme");
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Access denied"), "{page}");

    // Rotation: a new secret, shown once; the old one fails at the token endpoint.
    let (s, rotated, cache) = send(
        owner
            .client
            .post(app.url(&format!("/api/tenants/acme/sso-apps/{id}/rotate-secret"))),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{rotated}");
    assert!(cache.unwrap_or_default().contains("no-store"));
    let new_secret = rotated["client_secret"].as_str().unwrap().to_string();
    assert_ne!(new_secret, secret);
    let code = idp.code((jane, &jane_password), &client_id).await.unwrap();
    let (s, _) = idp.token(&code, &client_id, &secret).await;
    assert!(s.is_client_error(), "the old secret is refused: {s}");
    let code = idp.code((jane, &jane_password), &client_id).await.unwrap();
    let (s, _) = idp.token(&code, &client_id, &new_secret).await;
    assert_eq!(s, StatusCode::OK, "the new secret works");

    // The list shows no secret; an update changes Authentik too.
    let (s, list, _) = send(owner.client.get(app.url("/api/tenants/acme/sso-apps"))).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(!list.to_string().contains(&new_secret));
    assert_eq!(list[0]["created_by"], OWNER.username);
    let (s, patched, _) = send(
        owner
            .client
            .patch(app.url(&format!("/api/tenants/acme/sso-apps/{id}")))
            .json(&json!({ "name": "Team Wiki", "redirect_uris": [WIKI_CB, "http://localhost:8080/cb"] })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{patched}");
    assert_eq!(patched["app"]["name"], "Team Wiki");
    assert_eq!(patched["app"]["slug"], "acme_wiki", "the address stays");
    let (s, e, _) = send(
        owner
            .client
            .patch(app.url(&format!("/api/tenants/acme/sso-apps/{id}")))
            .json(&json!({ "redirect_uris": ["http://wiki.acme.example/cb"] })),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(e["field"], "redirect_uris", "{e}");

    // Globex has its own "Wiki"; gina cannot see, rotate or delete acme's.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    let r = app
        .post_json(&gina, "/api/tenants/globex/reconcile", json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (s, theirs) = create(
        &app,
        &gina,
        "globex",
        json!({ "name": "Wiki", "redirect_uris": ["https://wiki.globex.example/cb"] }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{theirs}");
    assert_eq!(theirs["detail"]["app"]["slug"], "globex_wiki");
    for (method, path) in [
        ("GET", format!("/api/tenants/globex/sso-apps/{id}")),
        ("DELETE", format!("/api/tenants/globex/sso-apps/{id}")),
        (
            "POST",
            format!("/api/tenants/globex/sso-apps/{id}/rotate-secret"),
        ),
    ] {
        let r = gina
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let (_, globex_list, _) = send(gina.client.get(app.url("/api/tenants/globex/sso-apps"))).await;
    assert_eq!(globex_list.as_array().unwrap().len(), 1);
    assert_ne!(globex_list[0]["id"], id.as_str());

    // Members see the app as a tile in their launcher; another tenant's people do not.
    let mia = Browser::new();
    app.sign_in(&mia, &MEMBER, "/").await;
    // (globex's app has no launch URL, and acme's is not theirs.)
    let want = json!([{ "name": "Team Wiki", "url": "https://wiki.acme.example/" }]);
    for (who, want) in [(&mia, want), (&gina, json!([]))] {
        let r = app.server_fn(who, "launch_tiles", &[]).await;
        assert_eq!(r.json::<Value>().await.unwrap(), want);
    }

    // The page's server function registers the same way and reveals the secret once.
    let r = create_by_page(
        &app,
        &owner,
        "CRM",
        "https://crm.acme.example/cb\nhttp://localhost:9000/cb",
        "strict",
    )
    .await;
    let page: Value = r.json().await.unwrap();
    remember_secret(
        page["client_secret"]
            .as_str()
            .expect("the page gets the secret"),
    );
    assert_eq!(
        page["detail"]["app"]["redirect_uris"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "{page}"
    );
    let r = create_by_page(
        &app,
        &owner,
        "Bad",
        "https://bad.acme.example/cb",
        "wildcard",
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["field"], "matching_mode");

    // Delete: binding, application and provider go; discovery disappears.
    let r = owner
        .client
        .delete(app.url(&format!("/api/tenants/acme/sso-apps/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        reqwest::get(&discovery).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let (providers, apps, _) = app.authentik.sso_objects();
    assert_eq!(
        providers,
        vec![
            "dezky-globex_wiki".to_string(),
            "dezky-acme_crm".to_string()
        ]
    );
    assert_eq!(
        apps,
        vec!["globex_wiki".to_string(), "acme_crm".to_string()]
    );

    let actions: Vec<(String, String)> = app
        .audit()
        .await
        .iter()
        .filter(|e| e.action.starts_with("sso_app."))
        .map(|e| (e.action.clone(), format!("{:?}", e.outcome)))
        .collect();
    for want in [
        "sso_app.create",
        "sso_app.rotate_secret",
        "sso_app.update",
        "sso_app.delete",
    ] {
        assert!(
            actions.iter().any(|(a, o)| a == want && o == "Success"),
            "{want}: {actions:?}"
        );
    }
    // The scan: no secret shown in this binary so far is in the database, logs or audit.
    let dump = platform::testing::dump_text(&app.platform.db).await;
    assert!(dump.contains("acme_wiki") || dump.contains("globex_wiki"));
    let logs = captured_logs();
    let audit: String = app.audit().await.iter().map(|e| format!("{e:?}")).collect();
    for s in remembered_secrets() {
        assert!(!dump.contains(&s), "a secret is in the database");
        assert!(!logs.contains(&s), "a secret is in the logs");
        assert!(!audit.contains(&s), "a secret is in the audit");
    }
    app.cleanup().await;
}
on_both_backends!(
    sso_app_flow,
    a_registered_app_signs_in_the_tenants_members_only
);

/// Each Authentik step failing leaves nothing behind; a rollback that fails too leaves a
/// visible failed record, and Delete finishes the cleanup.
async fn a_failed_step_rolls_back_or_leaves_a_retryable_record(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let base = app.sandbox_url.clone();
    for prefix in [
        "/api/v3/providers/oauth2/",
        "/api/v3/core/applications/",
        "/api/v3/policies/bindings/",
    ] {
        app.fault(
            &base,
            json!({ "path_prefix": prefix, "status": 500, "method": "POST" }),
        )
        .await;
        let (s, e) = create(&app, &owner, "acme", wiki()).await;
        assert_eq!(s, StatusCode::BAD_GATEWAY, "{prefix}: {e}");
        assert_eq!(e["error"], "upstream");
        assert!(
            e["message"].as_str().unwrap().contains("Nothing was left"),
            "{e}"
        );
        assert_eq!(app.authentik.sso_objects(), (vec![], vec![], 0), "{prefix}");
        let (_, list, _) = send(owner.client.get(app.url("/api/tenants/acme/sso-apps"))).await;
        assert_eq!(list, json!([]), "{prefix}: no record is left either");
    }

    // The object is made but its answer is lost (a gateway gives up after Authentik acted):
    // the rollback finds it by the name Dezky gave it.
    for prefix in ["/api/v3/providers/oauth2/", "/api/v3/core/applications/"] {
        app.fault(
            &base,
            json!({ "path_prefix": prefix, "status": 504, "method": "POST", "after": true }),
        )
        .await;
        let (s, e) = create(&app, &owner, "acme", wiki()).await;
        assert_eq!(s, StatusCode::BAD_GATEWAY, "{prefix}: {e}");
        assert!(
            e["message"].as_str().unwrap().contains("Nothing was left"),
            "{e}"
        );
        assert_eq!(
            app.authentik.sso_objects(),
            (vec![], vec![], 0),
            "{prefix}: no orphan"
        );
    }

    // The binding fails and so does deleting the application: a failed record says so.
    app.fault(
        &base,
        json!({ "path_prefix": "/api/v3/policies/bindings/", "status": 500, "method": "POST" }),
    )
    .await;
    app.fault(
        &base,
        json!({ "path_prefix": "/api/v3/core/applications/", "status": 503, "method": "DELETE" }),
    )
    .await;
    let (s, e) = create(&app, &owner, "acme", wiki()).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("Delete retries"),
        "{e}"
    );
    let (_, list, _) = send(owner.client.get(app.url("/api/tenants/acme/sso-apps"))).await;
    assert_eq!(list[0]["state"], "failed", "{list}");
    assert!(
        list[0]["message"].as_str().unwrap().contains("application"),
        "{list}"
    );
    let (providers, apps, bindings) = app.authentik.sso_objects();
    assert_eq!(
        (providers.len(), apps.len(), bindings),
        (1, 1, 0),
        "what is left"
    );
    let id = list[0]["id"].as_str().unwrap();
    // A delete that stops part-way says what is left and keeps the record; the next one
    // continues.
    app.fault(
        &base,
        json!({ "path_prefix": "/api/v3/providers/oauth2/", "status": 503, "method": "DELETE" }),
    )
    .await;
    let (s, e, _) = send(
        owner
            .client
            .delete(app.url(&format!("/api/tenants/acme/sso-apps/{id}"))),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{e}");
    assert_eq!(e["error"], "removal_incomplete", "{e}");
    assert!(e["message"].as_str().unwrap().contains("provider"), "{e}");
    let (_, list, _) = send(owner.client.get(app.url("/api/tenants/acme/sso-apps"))).await;
    assert_eq!(list[0]["state"], "deleting", "{list}");
    assert_eq!(
        app.authentik.sso_objects().0.len(),
        1,
        "the provider is left"
    );
    let r = owner
        .client
        .delete(app.url(&format!("/api/tenants/acme/sso-apps/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "Delete retries the cleanup"
    );
    assert_eq!(app.authentik.sso_objects(), (vec![], vec![], 0));
    let (_, list, _) = send(owner.client.get(app.url("/api/tenants/acme/sso-apps"))).await;
    assert_eq!(list, json!([]));
    let failures = app
        .audit()
        .await
        .iter()
        .filter(|e| e.action == "sso_app.create" && format!("{:?}", e.outcome) == "Failure")
        .count();
    assert_eq!(failures, 6, "every failed creation is audited");
    app.cleanup().await;
}
on_both_backends!(
    sso_app_rollback,
    a_failed_step_rolls_back_or_leaves_a_retryable_record
);

/// Bad input is a 400 naming the field, before anything is made upstream.
async fn bad_input_is_refused_with_the_field(backend: Backend) {
    let (app, owner) = ready(backend).await;
    for (body, field) in [
        (json!({ "name": "", "redirect_uris": [WIKI_CB] }), "name"),
        (json!({ "name": "X", "redirect_uris": [] }), "redirect_uris"),
        (
            json!({ "name": "X", "redirect_uris": ["https://x.example/cb#frag"] }),
            "redirect_uris",
        ),
        (
            json!({ "name": "X", "redirect_uris": ["https://*.x.example/cb"] }),
            "redirect_uris",
        ),
        (
            json!({ "name": "X", "redirect_uris": [WIKI_CB], "launch_url": "ftp://x" }),
            "launch_url",
        ),
        (
            json!({ "name": "X", "redirect_uris": ["(" ], "matching_mode": "regex" }),
            "redirect_uris",
        ),
    ] {
        let (s, e) = create(&app, &owner, "acme", body.clone()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["field"], field, "{body}: {e}");
        assert!(e["request_id"].is_string());
    }
    let (s, _) = create(&app, &owner, "acme", wiki()).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = create(
        &app,
        &owner,
        "acme",
        json!({ "name": "wiki!", "redirect_uris": [WIKI_CB] }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "the same address: {e}");
    assert_eq!(app.authentik.sso_objects().0.len(), 1);
    app.cleanup().await;
}
on_both_backends!(sso_app_input, bad_input_is_refused_with_the_field);

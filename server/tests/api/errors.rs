//! One error model on both faces: the same failure answers the same status and the same body
//! (`{"error", "message", "field", "request_id"}`) from the JSON API and from the pages'
//! server functions; bodies and queries that do not parse get that body too; a request that
//! runs past `REQUEST_TIMEOUT_SECS` ends as 503 with its request id.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::*;

/// The status and the JSON body, checking the body's documented fields.
async fn answer(r: Response) -> (StatusCode, Value) {
    let status = r.status();
    let request_id = r
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    assert!(body["error"].is_string(), "{body}");
    assert!(body["message"].is_string(), "{body}");
    assert_eq!(
        body["request_id"].as_str(),
        request_id.as_deref(),
        "the body quotes the request id: {body}"
    );
    (status, body)
}

async fn api_get(b: &Browser, app: &TestApp, path: &str) -> (StatusCode, Value) {
    answer(b.get(&app.url(path)).await).await
}

async fn fun(b: &Browser, app: &TestApp, name: &str, args: &[(&str, &str)]) -> (StatusCode, Value) {
    answer(app.server_fn(b, name, args).await).await
}

/// Each class of failure, on the API and on the server function that does the same.
async fn both_faces_answer_the_same_status_for_each_class(backend: Backend) {
    let app = spawn_app(backend).await;
    let anonymous = Browser::new();
    let member = Browser::new();
    app.sign_in(&member, &MEMBER, "/").await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;

    // 401: nobody signed in.
    let (s, b) = api_get(&anonymous, &app, "/api/tenants/acme/domains").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, b) = fun(&anonymous, &app, "domains", &[("tenant", "acme")]).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );

    // 403: signed in, not an admin.
    let (s, b) = api_get(&member, &app, "/api/tenants/acme/domains").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, b) = fun(&member, &app, "domains", &[("tenant", "acme")]).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );

    // 404: no such tenant.
    let (s, _) = api_get(&admin, &app, "/api/tenants/no-such/domains").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, b) = fun(&admin, &app, "domains", &[("tenant", "no-such")]).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // 400 with the field: a name that is no domain.
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains",
            json!({ "name": "not a domain" }),
        )
        .await;
    let (s, api) = answer(r).await;
    let (fs, page) = fun(
        &admin,
        &app,
        "add_domain",
        &[("tenant", "acme"), ("name", "not a domain")],
    )
    .await;
    assert_eq!((s, fs), (StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST));
    assert_eq!(api["field"], "name");
    assert_eq!(
        (&api["error"], &api["field"]),
        (&page["error"], &page["field"])
    );

    // 502: Stalwart refuses the creation (nothing is added).
    for attempt in ["api", "fn"] {
        app.fault(
            &app.stalwart_url,
            json!({ "path_prefix": "/jmap", "count": 1, "status": 503 }),
        )
        .await;
        let (s, b) = if attempt == "api" {
            answer(
                app.post_json(
                    &admin,
                    "/api/tenants/acme/domains",
                    json!({ "name": "down.example" }),
                )
                .await,
            )
            .await
        } else {
            fun(
                &admin,
                &app,
                "add_domain",
                &[("tenant", "acme"), ("name", "down.example")],
            )
            .await
        };
        assert_eq!(
            (s, b["error"].as_str()),
            (StatusCode::BAD_GATEWAY, Some("upstream")),
            "{attempt}: {b}"
        );
        assert!(b["message"].as_str().unwrap().contains("Stalwart"), "{b}");
    }

    // 409: the same domain twice.
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains",
            json!({ "name": "twice.example" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (s, api) = answer(
        app.post_json(
            &admin,
            "/api/tenants/acme/domains",
            json!({ "name": "twice.example" }),
        )
        .await,
    )
    .await;
    let (fs, page) = fun(
        &admin,
        &app,
        "add_domain",
        &[("tenant", "acme"), ("name", "twice.example")],
    )
    .await;
    assert_eq!((s, fs), (StatusCode::CONFLICT, StatusCode::CONFLICT));
    assert_eq!(api["error"], "already_added");
    assert_eq!(page["error"], "already_added");
    app.cleanup().await;
}
on_both_backends!(
    same_status_both_faces,
    both_faces_answer_the_same_status_for_each_class
);

/// Bodies and queries that do not parse answer the API's JSON error, naming the field.
async fn unparsable_input_gets_the_json_error_body(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = admin
        .client
        .post(app.url("/api/tenants/acme/domains"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (s, b) = answer(r).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid"))
    );
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains",
            json!({ "nom": "x.example" }),
        )
        .await;
    let (s, b) = answer(r).await;
    assert_eq!(
        (s, b["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name")),
        "{b}"
    );
    let r = admin
        .client
        .post(app.url("/api/tenants/acme/domains"))
        .body("name=x.example")
        .send()
        .await
        .unwrap();
    let (s, b) = answer(r).await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid"))
    );
    assert!(
        b["message"].as_str().unwrap().contains("application/json"),
        "{b}"
    );
    let (s, b) = api_get(&admin, &app, "/api/tenants/acme/audit?limit=many").await;
    assert_eq!(
        (s, b["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit")),
        "{b}"
    );
    app.cleanup().await;
}
on_both_backends!(unparsable_input, unparsable_input_gets_the_json_error_body);

/// A page whose render waits on an upstream longer than the request timeout answers 503 with
/// its request id; an API call the same, as JSON.
async fn a_hanging_request_ends_as_503_with_its_request_id(backend: Backend) {
    let app = spawn_app_with(backend, vec![("REQUEST_TIMEOUT_SECS", "1".into())]).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = app
        .post_json(
            &admin,
            "/api/tenants/acme/domains",
            json!({ "name": "slow.example" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // Every Stalwart answer now takes 3 s, longer than the 1 s the console allows.
    app.fault(
        &app.stalwart_url,
        json!({ "path_prefix": "/jmap", "count": 0, "delay_ms": 3000 }),
    )
    .await;
    let page = admin
        .get(&app.url("/admin/acme/domains/slow.example"))
        .await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    let id = page.headers()["x-request-id"].to_str().unwrap().to_string();
    let html = page.text().await.unwrap();
    assert!(html.contains(&id), "the page quotes the request id: {html}");
    let (s, b) = api_get(&admin, &app, "/api/tenants/acme/domains/slow.example").await;
    assert_eq!(
        (s, b["error"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("timeout"))
    );
    app.clear_faults().await;
    app.cleanup().await;
}
on_both_backends!(
    request_timeout,
    a_hanging_request_ends_as_503_with_its_request_id
);

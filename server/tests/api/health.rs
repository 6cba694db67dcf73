//! Health endpoints and request ids.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;

use crate::helpers::*;

async fn health_and_readiness(backend: Backend) {
    let app = spawn_app(backend).await;
    let r = reqwest::get(app.url("/healthz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["database"]["status"], "ok");
    assert_eq!(body["upstreams"]["authentik"]["status"], "ok");
    assert_eq!(body["upstreams"]["stalwart"]["status"], "ok");
    assert_eq!(body["upstreams"]["stripe"]["status"], "disabled");

    // Authentik down: still ready (the database answers), and the summary says so.
    let client = reqwest::Client::new();
    client
        .post(format!("{}/_sandbox/faults", app.sandbox_url))
        .json(&serde_json::json!({ "path_prefix": "/application/o/dezky/.well-known", "count": 1, "status": 502 }))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = reqwest::get(app.url("/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["upstreams"]["authentik"]["status"], "failed");
    app.cleanup().await;
}
on_both_backends!(readiness, health_and_readiness);

async fn every_answer_carries_a_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();
    let r = client
        .get(app.url("/healthz"))
        .header("x-request-id", "given-id-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "given-id-1");
    let r = client.get(app.url("/api/me")).send().await.unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["request_id"], id.as_str());
    app.cleanup().await;
}
on_both_backends!(request_ids, every_answer_carries_a_request_id);

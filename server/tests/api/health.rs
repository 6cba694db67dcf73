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

    assert!(
        body["database"].get("detail").is_none(),
        "no internals: {body}"
    );
    let text = body.to_string();
    assert!(!text.contains("http"), "no internal URLs: {text}");
    app.cleanup().await;
}
on_both_backends!(readiness, health_and_readiness);

/// `/readyz` answers from a snapshot: asked again within 10 s it does not probe again (an
/// upstream that fails meanwhile shows in the next snapshot).
async fn readiness_is_probed_at_most_once_per_ten_seconds(backend: Backend) {
    let app = spawn_app(backend).await;
    // Authentik down for the first probe: still ready (the database answers), and the
    // summary says so.
    app.fault(
        &app.sandbox_url,
        serde_json::json!({ "path_prefix": "/application/o/dezky/.well-known", "count": 0, "status": 502 }),
    )
    .await;
    let read = || async {
        let r = reqwest::get(app.url("/readyz")).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.json::<serde_json::Value>().await.unwrap()
    };
    assert_eq!(read().await["upstreams"]["authentik"]["status"], "failed");
    app.clear_faults().await;
    let answers = futures::future::join_all((0..5).map(|_| read())).await;
    for body in answers {
        assert_eq!(
            body["upstreams"]["authentik"]["status"], "failed",
            "served from the snapshot, not probed again"
        );
    }
    app.cleanup().await;
}
on_both_backends!(
    readiness_cache,
    readiness_is_probed_at_most_once_per_ten_seconds
);

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

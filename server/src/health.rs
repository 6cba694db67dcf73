//! `/healthz`: the process is up. `/readyz`: the database answers (else 503), with each
//! upstream summarised (an upstream outage does not take the console out of the pool).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use platform::services::health::{self, CheckStatus};
use serde_json::json;

use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(state): State<AppState>) -> Response {
    let db = health::database(&state.platform.db).await;
    let mut upstreams = serde_json::Map::new();
    for probe in state.probes.iter() {
        let check = health::upstream(probe, std::time::Duration::from_secs(2)).await;
        upstreams.insert(
            check.name.clone(),
            json!({ "status": check.status, "detail": check.detail }),
        );
    }
    let ready = db.status == CheckStatus::Ok;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": { "status": db.status, "detail": db.detail },
        "upstreams": upstreams,
        "sandbox": state.flags.sandbox,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

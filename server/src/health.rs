//! `/healthz`: the process is up. `/readyz`: the database answers (else 503), with each
//! upstream summarised (an upstream outage does not take the console out of the pool).
//!
//! `/readyz` is public, so it answers from a snapshot at most 10 s old (one round of probes
//! however often it is asked: no amplification towards the upstreams) and says only each
//! check's status — no URLs, no error text (those go to the log and to `server doctor`).

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

/// The last readiness snapshot and when it was taken.
#[derive(Default)]
pub struct Readiness {
    last: tokio::sync::Mutex<Option<(std::time::Instant, StatusCode, serde_json::Value)>>,
}

/// How long a readiness snapshot is served.
const READINESS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

async fn readyz(State(state): State<AppState>) -> Response {
    // Callers queue on the lock while one takes the snapshot, then share it.
    let mut last = state.readiness.last.lock().await;
    if let Some((at, status, body)) = last.as_ref() {
        if at.elapsed() < READINESS_TTL {
            return (*status, Json(body.clone())).into_response();
        }
    }
    let (status, body) = probe(&state).await;
    *last = Some((std::time::Instant::now(), status, body.clone()));
    (status, Json(body)).into_response()
}

async fn probe(state: &AppState) -> (StatusCode, serde_json::Value) {
    let db = health::database(&state.platform.db).await;
    let mut upstreams = serde_json::Map::new();
    for probe in state.probes.iter() {
        let check = health::upstream(probe, std::time::Duration::from_secs(2)).await;
        if check.status == CheckStatus::Failed {
            tracing::warn!(upstream = %check.name, detail = %check.detail, "readiness: upstream failed");
        }
        upstreams.insert(check.name.clone(), json!({ "status": check.status }));
    }
    let ready = db.status == CheckStatus::Ok;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "database": { "status": db.status },
        "upstreams": upstreams,
        "sandbox": state.flags.sandbox,
    });
    if !ready {
        tracing::error!(detail = %db.detail, "readiness: the database does not answer");
    }
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body)
}

//! Fault injection: the next N requests whose path starts with a prefix fail with a status,
//! hang (the client's timeout fires), or are slowed down. Set through `POST /_sandbox/faults`.
//! A fault may be limited to one HTTP method (`"method": "DELETE"`, case-insensitive).
//! A failing status comes with the error body of the upstream the stand-in plays: OCIS's OData
//! error (`{"error":{"code","message","innererror"}}`), Stalwart's RFC 7807
//! `application/problem+json`, Authentik's DRF `{"detail"}`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Fault {
    /// Requests whose path starts with this are affected.
    pub path_prefix: String,
    /// How many requests: after that the fault is gone. 0 means every request until cleared.
    #[serde(default = "one")]
    pub count: u32,
    /// Answer with this status (and a JSON error body) instead of the real handler.
    #[serde(default)]
    pub status: Option<u16>,
    /// Wait this long before handling (or before failing).
    #[serde(default)]
    pub delay_ms: u64,
    /// Let this many matching requests through before the fault applies.
    #[serde(default)]
    pub skip: u32,
    /// Never answer (the client's timeout fires).
    #[serde(default)]
    pub timeout: bool,
    /// Only requests with this HTTP method (case-insensitive) are affected; any when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Let the request do its work first, then answer `status` instead of its answer: the
    /// answer is lost, as behind a gateway that gives up (502/504) after the upstream acted.
    #[serde(default)]
    pub after: bool,
}

fn one() -> u32 {
    1
}

/// Whose error bodies a stand-in answers faults with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorShape {
    /// Django REST Framework: `{"detail": …}` (Authentik).
    #[default]
    Drf,
    /// LibreGraph's OData error (OCIS).
    OData,
    /// RFC 7807 problem details (Stalwart).
    Problem,
}

#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Mutex<Vec<Fault>>>,
    shape: Arc<std::sync::RwLock<ErrorShape>>,
    /// When set, the control routes (`/_sandbox/…`) answer only requests that carry it in
    /// the `x-sandbox-token` header.
    control_token: Arc<std::sync::RwLock<Option<String>>>,
}

/// The header that carries the sandbox control token.
pub const CONTROL_TOKEN_HEADER: &str = "x-sandbox-token";

/// Whether a control request may pass: no token required, or the right one given.
pub fn control_allowed(required: Option<&str>, headers: &axum::http::HeaderMap) -> bool {
    match required {
        None => true,
        Some(token) => headers
            .get(CONTROL_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| given == token),
    }
}

/// The answer to a control request without the token.
pub fn control_refused() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(serde_json::json!({ "detail": "the sandbox control token is required (x-sandbox-token, printed at start)" })),
    )
        .into_response()
}

impl Faults {
    /// The faults; a lock poisoned by a panicking request is taken over as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Fault>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The error bodies faults are answered with.
    pub fn set_shape(&self, shape: ErrorShape) {
        *self.shape.write().unwrap_or_else(|e| e.into_inner()) = shape;
    }

    fn shape(&self) -> ErrorShape {
        *self.shape.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Requires `token` on the control routes from now on.
    pub fn require_token(&self, token: &str) {
        *self
            .control_token
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(token.to_string());
    }

    fn token(&self) -> Option<String> {
        self.control_token
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn add(&self, fault: Fault) {
        self.lock().push(fault);
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Takes the first fault matching `method` and `path`, counting it down.
    fn take(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = self.lock();
        let i = faults.iter().position(|f| {
            path.starts_with(&f.path_prefix)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.trim().eq_ignore_ascii_case(method))
        })?;
        if faults[i].skip > 0 {
            // Let this one through; the fault applies to a later request.
            faults[i].skip -= 1;
            return None;
        }
        let fault = faults[i].clone();
        if fault.count == 1 {
            faults.remove(i);
        } else if fault.count > 1 {
            faults[i].count -= 1;
        }
        Some(fault)
    }

    /// Serves a stand-in's routes with the fault routes and the fault layer added.
    pub(crate) fn serve(
        &self,
        listener: tokio::net::TcpListener,
        routes: Router,
        name: &'static str,
    ) {
        self.set_shape(match name {
            "ocis" => ErrorShape::OData,
            "stalwart" => ErrorShape::Problem,
            _ => ErrorShape::Drf,
        });
        let router = routes
            .merge(self.routes())
            .layer(axum::middleware::from_fn_with_state(self.clone(), inject));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "{name} sandbox stopped");
            }
        });
    }

    /// Control routes: `POST /_sandbox/faults` adds one, `DELETE /_sandbox/faults` clears all.
    pub fn routes(&self) -> Router {
        Router::new()
            .route("/_sandbox/faults", post(add).delete(clear))
            .with_state(self.clone())
    }
}

async fn add(State(faults): State<Faults>, Json(fault): Json<Fault>) -> StatusCode {
    faults.add(fault);
    StatusCode::NO_CONTENT
}

async fn clear(State(faults): State<Faults>) -> StatusCode {
    faults.clear();
    StatusCode::NO_CONTENT
}

/// Middleware applying the faults to every non-control request.
pub async fn inject(State(faults): State<Faults>, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if path.starts_with("/_sandbox/") {
        if !control_allowed(faults.token().as_deref(), req.headers()) {
            return control_refused();
        }
        return next.run(req).await;
    }
    let Some(fault) = faults.take(req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    if fault.timeout {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if fault.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
    }
    let status = fault.status.and_then(|s| StatusCode::from_u16(s).ok());
    if fault.after {
        let done = next.run(req).await;
        return match status {
            Some(status) => fault_answer(faults.shape(), status),
            None => done,
        };
    }
    match status {
        Some(status) => fault_answer(faults.shape(), status),
        None => next.run(req).await,
    }
}

/// The answer of an injected failure, in the upstream's own error shape.
pub fn fault_answer(shape: ErrorShape, status: StatusCode) -> Response {
    let message = format!("sandbox fault injection: {status}");
    match shape {
        ErrorShape::Drf => (status, Json(serde_json::json!({ "detail": message }))).into_response(),
        // libregraph `errorcode` (services/graph/pkg/errorcode): the code by status.
        ErrorShape::OData => {
            let code = match status.as_u16() {
                400 => "invalidRequest",
                401 => "unauthenticated",
                403 => "accessDenied",
                404 => "itemNotFound",
                409 => "nameAlreadyExists",
                503 => "serviceNotAvailable",
                _ => "generalException",
            };
            (
                status,
                Json(serde_json::json!({ "error": {
                    "code": code,
                    "message": message,
                    "innererror": { "date": crate::clock::utc_seconds(crate::clock::now()), "request-id": uuid::Uuid::new_v4().to_string() },
                } })),
            )
                .into_response()
        }
        ErrorShape::Problem => (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
            Json(serde_json::json!({
                "type": "about:blank",
                "status": status.as_u16(),
                "title": status.canonical_reason().unwrap_or("Error"),
                "detail": message,
            })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: serde_json::Value) -> Fault {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn method_limits_the_fault() {
        let faults = Faults::default();
        faults.add(fault(
            serde_json::json!({ "path_prefix": "/api/", "method": "delete", "status": 500 }),
        ));
        assert!(faults.take("GET", "/api/x").is_none());
        assert!(faults.take("DELETE", "/api/x").is_some());
        assert!(
            faults.take("DELETE", "/api/x").is_none(),
            "count 1 is used up"
        );
    }

    #[test]
    fn no_method_matches_every_method() {
        let faults = Faults::default();
        faults.add(fault(
            serde_json::json!({ "path_prefix": "/x", "count": 2, "status": 503 }),
        ));
        assert!(faults.take("POST", "/x/y").is_some());
        assert!(faults.take("GET", "/x").is_some());
        assert!(faults.take("GET", "/x").is_none());
    }
}

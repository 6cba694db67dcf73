//! ownCloud Infinite Scale stand-in: the LibreGraph group API per
//! `shared/reference/ocis.md` §1 and §6 — strict JSON bodies (unknown fields are 400
//! `invalidRequest`), OData error bodies, `{"value": […]}` lists (an empty list may come back
//! as `{}`), 409 `nameAlreadyExists` for a duplicate group, and lookups by a non-UUID that
//! do not find groups by name (store the id). Authentication: Basic with the service user's
//! app token; anything else is 401 with no body, as at the OCIS proxy.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::Faults;

#[derive(Clone, Debug)]
pub struct OcisGroup {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
}

struct State_ {
    user: String,
    token: String,
    groups: Vec<OcisGroup>,
}

#[derive(Clone)]
pub struct OcisSandbox {
    state: Arc<Mutex<State_>>,
    pub faults: Faults,
}

impl OcisSandbox {
    pub async fn start(
        addr: SocketAddr,
        user: String,
        token: String,
    ) -> std::io::Result<(Self, String)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let sandbox = Self {
            state: Arc::new(Mutex::new(State_ {
                user,
                token,
                groups: Vec::new(),
            })),
            faults: Faults::default(),
        };
        let router = Router::new()
            .route("/graph/v1.0/groups", get(list).post(create))
            .route("/graph/v1.0/groups/{id}", get(read).delete(remove))
            .with_state(sandbox.clone());
        sandbox.faults.serve(listener, router, "ocis");
        Ok((sandbox, base))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().expect("ocis sandbox lock")
    }

    pub fn groups(&self) -> Vec<OcisGroup> {
        self.lock().groups.clone()
    }

    /// Deletes a group out of band (tests use it to make drift).
    pub fn remove_group(&self, id: &str) {
        self.lock().groups.retain(|g| g.id != id);
    }
}

fn odata_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(
            json!({ "error": { "code": code, "message": message, "innererror": {
            "date": time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
            "request-id": uuid::Uuid::new_v4().to_string() } } }),
        ),
    )
        .into_response()
}

fn authenticated(s: &OcisSandbox, headers: &HeaderMap) -> Option<Response> {
    let ok = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|creds| {
            let st = s.lock();
            creds == format!("{}:{}", st.user, st.token)
        });
    (!ok).then(|| {
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                "Bearer realm=\"\", Basic realm=\"\"",
            )],
        )
            .into_response()
    })
}

fn group_json(g: &OcisGroup) -> Value {
    let mut v = json!({ "id": g.id, "displayName": g.display_name });
    if let Some(d) = &g.description {
        v["description"] = json!(d);
    }
    v
}

async fn list(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let search = q.get("$search").map(|v| v.trim_matches('"').to_lowercase());
    let value: Vec<Value> = s
        .groups()
        .iter()
        .filter(|g| {
            search
                .as_ref()
                .is_none_or(|t| g.display_name.to_lowercase().contains(t))
        })
        .map(group_json)
        .collect();
    if value.is_empty() {
        // `omitempty` on `value`: an empty list comes back as an empty object.
        return Json(json!({})).into_response();
    }
    Json(json!({ "value": value })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    description: Option<String>,
}

async fn create(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<CreateGroup>(&body) else {
        return odata_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "invalid body schema definition",
        );
    };
    let name = req.display_name.unwrap_or_default().trim().to_string();
    if name.is_empty() || name.chars().count() > 256 {
        return odata_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Missing Required Attribute",
        );
    }
    let mut st = s.lock();
    if st.groups.iter().any(|g| g.display_name == name) {
        return odata_error(
            StatusCode::CONFLICT,
            "nameAlreadyExists",
            "group already exists",
        );
    }
    let group = OcisGroup {
        id: uuid::Uuid::new_v4().to_string(),
        display_name: name,
        description: req.description,
    };
    st.groups.push(group.clone());
    (StatusCode::CREATED, Json(group_json(&group))).into_response()
}

async fn read(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    // A non-UUID is looked up among user names, never group names (v7.0.0 behaviour).
    match s.groups().iter().find(|g| g.id == id) {
        Some(g) => Json(group_json(g)).into_response(),
        None => odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found"),
    }
}

async fn remove(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let before = st.groups.len();
    st.groups.retain(|g| g.id != id);
    if st.groups.len() == before {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    }
    StatusCode::NO_CONTENT.into_response()
}

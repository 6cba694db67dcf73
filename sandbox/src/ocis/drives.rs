//! Personal drives (`shared/reference/ocis.md` §5, §8, §9): OCIS creates a user's personal
//! drive (space) at the user's first authenticated request at the proxy, not when the user
//! is created — the sandbox control `POST /_sandbox/ocis/users/{username}/first-sign-in`
//! stands in for that request — and purges it when the user is deleted (§4.5).
//!
//! The Graph side (§5.1–5.7, `services/graph/pkg/service/v0/drives.go@v7.0.0`):
//! - `GET /graph/v1.0/drives` (every drive: the service user is an Admin) and
//!   `/graph/v1.0/me/drives` (the caller's own: none here) take `$filter` with exactly one
//!   `eq` on `driveType` or `id` (`and`/`or` are 501 `notSupported`; an `eq` on anything
//!   else is ignored) and `$orderby` `name` or `lastModifiedDateTime`;
//! - `GET /graph/v1.0/drives/{id}`: 404 `itemNotFound` "drive not found";
//! - `PATCH /graph/v1.0/drives/{id}`: `name`, `description`, `driveAlias`, `quota.total`
//!   (strict body; a negative total is 400);
//! - each drive's quota is live: `used`, `total` (0: no limit), `remaining` (the free disk
//!   when there is no limit) and `state` (`normal` ≤ 75 %, `nearing` ≤ 90 %, `critical`
//!   ≤ 99 %, else `exceeded`; `calculateQuotaState`).
//!
//! Tests set a drive's used bytes with [`OcisSandbox::set_drive_used`].

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::{authenticated, odata_error, OcisSandbox, State_};

/// The storage provider id before the `$` of every drive id.
const STORAGE_PROVIDER: &str = "1284d238-aa92-42ce-bdc4-0b0000009157";
/// Free disk space reported as `remaining` of a drive without a limit.
const FREE_DISK: u64 = 1 << 40;

/// A personal drive (space), created at the owner's first sign-in.
#[derive(Clone, Debug)]
pub(super) struct PersonalDrive {
    id: String,
    pub(super) owner: String,
    /// Bytes used.
    used: u64,
    /// The quota in bytes; 0: no limit.
    total: u64,
    name: Option<String>,
    description: Option<String>,
    alias: Option<String>,
}

impl OcisSandbox {
    pub fn has_personal_drive(&self, username: &str) -> bool {
        let st = self.lock();
        st.find_user(username)
            .is_some_and(|i| st.drives.iter().any(|d| d.owner == st.users[i].id))
    }

    /// The id of a user's personal drive, once it exists.
    pub fn personal_drive_id(&self, username: &str) -> Option<String> {
        let st = self.lock();
        let owner = &st.users[st.find_user(username)?].id;
        st.drives
            .iter()
            .find(|d| &d.owner == owner)
            .map(|d| d.id.clone())
    }

    /// What the proxy does on a user's first authenticated request: creates the personal
    /// drive (once). False for an unknown or disabled user (the proxy answers 401).
    pub fn first_sign_in(&self, username: &str) -> bool {
        let mut st = self.lock();
        let Some(i) = st.find_user(username) else {
            return false;
        };
        if !st.users[i].account_enabled {
            return false;
        }
        let owner = st.users[i].id.clone();
        if !st.drives.iter().any(|d| d.owner == owner) {
            st.drives.push(PersonalDrive {
                id: format!("{STORAGE_PROVIDER}${owner}"),
                owner,
                used: 0,
                total: 0,
                name: None,
                description: None,
                alias: None,
            });
        }
        true
    }

    /// Sets the bytes a user's personal drive holds (what uploads would do); false when the
    /// user has no drive.
    pub fn set_drive_used(&self, username: &str, bytes: u64) -> bool {
        let mut st = self.lock();
        let Some(i) = st.find_user(username) else {
            return false;
        };
        let owner = st.users[i].id.clone();
        match st.drives.iter_mut().find(|d| d.owner == owner) {
            Some(d) => {
                d.used = bytes;
                true
            }
            None => false,
        }
    }

    /// The quota `total` of a user's personal drive (0: no limit).
    pub fn drive_total(&self, username: &str) -> Option<u64> {
        let st = self.lock();
        let owner = &st.users[st.find_user(username)?].id;
        st.drives
            .iter()
            .find(|d| &d.owner == owner)
            .map(|d| d.total)
    }
}

/// `calculateQuotaState`: the share of `total` used.
fn quota_state(used: u64, total: u64) -> &'static str {
    if total == 0 {
        return "normal";
    }
    let pct = used as f64 / total as f64 * 100.0;
    match pct {
        p if p <= 75.0 => "normal",
        p if p <= 90.0 => "nearing",
        p if p <= 99.0 => "critical",
        _ => "exceeded",
    }
}

fn drive_json(st: &State_, d: &PersonalDrive) -> Value {
    let user = st.users.iter().find(|u| u.id == d.owner);
    let username = user.map(|u| u.username.clone()).unwrap_or_default();
    let remaining = if d.total == 0 {
        FREE_DISK.saturating_sub(d.used)
    } else {
        d.total.saturating_sub(d.used)
    };
    json!({
        "id": d.id,
        "driveType": "personal",
        "driveAlias": d.alias.clone().unwrap_or_else(|| format!("personal/{username}")),
        "name": d.name.clone().unwrap_or_else(|| user.map(|u| u.display_name.clone()).unwrap_or_default()),
        "description": d.description,
        "owner": { "user": { "id": d.owner, "displayName": "" } },
        "quota": { "used": d.used, "total": d.total, "remaining": remaining,
                   "state": quota_state(d.used, d.total) },
        "root": { "id": d.id, "webDavUrl": format!("https://ocis.sandbox/dav/spaces/{}", d.id) },
        "webUrl": format!("https://ocis.sandbox/f/{}", d.id),
    })
}

/// An OData error: status, code, message.
type ODataError = (StatusCode, &'static str, &'static str);

/// The one `eq` a `$filter` may hold: (property, value), or the OData error.
fn parse_filter(filter: &str) -> Result<(String, String), ODataError> {
    let words: Vec<&str> = filter.split_whitespace().collect();
    if words
        .iter()
        .any(|w| w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"))
    {
        return Err((
            StatusCode::NOT_IMPLEMENTED,
            "notSupported",
            "unsupported filter operand",
        ));
    }
    match words.as_slice() {
        [prop, op, value] if op.eq_ignore_ascii_case("eq") => {
            Ok((prop.to_string(), value.trim_matches('\'').to_string()))
        }
        _ => Err((
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Query option '$filter' was specified more than once or is invalid",
        )),
    }
}

fn list(s: &OcisSandbox, q: &std::collections::HashMap<String, String>, mine: bool) -> Response {
    let filter = match q.get("$filter").map(|f| parse_filter(f)).transpose() {
        Ok(f) => f,
        Err((status, code, message)) => return odata_error(status, code, message),
    };
    let st = s.lock();
    let mut drives: Vec<&PersonalDrive> = st
        .drives
        .iter()
        // The service user has no personal drive: its own drives are none.
        .filter(|_| !mine)
        .filter(|d| match &filter {
            Some((p, v)) if p == "driveType" => v == "personal",
            Some((p, v)) if p == "id" => &d.id == v,
            _ => true,
        })
        .collect();
    match q.get("$orderby").map(String::as_str) {
        None => {}
        Some(o) if o.starts_with("name") => {
            let name = |d: &PersonalDrive| {
                drive_json(&st, d)["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_lowercase()
            };
            drives.sort_by_key(|d| name(d));
            if o.ends_with("desc") {
                drives.reverse();
            }
        }
        Some(o) if o.starts_with("lastModifiedDateTime") => {}
        Some(_) => {
            return odata_error(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                "unsupported orderby property",
            )
        }
    }
    let value: Vec<Value> = drives.into_iter().map(|d| drive_json(&st, d)).collect();
    Json(json!({ "value": value })).into_response()
}

/// `GET /graph/v1.0/drives` (every drive) and `GET /graph/v1.0/me/drives` (the caller's).
pub(super) async fn list_drives(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    list(&s, &q, uri.path().starts_with("/graph/v1.0/me/"))
}

fn not_found() -> Response {
    odata_error(StatusCode::NOT_FOUND, "itemNotFound", "drive not found")
}

/// `GET /graph/v1.0/drives/{id}`.
pub(super) async fn read(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let st = s.lock();
    match st.drives.iter().find(|d| d.id == id) {
        Some(d) => Json(drive_json(&st, d)).into_response(),
        None => not_found(),
    }
}

/// `PATCH /graph/v1.0/drives/{id}`: name, description, alias, `quota.total`.
pub(super) async fn patch(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let bad = |m: &str| odata_error(StatusCode::BAD_REQUEST, "invalidRequest", m);
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(&body) else {
        return bad("invalid body schema definition");
    };
    let allowed = ["name", "description", "driveAlias", "quota"];
    if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
        return bad(&format!("unknown field \"{k}\""));
    }
    let total = match m.get("quota") {
        None => None,
        Some(Value::Object(q)) => match (q.get("total"), q.len()) {
            (Some(t), 1) => match t.as_u64() {
                Some(t) => Some(t),
                None => return bad("invalid quota"),
            },
            _ => return bad("invalid quota"),
        },
        Some(_) => return bad("invalid quota"),
    };
    let text = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(String::from);
    let mut st = s.lock();
    let Some(i) = st.drives.iter().position(|d| d.id == id) else {
        return not_found();
    };
    let d = &mut st.drives[i];
    if let Some(t) = total {
        d.total = t;
    }
    if let Some(n) = text(&m, "name") {
        d.name = Some(n);
    }
    if let Some(n) = text(&m, "description") {
        d.description = Some(n);
    }
    if let Some(n) = text(&m, "driveAlias") {
        d.alias = Some(n);
    }
    let d = st.drives[i].clone();
    Json(drive_json(&st, &d)).into_response()
}

/// Sandbox control: the user's first authenticated request at the proxy (creates the
/// personal drive). 204, or 404 for an unknown or disabled user.
pub(super) async fn control_first_sign_in(
    State(s): State<OcisSandbox>,
    Path(username): Path<String>,
) -> StatusCode {
    if s.first_sign_in(&username) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

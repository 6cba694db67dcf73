//! The Authentik admin API (`/api/v3`) as far as Dezky uses it, per
//! `shared/reference/authentik.md` §1–5 and §8.2: bearer-token authentication (403
//! `{"detail": …}` otherwise), page-number pagination (`next`/`previous` are page numbers,
//! 0 when absent; page size capped at 100), exact filters with unknown parameters ignored,
//! DRF-style 400 field maps and 404 `{"detail": "Not found."}`.
//!
//! - Groups: list/create/get/delete, `add_user`/`remove_user`.
//! - Users (`/core/users/`): list with the `UsersFilter` filters, create, get, partial update,
//!   delete, `set_password`. Deactivation deletes the user's sessions and OAuth tokens.
//! - Authenticated sessions (`/core/authenticated_sessions/`): list (declared filters only:
//!   `user__username`, `session__last_ip`, `session__last_user_agent`, `search`; **`user` is
//!   not a filter**), get, delete (ends the browser session and its access tokens; refresh
//!   tokens survive).
//! - Refresh tokens (`/oauth2/refresh_tokens/`): list (filters `user`, `provider`), get,
//!   delete.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::authentik::{hex, AuthentikSandbox, State_, User};
use crate::clock;

#[derive(Clone, Debug)]
pub struct Group {
    pub pk: String,
    pub num_pk: i64,
    pub name: String,
    pub is_superuser: bool,
    pub attributes: Value,
    pub users: Vec<i64>,
}

impl Group {
    fn to_json(&self, include_users: bool) -> Value {
        json!({
            "pk": self.pk,
            "num_pk": self.num_pk,
            "name": self.name,
            "is_superuser": self.is_superuser,
            "parents": [],
            "parents_obj": null,
            "children": [],
            "children_obj": null,
            "users": self.users,
            "users_obj": if include_users { json!([]) } else { Value::Null },
            "attributes": self.attributes,
            "roles": [],
            "roles_obj": [],
            "inherited_roles_obj": [],
        })
    }
}

pub(crate) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route("/api/v3/core/groups/", get(list_groups).post(create_group))
        .route(
            "/api/v3/core/groups/{pk}/",
            get(get_group).delete(delete_group),
        )
        .route("/api/v3/core/groups/{pk}/add_user/", post(add_user))
        .route("/api/v3/core/groups/{pk}/remove_user/", post(remove_user))
        .route("/api/v3/core/users/", get(list_users).post(create_user))
        .route(
            "/api/v3/core/users/{pk}/",
            get(get_user).patch(patch_user).delete(delete_user),
        )
        .route("/api/v3/core/users/{pk}/set_password/", post(set_password))
        .route("/api/v3/core/authenticated_sessions/", get(list_sessions))
        .route(
            "/api/v3/core/authenticated_sessions/{uuid}/",
            get(get_session).delete(delete_session),
        )
        .route("/api/v3/oauth2/refresh_tokens/", get(list_refresh_tokens))
        .route(
            "/api/v3/oauth2/refresh_tokens/{id}/",
            get(get_refresh_token).delete(delete_refresh_token),
        )
        .with_state(sandbox)
}

fn forbidden(detail: &str) -> Response {
    (StatusCode::FORBIDDEN, Json(json!({ "detail": detail }))).into_response()
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "detail": "Not found." })),
    )
        .into_response()
}

/// `Authorization: Bearer <admin token>`; anything else is 403 like the real API (the
/// refusal is returned).
fn authorize(s: &AuthentikSandbox, headers: &HeaderMap) -> Option<Response> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(token) = value.strip_prefix("Bearer ") else {
        return Some(forbidden(if value.is_empty() {
            "Authentication credentials were not provided."
        } else {
            "Unsupported authentication type"
        }));
    };
    (!s.admin_token_matches(token.trim())).then(|| forbidden("Token invalid/expired"))
}

/// Paginates like `authentik/api/pagination.py`.
pub(crate) fn paginate(items: Vec<Value>, query: &HashMap<String, String>) -> Value {
    let page_size = query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20)
        .min(100);
    let count = items.len();
    let total_pages = count.div_ceil(page_size).max(1);
    let current = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    let start = (current - 1) * page_size;
    let results: Vec<Value> = items.into_iter().skip(start).take(page_size).collect();
    let next = if current < total_pages {
        current + 1
    } else {
        0
    };
    let previous = current.saturating_sub(1);
    json!({
        "pagination": {
            "next": next, "previous": previous, "count": count, "current": current,
            "total_pages": total_pages,
            "start_index": if results.is_empty() { 0 } else { start + 1 },
            "end_index": start + results.len(),
        },
        "results": results,
        "autocomplete": {},
    })
}

async fn list_groups(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let include_users = q.get("include_users").map(|v| v != "false").unwrap_or(true);
    let groups = s.groups();
    let items = groups
        .iter()
        // Declared exact filter; unknown parameters are ignored, as upstream.
        .filter(|g| q.get("name").is_none_or(|n| &g.name == n))
        .map(|g| g.to_json(include_users))
        .collect();
    Json(paginate(items, &q)).into_response()
}

#[derive(Deserialize)]
struct GroupRequest {
    name: Option<String>,
    #[serde(default)]
    is_superuser: bool,
    #[serde(default)]
    attributes: Option<Value>,
    #[serde(default)]
    users: Vec<i64>,
}

async fn create_group(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Json(body): Json<GroupRequest>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let name = body.name.unwrap_or_default();
    if name.trim().is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "name": ["This field is required."] })),
        )
            .into_response();
    }
    match s.insert_group(
        name,
        body.is_superuser,
        body.attributes.unwrap_or_else(|| json!({})),
        body.users,
    ) {
        Ok(g) => (StatusCode::CREATED, Json(g.to_json(true))).into_response(),
        Err(()) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "name": ["Group with this name already exists."] })),
        )
            .into_response(),
    }
}

async fn get_group(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    match s.groups().into_iter().find(|g| g.pk == pk) {
        Some(g) => Json(g.to_json(true)).into_response(),
        None => not_found(),
    }
}

async fn delete_group(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    if s.remove_group(&pk) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_are_numbered_and_zero_means_none() {
        let items: Vec<Value> = (0..45).map(|i| json!(i)).collect();
        let p1 = paginate(items.clone(), &q(&[]));
        assert_eq!(p1["pagination"]["next"], 2);
        assert_eq!(p1["pagination"]["previous"], 0);
        assert_eq!(p1["results"].as_array().unwrap().len(), 20);
        let p3 = paginate(items.clone(), &q(&[("page", "3")]));
        assert_eq!(p3["pagination"]["next"], 0);
        assert_eq!(p3["results"].as_array().unwrap().len(), 5);
        let capped = paginate(
            (0..250).map(|i| json!(i)).collect(),
            &q(&[("page_size", "500")]),
        );
        assert_eq!(capped["results"].as_array().unwrap().len(), 100);
    }
}

#[derive(Deserialize)]
struct UserAccountRequest {
    pk: Option<i64>,
}

async fn add_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    Json(body): Json<UserAccountRequest>,
) -> Response {
    change_membership(s, headers, pk, body, true)
}

async fn remove_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    Json(body): Json<UserAccountRequest>,
) -> Response {
    change_membership(s, headers, pk, body, false)
}

/// `add_user` / `remove_user`: 204 and idempotent; 404 for an unknown group or user.
fn change_membership(
    s: AuthentikSandbox,
    headers: HeaderMap,
    group: String,
    body: UserAccountRequest,
    add: bool,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let Some(user) = body.pk else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "pk": ["This field is required."] })),
        )
            .into_response();
    };
    if s.set_group_member(&group, user, add) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        not_found()
    }
}

// ---------------------------------------------------------------------------------------
// Request and query helpers shared by the users, sessions and refresh-token endpoints.

/// A DRF error map: field → messages.
type Errors = Map<String, Value>;

fn field_error(errors: &mut Errors, field: &str, message: impl Into<String>) {
    if let Value::Array(list) = errors.entry(field.to_string()).or_insert_with(|| json!([])) {
        list.push(json!(message.into()));
    }
}

fn bad_request(body: Value) -> Response {
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Python's name for a JSON value's type, as DRF messages print it.
fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A JSON body as DRF's `JSONParser` reads it: an empty body is an empty object, a
/// malformed one is (the body of) 400 `{"detail": "JSON parse error - …"}`.
fn json_body(body: &Bytes) -> Result<Map<String, Value>, Value> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(json!({ "non_field_errors": [format!(
            "Invalid data. Expected a dictionary, but got {}.",
            py_type(&other)
        )] })),
        Err(e) => Err(json!({ "detail": format!("JSON parse error - {e}") })),
    }
}

/// The query string as ordered pairs (filters like `type` and `groups_by_name` repeat).
struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    fn parse(raw: Option<String>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The value django-filter uses (the last one); empty values mean "no filter".
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn as_map(&self) -> HashMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

/// django-filter's `BooleanWidget`: anything else means "no filter".
fn filter_bool(v: Option<&str>) -> Option<bool> {
    match v?.to_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

fn parse_uuid(v: &str) -> Option<String> {
    uuid::Uuid::parse_str(v).ok().map(|u| u.to_string())
}

fn drf_pretty(v: &Value) -> String {
    // Python's json.dumps(indent=4).
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(v, &mut ser).expect("JSON values serialize");
    String::from_utf8(out).expect("JSON is UTF-8")
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

// ---------------------------------------------------------------------------------------
// Users (§4)

const USER_TYPES: &[&str] = &[
    "internal",
    "external",
    "service_account",
    "internal_service_account",
];

/// `User.uid`: SHA-256 of `<pk>-<install id>`, hex (the default OIDC `sub` upstream).
fn user_uid(st: &State_, pk: i64) -> String {
    hex(&Sha256::digest(
        format!("{pk}-{}", st.install_id).as_bytes(),
    ))
}

/// The initials avatar (authentik's fallback when gravatar is off).
fn avatar(u: &User) -> String {
    use base64::Engine;
    let source = if u.name.trim().is_empty() {
        &u.username
    } else {
        &u.name
    };
    let initials: String = source
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><rect width=\"100\" height=\"100\" fill=\"#ed8936\"/>\
         <text x=\"50\" y=\"50\" fill=\"#fff\" font-size=\"40\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text></svg>",
        initials.replace('&', "&amp;").replace('<', "&lt;")
    );
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// The `User` serializer.
pub(crate) fn user_json(st: &State_, u: &User, include_groups: bool, include_roles: bool) -> Value {
    let groups: Vec<&Group> = st
        .groups
        .iter()
        .filter(|g| g.users.contains(&u.pk))
        .collect();
    json!({
        "pk": u.pk,
        "username": u.username,
        "name": u.name,
        "is_active": u.is_active,
        "last_login": u.last_login.map(clock::drf),
        "date_joined": clock::drf(u.date_joined),
        "is_superuser": groups.iter().any(|g| g.is_superuser),
        "groups": groups.iter().map(|g| g.pk.clone()).collect::<Vec<_>>(),
        "groups_obj": if include_groups {
            json!(groups.iter().map(|g| json!({
                "pk": g.pk, "num_pk": g.num_pk, "name": g.name,
                "is_superuser": g.is_superuser, "attributes": g.attributes,
            })).collect::<Vec<_>>())
        } else {
            Value::Null
        },
        "roles": [],
        "roles_obj": if include_roles { json!([]) } else { Value::Null },
        "email": u.email,
        "avatar": avatar(u),
        "attributes": u.attributes,
        "uid": user_uid(st, u.pk),
        "path": u.path,
        "type": u.user_type,
        "uuid": u.uuid,
        "password_change_date": clock::drf(u.password_change_date),
        "last_updated": clock::drf(u.last_updated),
    })
}

/// A DRF `CharField` (whitespace trimmed); `None` when absent or invalid (error recorded).
fn char_field(
    errors: &mut Errors,
    data: &Map<String, Value>,
    field: &str,
    required: bool,
    allow_blank: bool,
    max: Option<usize>,
) -> Option<String> {
    let value = match data.get(field) {
        None => {
            if required {
                field_error(errors, field, "This field is required.");
            }
            return None;
        }
        Some(Value::Null) => {
            field_error(errors, field, "This field may not be null.");
            return None;
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            field_error(errors, field, "Not a valid string.");
            return None;
        }
    };
    if value.is_empty() && !allow_blank {
        field_error(errors, field, "This field may not be blank.");
        return None;
    }
    if let Some(max) = max {
        if value.chars().count() > max {
            field_error(
                errors,
                field,
                format!("Ensure this field has no more than {max} characters."),
            );
            return None;
        }
    }
    Some(value)
}

/// A DRF `BooleanField`.
fn bool_field(errors: &mut Errors, data: &Map<String, Value>, field: &str) -> Option<bool> {
    let v = data.get(field)?;
    let parsed = match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.as_str() {
            "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on"
            | "On" | "ON" | "1" => Some(true),
            "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off"
            | "Off" | "OFF" | "0" => Some(false),
            _ => None,
        },
        Value::Null => {
            field_error(errors, field, "This field may not be null.");
            return None;
        }
        _ => None,
    };
    if parsed.is_none() {
        field_error(errors, field, "Must be a valid boolean.");
    }
    parsed
}

/// Django's `EmailValidator`, roughly: one `@`, a non-empty local part, a dotted domain
/// (or `localhost`), no whitespace.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && !email.chars().any(char::is_whitespace)
        && (domain == "localhost"
            || (domain.contains('.') && domain.split('.').all(|l| !l.is_empty())))
}

/// A many `PrimaryKeyRelatedField` to groups (or roles, of which the sandbox has none):
/// the resolved group uuids, or the first item's error.
fn related_uuids(
    errors: &mut Errors,
    data: &Map<String, Value>,
    field: &str,
    known: &[String],
) -> Option<Vec<String>> {
    let v = data.get(field)?;
    let Value::Array(items) = v else {
        if v.is_null() {
            field_error(errors, field, "This field may not be null.");
        } else {
            field_error(
                errors,
                field,
                format!("Expected a list of items but got type \"{}\".", py_type(v)),
            );
        }
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        let Value::String(raw) = item else {
            field_error(
                errors,
                field,
                format!(
                    "Incorrect type. Expected pk value, received {}.",
                    py_type(item)
                ),
            );
            return None;
        };
        let Some(id) = parse_uuid(raw) else {
            field_error(errors, field, format!("“{raw}” is not a valid UUID."));
            return None;
        };
        if !known.contains(&id) {
            field_error(
                errors,
                field,
                format!("Invalid pk \"{raw}\" - object does not exist."),
            );
            return None;
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

/// The writable fields of `UserRequest` / `PatchedUserRequest`, validated.
#[derive(Default)]
struct UserInput {
    username: Option<String>,
    name: Option<String>,
    email: Option<String>,
    is_active: Option<bool>,
    groups: Option<Vec<String>>,
    path: Option<String>,
    user_type: Option<String>,
    attributes: Option<Value>,
}

fn validate_user(
    st: &State_,
    data: &Map<String, Value>,
    partial: bool,
    this: Option<i64>,
) -> Result<UserInput, Errors> {
    let mut errors = Errors::new();
    let mut input = UserInput {
        username: char_field(&mut errors, data, "username", !partial, false, Some(150)),
        name: char_field(&mut errors, data, "name", !partial, true, None),
        email: char_field(&mut errors, data, "email", false, true, Some(254)),
        is_active: bool_field(&mut errors, data, "is_active"),
        ..UserInput::default()
    };
    if let Some(username) = &input.username {
        if st
            .users
            .iter()
            .any(|u| &u.username == username && Some(u.pk) != this)
        {
            field_error(&mut errors, "username", "This field must be unique.");
        }
    }
    if let Some(email) = &input.email {
        if !email.is_empty() && !valid_email(email) {
            field_error(&mut errors, "email", "Enter a valid email address.");
        }
    }
    let group_ids: Vec<String> = st.groups.iter().map(|g| g.pk.clone()).collect();
    input.groups = related_uuids(&mut errors, data, "groups", &group_ids);
    related_uuids(&mut errors, data, "roles", &[]);
    input.path = char_field(&mut errors, data, "path", false, false, None);
    if let Some(path) = &input.path {
        if path.starts_with('/') || path.ends_with('/') {
            field_error(
                &mut errors,
                "path",
                "No leading or trailing slashes allowed.",
            );
        } else if path.split('/').any(str::is_empty) {
            field_error(
                &mut errors,
                "path",
                "No empty segments in user path allowed.",
            );
        }
    }
    if let Some(v) = data.get("type") {
        match v.as_str() {
            Some(t) if USER_TYPES.contains(&t) => {
                let current = this
                    .and_then(|pk| st.users.iter().find(|u| u.pk == pk))
                    .map(|u| u.user_type.as_str());
                if current == Some("internal_service_account") && t != "internal_service_account" {
                    field_error(
                        &mut errors,
                        "type",
                        "Can't change internal service account to other user type.",
                    );
                } else if this.is_none() && t == "internal_service_account" {
                    field_error(
                        &mut errors,
                        "type",
                        "Setting a user to internal service account is not allowed.",
                    );
                } else {
                    input.user_type = Some(t.to_string());
                }
            }
            _ => {
                let shown = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                field_error(
                    &mut errors,
                    "type",
                    format!("\"{shown}\" is not a valid choice."),
                );
            }
        }
    }
    if let Some(v) = data.get("attributes") {
        match v {
            Value::Object(_) => input.attributes = Some(v.clone()),
            Value::Null => field_error(&mut errors, "attributes", "This field may not be null."),
            _ => field_error(
                &mut errors,
                "attributes",
                "Value must be a dictionary, and not have any duplicate keys.",
            ),
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// Replaces a user's group memberships as a whole (what `groups` in a PATCH does).
fn set_user_groups(st: &mut State_, pk: i64, groups: &[String]) {
    for g in st.groups.iter_mut() {
        let member = groups.contains(&g.pk);
        let is = g.users.contains(&pk);
        if member && !is {
            g.users.push(pk);
        } else if !member && is {
            g.users.retain(|u| *u != pk);
        }
    }
}

fn user_pk_param(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

async fn list_users(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let mut errors = Errors::new();
    let uuid = match q.get("uuid") {
        Some(v) => match parse_uuid(v) {
            Some(u) => Some(u),
            None => {
                field_error(&mut errors, "uuid", "Enter a valid UUID.");
                None
            }
        },
        None => None,
    };
    let types = q.all("type");
    for t in &types {
        if !USER_TYPES.contains(t) {
            field_error(
                &mut errors,
                "type",
                format!("Select a valid choice. {t} is not one of the available choices."),
            );
        }
    }
    let mut groups_by_pk = Vec::new();
    for v in q.all("groups_by_pk") {
        match parse_uuid(v) {
            Some(id) if st.groups.iter().any(|g| g.pk == id) => groups_by_pk.push(id),
            Some(_) => field_error(
                &mut errors,
                "groups_by_pk",
                format!("Select a valid choice. {v} is not one of the available choices."),
            ),
            None => field_error(
                &mut errors,
                "groups_by_pk",
                format!("“{v}” is not a valid value."),
            ),
        }
    }
    let groups_by_name = q.all("groups_by_name");
    for v in &groups_by_name {
        if !st.groups.iter().any(|g| &g.name == v) {
            field_error(
                &mut errors,
                "groups_by_name",
                format!("Select a valid choice. {v} is not one of the available choices."),
            );
        }
    }
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    // `attributes`: a JSON object of exact matches; errors are a bare JSON array upstream.
    let attributes = match q.get("attributes") {
        Some(v) => match serde_json::from_str::<Value>(v) {
            Ok(Value::Object(m)) => Some(m),
            Ok(_) => return bad_request(json!(["filter: value must be key:value mapping"])),
            Err(_) => return bad_request(json!(["filter: failed to parse JSON"])),
        },
        None => None,
    };
    let is_active = filter_bool(q.get("is_active"));
    let is_superuser = filter_bool(q.get("is_superuser"));
    let member_of = |u: &User, pred: &dyn Fn(&Group) -> bool| {
        st.groups.iter().any(|g| g.users.contains(&u.pk) && pred(g))
    };
    let search: Vec<String> = q
        .get("search")
        .map(|v| v.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let mut users: Vec<&User> = st
        .users
        .iter()
        .filter(|u| q.get("username").is_none_or(|v| u.username == v))
        .filter(|u| q.get("email").is_none_or(|v| u.email == v))
        .filter(|u| q.get("name").is_none_or(|v| u.name == v))
        .filter(|u| q.get("path").is_none_or(|v| u.path == v))
        .filter(|u| {
            q.get("path_startswith")
                .is_none_or(|v| u.path.starts_with(v))
        })
        .filter(|u| uuid.as_ref().is_none_or(|v| &u.uuid == v))
        .filter(|u| is_active.is_none_or(|v| u.is_active == v))
        .filter(|u| is_superuser.is_none_or(|v| member_of(u, &|g| g.is_superuser) == v))
        .filter(|u| types.is_empty() || types.contains(&u.user_type.as_str()))
        .filter(|u| groups_by_pk.is_empty() || member_of(u, &|g| groups_by_pk.contains(&g.pk)))
        .filter(|u| {
            groups_by_name.is_empty()
                || member_of(u, &|g| groups_by_name.contains(&g.name.as_str()))
        })
        .filter(|u| {
            attributes
                .as_ref()
                .is_none_or(|m| m.iter().all(|(k, v)| u.attributes.get(k) == Some(v)))
        })
        .filter(|u| {
            search.iter().all(|term| {
                [&u.username, &u.name, &u.email, &u.uuid]
                    .iter()
                    .any(|f| f.to_lowercase().contains(term))
            })
        })
        .collect();
    match q.get("ordering").unwrap_or("username") {
        "-username" => users.sort_by(|a, b| b.username.cmp(&a.username)),
        "pk" => users.sort_by_key(|u| u.pk),
        "-pk" => users.sort_by_key(|u| std::cmp::Reverse(u.pk)),
        "name" => users.sort_by(|a, b| a.name.cmp(&b.name)),
        "-name" => users.sort_by(|a, b| b.name.cmp(&a.name)),
        _ => users.sort_by(|a, b| a.username.cmp(&b.username)),
    }
    // authentik reads the flags as `str(value).lower() == "true"`.
    let flag = |k: &str| {
        q.0.iter()
            .rev()
            .find(|(key, _)| key == k)
            .is_none_or(|(_, v)| v.to_lowercase() == "true")
    };
    let (include_groups, include_roles) = (flag("include_groups"), flag("include_roles"));
    let items = users
        .iter()
        .map(|u| user_json(&st, u, include_groups, include_roles))
        .collect();
    Json(paginate(items, &q.as_map())).into_response()
}

async fn create_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
    };
    let mut st = s.lock();
    let input = match validate_user(&st, &data, false, None) {
        Ok(i) => i,
        Err(e) => return bad_request(Value::Object(e)),
    };
    let created = clock::now();
    let pk = st.next_user_pk;
    st.next_user_pk += 1;
    let user = User {
        pk,
        uuid: uuid::Uuid::new_v4().to_string(),
        username: input.username.unwrap_or_default(),
        email: input.email.unwrap_or_default(),
        name: input.name.unwrap_or_default(),
        password: None,
        is_active: input.is_active.unwrap_or(true),
        attributes: input.attributes.unwrap_or_else(|| json!({})),
        path: input.path.unwrap_or_else(|| "users".into()),
        user_type: input.user_type.unwrap_or_else(|| "internal".into()),
        date_joined: created,
        last_updated: created,
        password_change_date: created,
        last_login: None,
    };
    st.users.push(user.clone());
    set_user_groups(&mut st, pk, &input.groups.unwrap_or_default());
    (StatusCode::CREATED, Json(user_json(&st, &user, true, true))).into_response()
}

async fn get_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match user_pk_param(&pk).and_then(|pk| st.users.iter().find(|u| u.pk == pk)) {
        Some(u) => Json(user_json(&st, u, true, true)).into_response(),
        None => not_found(),
    }
}

async fn patch_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
    };
    let mut st = s.lock();
    let Some(i) = user_pk_param(&pk).and_then(|pk| st.users.iter().position(|u| u.pk == pk)) else {
        return not_found();
    };
    let pk = st.users[i].pk;
    let input = match validate_user(&st, &data, true, Some(pk)) {
        Ok(i) => i,
        Err(e) => return bad_request(Value::Object(e)),
    };
    let u = &mut st.users[i];
    let was_active = u.is_active;
    if let Some(v) = input.username {
        u.username = v;
    }
    if let Some(v) = input.name {
        u.name = v;
    }
    if let Some(v) = input.email {
        u.email = v;
    }
    if let Some(v) = input.is_active {
        u.is_active = v;
    }
    if let Some(v) = input.path {
        u.path = v;
    }
    if let Some(v) = input.user_type {
        u.user_type = v;
    }
    if let Some(v) = input.attributes {
        u.attributes = v;
    }
    u.last_updated = clock::now();
    let deactivated = was_active && !u.is_active;
    if let Some(groups) = input.groups {
        set_user_groups(&mut st, pk, &groups);
    }
    if deactivated {
        // §4.4: sessions, access and refresh tokens are deleted; re-activation restores nothing.
        st.purge_user_sessions_and_tokens(pk);
    }
    let user = st.users[i].clone();
    Json(user_json(&st, &user, true, true)).into_response()
}

async fn delete_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(pk) = user_pk_param(&pk).filter(|pk| st.users.iter().any(|u| u.pk == *pk)) else {
        return not_found();
    };
    st.users.retain(|u| u.pk != pk);
    st.purge_user_sessions_and_tokens(pk);
    for g in st.groups.iter_mut() {
        g.users.retain(|u| *u != pk);
    }
    StatusCode::NO_CONTENT.into_response()
}

/// The sandbox's password policy: fewer than 8 characters is rejected.
const MIN_PASSWORD_LENGTH: usize = 8;

async fn set_password(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
    };
    let mut st = s.lock();
    let Some(user) = user_pk_param(&pk).and_then(|pk| st.users.iter_mut().find(|u| u.pk == pk))
    else {
        return not_found();
    };
    let mut errors = Errors::new();
    let Some(password) = char_field(&mut errors, &data, "password", true, false, None) else {
        return bad_request(Value::Object(errors));
    };
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        // Upstream answers a rejected password with a bare 400 and no body.
        return StatusCode::BAD_REQUEST.into_response();
    }
    let changed = clock::now();
    user.password = Some(password);
    user.password_change_date = changed;
    user.last_updated = changed;
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------
// Authenticated sessions (§5)

/// A small user-agent parser for the `user_agent` object (ua-parser's shape).
fn parse_user_agent(ua: &str) -> Value {
    fn version_after(ua: &str, marker: &str) -> Vec<String> {
        ua.split_once(marker)
            .map(|(_, rest)| {
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .split(['.', '_'])
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
    let part = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let (family, version) = if ua.contains("Edg/") {
        ("Edge", version_after(ua, "Edg/"))
    } else if ua.contains("Firefox/") {
        ("Firefox", version_after(ua, "Firefox/"))
    } else if ua.contains("Chrome/") {
        ("Chrome", version_after(ua, "Chrome/"))
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        ("Safari", version_after(ua, "Version/"))
    } else if let Some((name, _)) = ua.split_once('/').filter(|_| !ua.starts_with("Mozilla")) {
        (name, version_after(ua, &format!("{name}/")))
    } else {
        ("Other", Vec::new())
    };
    let (os, os_version) = if ua.contains("Windows NT") {
        ("Windows", version_after(ua, "Windows NT "))
    } else if ua.contains("iPhone OS") {
        ("iOS", version_after(ua, "iPhone OS "))
    } else if ua.contains("Mac OS X") {
        ("Mac OS X", version_after(ua, "Mac OS X "))
    } else if ua.contains("Android") {
        ("Android", version_after(ua, "Android "))
    } else if ua.contains("Linux") {
        ("Linux", Vec::new())
    } else {
        ("Other", Vec::new())
    };
    let opt = |v: &[String], i: usize| v.get(i).cloned().map(Value::String).unwrap_or(Value::Null);
    let device = if ua.contains("iPhone") {
        json!({ "brand": "Apple", "family": "iPhone", "model": "iPhone" })
    } else if ua.contains("Macintosh") {
        json!({ "brand": "Apple", "family": "Mac", "model": "Mac" })
    } else {
        json!({ "brand": null, "family": "Other", "model": null })
    };
    json!({
        "device": device,
        "os": { "family": os, "major": opt(&os_version, 0), "minor": opt(&os_version, 1),
                "patch": opt(&os_version, 2), "patch_minor": opt(&os_version, 3) },
        "user_agent": { "family": family, "major": part(&version, 0), "minor": part(&version, 1),
                        "patch": part(&version, 2) },
        "string": ua,
    })
}

fn session_json(s: &crate::authentik::BrowserSession) -> Value {
    json!({
        "uuid": s.uuid,
        "current": false,
        "user_agent": parse_user_agent(&s.last_user_agent),
        "geo_ip": null,
        "asn": null,
        "user": s.user_pk,
        "last_ip": s.last_ip,
        "last_user_agent": s.last_user_agent,
        "last_used": clock::drf(s.last_used),
        "expires": clock::drf(s.expires),
    })
}

async fn list_sessions(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let now = clock::now();
    let username = |pk: i64| {
        st.users
            .iter()
            .find(|u| u.pk == pk)
            .map(|u| u.username.as_str())
            .unwrap_or_default()
    };
    // Declared filters only. `user` is NOT one: `?user=42` is ignored (django-filter), so it
    // returns every session of every user, as upstream.
    let by_username = q
        .get("user__username")
        .filter(|_| !st.ignore_session_user_filter);
    let search: Vec<String> = q
        .get("search")
        .map(|v| v.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let mut sessions: Vec<&crate::authentik::BrowserSession> = st
        .browser_sessions
        .values()
        .filter(|x| x.expires > now)
        .filter(|x| by_username.is_none_or(|v| username(x.user_pk) == v))
        .filter(|x| q.get("session__last_ip").is_none_or(|v| x.last_ip == v))
        .filter(|x| {
            q.get("session__last_user_agent")
                .is_none_or(|v| x.last_user_agent == v)
        })
        .filter(|x| {
            search.iter().all(|term| {
                [username(x.user_pk), &x.last_ip, &x.last_user_agent]
                    .iter()
                    .any(|f| f.to_lowercase().contains(term))
            })
        })
        .collect();
    sessions.sort_by(|a, b| {
        (username(a.user_pk), a.last_used, &a.uuid).cmp(&(
            username(b.user_pk),
            b.last_used,
            &b.uuid,
        ))
    });
    let items = sessions.into_iter().map(session_json).collect();
    Json(paginate(items, &q.as_map())).into_response()
}

fn session_key_by_uuid(st: &State_, uuid: &str) -> Option<String> {
    let uuid = parse_uuid(uuid)?;
    let now = clock::now();
    st.browser_sessions
        .iter()
        .find(|(_, s)| s.uuid == uuid && s.expires > now)
        .map(|(k, _)| k.clone())
}

async fn get_session(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match session_key_by_uuid(&st, &uuid).and_then(|k| st.browser_sessions.get(&k)) {
        Some(x) => Json(session_json(x)).into_response(),
        None => not_found(),
    }
}

async fn delete_session(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(key) = session_key_by_uuid(&st, &uuid) else {
        return not_found();
    };
    // §5.2: the session and its OAuth access tokens go; refresh tokens survive.
    st.end_browser_session(&key);
    StatusCode::NO_CONTENT.into_response()
}

// ---------------------------------------------------------------------------------------
// OAuth2 refresh tokens (§5.2, §8.2)

/// The provider of an OAuth client: pk is its 1-based position.
fn provider_json(st: &State_, client_id: &str) -> Value {
    let Some((i, c)) = st
        .clients
        .iter()
        .enumerate()
        .find(|(_, c)| c.client_id == client_id)
    else {
        return Value::Null;
    };
    json!({
        "pk": i + 1,
        "name": format!("Provider for {}", c.slug),
        "authentication_flow": null,
        "authorization_flow": "9c8a7b6e-1d2f-4a3b-8c5d-6e7f8a9b0c1d",
        "invalidation_flow": "0d1c2b3a-4f5e-4d6c-9b8a-7f6e5d4c3b2a",
        "property_mappings": [],
        "component": "ak-provider-oauth2-form",
        "assigned_application_slug": c.slug,
        "assigned_application_name": c.slug,
        "assigned_backchannel_application_slug": null,
        "assigned_backchannel_application_name": null,
        "verbose_name": "OAuth2/OpenID Provider",
        "verbose_name_plural": "OAuth2/OpenID Providers",
        "meta_model_name": "authentik_providers_oauth2.oauth2provider",
        "client_type": "confidential",
        "client_id": c.client_id,
        "redirect_uris": c.redirect_uris.iter().map(|u| json!({ "matching_mode": "strict", "url": u })).collect::<Vec<_>>(),
    })
}

fn refresh_token_json(st: &State_, r: &crate::authentik::RefreshToken) -> Value {
    let user = st
        .users
        .iter()
        .find(|u| u.pk == r.user_pk)
        .map(|u| user_json(st, u, true, true))
        .unwrap_or(Value::Null);
    json!({
        "pk": r.id,
        "provider": provider_json(st, &r.client_id),
        "user": user,
        "is_expired": r.expires <= OffsetDateTime::now_utc().unix_timestamp(),
        "expires": clock::drf(unix(r.expires)),
        "scope": r.scopes,
        "id_token": drf_pretty(&r.id_token),
        "revoked": r.revoked,
    })
}

fn provider_pk(st: &State_, client_id: &str) -> i64 {
    st.clients
        .iter()
        .position(|c| c.client_id == client_id)
        .map(|i| i as i64 + 1)
        .unwrap_or(0)
}

async fn list_refresh_tokens(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    // `filterset_fields = ["user", "provider"]`: model choice filters, so an unknown or
    // malformed pk is a 400, not an empty list.
    let mut errors = Errors::new();
    let choice = "Select a valid choice. That choice is not one of the available choices.";
    let user = q.get("user").and_then(|v| {
        let pk = v
            .parse::<i64>()
            .ok()
            .filter(|pk| st.users.iter().any(|u| u.pk == *pk));
        if pk.is_none() {
            field_error(&mut errors, "user", choice);
        }
        pk
    });
    let provider = q.get("provider").and_then(|v| {
        let pk = v
            .parse::<i64>()
            .ok()
            .filter(|pk| *pk >= 1 && (*pk as usize) <= st.clients.len());
        if pk.is_none() {
            field_error(&mut errors, "provider", choice);
        }
        pk
    });
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    let mut tokens: Vec<&crate::authentik::RefreshToken> = st
        .refresh_tokens
        .values()
        .filter(|r| user.is_none_or(|pk| r.user_pk == pk))
        .filter(|r| provider.is_none_or(|pk| provider_pk(&st, &r.client_id) == pk))
        .collect();
    // `ordering = ["provider", "expires"]`.
    tokens.sort_by_key(|r| (provider_pk(&st, &r.client_id), r.expires, r.id));
    let items = tokens
        .into_iter()
        .map(|r| refresh_token_json(&st, r))
        .collect();
    Json(paginate(items, &q.as_map())).into_response()
}

fn refresh_token_key(st: &State_, id: &str) -> Option<String> {
    let id: i64 = id.parse().ok()?;
    st.refresh_tokens
        .iter()
        .find(|(_, r)| r.id == id)
        .map(|(k, _)| k.clone())
}

async fn get_refresh_token(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match refresh_token_key(&st, &id).and_then(|k| st.refresh_tokens.get(&k)) {
        Some(r) => Json(refresh_token_json(&st, r)).into_response(),
        None => not_found(),
    }
}

async fn delete_refresh_token(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    match refresh_token_key(&st, &id) {
        Some(k) => {
            // Deleted, not revoked: the token endpoint no longer knows it (invalid_grant).
            st.refresh_tokens.remove(&k);
            StatusCode::NO_CONTENT.into_response()
        }
        None => not_found(),
    }
}

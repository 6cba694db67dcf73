//! ownCloud Infinite Scale stand-in: the LibreGraph user and group APIs per
//! `shared/reference/ocis.md` §1, §4, §6 and §8 — strict JSON bodies (unknown fields are 400
//! `invalidRequest`), OData error bodies, `{"value": […]}` lists (an empty list may come back
//! as `{}`), 409 `nameAlreadyExists` for a duplicate group or user name, and lookups by a
//! non-UUID that do not find groups by name (store the id). Authentication: Basic with the
//! service user's app token; anything else is 401 with no body, as at the OCIS proxy.
//!
//! Users (v7.0.0 behaviour): `GET /users/{id}` accepts the id or the user name and leaves
//! `mail` out; the list includes it, searches with `$search` and refuses `mail eq` /
//! `onPremisesSamAccountName eq` filters with 501. No personal drive exists until the user's
//! first authenticated request (`POST /_sandbox/ocis/users/{username}/first-sign-in`);
//! deleting a user purges it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
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

#[derive(Clone, Debug)]
struct OcisUser {
    id: String,
    username: String,
    display_name: String,
    mail: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    password: Option<String>,
    identities: Vec<Value>,
    account_enabled: bool,
    preferred_language: Option<String>,
}

/// A personal drive (space), created at the owner's first sign-in.
#[derive(Clone, Debug)]
struct PersonalDrive {
    id: String,
    owner: String,
}

struct State_ {
    user: String,
    token: String,
    groups: Vec<OcisGroup>,
    users: Vec<OcisUser>,
    drives: Vec<PersonalDrive>,
}

impl State_ {
    /// By id, or by user name (case-insensitive, as the LDAP lookup).
    fn find_user(&self, key: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.id == key || u.username.eq_ignore_ascii_case(key))
    }
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
                users: Vec::new(),
                drives: Vec::new(),
            })),
            faults: Faults::default(),
        };
        let router = Router::new()
            .route("/graph/v1.0/groups", get(list).post(create))
            .route("/graph/v1.0/groups/{id}", get(read).delete(remove))
            .route("/graph/v1.0/users", get(list_users).post(create_user))
            .route(
                "/graph/v1.0/users/{id}",
                get(read_user).patch(patch_user).delete(delete_user),
            )
            .route(
                "/_sandbox/ocis/users/{username}/first-sign-in",
                post(control_first_sign_in),
            )
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

    /// A user by user name (or id), as the list shows it (with `mail`).
    pub fn user(&self, username: &str) -> Option<Value> {
        let st = self.lock();
        st.find_user(username)
            .map(|i| user_json(&st.users[i], true))
    }

    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

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
                id: uuid::Uuid::new_v4().to_string(),
                owner,
            });
        }
        true
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

// ---------------------------------------------------------------------------------------
// Users (§4)

/// `mail` is left out by `GET /users/{id}` (v7.0.0 without `OCIS_SHOW_USER_EMAIL_IN_RESULTS`).
fn user_json(u: &OcisUser, with_mail: bool) -> Value {
    let mut v = json!({
        "id": u.id,
        "displayName": u.display_name,
        "onPremisesSamAccountName": u.username,
        "userType": "Member",
        "accountEnabled": u.account_enabled,
    });
    if with_mail {
        if let Some(m) = &u.mail {
            v["mail"] = json!(m);
        }
    }
    if let Some(g) = &u.given_name {
        v["givenName"] = json!(g);
    }
    if let Some(s) = &u.surname {
        v["surname"] = json!(s);
    }
    if let Some(l) = &u.preferred_language {
        v["preferredLanguage"] = json!(l);
    }
    if !u.identities.is_empty() {
        v["identities"] = json!(u.identities);
    }
    v
}

fn invalid(message: &str) -> Response {
    odata_error(StatusCode::BAD_REQUEST, "invalidRequest", message)
}

/// The default `GRAPH_USERNAME_MATCH` rule as the sandbox applies it: letters, digits and
/// `_ . @ + -`; never empty, never whitespace or `/`.
fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '@' | '+' | '-'))
}

fn valid_mail(mail: &str) -> bool {
    let mut parts = mail.split('@');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(local), Some(domain), None)
            if !local.is_empty() && !domain.is_empty() && !mail.chars().any(char::is_whitespace)
    )
}

/// The properties a client may write (create and update alike).
const WRITABLE: &[&str] = &[
    "displayName",
    "onPremisesSamAccountName",
    "mail",
    "givenName",
    "surname",
    "passwordProfile",
    "identities",
    "accountEnabled",
    "preferredLanguage",
];

/// A strict body: an object with writable keys only; read-only ones and unknown ones are
/// 400 `invalidRequest` (the message is returned).
fn strict_user_body(body: &[u8]) -> Result<serde_json::Map<String, Value>, &'static str> {
    let Ok(Value::Object(m)) = serde_json::from_slice::<Value>(body) else {
        return Err("invalid body schema definition");
    };
    for key in m.keys() {
        match key.as_str() {
            "id" => return Err("user id is a read-only attribute"),
            "memberOf" => return Err("memberOf is a read-only attribute"),
            "userType" => return Err("userType is a read-only attribute"),
            k if WRITABLE.contains(&k) => {}
            _ => return Err("invalid body schema definition"),
        }
    }
    Ok(m)
}

/// The fields of a body, type-checked (`None`: absent; wrong types are 400).
#[derive(Default)]
struct UserFields {
    display_name: Option<String>,
    username: Option<String>,
    mail: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    password: Option<String>,
    identities: Option<Vec<Value>>,
    account_enabled: Option<bool>,
    preferred_language: Option<String>,
}

fn user_fields(m: &serde_json::Map<String, Value>) -> Result<UserFields, &'static str> {
    let text = |k: &str| -> Result<Option<String>, &'static str> {
        match m.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err("invalid body schema definition"),
        }
    };
    let password = match m.get("passwordProfile") {
        None | Some(Value::Null) => None,
        Some(Value::Object(p)) => {
            if p.keys()
                .any(|k| k != "password" && k != "forceChangePasswordNextSignIn")
            {
                return Err("invalid body schema definition");
            }
            match p.get("password") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err("invalid body schema definition"),
            }
        }
        Some(_) => return Err("invalid body schema definition"),
    };
    let identities = match m.get("identities") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for i in items {
                let Value::Object(o) = i else {
                    return Err("invalid body schema definition");
                };
                if o.keys().any(|k| k != "issuer" && k != "issuerAssignedId")
                    || o.values().any(|v| !v.is_string())
                {
                    return Err("invalid body schema definition");
                }
                out.push(i.clone());
            }
            Some(out)
        }
        Some(_) => return Err("invalid body schema definition"),
    };
    let account_enabled = match m.get("accountEnabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err("invalid body schema definition"),
    };
    Ok(UserFields {
        display_name: text("displayName")?,
        username: text("onPremisesSamAccountName")?,
        mail: text("mail")?,
        given_name: text("givenName")?,
        surname: text("surname")?,
        password,
        identities,
        account_enabled,
        preferred_language: text("preferredLanguage")?,
    })
}

async fn create_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let f = match strict_user_body(&body).and_then(|m| user_fields(&m)) {
        Ok(f) => f,
        Err(message) => return invalid(message),
    };
    let display_name = f.display_name.unwrap_or_default();
    if display_name.trim().is_empty() {
        return invalid("Empty displayname");
    }
    let username = f.username.unwrap_or_default();
    if !valid_username(&username) {
        return invalid("Invalid username");
    }
    if let Some(mail) = &f.mail {
        if !valid_mail(mail) {
            return invalid("invalid email address");
        }
    }
    let mut st = s.lock();
    if st.find_user(&username).is_some() {
        return odata_error(
            StatusCode::CONFLICT,
            "nameAlreadyExists",
            "a user with that name already exists",
        );
    }
    let user = OcisUser {
        id: uuid::Uuid::new_v4().to_string(),
        username,
        display_name,
        mail: f.mail,
        given_name: f.given_name,
        surname: f.surname,
        password: f.password,
        identities: f.identities.unwrap_or_default(),
        account_enabled: f.account_enabled.unwrap_or(true),
        preferred_language: f.preferred_language,
    };
    st.users.push(user.clone());
    (StatusCode::CREATED, Json(user_json(&user, true))).into_response()
}

async fn read_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match st.find_user(&id) {
        Some(i) => Json(user_json(&st.users[i], false)).into_response(),
        None => odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found"),
    }
}

async fn list_users(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    if let Some(filter) = q.get("$filter") {
        let f = filter.to_lowercase();
        if f.contains("mail eq") || f.contains("onpremisessamaccountname eq") {
            return odata_error(
                StatusCode::NOT_IMPLEMENTED,
                "generalException",
                "unsupported filter",
            );
        }
    }
    let search = q
        .get("$search")
        .map(|v| v.trim().trim_matches('"').to_lowercase());
    let st = s.lock();
    let mut users: Vec<&OcisUser> = st
        .users
        .iter()
        .filter(|u| {
            search.as_ref().is_none_or(|t| {
                u.username.to_lowercase().contains(t)
                    || u.display_name.to_lowercase().contains(t)
                    || u.mail
                        .as_ref()
                        .is_some_and(|m| m.to_lowercase().contains(t))
            })
        })
        .collect();
    if let Some(order) = q.get("$orderby") {
        let mut parts = order.split_whitespace();
        let field = parts.next().unwrap_or_default();
        let desc = parts.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
        let key = |u: &OcisUser| match field {
            "displayName" => u.display_name.to_lowercase(),
            "mail" => u.mail.clone().unwrap_or_default().to_lowercase(),
            _ => u.username.to_lowercase(),
        };
        users.sort_by_key(|u| key(u));
        if desc {
            users.reverse();
        }
    }
    let value: Vec<Value> = users.iter().map(|u| user_json(u, true)).collect();
    if value.is_empty() {
        return Json(json!({})).into_response();
    }
    Json(json!({ "value": value })).into_response()
}

async fn patch_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let (m, f) = match strict_user_body(&body).and_then(|m| user_fields(&m).map(|f| (m, f))) {
        Ok(parsed) => parsed,
        Err(message) => return invalid(message),
    };
    let mut st = s.lock();
    let Some(i) = st.find_user(&id) else {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    };
    if m.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    if f.display_name.as_ref().is_some_and(|d| d.trim().is_empty()) {
        return invalid("Empty displayname");
    }
    if let Some(name) = &f.username {
        if !valid_username(name) {
            return invalid("Invalid username");
        }
        if st.find_user(name).is_some_and(|j| j != i) {
            return odata_error(
                StatusCode::CONFLICT,
                "nameAlreadyExists",
                "a user with that name already exists",
            );
        }
    }
    if let Some(mail) = f.mail.as_deref().filter(|m| !m.is_empty()) {
        if !valid_mail(mail) {
            return invalid("invalid email address");
        }
    }
    let u = &mut st.users[i];
    if let Some(v) = f.display_name {
        u.display_name = v;
    }
    if let Some(v) = f.username {
        u.username = v;
    }
    if let Some(v) = f.mail {
        u.mail = Some(v).filter(|m| !m.is_empty());
    }
    if let Some(v) = f.given_name {
        u.given_name = Some(v);
    }
    if let Some(v) = f.surname {
        u.surname = Some(v);
    }
    if let Some(v) = f.password {
        u.password = Some(v);
    }
    if let Some(v) = f.identities {
        u.identities = v;
    }
    if let Some(v) = f.account_enabled {
        u.account_enabled = v;
    }
    if let Some(v) = f.preferred_language {
        u.preferred_language = Some(v);
    }
    Json(user_json(u, true)).into_response()
}

async fn delete_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(i) = st.find_user(&id) else {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    };
    // §4.5: the personal space is disabled and purged, then the user is deleted.
    let user = st.users.remove(i);
    st.drives.retain(|d| d.owner != user.id);
    StatusCode::NO_CONTENT.into_response()
}

/// Sandbox control: the user's first authenticated request at the proxy (creates the
/// personal drive). 204, or 404 for an unknown or disabled user.
async fn control_first_sign_in(
    State(s): State<OcisSandbox>,
    Path(username): Path<String>,
) -> StatusCode {
    if s.first_sign_in(&username) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

//! Users, `/graph/v1.0/users` (`shared/reference/ocis.md` §4; upstream
//! `services/graph/pkg/service/v0/users.go` at v7.0.0). Create (§4.1: a strict body with the
//! writable properties only — read-only ones are named in the 400 —, a valid user name and
//! mail, 409 `nameAlreadyExists` for a taken name); read by id or user name, which leaves
//! `mail` out (§4.2); list (§4.3: with `mail`, `$search`, `$orderby`; `mail eq` and
//! `onPremisesSamAccountName eq` filters are 501); update (§4.4); delete (§4.5: the personal
//! drive is purged with the user).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::{authenticated, odata_error, OcisSandbox, State_};

#[derive(Clone, Debug)]
pub(super) struct OcisUser {
    pub(super) id: String,
    pub(super) username: String,
    pub(super) display_name: String,
    mail: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    password: Option<String>,
    identities: Vec<Value>,
    pub(super) account_enabled: bool,
    preferred_language: Option<String>,
}

impl State_ {
    /// By id, or by user name (case-insensitive, as the LDAP lookup).
    pub(super) fn find_user(&self, key: &str) -> Option<usize> {
        self.users
            .iter()
            .position(|u| u.id == key || u.username.eq_ignore_ascii_case(key))
    }
}

impl OcisSandbox {
    /// A user by user name (or id), as the list shows it (with `mail`).
    pub fn user(&self, username: &str) -> Option<Value> {
        let st = self.lock();
        st.find_user(username)
            .map(|i| user_json(&st.users[i], true))
    }

    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }
}

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

/// OCIS's default `GRAPH_USERNAME_MATCH` rule (services/graph `usernameMatchDefault`): ASCII,
/// starts with a letter or `_`, then the characters of an email local part, then any number
/// of `@domain` parts; at most 254 characters.
fn valid_username(name: &str) -> bool {
    static RULE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let rule = RULE.get_or_init(|| {
        regex::Regex::new(
            r"^[a-zA-Z_][a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]*(@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*)*$",
        )
        .expect("the username rule")
    });
    !name.is_empty() && name.len() <= 254 && rule.is_match(name)
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

pub(super) async fn create_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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

pub(super) async fn read_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let st = s.lock();
    match st.find_user(&id) {
        Some(i) => Json(user_json(&st.users[i], false)).into_response(),
        None => odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found"),
    }
}

pub(super) async fn list_users(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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

pub(super) async fn patch_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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

pub(super) async fn delete_user(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let mut st = s.lock();
    let Some(i) = st.find_user(&id) else {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    };
    // §4.5: the personal space is disabled and purged, then the user is deleted.
    let user = st.users.remove(i);
    st.drives.retain(|d| d.owner != user.id);
    for g in st.groups.iter_mut() {
        g.members.retain(|m| *m != user.id);
    }
    StatusCode::NO_CONTENT.into_response()
}

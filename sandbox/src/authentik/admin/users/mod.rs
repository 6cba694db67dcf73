//! Users, `/api/v3/core/users/` (`shared/reference/authentik.md` §4; upstream
//! `authentik/core/api/users.py`): list with the declared `UsersFilter` filters (§4.2: exact
//! matches, `search`, `attributes` as a JSON object, `ordering`; invalid choices are a 400
//! field map), create (no usable password until `set_password`), get, partial update
//! (deactivation deletes the user's sessions and OAuth tokens, §4.4), delete (§4.6) and
//! `set_password` (§4.5: a rejected password is a bare 400). The serializer and the field
//! validation are in [`serializer`].

mod serializer;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::drf::{
    bad_request, char_field, field_error, filter_bool, paginate, parse_uuid, Errors, QueryPairs,
};
use super::{authorize, authorized_body, not_found, Group};
use crate::authentik::{AuthentikSandbox, User};
use crate::clock;
pub(super) use serializer::user_json;
pub(crate) use serializer::user_uid;
use serializer::{set_user_groups, validate_user, USER_TYPES};

fn user_pk_param(raw: &str) -> Option<i64> {
    raw.parse().ok()
}

pub(super) async fn list_users(
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

pub(super) async fn create_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
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

pub(super) async fn get_user(
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

pub(super) async fn patch_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
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

pub(super) async fn delete_user(
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

pub(super) async fn set_password(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
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

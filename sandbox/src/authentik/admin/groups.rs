//! Groups, `/api/v3/core/groups/` (`shared/reference/authentik.md` §3; upstream
//! `authentik/core/api/groups.py`): list with the exact `name` filter and `include_users`,
//! create (the name is required and unique: 400 field map otherwise), get, delete, and
//! `add_user` / `remove_user` (204 and idempotent; 404 for an unknown group or user).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::drf::paginate;
use super::{authorize, not_found};
use crate::authentik::AuthentikSandbox;

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

impl AuthentikSandbox {
    /// The groups as they are now (tests use this to check for duplicates).
    pub fn groups(&self) -> Vec<Group> {
        self.lock().groups.clone()
    }

    /// Creates a group; `Err` when the name is taken (names are unique upstream).
    fn insert_group(
        &self,
        name: String,
        is_superuser: bool,
        attributes: Value,
        users: Vec<i64>,
    ) -> Result<Group, ()> {
        let mut st = self.lock();
        if st.groups.iter().any(|g| g.name == name) {
            return Err(());
        }
        st.next_num_pk += 1;
        let group = Group {
            pk: uuid::Uuid::new_v4().to_string(),
            num_pk: st.next_num_pk,
            name,
            is_superuser,
            attributes,
            users,
        };
        st.groups.push(group.clone());
        Ok(group)
    }

    /// Adds or removes a user (by pk) in a group; false when either is unknown.
    fn set_group_member(&self, group: &str, user: i64, add: bool) -> bool {
        let mut st = self.lock();
        if !st.users.iter().any(|u| u.pk == user) {
            return false;
        }
        let Some(g) = st.groups.iter_mut().find(|g| g.pk == group) else {
            return false;
        };
        g.users.retain(|u| *u != user);
        if add {
            g.users.push(user);
        }
        true
    }

    /// Deletes a group (tests use it to make drift).
    pub fn remove_group(&self, pk: &str) -> bool {
        let mut st = self.lock();
        let before = st.groups.len();
        st.groups.retain(|g| g.pk != pk);
        // Its policy bindings go with it (an application may then be open to everyone, §7.5).
        st.bindings.retain(|b| b.group.as_deref() != Some(pk));
        st.groups.len() != before
    }
}

pub(super) async fn list_groups(
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
pub(super) struct GroupRequest {
    name: Option<String>,
    #[serde(default)]
    is_superuser: bool,
    #[serde(default)]
    attributes: Option<Value>,
    #[serde(default)]
    users: Vec<i64>,
}

pub(super) async fn create_group(
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

pub(super) async fn get_group(
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

pub(super) async fn delete_group(
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

#[derive(Deserialize)]
pub(super) struct UserAccountRequest {
    pk: Option<i64>,
}

pub(super) async fn add_user(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    Json(body): Json<UserAccountRequest>,
) -> Response {
    change_membership(s, headers, pk, body, true)
}

pub(super) async fn remove_user(
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

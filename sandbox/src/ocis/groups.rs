//! Groups, `/graph/v1.0/groups` (`shared/reference/ocis.md` §6; upstream
//! `services/graph/pkg/service/v0/groups.go` at v7.0.0): list (with `$search` on the display
//! name), create (a strict body; the display name is required, at most 256 characters, and
//! unique: 409 `nameAlreadyExists`), read by id — a non-UUID is looked up among user names,
//! never group names, so store the id — and delete; members added and removed by reference
//! (`POST …/members/$ref` with `{"@odata.id": "…/users/{id}"}`, `DELETE
//! …/members/{user-id}/$ref`, both 204; adding a member already there is skipped, as the
//! LDAP backend's `AddMembersToGroup` does; only users may be members).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{authenticated, odata_error, OcisSandbox};

#[derive(Clone, Debug)]
pub struct OcisGroup {
    pub id: String,
    pub display_name: String,
    pub description: Option<String>,
    /// User ids.
    pub members: Vec<String>,
}

impl OcisSandbox {
    pub fn groups(&self) -> Vec<OcisGroup> {
        self.lock().groups.clone()
    }

    /// The ids of a group's members (empty for an unknown group).
    pub fn group_members(&self, id: &str) -> Vec<String> {
        self.lock()
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }

    /// Removes a member out of band (tests use it to make drift).
    pub fn drop_group_member(&self, group: &str, user: &str) {
        if let Some(g) = self.lock().groups.iter_mut().find(|g| g.id == group) {
            g.members.retain(|m| m != user);
        }
    }

    /// Deletes a group out of band (tests use it to make drift).
    pub fn remove_group(&self, id: &str) {
        self.lock().groups.retain(|g| g.id != id);
    }
}

fn group_json(g: &OcisGroup) -> Value {
    let mut v = json!({ "id": g.id, "displayName": g.display_name });
    if let Some(d) = &g.description {
        v["description"] = json!(d);
    }
    v
}

pub(super) async fn list(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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
pub(super) struct CreateGroup {
    #[serde(rename = "displayName")]
    display_name: Option<String>,
    description: Option<String>,
}

pub(super) async fn create(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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
        members: Vec::new(),
    };
    st.groups.push(group.clone());
    (StatusCode::CREATED, Json(group_json(&group))).into_response()
}

pub(super) async fn read(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    // A non-UUID is looked up among user names, never group names (v7.0.0 behaviour).
    match s.groups().iter().find(|g| g.id == id) {
        Some(g) => Json(group_json(g)).into_response(),
        None => odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found"),
    }
}

pub(super) async fn remove(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MemberReference {
    #[serde(rename = "@odata.id")]
    odata_id: Option<String>,
}

/// `POST /graph/v1.0/groups/{id}/members/$ref` (upstream `PostGroupMember`): the member is
/// read from the last two path segments of `@odata.id`, which must be `users/{id}`.
pub(super) async fn add_member(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let reference = match serde_json::from_slice::<MemberReference>(&body) {
        Ok(r) => r,
        Err(e) => {
            return odata_error(
                StatusCode::BAD_REQUEST,
                "invalidRequest",
                &format!("invalid request body: {e}"),
            )
        }
    };
    let Some(url) = reference.odata_id else {
        return odata_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "@odata.id reference is missing",
        );
    };
    let segments: Vec<String> = url::Url::parse(&url)
        .ok()
        .map(|u| {
            u.path_segments()
                .map(|s| s.map(String::from).collect())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let [.., kind, user] = segments.as_slice() else {
        return odata_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Error parsing @odata.id url",
        );
    };
    if kind != "users" {
        return odata_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Only users are allowed as group members",
        );
    }
    let mut st = s.lock();
    if !st.users.iter().any(|u| &u.id == user) {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    }
    let Some(group) = st.groups.iter_mut().find(|g| g.id == id) else {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    };
    if !group.members.contains(user) {
        group.members.push(user.clone());
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `DELETE /graph/v1.0/groups/{id}/members/{user-id}/$ref`: 204; an unknown group or user is
/// 404 `itemNotFound`.
pub(super) async fn remove_member(
    State(s): State<OcisSandbox>,
    headers: HeaderMap,
    Path((id, user)): Path<(String, String)>,
) -> Response {
    if let Some(r) = authenticated(&s, &headers).await {
        return r;
    }
    let mut st = s.lock();
    if !st.users.iter().any(|u| u.id == user) {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    }
    let Some(group) = st.groups.iter_mut().find(|g| g.id == id) else {
        return odata_error(StatusCode::NOT_FOUND, "itemNotFound", "not found");
    };
    group.members.retain(|m| *m != user);
    StatusCode::NO_CONTENT.into_response()
}

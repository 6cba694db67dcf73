//! The Authentik admin API (`/api/v3`) as far as Dezky uses it, per
//! `shared/reference/authentik.md` §1–3: bearer-token authentication (403
//! `{"detail": …}` otherwise), page-number pagination (`next`/`previous` are page numbers,
//! 0 when absent; page size capped at 100), exact filters with unknown parameters ignored,
//! DRF-style 400 field maps and 404 `{"detail": "Not found."}`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

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

pub(crate) fn routes(sandbox: AuthentikSandbox) -> Router {
    Router::new()
        .route("/api/v3/core/groups/", get(list_groups).post(create_group))
        .route(
            "/api/v3/core/groups/{pk}/",
            get(get_group).delete(delete_group),
        )
        .route("/api/v3/core/groups/{pk}/add_user/", post(add_user))
        .route("/api/v3/core/groups/{pk}/remove_user/", post(remove_user))
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

//! Applications, `/core/applications/` (§7.3), and policy bindings, `/policies/bindings/`
//! (§7.4).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::super::drf::{bad_request, char_field, field_error, Errors};
use super::super::{authorize, authorized_body, not_found};
use super::providers::provider_json;
use super::{does_not_exist, page};
use crate::authentik::state::{Application, Binding};
use crate::authentik::{AuthentikSandbox, State_};

/// Slugs the OAuth endpoints use (`/application/o/<slug>/` would shadow them).
const RESERVED_SLUGS: [&str; 6] = [
    "authorize",
    "token",
    "device",
    "userinfo",
    "introspect",
    "revoke",
];

fn application_json(st: &State_, a: &Application) -> Value {
    let provider = a
        .provider
        .and_then(|pk| st.providers.iter().find(|p| p.pk == pk));
    json!({
        "pk": a.pk, "name": a.name, "slug": a.slug, "provider": a.provider,
        "provider_obj": provider.map(|p| provider_json(st, p)),
        "backchannel_providers": [], "backchannel_providers_obj": [],
        "launch_url": if a.meta_launch_url.is_empty() { Value::Null } else { json!(a.meta_launch_url) },
        "open_in_new_tab": a.open_in_new_tab, "meta_launch_url": a.meta_launch_url,
        "meta_icon": null, "meta_description": "", "meta_publisher": "",
        "policy_engine_mode": a.policy_engine_mode, "group": a.group,
    })
}

fn read_application(
    st: &State_,
    data: &Map<String, Value>,
    full: bool,
    this: Option<&str>,
    a: &mut Application,
) -> Errors {
    let mut errors = Errors::new();
    if let Some(name) = char_field(&mut errors, data, "name", full, false, None) {
        a.name = name;
    }
    if let Some(slug) = char_field(&mut errors, data, "slug", full, false, Some(50)) {
        let pattern_ok = slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !pattern_ok {
            field_error(
                &mut errors,
                "slug",
                "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens.",
            );
        } else if RESERVED_SLUGS.contains(&slug.as_str()) {
            field_error(
                &mut errors,
                "slug",
                format!("The slug '{slug}' is reserved and cannot be used for applications."),
            );
        } else if st
            .applications
            .iter()
            .any(|o| o.slug == slug && Some(o.pk.as_str()) != this)
        {
            field_error(
                &mut errors,
                "slug",
                "Application with this slug already exists.",
            );
        }
        a.slug = slug;
    }
    if let Some(v) = data.get("provider") {
        match v {
            Value::Null => a.provider = None,
            v => match v
                .as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            {
                Some(pk) if !st.providers.iter().any(|p| p.pk == pk) => {
                    does_not_exist(&mut errors, "provider", &pk.to_string())
                }
                Some(pk)
                    if st
                        .applications
                        .iter()
                        .any(|o| o.provider == Some(pk) && Some(o.pk.as_str()) != this) =>
                {
                    field_error(
                        &mut errors,
                        "provider",
                        "Application with this provider already exists.",
                    )
                }
                Some(pk) => a.provider = Some(pk),
                None => field_error(
                    &mut errors,
                    "provider",
                    "Incorrect type. Expected pk value, received str.",
                ),
            },
        }
    }
    if let Some(v) = char_field(&mut errors, data, "meta_launch_url", false, true, None) {
        a.meta_launch_url = v;
    }
    if let Some(v) = data.get("open_in_new_tab").and_then(Value::as_bool) {
        a.open_in_new_tab = v;
    }
    if let Some(v) = char_field(&mut errors, data, "policy_engine_mode", false, false, None) {
        if matches!(v.as_str(), "any" | "all") {
            a.policy_engine_mode = v;
        } else {
            field_error(
                &mut errors,
                "policy_engine_mode",
                format!("\"{v}\" is not a valid choice."),
            );
        }
    }
    if let Some(v) = char_field(&mut errors, data, "group", false, true, None) {
        a.group = v;
    }
    errors
}

/// `GET /core/applications/` (filters `slug`, `name`; `superuser_full_list` accepted).
pub(in crate::authentik::admin) async fn list_applications(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        st.applications
            .iter()
            .filter(|a| q.get("slug").is_none_or(|v| a.slug == v))
            .filter(|a| q.get("name").is_none_or(|v| a.name == v))
            .map(|a| application_json(st, a))
            .collect()
    })
}

pub(in crate::authentik::admin) async fn create_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut st = s.lock();
    let mut a = Application {
        pk: uuid::Uuid::new_v4().to_string(),
        policy_engine_mode: "any".into(),
        ..Application::default()
    };
    let errors = read_application(&st, &data, true, None, &mut a);
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    st.applications.push(a.clone());
    st.sync_app_clients();
    let body = application_json(&st, &a);
    (StatusCode::CREATED, Json(body)).into_response()
}

pub(in crate::authentik::admin) async fn get_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match st.applications.iter().find(|a| a.slug == slug) {
        Some(a) => Json(application_json(&st, a)).into_response(),
        None => not_found(),
    }
}

pub(in crate::authentik::admin) async fn patch_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut st = s.lock();
    let Some(i) = st.applications.iter().position(|a| a.slug == slug) else {
        return not_found();
    };
    let mut a = st.applications[i].clone();
    let pk = a.pk.clone();
    let errors = read_application(&st, &data, false, Some(&pk), &mut a);
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    st.applications[i] = a.clone();
    st.sync_app_clients();
    Json(application_json(&st, &a)).into_response()
}

/// `DELETE /core/applications/{slug}/`: its bindings go with it (cascade); its provider stays.
pub(in crate::authentik::admin) async fn delete_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(i) = st.applications.iter().position(|a| a.slug == slug) else {
        return not_found();
    };
    let a = st.applications.remove(i);
    st.bindings.retain(|b| b.target != a.pk);
    st.sync_app_clients();
    StatusCode::NO_CONTENT.into_response()
}

fn binding_json(st: &State_, b: &Binding) -> Value {
    let group = b
        .group
        .as_ref()
        .and_then(|g| st.groups.iter().find(|x| &x.pk == g));
    json!({
        "pk": b.pk, "policy": null, "group": b.group, "user": b.user, "policy_obj": null,
        "group_obj": group.map(|g| json!({ "pk": g.pk, "num_pk": g.num_pk, "name": g.name, "is_superuser": g.is_superuser, "attributes": g.attributes })),
        "user_obj": null, "target": b.target, "negate": b.negate, "enabled": b.enabled,
        "order": b.order, "timeout": b.timeout, "failure_result": false,
    })
}

/// `GET /policies/bindings/` (filters `target`, `enabled`, `order`; no `group` filter).
pub(in crate::authentik::admin) async fn list_bindings(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        st.bindings
            .iter()
            .filter(|b| q.get("target").is_none_or(|t| b.target == t))
            .filter(|b| q.get("enabled").is_none_or(|e| (e == "true") == b.enabled))
            .map(|b| binding_json(st, b))
            .collect()
    })
}

/// `POST /policies/bindings/`: `target` and `order` required, exactly one of `policy`,
/// `group`, `user`.
pub(in crate::authentik::admin) async fn create_binding(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut st = s.lock();
    let mut errors = Errors::new();
    let target = char_field(&mut errors, &data, "target", true, false, None).unwrap_or_default();
    if !target.is_empty() && !st.applications.iter().any(|a| a.pk == target) {
        does_not_exist(&mut errors, "target", &target);
    }
    let order = match data.get("order") {
        None => {
            field_error(&mut errors, "order", "This field is required.");
            0
        }
        Some(v) => v.as_i64().unwrap_or_else(|| {
            field_error(&mut errors, "order", "A valid integer is required.");
            0
        }),
    };
    let group = data.get("group").and_then(Value::as_str).map(String::from);
    let user = data.get("user").and_then(Value::as_i64);
    let policy = data.get("policy").and_then(Value::as_str);
    if [group.is_some(), user.is_some(), policy.is_some()]
        .iter()
        .filter(|x| **x)
        .count()
        != 1
    {
        field_error(
            &mut errors,
            "non_field_errors",
            "Only one of 'policy', 'group' or 'user' can be set.",
        );
    }
    if let Some(g) = &group {
        if !st.groups.iter().any(|x| &x.pk == g) {
            does_not_exist(&mut errors, "group", g);
        }
    }
    if let Some(p) = policy {
        does_not_exist(&mut errors, "policy", p);
    }
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    let b = Binding {
        pk: uuid::Uuid::new_v4().to_string(),
        target,
        group,
        user,
        order,
        enabled: data.get("enabled").and_then(Value::as_bool).unwrap_or(true),
        negate: data.get("negate").and_then(Value::as_bool).unwrap_or(false),
        timeout: data.get("timeout").and_then(Value::as_i64).unwrap_or(30),
    };
    st.bindings.push(b.clone());
    let body = binding_json(&st, &b);
    (StatusCode::CREATED, Json(body)).into_response()
}

pub(in crate::authentik::admin) async fn get_binding(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match st.bindings.iter().find(|b| b.pk == pk) {
        Some(b) => Json(binding_json(&st, b)).into_response(),
        None => not_found(),
    }
}

pub(in crate::authentik::admin) async fn delete_binding(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let before = st.bindings.len();
    st.bindings.retain(|b| b.pk != pk);
    if st.bindings.len() == before {
        return not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}

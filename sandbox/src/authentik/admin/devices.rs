//! Authenticator devices as an admin sees them (`shared/reference/authentik.md` §6; upstream
//! `authentik/core/api/devices.py` `AdminDeviceViewSet` and the per-stage
//! `*AdminDeviceViewSet`s; spec `Device`, `TOTPDevice`):
//!
//! - `GET /api/v3/authenticators/admin/all/?user=<pk>`: a bare JSON array (not paginated) of
//!   every device model's rows, confirmed or not, with no user field. `user` is validated as
//!   an existing user's pk (400 `{"user": [...]}` otherwise); without it, everyone's devices.
//! - `GET /api/v3/authenticators/admin/{totp|static|webauthn}/`: paginated, each item with
//!   its `user` (PartialUser) and no `confirmed`; filters `name`, `search`, `ordering`,
//!   `page`, `page_size` only — **`user` is ignored**, as upstream.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::drf::{bad_request, field_error, paginate, Errors, QueryPairs};
use super::users::user_uid;
use super::{authorize, not_found};
use crate::authentik::state::{Device, DeviceKind};
use crate::authentik::{AuthentikSandbox, State_};
use crate::clock;

fn device_json(d: &Device) -> Value {
    let (app, class, verbose) = d.kind.model();
    json!({
        "verbose_name": verbose,
        "verbose_name_plural": format!("{verbose}s"),
        "meta_model_name": format!("{app}.{}", class.to_lowercase()),
        "pk": d.pk.to_string(),
        "name": d.name,
        "type": format!("{app}.{class}"),
        "confirmed": d.confirmed,
        "created": clock::drf(d.created),
        "last_updated": clock::drf(d.last_used.unwrap_or(d.created)),
        "last_used": d.last_used.map(clock::drf),
        "extra_description": match d.kind {
            DeviceKind::Webauthn => Value::from("YubiKey 5 Series"),
            _ => Value::Null,
        },
        "external_id": Value::Null,
    })
}

fn partial_user(st: &State_, pk: i64) -> Value {
    match st.users.iter().find(|u| u.pk == pk) {
        Some(u) => json!({
            "pk": u.pk,
            "username": u.username,
            "name": u.name,
            "is_active": u.is_active,
            "last_login": u.last_login.map(clock::drf),
            "email": u.email,
            "attributes": u.attributes,
            "uid": user_uid(st, u.pk),
        }),
        None => Value::Null,
    }
}

/// `GET /api/v3/authenticators/admin/all/`.
pub(super) async fn list_all(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let user = match q.get("user") {
        None => None,
        Some(v) => {
            let mut errors = Errors::new();
            match v.parse::<i64>() {
                Ok(pk) if st.users.iter().any(|u| u.pk == pk) => Some(pk),
                Ok(_) => {
                    field_error(
                        &mut errors,
                        "user",
                        format!("Invalid pk \"{v}\" - object does not exist."),
                    );
                    return bad_request(Value::Object(errors));
                }
                Err(_) => {
                    field_error(
                        &mut errors,
                        "user",
                        "Incorrect type. Expected pk value, received str.",
                    );
                    return bad_request(Value::Object(errors));
                }
            }
        }
    };
    let items: Vec<Value> = st
        .devices
        .iter()
        .filter(|d| user.is_none_or(|pk| d.user_pk == pk))
        .map(device_json)
        .collect();
    Json(Value::Array(items)).into_response()
}

/// `GET /api/v3/authenticators/admin/{kind}/` for totp, static and webauthn.
pub(super) async fn list_kind(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(kind): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let kind = match kind.as_str() {
        "totp" => DeviceKind::Totp,
        "static" => DeviceKind::Static,
        "webauthn" => DeviceKind::Webauthn,
        _ => return not_found(),
    };
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let items: Vec<Value> = st
        .devices
        .iter()
        .filter(|d| d.kind == kind)
        .filter(|d| q.get("name").is_none_or(|n| d.name == n))
        .filter(|d| q.get("search").is_none_or(|n| d.name.contains(n)))
        .map(|d| {
            let mut v = json!({ "name": d.name, "pk": d.pk, "user": partial_user(&st, d.user_pk) });
            if kind == DeviceKind::Webauthn {
                v["created_on"] = json!(clock::drf(d.created));
                v["last_used"] = json!(d.last_used.map(clock::drf));
            }
            v
        })
        .collect();
    Json(paginate(items, &q.as_map())).into_response()
}

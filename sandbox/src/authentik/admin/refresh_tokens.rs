//! OAuth2 refresh tokens, `/api/v3/oauth2/refresh_tokens/` (`shared/reference/authentik.md`
//! §5.2, §8.2; upstream `authentik/providers/oauth2/api/tokens.py`): list with the model
//! choice filters `user` and `provider` (an unknown or malformed pk is a 400, not an empty
//! list), ordered by provider and expiry; get; delete (deleted, not revoked: the token
//! endpoint no longer knows it). Each token shows its provider, its user and the claims of
//! the ID token issued with it, pretty-printed as Python's `json.dumps(indent=4)`.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::drf::{bad_request, field_error, paginate, Errors, QueryPairs};
use super::users::user_json;
use super::{authorize, not_found};
use crate::authentik::state::RefreshToken;
use crate::authentik::{AuthentikSandbox, State_};
use crate::clock;

/// Python's `json.dumps(indent=4)`; the compact form if pretty-printing fails.
fn drf_pretty(v: &Value) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    match serde::Serialize::serialize(v, &mut ser) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(_) => v.to_string(),
    }
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

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

fn refresh_token_json(st: &State_, r: &RefreshToken) -> Value {
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

pub(super) async fn list_refresh_tokens(
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
    let mut tokens: Vec<&RefreshToken> = st
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

pub(super) async fn get_refresh_token(
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

pub(super) async fn delete_refresh_token(
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

//! OAuth2/OpenID providers, `/providers/oauth2/` (§7.2), and their `setup_urls`.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::super::drf::{bad_request, char_field, field_error, Errors};
use super::super::{authorize, authorized_body, not_found};
use super::{does_not_exist, page};
use crate::authentik::state::{Provider, RedirectUri};
use crate::authentik::{AuthentikSandbox, State_};

pub(super) fn provider_json(st: &State_, p: &Provider) -> Value {
    let app = st.applications.iter().find(|a| a.provider == Some(p.pk));
    json!({
        "pk": p.pk, "name": p.name, "authentication_flow": null,
        "authorization_flow": p.authorization_flow, "invalidation_flow": p.invalidation_flow,
        "property_mappings": p.property_mappings, "component": "ak-provider-oauth2-form",
        "assigned_application_slug": app.map(|a| a.slug.clone()),
        "assigned_application_name": app.map(|a| a.name.clone()),
        "assigned_backchannel_application_slug": null, "assigned_backchannel_application_name": null,
        "verbose_name": "OAuth2/OpenID Provider", "verbose_name_plural": "OAuth2/OpenID Providers",
        "meta_model_name": "authentik_providers_oauth2.oauth2provider",
        "client_type": p.client_type, "client_id": p.client_id, "client_secret": p.client_secret,
        "access_code_validity": "minutes=1", "access_token_validity": p.access_token_validity,
        "refresh_token_validity": p.refresh_token_validity, "refresh_token_threshold": "seconds=0",
        "include_claims_in_id_token": true, "signing_key": p.signing_key, "encryption_key": null,
        "redirect_uris": p.redirect_uris.iter().map(|r| json!({ "matching_mode": r.matching_mode, "url": r.url })).collect::<Vec<_>>(),
        "logout_uri": "", "logout_method": "backchannel", "sub_mode": p.sub_mode,
        "issuer_mode": "per_provider", "jwt_federation_sources": [], "jwt_federation_providers": [],
    })
}

/// The provider fields of a create (`full`) or partial update, checked like the serializer.
fn read_provider(
    st: &State_,
    data: &Map<String, Value>,
    full: bool,
    this: Option<i64>,
    p: &mut Provider,
) -> Errors {
    let mut errors = Errors::new();
    if let Some(name) = char_field(&mut errors, data, "name", full, false, None) {
        if st
            .providers
            .iter()
            .any(|o| o.name == name && Some(o.pk) != this)
        {
            field_error(
                &mut errors,
                "name",
                "provider with this name already exists.",
            );
        }
        p.name = name;
    }
    for field in ["authorization_flow", "invalidation_flow"] {
        match data.get(field) {
            None if full => field_error(&mut errors, field, "This field is required."),
            None => {}
            Some(v) => {
                let id = v.as_str().unwrap_or_default().to_string();
                if !st.flows.iter().any(|f| f.pk == id) {
                    does_not_exist(&mut errors, field, &id);
                } else if field == "authorization_flow" {
                    p.authorization_flow = id;
                } else {
                    p.invalidation_flow = id;
                }
            }
        }
    }
    match data.get("redirect_uris") {
        None if full => field_error(&mut errors, "redirect_uris", "This field is required."),
        None => {}
        Some(Value::Array(list)) => {
            let mut uris = Vec::new();
            for item in list {
                let mode = item
                    .get("matching_mode")
                    .and_then(Value::as_str)
                    .unwrap_or("strict");
                let url = item.get("url").and_then(Value::as_str).unwrap_or_default();
                if !matches!(mode, "strict" | "regex") || url.is_empty() {
                    field_error(
                        &mut errors,
                        "redirect_uris",
                        "Each redirect URI needs a url and a matching_mode of strict or regex.",
                    );
                    continue;
                }
                if mode == "regex" && regex::Regex::new(url).is_err() {
                    field_error(&mut errors, "redirect_uris", "Invalid Regex Pattern");
                    continue;
                }
                uris.push(RedirectUri {
                    matching_mode: mode.into(),
                    url: url.into(),
                });
            }
            p.redirect_uris = uris;
        }
        Some(_) => field_error(&mut errors, "redirect_uris", "Expected a list of items."),
    }
    if let Some(v) = data.get("signing_key") {
        match v.as_str() {
            Some(k) if st.keypairs.iter().any(|kp| kp.pk == k) => p.signing_key = Some(k.into()),
            Some(k) => does_not_exist(&mut errors, "signing_key", k),
            None => p.signing_key = None,
        }
    }
    if let Some(v) = data.get("property_mappings") {
        let ids: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        for id in &ids {
            if !st.scope_mappings.iter().any(|m| &m.pk == id) {
                does_not_exist(&mut errors, "property_mappings", id);
            }
        }
        p.property_mappings = ids;
    }
    if let Some(v) = char_field(&mut errors, data, "client_type", false, false, None) {
        if matches!(v.as_str(), "confidential" | "public") {
            p.client_type = v;
        } else {
            field_error(
                &mut errors,
                "client_type",
                format!("\"{v}\" is not a valid choice."),
            );
        }
    }
    if let Some(v) = char_field(&mut errors, data, "sub_mode", false, false, None) {
        if matches!(
            v.as_str(),
            "hashed_user_id"
                | "user_id"
                | "user_uuid"
                | "user_username"
                | "user_email"
                | "user_upn"
        ) {
            p.sub_mode = v;
        } else {
            field_error(
                &mut errors,
                "sub_mode",
                format!("\"{v}\" is not a valid choice."),
            );
        }
    }
    if let Some(v) = char_field(&mut errors, data, "client_id", false, false, Some(255)) {
        if st
            .providers
            .iter()
            .any(|o| o.client_id == v && Some(o.pk) != this)
        {
            field_error(
                &mut errors,
                "client_id",
                "o auth2 provider with this Client ID already exists.",
            );
        }
        p.client_id = v;
    }
    if let Some(v) = char_field(&mut errors, data, "client_secret", false, true, Some(255)) {
        p.client_secret = v;
    }
    for field in ["access_token_validity", "refresh_token_validity"] {
        if let Some(v) = char_field(&mut errors, data, field, false, false, None) {
            if field == "access_token_validity" {
                p.access_token_validity = v;
            } else {
                p.refresh_token_validity = v;
            }
        }
    }
    errors
}

/// `GET /providers/oauth2/` (filters `name`, `client_id`).
pub(in crate::authentik::admin) async fn list_providers(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        std::iter::once(&st.console_provider)
            .chain(st.providers.iter())
            .filter(|p| q.get("name").is_none_or(|n| p.name == n))
            .filter(|p| q.get("client_id").is_none_or(|c| p.client_id == c))
            .map(|p| provider_json(st, p))
            .collect()
    })
}

/// `POST /providers/oauth2/`: 201 with the generated client id and secret.
pub(in crate::authentik::admin) async fn create_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let data = match authorized_body(&s, &headers, &body) {
        Ok(d) => d,
        Err(r) => return r,
    };
    let mut st = s.lock();
    st.next_num_pk += 1;
    let mut p = Provider {
        pk: st.next_num_pk,
        client_type: "confidential".into(),
        client_id: alphanumeric(40),
        client_secret: alphanumeric(128),
        sub_mode: "hashed_user_id".into(),
        access_token_validity: "hours=1".into(),
        refresh_token_validity: "days=30".into(),
        ..Provider::default()
    };
    let errors = read_provider(&st, &data, true, None, &mut p);
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    st.providers.push(p.clone());
    let body = provider_json(&st, &p);
    (StatusCode::CREATED, Json(body)).into_response()
}

/// `n` random letters and digits, as upstream's `generate_id` (40) and `generate_key` (128).
fn alphanumeric(n: usize) -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn provider_pk(pk: &str) -> Option<i64> {
    pk.parse().ok()
}

pub(in crate::authentik::admin) async fn get_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    let console = std::iter::once(&st.console_provider);
    match provider_pk(&pk).and_then(|pk| console.chain(st.providers.iter()).find(|p| p.pk == pk)) {
        Some(p) => Json(provider_json(&st, p)).into_response(),
        None => not_found(),
    }
}

/// `PATCH /providers/oauth2/{id}/`: a partial update (a new `client_secret` rotates it).
pub(in crate::authentik::admin) async fn patch_provider(
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
    let Some(i) = provider_pk(&pk).and_then(|pk| st.providers.iter().position(|p| p.pk == pk))
    else {
        return not_found();
    };
    let mut p = st.providers[i].clone();
    let errors = read_provider(&st, &data, false, Some(p.pk), &mut p);
    if !errors.is_empty() {
        return bad_request(Value::Object(errors));
    }
    st.providers[i] = p.clone();
    st.sync_app_clients();
    Json(provider_json(&st, &p)).into_response()
}

/// `DELETE /providers/oauth2/{id}/`: its application stays, without a provider; the tokens
/// it issued go.
pub(in crate::authentik::admin) async fn delete_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(i) = provider_pk(&pk).and_then(|pk| st.providers.iter().position(|p| p.pk == pk))
    else {
        return not_found();
    };
    let p = st.providers.remove(i);
    for a in st
        .applications
        .iter_mut()
        .filter(|a| a.provider == Some(p.pk))
    {
        a.provider = None;
    }
    st.access_tokens.retain(|_, t| t.client_id != p.client_id);
    st.refresh_tokens.retain(|_, t| t.client_id != p.client_id);
    st.sync_app_clients();
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /providers/oauth2/{id}/setup_urls/`: 404 until an application uses the provider.
pub(in crate::authentik::admin) async fn setup_urls(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    let Some(p) = provider_pk(&pk).and_then(|pk| st.providers.iter().find(|p| p.pk == pk)) else {
        return not_found();
    };
    let Some(app) = st.applications.iter().find(|a| a.provider == Some(p.pk)) else {
        return not_found();
    };
    let base = st.base_url.trim_end_matches('/');
    let slug = &app.slug;
    Json(json!({
        "issuer": format!("{base}/application/o/{slug}/"),
        "authorize": format!("{base}/application/o/authorize/"),
        "token": format!("{base}/application/o/token/"),
        "user_info": format!("{base}/application/o/userinfo/"),
        "provider_info": format!("{base}/application/o/{slug}/.well-known/openid-configuration"),
        "logout": format!("{base}/application/o/{slug}/end-session/"),
        "jwks": format!("{base}/application/o/{slug}/jwks/"),
    }))
    .into_response()
}

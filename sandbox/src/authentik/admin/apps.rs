//! What an SSO app is made of in Authentik (`shared/reference/authentik.md` §7; spec
//! `shared/specs/authentik-schema.yml`): the discovery lists (`/flows/instances/`,
//! `/crypto/certificatekeypairs/`, `/propertymappings/provider/scope/`), OAuth2 providers
//! (`/providers/oauth2/`, with `setup_urls`), applications (`/core/applications/`, by slug)
//! and policy bindings (`/policies/bindings/`).
//!
//! Semantics kept from upstream: a provider's `name` is unique; `client_id` (40 characters)
//! and `client_secret` (128) are generated when not sent and returned on every read;
//! `redirect_uris` are `{matching_mode: strict|regex, url}` objects, a regex that does not
//! compile is a 400; an application's `slug` matches `^[-a-zA-Z0-9_]+$`, is unique and not one
//! of the reserved OAuth paths; one provider per application; an application's `pk` is the
//! binding target; a binding names exactly one of `policy`, `group`, `user`; deleting an
//! application deletes its bindings, deleting a provider leaves its application without one,
//! deleting a group deletes its bindings. An application with a provider is served by the
//! stand-in's OIDC endpoints under `/application/o/<slug>/`, and its bindings decide at
//! authorize who may use it (none: everyone, as `core_default_app_access`).

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::drf::{bad_request, char_field, field_error, json_body, paginate, Errors, QueryPairs};
use super::{authorize, not_found};
use crate::authentik::state::{Application, Binding, Provider, RedirectUri};
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

/// A paginated list answer (§2.1): the caller authorised, then `items` from the state and
/// the query.
fn page(
    s: &AuthentikSandbox,
    headers: &HeaderMap,
    raw: Option<String>,
    items: impl FnOnce(&State_, &QueryPairs) -> Vec<Value>,
) -> Response {
    if let Some(r) = authorize(s, headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let items = items(&st, &q);
    Json(paginate(items, &q.as_map())).into_response()
}

fn flow_json(f: &crate::authentik::state::Flow) -> Value {
    json!({
        "pk": f.pk, "policybindingmodel_ptr_id": f.pk, "name": f.name, "slug": f.slug,
        "title": f.name, "designation": f.designation, "background": "", "stages": [],
        "policies": [], "cache_count": 0, "policy_engine_mode": "any",
        "compatibility_mode": false, "export_url": format!("/api/v3/flows/instances/{}/export/", f.slug),
        "layout": "stacked", "denied_action": "message_continue", "authentication": "none",
    })
}

/// `GET /flows/instances/` (filters `designation`, `slug`, `name`).
pub(super) async fn list_flows(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        st.flows
            .iter()
            .filter(|f| q.get("designation").is_none_or(|d| f.designation == d))
            .filter(|f| q.get("slug").is_none_or(|d| f.slug == d))
            .filter(|f| q.get("name").is_none_or(|d| f.name == d))
            .map(flow_json)
            .collect()
    })
}

/// `GET /crypto/certificatekeypairs/` (filters `has_key`, `name`, `managed`).
pub(super) async fn list_keypairs(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        st
        .keypairs
        .iter()
        // Every stand-in key pair has its private key.
        .filter(|_| q.get("has_key") != Some("false"))
        .filter(|k| q.get("name").is_none_or(|n| k.name == n))
        .filter(|k| q.get("managed").is_none_or(|m| k.managed.as_deref() == Some(m)))
        .map(|k| {
            json!({
                "pk": k.pk, "name": k.name, "fingerprint_sha256": "00", "fingerprint_sha1": "00",
                "cert_expiry": "2036-01-01T00:00:00Z", "cert_subject": format!("CN={}", k.name),
                "private_key_available": true, "key_type": "rsa",
                "certificate_download_url": format!("/api/v3/crypto/certificatekeypairs/{}/view_certificate/?download", k.pk),
                "private_key_download_url": format!("/api/v3/crypto/certificatekeypairs/{}/view_private_key/?download", k.pk),
                "managed": k.managed,
            })
        })
        .collect()
    })
}

/// `GET /propertymappings/provider/scope/` (`managed` repeatable, `scope_name`, `name`).
pub(super) async fn list_scope_mappings(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        let managed = q.all("managed");
        st
        .scope_mappings
        .iter()
        .filter(|m| managed.is_empty() || managed.contains(&m.managed.as_str()))
        .filter(|m| q.get("scope_name").is_none_or(|n| m.scope_name == n))
        .map(|m| {
            json!({
                "pk": m.pk, "managed": m.managed, "name": format!("authentik default OAuth Mapping: OpenID '{}'", m.scope_name),
                "expression": "return {}", "component": "ak-property-mapping-provider-scope-form",
                "verbose_name": "Scope Mapping", "verbose_name_plural": "Scope Mappings",
                "meta_model_name": "authentik_providers_oauth2.scopemapping",
                "scope_name": m.scope_name, "description": "",
            })
        })
        .collect()
    })
}

fn provider_json(st: &State_, p: &Provider) -> Value {
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

fn does_not_exist(errors: &mut Errors, field: &str, v: &str) {
    field_error(
        errors,
        field,
        format!("Invalid pk \"{v}\" - object does not exist."),
    );
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
pub(super) async fn list_providers(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    page(&s, &headers, raw, |st, q| {
        st.providers
            .iter()
            .filter(|p| q.get("name").is_none_or(|n| p.name == n))
            .filter(|p| q.get("client_id").is_none_or(|c| p.client_id == c))
            .map(|p| provider_json(st, p))
            .collect()
    })
}

/// `POST /providers/oauth2/`: 201 with the generated client id and secret.
pub(super) async fn create_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
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

pub(super) async fn get_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match provider_pk(&pk).and_then(|pk| st.providers.iter().find(|p| p.pk == pk)) {
        Some(p) => Json(provider_json(&st, p)).into_response(),
        None => not_found(),
    }
}

/// `PATCH /providers/oauth2/{id}/`: a partial update (a new `client_secret` rotates it).
pub(super) async fn patch_provider(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(pk): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
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
pub(super) async fn delete_provider(
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
pub(super) async fn setup_urls(
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
pub(super) async fn list_applications(
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

pub(super) async fn create_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
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

pub(super) async fn get_application(
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

pub(super) async fn patch_application(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
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
pub(super) async fn delete_application(
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
pub(super) async fn list_bindings(
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
pub(super) async fn create_binding(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let data = match json_body(&body) {
        Ok(d) => d,
        Err(e) => return bad_request(e),
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

pub(super) async fn get_binding(
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

pub(super) async fn delete_binding(
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

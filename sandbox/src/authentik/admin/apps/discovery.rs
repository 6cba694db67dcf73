//! The lists a provider refers to: flows, certificate key pairs, scope mappings (§7.1).

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::page;
use crate::authentik::AuthentikSandbox;

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
pub(in crate::authentik::admin) async fn list_flows(
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
pub(in crate::authentik::admin) async fn list_keypairs(
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
pub(in crate::authentik::admin) async fn list_scope_mappings(
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

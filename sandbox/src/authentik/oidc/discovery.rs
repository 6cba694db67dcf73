//! OpenID discovery and the JWKS, per application slug (`shared/reference/authentik.md` §8.1;
//! upstream `views/provider.py` and `views/jwks.py`): the per-provider issuer with its
//! trailing slash, the shared endpoints, the per-application `end_session_endpoint` and
//! `jwks_uri`, and the one RS256 key the tokens are signed with. An unknown slug is a 404
//! `{"detail": "Not found."}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::super::{AuthentikSandbox, KEY_ID, SIGNING_KEY_N};

pub(super) async fn discovery(
    State(s): State<AuthentikSandbox>,
    Path(slug): Path<String>,
) -> Response {
    let st = s.lock();
    if !st.clients.iter().any(|c| c.slug == slug) {
        return (StatusCode::NOT_FOUND, Json(json!({"detail": "Not found."}))).into_response();
    }
    let b = &st.base_url;
    Json(json!({
        "issuer": AuthentikSandbox::issuer(b, &slug),
        "authorization_endpoint": format!("{b}/application/o/authorize/"),
        "token_endpoint": format!("{b}/application/o/token/"),
        "userinfo_endpoint": format!("{b}/application/o/userinfo/"),
        "end_session_endpoint": format!("{b}/application/o/{slug}/end-session/"),
        "introspection_endpoint": format!("{b}/application/o/introspect/"),
        "revocation_endpoint": format!("{b}/application/o/revoke/"),
        "device_authorization_endpoint": format!("{b}/application/o/device/"),
        "response_types_supported": ["code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "jwks_uri": format!("{b}/application/o/{slug}/jwks/"),
        "grant_types_supported": ["authorization_code", "refresh_token", "implicit", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "acr_values_supported": ["goauthentik.io/providers/oauth2/default"],
        "scopes_supported": ["openid", "email", "profile", "offline_access"],
        "request_parameter_supported": false,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "email_verified", "name", "given_name", "preferred_username", "nickname", "groups"],
        "claims_parameter_supported": false,
        "code_challenge_methods_supported": ["plain", "S256"]
    }))
    .into_response()
}

pub(super) async fn jwks() -> Json<Value> {
    Json(json!({ "keys": [{
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KEY_ID,
        "n": SIGNING_KEY_N.trim(), "e": "AQAB"
    }]}))
}

//! What the OCIS proxy checks before a request reaches Graph (`shared/reference/ocis.md`
//! §2.1–2.2, §1 "Proxy-level errors"; upstream `services/proxy/pkg/middleware/{oidc_auth.go,
//! app_auth.go,account_resolver.go}` and `services/graph/pkg/middleware/requireadmin.go`):
//!
//! - `Basic` with the service user and its app token (auth-app, §2.3);
//! - `Bearer <JWT>` when an issuer is trusted (`OCIS_OIDC_ISSUER`): the issuer's discovery
//!   document must name exactly that issuer; the signature is checked against its JWKS (RS256),
//!   `iss` must equal it and `exp` be in the future, `aud` is not checked; then userinfo is
//!   asked with the token and its claims are merged over the token's, kept until `exp`; the
//!   user is the OCIS user whose user name equals `preferred_username`
//!   (`PROXY_USER_OIDC_CLAIM=preferred_username`, `PROXY_USER_CS3_CLAIM=username`).
//!
//! No credentials, a token that fails a check, or a claim that matches no user: 401 with no
//! body and a `WWW-Authenticate` header. A user without the Admin role on these admin
//! endpoints: 403 `accessDenied` (only the service user holds Admin here).

use std::collections::HashMap;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::{odata_error, OcisSandbox};

/// The trusted issuer and what the proxy learnt of it.
pub(super) struct OidcTrust {
    pub(super) issuer: String,
    discovered: Option<Discovered>,
    /// Userinfo claims merged over the token's, by token, until its `exp` (Unix seconds).
    claims: HashMap<String, (Value, i64)>,
}

impl OidcTrust {
    pub(super) fn new(issuer: String) -> Self {
        Self {
            issuer,
            discovered: None,
            claims: HashMap::new(),
        }
    }
}

#[derive(Clone)]
struct Discovered {
    userinfo_endpoint: String,
    /// RSA keys by `kid`, as (`n`, `e`).
    keys: Vec<(String, String, String)>,
}

fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [(
            header::WWW_AUTHENTICATE,
            "Bearer realm=\"\", Basic realm=\"\"",
        )],
    )
        .into_response()
}

/// `None` when the request may go on; otherwise the proxy's answer.
pub(super) async fn authenticated(s: &OcisSandbox, headers: &HeaderMap) -> Option<Response> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(basic) = authorization.strip_prefix("Basic ") {
        let ok = STANDARD
            .decode(basic.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|creds| {
                let st = s.lock();
                creds == format!("{}:{}", st.user, st.token)
            });
        return (!ok).then(unauthorized);
    }
    let Some(token) = authorization.strip_prefix("Bearer ").map(str::trim) else {
        return Some(unauthorized());
    };
    let Some(username) = bearer_username(s, token).await else {
        return Some(unauthorized());
    };
    let st = s.lock();
    if username.eq_ignore_ascii_case(&st.user) {
        return None;
    }
    Some(match st.find_user(&username) {
        Some(_) => odata_error(StatusCode::FORBIDDEN, "accessDenied", "Forbidden"),
        None => unauthorized(),
    })
}

/// The `preferred_username` of a bearer token that passes the proxy's checks.
async fn bearer_username(s: &OcisSandbox, token: &str) -> Option<String> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (issuer, cached) = {
        let mut st = s.lock();
        let trust = st.oidc.as_mut()?;
        trust.claims.retain(|_, (_, exp)| *exp > now);
        (
            trust.issuer.clone(),
            trust.claims.get(token).map(|(c, _)| c.clone()),
        )
    };
    if let Some(claims) = cached {
        return claims["preferred_username"].as_str().map(String::from);
    }
    let kid = jsonwebtoken::decode_header(token).ok()?.kid?;
    let mut discovered = s.lock().oidc.as_ref()?.discovered.clone();
    // Keys are fetched when first needed and again for a `kid` not seen (key rotation).
    if !discovered
        .as_ref()
        .is_some_and(|d| d.keys.iter().any(|(k, _, _)| *k == kid))
    {
        discovered = Some(discover(&s.http, &issuer).await?);
        if let Some(trust) = s.lock().oidc.as_mut() {
            trust.discovered = discovered.clone();
        }
    }
    let discovered = discovered?;
    let (_, n, e) = discovered.keys.iter().find(|(k, _, _)| *k == kid)?;
    let key = DecodingKey::from_rsa_components(n, e).ok()?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&issuer]);
    validation.validate_aud = false;
    validation.leeway = 0;
    let mut claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .ok()?
        .claims;
    let exp = claims["exp"].as_i64()?;
    let userinfo = s
        .http
        .get(&discovered.userinfo_endpoint)
        .bearer_auth(token)
        .send()
        .await
        .ok()?;
    if !userinfo.status().is_success() {
        return None;
    }
    let Value::Object(extra) = userinfo.json::<Value>().await.ok()? else {
        return None;
    };
    if let Value::Object(map) = &mut claims {
        map.extend(extra);
    }
    let username = claims["preferred_username"].as_str().map(String::from);
    if let Some(trust) = s.lock().oidc.as_mut() {
        trust.claims.insert(token.to_string(), (claims, exp));
    }
    username
}

/// The issuer's discovery document (whose `issuer` must equal the trusted one exactly) and
/// its JWKS.
async fn discover(http: &reqwest::Client, issuer: &str) -> Option<Discovered> {
    let config = get_json(
        http,
        &format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
    )
    .await?;
    if config["issuer"].as_str() != Some(issuer) {
        return None;
    }
    let jwks = get_json(http, config["jwks_uri"].as_str()?).await?;
    let keys = jwks["keys"]
        .as_array()?
        .iter()
        .filter(|k| k["kty"] == "RSA")
        .filter_map(|k| {
            Some((
                k["kid"].as_str()?.to_string(),
                k["n"].as_str()?.to_string(),
                k["e"].as_str()?.to_string(),
            ))
        })
        .collect();
    Some(Discovered {
        userinfo_endpoint: config["userinfo_endpoint"].as_str()?.to_string(),
        keys,
    })
}

async fn get_json(http: &reqwest::Client, url: &str) -> Option<Value> {
    http.get(url).send().await.ok()?.json().await.ok()
}

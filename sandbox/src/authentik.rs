//! Authentik stand-in: the OIDC provider side of `shared/reference/authentik.md` §8.
//!
//! Paths, parameters, token shapes and error bodies follow the real provider: discovery and
//! JWKS per application slug, `/application/o/authorize/` (which sends an unauthenticated
//! browser to the authentication flow's sign-in form), `/application/o/token/` with
//! `authorization_code` (PKCE S256/plain) and `refresh_token` (rotation: every refresh returns
//! a new refresh token and revokes the old one; a revoked one gets `invalid_grant`),
//! `/application/o/userinfo/`, `/application/o/revoke/` and the per-application end-session
//! endpoint. Inactive users cannot sign in, and their refresh tokens stop working; users
//! without a usable password (created through the admin API, no `set_password` yet) cannot
//! sign in either.
//!
//! Every sign-in at the flow form is an authentik *authenticated session* (§5): the admin API
//! lists and deletes them. Ending one ends the browser session and deletes the OAuth access
//! tokens issued in it; refresh tokens survive (their session link is cleared), as upstream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use time::OffsetDateTime;

use crate::authentik_admin::Group;
use crate::clock;
use crate::demo::DEMO_USERS;
use crate::faults::{self, Faults};

const SIGNING_KEY_PEM: &str = include_str!("signing_key.pem");
const SIGNING_KEY_N: &str = include_str!("signing_key.n");
const KEY_ID: &str = "dezky-sandbox-1";
const SESSION_COOKIE: &str = "authentik_session";
const FLOW_PATH: &str = "/if/flow/default-authentication-flow/";

/// The OAuth2 provider + application the console signs in with.
#[derive(Clone, Debug)]
pub struct OAuthClientRegistration {
    pub slug: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
}

/// A user of the sandbox IdP (the `User` model of the admin API).
#[derive(Clone, Debug)]
pub struct User {
    pub pk: i64,
    pub uuid: String,
    pub username: String,
    pub email: String,
    pub name: String,
    /// `None`: no usable password (users created through the API until `set_password`).
    pub password: Option<String>,
    pub is_active: bool,
    pub attributes: Value,
    pub path: String,
    /// `internal`, `external` or `service_account`.
    pub user_type: String,
    pub date_joined: OffsetDateTime,
    pub last_updated: OffsetDateTime,
    pub password_change_date: OffsetDateTime,
    pub last_login: Option<OffsetDateTime>,
}

/// A browser session at the IdP (an `AuthenticatedSession` upstream), keyed by its cookie.
#[derive(Clone, Debug)]
pub(crate) struct BrowserSession {
    pub(crate) uuid: String,
    pub(crate) user_pk: i64,
    pub(crate) last_ip: String,
    pub(crate) last_user_agent: String,
    pub(crate) last_used: OffsetDateTime,
    pub(crate) expires: OffsetDateTime,
}

struct CodeGrant {
    client_id: String,
    user_pk: i64,
    redirect_uri: String,
    nonce: Option<String>,
    challenge: Option<(String, String)>,
    scopes: Vec<String>,
    expires: i64,
    auth_time: i64,
    session: String,
}

pub(crate) struct AccessToken {
    pub(crate) user_pk: i64,
    expires: i64,
    /// The browser session (cookie key) the token was issued in.
    pub(crate) session: Option<String>,
}

pub(crate) struct RefreshToken {
    /// The numeric id of the admin API (`/oauth2/refresh_tokens/{id}/`).
    pub(crate) id: i64,
    pub(crate) client_id: String,
    pub(crate) user_pk: i64,
    pub(crate) scopes: Vec<String>,
    nonce: Option<String>,
    auth_time: i64,
    pub(crate) revoked: bool,
    pub(crate) expires: i64,
    /// The browser session it was issued in; cleared (not deleted) when that session ends.
    pub(crate) session: Option<String>,
    /// The claims of the ID token issued with it (`id_token` in the admin API).
    pub(crate) id_token: Value,
}

/// Tamper with the next ID token, to test the console's verification.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct IdTokenTamper {
    #[serde(default)]
    pub expired: bool,
    #[serde(default)]
    pub wrong_nonce: bool,
}

#[derive(Default)]
struct Stats {
    code_grants: u64,
    refresh_grants: u64,
    rejected_refresh: u64,
}

pub(crate) struct State_ {
    base_url: String,
    pub(crate) clients: Vec<OAuthClientRegistration>,
    pub(crate) users: Vec<User>,
    pub(crate) browser_sessions: HashMap<String, BrowserSession>,
    codes: HashMap<String, CodeGrant>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    access_token_ttl: i64,
    tamper: IdTokenTamper,
    stats: Stats,
    admin_token: String,
    pub(crate) groups: Vec<Group>,
    next_num_pk: i64,
    pub(crate) next_user_pk: i64,
    next_refresh_id: i64,
    /// Stands in for authentik's install id (part of `User.uid`).
    pub(crate) install_id: String,
    /// Simulates a dropped `user__username` filter on the authenticated-sessions list.
    pub(crate) ignore_session_user_filter: bool,
}

impl State_ {
    /// What deactivating or deleting a user does to their sessions and OAuth tokens (§4.4).
    pub(crate) fn purge_user_sessions_and_tokens(&mut self, pk: i64) {
        self.browser_sessions.retain(|_, s| s.user_pk != pk);
        self.access_tokens.retain(|_, t| t.user_pk != pk);
        self.refresh_tokens.retain(|_, r| r.user_pk != pk);
        self.codes.retain(|_, c| c.user_pk != pk);
    }

    /// Ends a browser session (§5.2): the session and the access tokens issued in it are
    /// deleted; refresh tokens survive with their session link cleared.
    pub(crate) fn end_browser_session(&mut self, key: &str) -> bool {
        let existed = self.browser_sessions.remove(key).is_some();
        self.access_tokens
            .retain(|_, a| a.session.as_deref() != Some(key));
        self.codes.retain(|_, c| c.session != key);
        for r in self.refresh_tokens.values_mut() {
            if r.session.as_deref() == Some(key) {
                r.session = None;
            }
        }
        existed
    }

    /// The active user behind a session cookie, if the session is still valid.
    fn session_user(&self, key: &str) -> Option<i64> {
        let s = self.browser_sessions.get(key)?;
        (s.expires > clock::now()).then_some(s.user_pk)
    }
}

/// A running Authentik stand-in.
#[derive(Clone)]
pub struct AuthentikSandbox {
    state: Arc<Mutex<State_>>,
    key: Arc<EncodingKey>,
    pub faults: Faults,
}

type Shared = AuthentikSandbox;

impl AuthentikSandbox {
    /// Binds on `addr` (port 0 for any free port), registers the console's OAuth client and
    /// the demo users, and serves. Returns the sandbox and its base URL.
    pub async fn start(
        addr: SocketAddr,
        client: OAuthClientRegistration,
        admin_token: String,
    ) -> std::io::Result<(Self, String)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let base_url = format!("http://{bound}");
        let created = clock::now();
        let users: Vec<User> = DEMO_USERS
            .iter()
            .enumerate()
            .map(|(i, u)| User {
                pk: i as i64 + 7,
                uuid: u.uuid.into(),
                username: u.username.into(),
                email: u.email.into(),
                name: u.name.into(),
                password: Some(u.password.into()),
                is_active: true,
                attributes: json!({}),
                path: "users".into(),
                user_type: "internal".into(),
                date_joined: created,
                last_updated: created,
                password_change_date: created,
                last_login: None,
            })
            .collect();
        let next_user_pk = users.iter().map(|u| u.pk).max().unwrap_or(0) + 1;
        let sandbox = Self {
            state: Arc::new(Mutex::new(State_ {
                base_url: base_url.clone(),
                clients: vec![client],
                users,
                browser_sessions: HashMap::new(),
                codes: HashMap::new(),
                access_tokens: HashMap::new(),
                refresh_tokens: HashMap::new(),
                access_token_ttl: 600,
                tamper: IdTokenTamper::default(),
                stats: Stats::default(),
                admin_token,
                groups: Vec::new(),
                next_num_pk: 1000,
                next_user_pk,
                next_refresh_id: 1,
                install_id: uuid::Uuid::new_v4().to_string(),
                ignore_session_user_filter: false,
            })),
            key: Arc::new(
                EncodingKey::from_rsa_pem(SIGNING_KEY_PEM.as_bytes())
                    .expect("the sandbox signing key is a valid RSA PEM"),
            ),
            faults: Faults::default(),
        };
        let router = sandbox.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "authentik sandbox stopped");
            }
        });
        Ok((sandbox, base_url))
    }

    /// The issuer URL of an application slug, as Authentik forms it (trailing slash).
    pub fn issuer(base_url: &str, slug: &str) -> String {
        format!("{base_url}/application/o/{slug}/")
    }

    fn router(&self) -> Router {
        Router::new()
            .route(
                "/application/o/{slug}/.well-known/openid-configuration",
                get(discovery),
            )
            .route("/application/o/{slug}/jwks/", get(jwks))
            .route("/application/o/authorize/", get(authorize))
            .route("/application/o/token/", post(token))
            .route("/application/o/userinfo/", get(userinfo).post(userinfo))
            .route("/application/o/revoke/", post(revoke))
            .route("/application/o/{slug}/end-session/", get(end_session))
            .route(FLOW_PATH, get(flow_form).post(flow_submit))
            .route("/_sandbox/authentik/settings", post(set_settings))
            .route("/_sandbox/authentik/next-id-token", post(set_tamper))
            .route("/_sandbox/authentik/stats", get(stats))
            .route(
                "/_sandbox/authentik/users/{username}/revoke-tokens",
                post(revoke_user_tokens),
            )
            .route(
                "/_sandbox/authentik/users/{username}/active",
                post(set_user_active),
            )
            .with_state(self.clone())
            .merge(crate::authentik_admin::routes(self.clone()))
            .merge(self.faults.routes())
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::inject,
            ))
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().expect("sandbox state lock")
    }

    /// A user by username, as stored (tests).
    pub fn user(&self, username: &str) -> Option<User> {
        self.lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .cloned()
    }

    /// How many users exist (tests).
    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

    /// How many live (unexpired) browser sessions a user has (tests).
    pub fn session_count(&self, pk: i64) -> usize {
        let now = clock::now();
        self.lock()
            .browser_sessions
            .values()
            .filter(|s| s.user_pk == pk && s.expires > now)
            .count()
    }

    /// How many live refresh tokens (neither revoked nor expired) a user has (tests).
    pub fn refresh_token_count(&self, pk: i64) -> usize {
        let now = now();
        self.lock()
            .refresh_tokens
            .values()
            .filter(|r| r.user_pk == pk && !r.revoked && r.expires > now)
            .count()
    }

    /// How many unexpired access tokens a user has (tests).
    pub fn access_token_count(&self, pk: i64) -> usize {
        let now = now();
        self.lock()
            .access_tokens
            .values()
            .filter(|a| a.user_pk == pk && a.expires > now)
            .count()
    }

    /// When on, the authenticated-sessions list ignores `user__username` too (a dropped or
    /// misspelled filter upstream: everyone's sessions come back).
    pub fn set_ignore_session_user_filter(&self, on: bool) {
        self.lock().ignore_session_user_filter = on;
    }

    /// How many refresh-token grants succeeded (for tests of the refresh logic).
    pub fn refresh_grants(&self) -> u64 {
        self.lock().stats.refresh_grants
    }

    pub(crate) fn admin_token_matches(&self, token: &str) -> bool {
        let st = self.lock();
        !st.admin_token.is_empty() && st.admin_token == token
    }

    /// The groups as they are now (tests use this to check for duplicates).
    pub fn groups(&self) -> Vec<Group> {
        self.lock().groups.clone()
    }

    /// Creates a group; `Err` when the name is taken (names are unique upstream).
    pub(crate) fn insert_group(
        &self,
        name: String,
        is_superuser: bool,
        attributes: Value,
        users: Vec<i64>,
    ) -> Result<Group, ()> {
        let mut st = self.lock();
        if st.groups.iter().any(|g| g.name == name) {
            return Err(());
        }
        st.next_num_pk += 1;
        let group = Group {
            pk: uuid::Uuid::new_v4().to_string(),
            num_pk: st.next_num_pk,
            name,
            is_superuser,
            attributes,
            users,
        };
        st.groups.push(group.clone());
        Ok(group)
    }

    /// Adds or removes a user (by pk) in a group; false when either is unknown.
    pub(crate) fn set_group_member(&self, group: &str, user: i64, add: bool) -> bool {
        let mut st = self.lock();
        if !st.users.iter().any(|u| u.pk == user) {
            return false;
        }
        let Some(g) = st.groups.iter_mut().find(|g| g.pk == group) else {
            return false;
        };
        g.users.retain(|u| *u != user);
        if add {
            g.users.push(user);
        }
        true
    }

    /// The pk of a user by username (tests).
    pub fn user_pk(&self, username: &str) -> Option<i64> {
        self.lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.pk)
    }

    /// Deletes a group (tests use it to make drift).
    pub fn remove_group(&self, pk: &str) -> bool {
        let mut st = self.lock();
        let before = st.groups.len();
        st.groups.retain(|g| g.pk != pk);
        st.groups.len() != before
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_ID.into());
        jsonwebtoken::encode(&header, claims, &self.key).expect("RS256 signing works")
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn random(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

async fn discovery(State(s): State<Shared>, Path(slug): Path<String>) -> Response {
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

async fn jwks() -> Json<Value> {
    Json(json!({ "keys": [{
        "kty": "RSA", "alg": "RS256", "use": "sig", "kid": KEY_ID,
        "n": SIGNING_KEY_N.trim(), "e": "AQAB"
    }]}))
}

#[derive(Deserialize)]
struct AuthorizeParams {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title></head><body>\
             <h1>{title}</h1><p>{message}</p></body></html>"
        )),
    )
        .into_response()
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

async fn authorize(
    State(s): State<Shared>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(p): Query<AuthorizeParams>,
) -> Response {
    let mut st = s.lock();
    let Some(client) = st
        .clients
        .iter()
        .find(|c| Some(&c.client_id) == p.client_id.as_ref())
        .cloned()
    else {
        return error_page(
            StatusCode::BAD_REQUEST,
            "Application not found",
            "Invalid client identifier (client_id).",
        );
    };
    let redirect_uri = p.redirect_uri.clone().unwrap_or_default();
    if !client.redirect_uris.contains(&redirect_uri) {
        return error_page(StatusCode::BAD_REQUEST, "Redirect URI Error", "The request fails due to a missing, invalid, or mismatching redirection URI (redirect_uri).");
    }
    let redirect_err = |error: &str| {
        let mut url = url::Url::parse(&redirect_uri).expect("registered redirect URIs parse");
        url.query_pairs_mut()
            .append_pair("error", error)
            .append_pair("state", p.state.as_deref().unwrap_or(""));
        Redirect::to(url.as_str()).into_response()
    };
    if p.response_type.as_deref() != Some("code") {
        return redirect_err("unsupported_response_type");
    }
    let scopes: Vec<String> = p
        .scope
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return redirect_err("invalid_scope");
    }
    let user_pk = session_cookie(&headers).and_then(|k| st.session_user(&k).map(|pk| (k, pk)));
    let active = user_pk.and_then(|(k, pk)| {
        st.users
            .iter()
            .find(|u| u.pk == pk && u.is_active)
            .map(|u| (k, u.pk))
    });
    if let Some(s) = active
        .as_ref()
        .and_then(|(k, _)| st.browser_sessions.get_mut(k))
    {
        s.last_used = clock::now();
    }
    let Some((session, user_pk)) = active else {
        // Not signed in at the IdP: the authentication flow, then back here.
        let next = uri
            .path_and_query()
            .map(|pq| pq.as_str().to_string())
            .unwrap_or_default();
        return Redirect::to(&format!("{FLOW_PATH}?next={}", urlencoding::encode(&next)))
            .into_response();
    };
    let code = random(24);
    let challenge = p.code_challenge.clone().map(|c| {
        (
            c,
            p.code_challenge_method
                .clone()
                .unwrap_or_else(|| "plain".into()),
        )
    });
    st.codes.insert(
        code.clone(),
        CodeGrant {
            client_id: client.client_id.clone(),
            user_pk,
            redirect_uri: redirect_uri.clone(),
            nonce: p.nonce.clone(),
            challenge,
            scopes,
            expires: now() + 60,
            auth_time: now(),
            session,
        },
    );
    let mut url = url::Url::parse(&redirect_uri).expect("registered redirect URIs parse");
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &p.state {
        url.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(url.as_str()).into_response()
}

#[derive(Deserialize)]
struct FlowQuery {
    next: Option<String>,
}

fn flow_page(next: &str, error: Option<&str>) -> Html<String> {
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{e}</p>"))
        .unwrap_or_default();
    let next = html_escape(next);
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>authentik (Dezky sandbox)</title></head>\
         <body><main><h1>Welcome to authentik!</h1>\
         <p><strong>Sandbox identity provider</strong>: not a real authentik.</p>{error}\
         <form method=\"post\" action=\"{FLOW_PATH}\">\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label>Username or email <input id=\"username\" name=\"uid_field\" autocomplete=\"username\" autofocus></label>\
         <label>Password <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\"></label>\
         <button type=\"submit\">Log in</button></form></main></body></html>"
    ))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn flow_form(Query(q): Query<FlowQuery>) -> Html<String> {
    flow_page(q.next.as_deref().unwrap_or("/"), None)
}

#[derive(Deserialize)]
struct FlowSubmit {
    uid_field: String,
    password: String,
    next: Option<String>,
}

async fn flow_submit(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<FlowSubmit>,
) -> Response {
    let next = f.next.unwrap_or_default();
    let mut st = s.lock();
    let user = st
        .users
        .iter_mut()
        .find(|u| u.username == f.uid_field || (!u.email.is_empty() && u.email == f.uid_field));
    match user {
        // No usable password (API-created, no set_password yet) never matches.
        Some(u) if u.password.as_deref() == Some(f.password.as_str()) && u.is_active => {
            let signed_in = clock::now();
            u.last_login = Some(signed_in);
            let pk = u.pk;
            let key = random(24);
            let user_agent = headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            st.browser_sessions.insert(
                key.clone(),
                BrowserSession {
                    uuid: uuid::Uuid::new_v4().to_string(),
                    user_pk: pk,
                    // No ConnectInfo on the sandbox router: every client is on loopback.
                    last_ip: "127.0.0.1".into(),
                    last_user_agent: user_agent,
                    last_used: signed_in,
                    expires: signed_in + time::Duration::days(1),
                },
            );
            let target = if next.starts_with("/application/o/authorize/") {
                next
            } else {
                "/".to_string()
            };
            (
                [(
                    header::SET_COOKIE,
                    format!("{SESSION_COOKIE}={key}; Path=/; HttpOnly; SameSite=Lax"),
                )],
                Redirect::to(&target),
            )
                .into_response()
        }
        _ => (
            StatusCode::OK,
            flow_page(&next, Some("Failed to authenticate.")),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn client_credentials(headers: &HeaderMap, form: &TokenForm) -> Option<(String, String)> {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = String::from_utf8(STANDARD.decode(basic.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some((
            urlencoding::decode(id).ok()?.into_owned(),
            urlencoding::decode(secret).ok()?.into_owned(),
        ));
    }
    Some((
        form.client_id.clone()?,
        form.client_secret.clone().unwrap_or_default(),
    ))
}

async fn token(State(s): State<Shared>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    let Some((client_id, client_secret)) = client_credentials(&headers, &f) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)");
    };
    let client = {
        let st = s.lock();
        st.clients
            .iter()
            .find(|c| c.client_id == client_id && c.client_secret == client_secret)
            .cloned()
    };
    let Some(client) = client else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client", "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)");
    };
    match f.grant_type.as_deref() {
        Some("authorization_code") => code_grant(&s, &client, &f),
        Some("refresh_token") => refresh_grant(&s, &client, &f),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ),
    }
}

fn invalid_grant() -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client")
}

fn code_grant(s: &Shared, client: &OAuthClientRegistration, f: &TokenForm) -> Response {
    let mut st = s.lock();
    let Some(grant) = f.code.as_ref().and_then(|c| st.codes.remove(c)) else {
        return invalid_grant();
    };
    if grant.client_id != client.client_id
        || Some(&grant.redirect_uri) != f.redirect_uri.as_ref()
        || grant.expires < now()
    {
        return invalid_grant();
    }
    match (&grant.challenge, &f.code_verifier) {
        (Some((challenge, method)), Some(verifier)) => {
            let computed = if method == "S256" {
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
            } else {
                verifier.clone()
            };
            if &computed != challenge {
                return invalid_grant();
            }
        }
        (Some(_), None) | (None, Some(_)) => return invalid_grant(),
        (None, None) => {}
    }
    let Some(user) = st
        .users
        .iter()
        .find(|u| u.pk == grant.user_pk && u.is_active)
        .cloned()
    else {
        return invalid_grant();
    };
    st.stats.code_grants += 1;
    let tamper = std::mem::take(&mut st.tamper);
    issue(
        s,
        &mut st,
        client,
        &user,
        &grant.scopes,
        grant.nonce.clone(),
        grant.auth_time,
        Some(grant.session),
        tamper,
    )
}

fn refresh_grant(s: &Shared, client: &OAuthClientRegistration, f: &TokenForm) -> Response {
    let mut st = s.lock();
    let Some(old) = f.refresh_token.as_ref() else {
        return invalid_grant();
    };
    let Some(rt) = st.refresh_tokens.get_mut(old) else {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    };
    if rt.revoked || rt.client_id != client.client_id || rt.expires < now() {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    }
    let mut scopes = rt.scopes.clone();
    if let Some(asked) = &f.scope {
        let asked: Vec<String> = asked.split_whitespace().map(String::from).collect();
        if !asked.iter().all(|a| scopes.contains(a)) || !asked.iter().any(|a| a == "offline_access")
        {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_scope",
                "The requested scope is invalid, unknown, or malformed.",
            );
        }
        scopes = asked;
    }
    // Rotation (refresh_token_threshold = seconds=0): the presented token is used up.
    rt.revoked = true;
    let (user_pk, nonce, auth_time, session) = (
        rt.user_pk,
        rt.nonce.clone(),
        rt.auth_time,
        rt.session.clone(),
    );
    let Some(user) = st
        .users
        .iter()
        .find(|u| u.pk == user_pk && u.is_active)
        .cloned()
    else {
        st.stats.rejected_refresh += 1;
        return invalid_grant();
    };
    st.stats.refresh_grants += 1;
    issue(
        s,
        &mut st,
        client,
        &user,
        &scopes,
        nonce,
        auth_time,
        session,
        IdTokenTamper::default(),
    )
}

#[allow(clippy::too_many_arguments)]
fn issue(
    s: &Shared,
    st: &mut State_,
    client: &OAuthClientRegistration,
    user: &User,
    scopes: &[String],
    nonce: Option<String>,
    auth_time: i64,
    session: Option<String>,
    tamper: IdTokenTamper,
) -> Response {
    let iat = now();
    let ttl = st.access_token_ttl;
    let iss = AuthentikSandbox::issuer(&st.base_url, &client.slug);
    let mut claims = json!({
        "iss": iss, "sub": user.uuid, "aud": client.client_id,
        "exp": iat + ttl, "iat": iat, "auth_time": auth_time,
        "acr": "goauthentik.io/providers/oauth2/default", "amr": ["pwd"],
        // authentik's `sid` is a hash of the session key, never the key itself.
        "sid": session.as_deref().map(|k| hex(&Sha256::digest(k.as_bytes()))).unwrap_or_default(),
    });
    if scopes.iter().any(|s| s == "email") {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(false);
    }
    if scopes.iter().any(|s| s == "profile") {
        claims["name"] = json!(user.name);
        claims["given_name"] = json!(user.name);
        claims["preferred_username"] = json!(user.username);
        claims["nickname"] = json!(user.username);
        claims["groups"] = json!([]);
    }
    let mut id_claims = claims.clone();
    if let Some(n) = &nonce {
        id_claims["nonce"] = json!(if tamper.wrong_nonce {
            "not-the-nonce-you-sent"
        } else {
            n.as_str()
        });
    }
    if tamper.expired {
        id_claims["iat"] = json!(iat - 7200);
        id_claims["exp"] = json!(iat - 3600);
    }
    let mut access_claims = claims;
    access_claims["azp"] = json!(client.client_id);
    access_claims["uid"] = json!(random(16));
    let access = s.sign(&access_claims);
    let id_token = s.sign(&id_claims);
    st.access_tokens.insert(
        access.clone(),
        AccessToken {
            user_pk: user.pk,
            expires: iat + ttl,
            session: session.clone(),
        },
    );
    let mut body = json!({
        "access_token": access, "token_type": "Bearer", "scope": scopes.join(" "),
        "expires_in": ttl, "id_token": id_token,
    });
    if scopes.iter().any(|s| s == "offline_access") {
        let refresh = random(48);
        let id = st.next_refresh_id;
        st.next_refresh_id += 1;
        st.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                id,
                client_id: client.client_id.clone(),
                user_pk: user.pk,
                scopes: scopes.to_vec(),
                nonce,
                auth_time,
                revoked: false,
                expires: iat + 30 * 24 * 3600,
                session,
                id_token: id_claims,
            },
        );
        body["refresh_token"] = json!(refresh);
    }
    ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
}

async fn userinfo(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(String::from);
    let st = s.lock();
    let user = bearer
        .and_then(|t| {
            st.access_tokens
                .get(&t)
                .filter(|a| a.expires > now())
                .map(|a| a.user_pk)
        })
        .and_then(|pk| st.users.iter().find(|u| u.pk == pk && u.is_active));
    match user {
        Some(u) => Json(json!({
            "sub": u.uuid, "email": u.email, "email_verified": false, "name": u.name,
            "given_name": u.name, "preferred_username": u.username, "nickname": u.username,
            "groups": []
        }))
        .into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "error=\"invalid_token\"")],
            Json(json!({"error": "invalid_token", "error_description": "The access token is invalid or expired"})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct RevokeForm {
    token: String,
}

async fn revoke(State(s): State<Shared>, Form(f): Form<RevokeForm>) -> StatusCode {
    let mut st = s.lock();
    if let Some(rt) = st.refresh_tokens.get_mut(&f.token) {
        rt.revoked = true;
    }
    st.access_tokens.remove(&f.token);
    StatusCode::OK
}

#[derive(Deserialize)]
struct EndSessionQuery {
    post_logout_redirect_uri: Option<String>,
    id_token_hint: Option<String>,
    state: Option<String>,
}

async fn end_session(
    State(s): State<Shared>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    Query(q): Query<EndSessionQuery>,
) -> Response {
    let mut st = s.lock();
    let Some(client) = st.clients.iter().find(|c| c.slug == slug).cloned() else {
        return error_page(StatusCode::NOT_FOUND, "Not found", "Unknown application.");
    };
    // The sandbox provider uses an invalidation flow with a User Logout stage: the authentik
    // session ends, with the access tokens issued in it.
    if let Some(key) = session_cookie(&headers) {
        st.end_browser_session(&key);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    match q.post_logout_redirect_uri {
        Some(uri)
            if q.id_token_hint.is_some() && client.post_logout_redirect_uris.contains(&uri) =>
        {
            let mut url = url::Url::parse(&uri).expect("registered URIs parse");
            if let Some(state) = q.state {
                url.query_pairs_mut().append_pair("state", &state);
            }
            ([(header::SET_COOKIE, clear)], Redirect::to(url.as_str())).into_response()
        }
        _ => (
            [(header::SET_COOKIE, clear)],
            error_page(
                StatusCode::OK,
                "Signed out",
                "You have been signed out of authentik.",
            ),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct Settings {
    access_token_ttl_secs: Option<i64>,
    ignore_session_user_filter: Option<bool>,
}

async fn set_settings(State(s): State<Shared>, Json(b): Json<Settings>) -> StatusCode {
    let mut st = s.lock();
    if let Some(ttl) = b.access_token_ttl_secs {
        st.access_token_ttl = ttl;
    }
    if let Some(on) = b.ignore_session_user_filter {
        st.ignore_session_user_filter = on;
    }
    StatusCode::NO_CONTENT
}

async fn set_tamper(State(s): State<Shared>, Json(t): Json<IdTokenTamper>) -> StatusCode {
    s.lock().tamper = t;
    StatusCode::NO_CONTENT
}

async fn stats(State(s): State<Shared>) -> Json<Value> {
    let st = s.lock();
    Json(json!({
        "code_grants": st.stats.code_grants,
        "refresh_grants": st.stats.refresh_grants,
        "rejected_refresh": st.stats.rejected_refresh,
        "browser_sessions": st.browser_sessions.len(),
    }))
}

/// Revokes every refresh and access token of a user and ends their authentik sessions
/// (what an admin's "revoke" does in the real UI).
async fn revoke_user_tokens(State(s): State<Shared>, Path(username): Path<String>) -> StatusCode {
    let mut st = s.lock();
    let Some(pk) = st
        .users
        .iter()
        .find(|u| u.username == username)
        .map(|u| u.pk)
    else {
        return StatusCode::NOT_FOUND;
    };
    st.refresh_tokens
        .values_mut()
        .filter(|r| r.user_pk == pk)
        .for_each(|r| r.revoked = true);
    st.access_tokens.retain(|_, a| a.user_pk != pk);
    st.browser_sessions.retain(|_, s| s.user_pk != pk);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Active {
    is_active: bool,
}

/// Like `PATCH /core/users/{pk}/ {"is_active": false}`: deactivation deletes sessions and
/// tokens server-side.
async fn set_user_active(
    State(s): State<Shared>,
    Path(username): Path<String>,
    Json(a): Json<Active>,
) -> StatusCode {
    let mut st = s.lock();
    let Some(user) = st.users.iter_mut().find(|u| u.username == username) else {
        return StatusCode::NOT_FOUND;
    };
    user.is_active = a.is_active;
    user.last_updated = clock::now();
    let pk = user.pk;
    if !a.is_active {
        st.purge_user_sessions_and_tokens(pk);
    }
    StatusCode::NO_CONTENT
}

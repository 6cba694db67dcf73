//! Authentik stand-in, per `shared/reference/authentik.md`: one server speaking the OIDC
//! provider side (§8, in [`oidc`]), the authentication flow's sign-in form (in [`flow`]) and
//! the admin API `/api/v3` (§1–5, in [`admin`]), over one shared state (in [`state`]).
//!
//! This module is the public surface: [`AuthentikSandbox`] (start, the signing key, the
//! accessors tests read the state through), the console's [`OAuthClientRegistration`] and
//! the admin API's [`User`]. Test controls under `/_sandbox/authentik/` are in [`control`].
//!
//! Inactive users cannot sign in, and their refresh tokens stop working; users without a
//! usable password (created through the admin API, no `set_password` yet) cannot sign in
//! either. Every sign-in at the flow form is an authentik *authenticated session* (§5): the
//! admin API lists and deletes them. Ending one ends the browser session and deletes the
//! OAuth access tokens issued in it; refresh tokens survive (their session link is cleared),
//! as upstream.

pub mod admin;
mod control;
mod flow;
mod oidc;
mod state;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{json, Value};
use time::OffsetDateTime;

use crate::clock;
use crate::demo::DEMO_USERS;
use crate::faults::{self, Faults};
pub(crate) use state::State_;
use state::Stats;

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

/// Tamper with the next ID token, to test the console's verification.
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct IdTokenTamper {
    #[serde(default)]
    pub expired: bool,
    #[serde(default)]
    pub wrong_nonce: bool,
    /// The ID token's `exp` this many seconds after its `iat` (negative: already past), as a
    /// slightly fast or slow clock would make it.
    #[serde(default)]
    pub exp_after_secs: Option<i64>,
}

/// A running Authentik stand-in.
#[derive(Clone)]
pub struct AuthentikSandbox {
    state: Arc<Mutex<State_>>,
    key: Arc<EncodingKey>,
    pub faults: Faults,
}

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
        let key = EncodingKey::from_rsa_pem(SIGNING_KEY_PEM.as_bytes())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let flows = builtin_flows();
        let scope_mappings: Vec<state::ScopeMapping> = [
            "openid",
            "email",
            "profile",
            "offline_access",
            "entitlements",
        ]
        .into_iter()
        .map(|scope| state::ScopeMapping {
            pk: uuid::Uuid::new_v4().to_string(),
            managed: format!("goauthentik.io/providers/oauth2/scope-{scope}"),
            scope_name: scope.into(),
        })
        .chain(std::iter::once(state::ScopeMapping {
            pk: uuid::Uuid::new_v4().to_string(),
            managed: "goauthentik.io/providers/oauth2/scope-authentik_api".into(),
            scope_name: "goauthentik.io/api".into(),
        }))
        .collect();
        let flow_pk = |slug: &str| {
            flows
                .iter()
                .find(|f| f.slug == slug)
                .map(|f| f.pk.clone())
                .unwrap_or_default()
        };
        // The console's provider as the setup guide makes it: `user_uuid` subjects, the
        // openid, email, profile and offline_access scopes, the provider invalidation flow.
        let console_provider = state::Provider {
            pk: 1,
            name: "Dezky console".into(),
            client_type: "confidential".into(),
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
            redirect_uris: client
                .redirect_uris
                .iter()
                .map(|u| state::RedirectUri {
                    matching_mode: "strict".into(),
                    url: u.clone(),
                })
                .collect(),
            authorization_flow: flow_pk("default-provider-authorization-implicit-consent"),
            invalidation_flow: flow_pk("default-provider-invalidation-flow"),
            signing_key: None,
            property_mappings: scope_mappings
                .iter()
                .filter(|m| {
                    ["openid", "email", "profile", "offline_access"]
                        .contains(&m.scope_name.as_str())
                })
                .map(|m| m.pk.clone())
                .collect(),
            sub_mode: "user_uuid".into(),
            access_token_validity: "minutes=10".into(),
            refresh_token_validity: "days=30".into(),
        };
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
                include_claims_in_id_token: true,
                devices: Vec::new(),
                flows,
                keypairs: vec![
                    state::KeyPair {
                        pk: uuid::Uuid::new_v4().to_string(),
                        name: "authentik Self-signed Certificate".into(),
                        managed: None,
                    },
                    state::KeyPair {
                        pk: uuid::Uuid::new_v4().to_string(),
                        name: "authentik Internal JWT Certificate".into(),
                        managed: Some("goauthentik.io/crypto/jwt-managed".into()),
                    },
                ],
                scope_mappings,
                providers: Vec::new(),
                applications: Vec::new(),
                bindings: Vec::new(),
                static_clients: 1,
                app_passwords: Vec::new(),
                console_provider,
            })),
            key: Arc::new(key),
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
        oidc::routes(self.clone())
            .merge(flow::routes(self.clone()))
            .merge(control::routes(self.clone()))
            .merge(admin::routes(self.clone()))
            .merge(self.faults.routes())
            .layer(axum::middleware::from_fn_with_state(
                self.faults.clone(),
                faults::inject,
            ))
    }

    /// The state; a lock poisoned by a panicking request is taken over as it is.
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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
    /// Adds a person who can sign in with `password` (tests). Returns their `uuid`.
    pub fn add_user(&self, username: &str, name: &str, password: &str) -> String {
        let mut st = self.lock();
        let pk = st.next_user_pk;
        st.next_user_pk += 1;
        let uuid = uuid::Uuid::new_v4().to_string();
        let now = clock::now();
        st.users.push(User {
            pk,
            uuid: uuid.clone(),
            username: username.into(),
            email: username.into(),
            name: name.into(),
            password: Some(password.into()),
            is_active: true,
            attributes: json!({}),
            path: "users".into(),
            user_type: "internal".into(),
            date_joined: now,
            last_updated: now,
            password_change_date: now,
            last_login: None,
        });
        uuid
    }

    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }

    /// The pk of a user by username (tests).
    pub fn user_pk(&self, username: &str) -> Option<i64> {
        self.lock()
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| u.pk)
    }

    /// What the SSO-app admin API holds (tests): provider names, application slugs and
    /// how many policy bindings, so a test can see that nothing was left behind.
    pub fn sso_objects(&self) -> (Vec<String>, Vec<String>, usize) {
        let st = self.lock();
        (
            st.providers.iter().map(|p| p.name.clone()).collect(),
            st.applications.iter().map(|a| a.slug.clone()).collect(),
            st.bindings.len(),
        )
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

    /// Renames a user at the IdP (as an admin would in Authentik's interface).
    pub fn rename_user(&self, username: &str, name: &str) {
        if let Some(u) = self
            .lock()
            .users
            .iter_mut()
            .find(|u| u.username == username)
        {
            u.name = name.to_string();
        }
    }

    /// The console provider's `sub_mode` (`user_uuid`, `hashed_user_id`, `user_id`,
    /// `user_username`, `user_email`, `user_upn`): the subjects it issues follow.
    pub fn set_console_sub_mode(&self, mode: &str) {
        self.lock().console_provider.sub_mode = mode.to_string();
    }

    /// Takes a scope (`offline_access`, …) off the console provider's property mappings.
    pub fn drop_console_scope(&self, scope: &str) {
        let mut st = self.lock();
        let pk = st
            .scope_mappings
            .iter()
            .find(|m| m.scope_name == scope)
            .map(|m| m.pk.clone());
        st.console_provider
            .property_mappings
            .retain(|m| Some(m) != pk.as_ref());
    }

    /// The provider's `include_claims_in_id_token`: off, ID tokens carry only `sub` and the
    /// protocol claims (OIDC Core allows it; the profile is at userinfo).
    pub fn set_include_claims_in_id_token(&self, on: bool) {
        self.lock().include_claims_in_id_token = on;
    }

    /// Registers another OAuth client beside the console's, as fixed as it (the OCIS web
    /// client, whose issuer the OCIS stand-in trusts).
    pub fn register_client(&self, client: OAuthClientRegistration) {
        let mut st = self.lock();
        let at = st.static_clients;
        st.clients.insert(at, client);
        st.static_clients += 1;
    }

    /// Creates a service account as `POST /core/users/service_account/` does (reference §2:
    /// a user of type `service_account` under `goauthentik.io/service-accounts`, with no
    /// password, and an unexpiring token of intent `app_password`). Returns the app
    /// password, which the `client_credentials` grant takes as `password`.
    pub fn add_service_account(&self, username: &str, name: &str) -> String {
        let mut st = self.lock();
        let pk = st.next_user_pk;
        st.next_user_pk += 1;
        let now = clock::now();
        st.users.push(User {
            pk,
            uuid: uuid::Uuid::new_v4().to_string(),
            username: username.into(),
            email: String::new(),
            name: name.into(),
            password: None,
            is_active: true,
            attributes: json!({}),
            path: "goauthentik.io/service-accounts".into(),
            user_type: "service_account".into(),
            date_joined: now,
            last_updated: now,
            password_change_date: now,
            last_login: None,
        });
        let key = random(40);
        st.app_passwords.push(state::AppPassword {
            key: key.clone(),
            user_pk: pk,
            expires: None,
        });
        key
    }

    /// How many `client_credentials` (or `password`) grants succeeded (tests of the token
    /// cache of the console's service account).
    pub fn client_credentials_grants(&self) -> u64 {
        self.lock().stats.client_credentials_grants
    }

    /// How many refresh-token grants succeeded (for tests of the refresh logic).
    pub fn refresh_grants(&self) -> u64 {
        self.lock().stats.refresh_grants
    }

    pub(crate) fn admin_token_matches(&self, token: &str) -> bool {
        let st = self.lock();
        !st.admin_token.is_empty() && st.admin_token == token
    }

    /// A JWT signed with the sandbox key (RS256, `kid` of the JWKS).
    fn sign(&self, claims: &Value) -> jsonwebtoken::errors::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KEY_ID.into());
        jsonwebtoken::encode(&header, claims, &self.key)
    }
}

/// Unix seconds now.
fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The flows of a fresh Authentik (`blueprints/default/`): sign-in, the two provider
/// authorization flows, and the two invalidation flows.
fn builtin_flows() -> Vec<state::Flow> {
    [
        (
            "default-authentication-flow",
            "Welcome to authentik!",
            "authentication",
        ),
        (
            "default-provider-authorization-implicit-consent",
            "Authorize Application",
            "authorization",
        ),
        (
            "default-provider-authorization-explicit-consent",
            "Authorize Application",
            "authorization",
        ),
        (
            "default-provider-invalidation-flow",
            "Logged out of application",
            "invalidation",
        ),
        (
            "default-invalidation-flow",
            "Default Invalidation Flow",
            "invalidation",
        ),
    ]
    .into_iter()
    .map(|(slug, name, designation)| state::Flow {
        pk: uuid::Uuid::new_v4().to_string(),
        slug: slug.into(),
        name: name.into(),
        designation: designation.into(),
    })
    .collect()
}

/// `bytes` random bytes, base64url without padding (codes, tokens, session keys).
fn random(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

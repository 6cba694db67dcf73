//! What the Authentik stand-in remembers, shared by the OIDC provider, the flow and the admin
//! API: users and groups (`shared/reference/authentik.md` §3–4), browser sessions (the
//! `AuthenticatedSession` of §5), authorization codes, access and refresh tokens (§8.2–8.3),
//! and what deactivating a user (§4.4) or ending a session (§5.2) does to them.

use std::collections::HashMap;

use serde_json::Value;
use time::OffsetDateTime;

use super::admin::Group;
use super::{IdTokenTamper, OAuthClientRegistration, User};
use crate::clock;

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

/// An authorization code not yet exchanged (§8.3: valid for a minute).
pub(super) struct CodeGrant {
    pub(super) client_id: String,
    pub(super) user_pk: i64,
    pub(super) redirect_uri: String,
    pub(super) nonce: Option<String>,
    /// The PKCE `(code_challenge, code_challenge_method)`.
    pub(super) challenge: Option<(String, String)>,
    pub(super) scopes: Vec<String>,
    pub(super) expires: i64,
    pub(super) auth_time: i64,
    pub(super) session: String,
}

pub(crate) struct AccessToken {
    pub(crate) user_pk: i64,
    /// The OAuth client it was issued to.
    pub(crate) client_id: String,
    pub(super) expires: i64,
    /// The browser session (cookie key) the token was issued in.
    pub(crate) session: Option<String>,
}

pub(crate) struct RefreshToken {
    /// The numeric id of the admin API (`/oauth2/refresh_tokens/{id}/`).
    pub(crate) id: i64,
    pub(crate) client_id: String,
    pub(crate) user_pk: i64,
    pub(crate) scopes: Vec<String>,
    pub(super) nonce: Option<String>,
    pub(super) auth_time: i64,
    pub(crate) revoked: bool,
    pub(crate) expires: i64,
    /// The browser session it was issued in; cleared (not deleted) when that session ends.
    pub(crate) session: Option<String>,
    /// The claims of the ID token issued with it (`id_token` in the admin API).
    pub(crate) id_token: Value,
}

#[derive(Default)]
pub(super) struct Stats {
    pub(super) code_grants: u64,
    pub(super) refresh_grants: u64,
    pub(super) rejected_refresh: u64,
    pub(super) client_credentials_grants: u64,
}

/// A token of intent `app_password` (authentik `core.models.Token`): what a service account
/// signs in with on the `client_credentials` grant.
pub(crate) struct AppPassword {
    pub(crate) key: String,
    pub(crate) user_pk: i64,
    /// Unix seconds; `None` for a token that does not expire.
    pub(crate) expires: Option<i64>,
}

pub(crate) struct State_ {
    pub(super) base_url: String,
    pub(crate) clients: Vec<OAuthClientRegistration>,
    pub(crate) users: Vec<User>,
    pub(crate) browser_sessions: HashMap<String, BrowserSession>,
    pub(super) codes: HashMap<String, CodeGrant>,
    pub(crate) access_tokens: HashMap<String, AccessToken>,
    pub(crate) refresh_tokens: HashMap<String, RefreshToken>,
    pub(super) access_token_ttl: i64,
    pub(super) tamper: IdTokenTamper,
    pub(super) stats: Stats,
    pub(super) admin_token: String,
    pub(crate) groups: Vec<Group>,
    pub(super) next_num_pk: i64,
    pub(crate) next_user_pk: i64,
    pub(super) next_refresh_id: i64,
    /// Stands in for authentik's install id (part of `User.uid`).
    pub(crate) install_id: String,
    /// Simulates a dropped `user__username` filter on the authenticated-sessions list.
    pub(crate) ignore_session_user_filter: bool,
    /// The providers' `include_claims_in_id_token` (default true, reference §8.4): when
    /// false, the ID token carries only `sub` and the protocol claims, the rest is at
    /// userinfo.
    pub(crate) include_claims_in_id_token: bool,
    /// Authenticator devices (second factors) of users.
    pub(crate) devices: Vec<Device>,
    /// The built-in flows, key pairs and scope mappings a provider refers to (§7.1).
    pub(crate) flows: Vec<Flow>,
    pub(crate) keypairs: Vec<KeyPair>,
    pub(crate) scope_mappings: Vec<ScopeMapping>,
    /// OAuth2 providers, applications and policy bindings made through the admin API (§7).
    pub(crate) providers: Vec<Provider>,
    pub(crate) applications: Vec<Application>,
    pub(crate) bindings: Vec<Binding>,
    /// How many of `clients` were registered at start (the rest mirror applications).
    pub(crate) static_clients: usize,
    /// The console's own OAuth2 provider (of the client registered at start), listed by the
    /// admin API with the others; its `sub_mode` decides the subjects it issues.
    pub(crate) console_provider: Provider,
    /// App password tokens of service accounts.
    pub(crate) app_passwords: Vec<AppPassword>,
}

impl State_ {
    /// The provider of an OAuth client: the console's, or one made through the admin API.
    pub(crate) fn provider_of_client(&self, client_id: &str) -> Option<&Provider> {
        std::iter::once(&self.console_provider)
            .chain(self.providers.iter())
            .find(|p| p.client_id == client_id)
    }

    /// The `sub` a provider issues for a user, by its `sub_mode` (authentik
    /// `providers/oauth2/models.py` `SubModes`; reference §8.4).
    pub(crate) fn subject(&self, provider: Option<&Provider>, user: &super::User) -> String {
        match provider.map(|p| p.sub_mode.as_str()) {
            Some("hashed_user_id") => super::admin::user_uid(self, user.pk),
            Some("user_id") => user.pk.to_string(),
            Some("user_username") => user.username.clone(),
            Some("user_email") => user.email.clone(),
            Some("user_upn") => user.attributes["upn"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| user.email.clone()),
            _ => user.uuid.clone(),
        }
    }
}

/// A flow (`/flows/instances/`).
#[derive(Clone, Debug)]
pub(crate) struct Flow {
    pub(crate) pk: String,
    pub(crate) slug: String,
    pub(crate) name: String,
    pub(crate) designation: String,
}

/// A certificate key pair (`/crypto/certificatekeypairs/`).
#[derive(Clone, Debug)]
pub(crate) struct KeyPair {
    pub(crate) pk: String,
    pub(crate) name: String,
    pub(crate) managed: Option<String>,
}

/// A managed scope mapping (`/propertymappings/provider/scope/`).
#[derive(Clone, Debug)]
pub(crate) struct ScopeMapping {
    pub(crate) pk: String,
    pub(crate) managed: String,
    pub(crate) scope_name: String,
}

/// A redirect URI of a provider: `strict` (exact) or `regex` (full match).
#[derive(Clone, Debug, Default)]
pub(crate) struct RedirectUri {
    pub(crate) matching_mode: String,
    pub(crate) url: String,
}

/// An OAuth2/OpenID provider.
#[derive(Clone, Debug, Default)]
pub(crate) struct Provider {
    pub(crate) pk: i64,
    pub(crate) name: String,
    pub(crate) client_type: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uris: Vec<RedirectUri>,
    pub(crate) authorization_flow: String,
    pub(crate) invalidation_flow: String,
    pub(crate) signing_key: Option<String>,
    pub(crate) property_mappings: Vec<String>,
    pub(crate) sub_mode: String,
    pub(crate) access_token_validity: String,
    pub(crate) refresh_token_validity: String,
}

/// An application; its `pk` is the target of policy bindings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Application {
    pub(crate) pk: String,
    pub(crate) name: String,
    pub(crate) slug: String,
    pub(crate) provider: Option<i64>,
    pub(crate) meta_launch_url: String,
    pub(crate) open_in_new_tab: bool,
    pub(crate) policy_engine_mode: String,
    pub(crate) group: String,
}

/// A policy binding of a group or a user to an application.
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    pub(crate) pk: String,
    pub(crate) target: String,
    pub(crate) group: Option<String>,
    pub(crate) user: Option<i64>,
    pub(crate) order: i64,
    pub(crate) enabled: bool,
    pub(crate) negate: bool,
    pub(crate) timeout: i64,
}

/// The device models Dezky's overview distinguishes (upstream `authentik/stages/authenticator_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum DeviceKind {
    Totp,
    Static,
    Webauthn,
}

impl DeviceKind {
    /// (app label, model class, verbose name)
    pub(crate) fn model(self) -> (&'static str, &'static str, &'static str) {
        match self {
            DeviceKind::Totp => (
                "authentik_stages_authenticator_totp",
                "TOTPDevice",
                "TOTP Device",
            ),
            DeviceKind::Static => (
                "authentik_stages_authenticator_static",
                "StaticDevice",
                "Static Device",
            ),
            DeviceKind::Webauthn => (
                "authentik_stages_authenticator_webauthn",
                "WebAuthnDevice",
                "WebAuthn Device",
            ),
        }
    }
}

/// One authenticator device of a user.
#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub(crate) pk: i64,
    pub(crate) user_pk: i64,
    pub(crate) kind: DeviceKind,
    pub(crate) name: String,
    pub(crate) confirmed: bool,
    pub(crate) created: time::OffsetDateTime,
    pub(crate) last_used: Option<time::OffsetDateTime>,
}

impl State_ {
    /// Mirrors every application that has a provider into the OIDC client registry (served
    /// under the application's slug), after the clients registered at start.
    pub(crate) fn sync_app_clients(&mut self) {
        self.clients.truncate(self.static_clients);
        let mirrored: Vec<super::OAuthClientRegistration> = self
            .applications
            .iter()
            .filter_map(|a| {
                let p = self.providers.iter().find(|p| Some(p.pk) == a.provider)?;
                Some(super::OAuthClientRegistration {
                    slug: a.slug.clone(),
                    client_id: p.client_id.clone(),
                    client_secret: p.client_secret.clone(),
                    redirect_uris: p
                        .redirect_uris
                        .iter()
                        .filter(|r| r.matching_mode == "strict")
                        .map(|r| r.url.clone())
                        .collect(),
                    post_logout_redirect_uris: Vec::new(),
                })
            })
            .collect();
        self.clients.extend(mirrored);
    }

    /// Whether `uri` is registered for the client: exactly, or by a provider's regex
    /// redirect URI (full match).
    pub(crate) fn redirect_uri_allowed(
        &self,
        client: &super::OAuthClientRegistration,
        uri: &str,
    ) -> bool {
        if client.redirect_uris.iter().any(|u| u == uri) {
            return true;
        }
        self.providers
            .iter()
            .filter(|p| p.client_id == client.client_id)
            .flat_map(|p| p.redirect_uris.iter())
            .filter(|r| r.matching_mode == "regex")
            .any(|r| {
                regex::Regex::new(&format!("^(?:{})$", r.url))
                    .map(|re| re.is_match(uri))
                    .unwrap_or(false)
            })
    }

    /// Whether user `pk` may use the application served as `slug`: the enabled bindings
    /// decide (`any`: one passing binding suffices; `all`: every one must pass); an
    /// application without bindings is open to everyone (`core_default_app_access`).
    pub(crate) fn may_use(&self, slug: &str, pk: i64) -> bool {
        let Some(app) = self.applications.iter().find(|a| a.slug == slug) else {
            return true; // the console's own client: not an application here
        };
        let bindings: Vec<&Binding> = self
            .bindings
            .iter()
            .filter(|b| b.target == app.pk && b.enabled)
            .collect();
        if bindings.is_empty() {
            return true;
        }
        let passes = |b: &&Binding| {
            let hit = match (&b.group, b.user) {
                (Some(g), _) => self
                    .groups
                    .iter()
                    .any(|x| &x.pk == g && x.users.contains(&pk)),
                (None, Some(u)) => u == pk,
                (None, None) => false,
            };
            hit != b.negate
        };
        if app.policy_engine_mode == "all" {
            bindings.iter().all(passes)
        } else {
            bindings.iter().any(passes)
        }
    }

    /// What deactivating or deleting a user does to their sessions and OAuth tokens (§4.4).
    pub(crate) fn purge_user_sessions_and_tokens(&mut self, pk: i64) {
        if !self.users.iter().any(|u| u.pk == pk) {
            // Deleted: the user's devices go with them (foreign keys cascade upstream).
            self.devices.retain(|d| d.user_pk != pk);
        }
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
    pub(super) fn session_user(&self, key: &str) -> Option<i64> {
        let s = self.browser_sessions.get(key)?;
        (s.expires > clock::now()).then_some(s.user_pk)
    }
}

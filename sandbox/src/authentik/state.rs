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
    /// Authenticator devices (second factors) of users.
    pub(crate) devices: Vec<Device>,
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

//! Short-lived bearer tokens for a service account, from Authentik's `client_credentials`
//! grant: `POST /application/o/token/` with `grant_type=client_credentials`, the `client_id`
//! of the provider whose issuer the receiving service trusts, the service account's
//! `username` and one of its **app password** tokens as `password`
//! (`shared/reference/ocis.md` §2.4–2.5; authentik `providers/oauth2/views/token.py`,
//! `__post_init_client_credentials_creds`: the user is found by username, the password must
//! be an unexpired token of intent `app_password` of that user, and the user must pass the
//! provider's application's policies; a refusal is 400 `invalid_grant`). The answer is
//! `{"access_token": <JWT>, "token_type": "Bearer", "expires_in": <seconds>, …}` and carries
//! no refresh token, so a new one is asked for when the old one nears its end.
//!
//! One token is kept in memory (never stored, never logged) and shared by all callers; one
//! caller fetches while the others wait for it.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::upstream::{http_client, json_body, read_capped, scrub, send, UpstreamError};

const UPSTREAM: &str = "Authentik";

/// Where and as whom tokens are asked for.
#[derive(Clone, Debug)]
pub struct ServiceAccountConfig {
    /// Authentik's token endpoint, `<origin>/application/o/token/`.
    pub token_url: String,
    /// The `client_id` of the OAuth2 provider whose issuer the receiving service trusts
    /// (for OCIS: the provider `OCIS_OIDC_ISSUER` points to), so `iss` and the signing key
    /// match what it checks.
    pub client_id: String,
    /// The service account's Authentik username (e.g. `dezky-svc`).
    pub username: String,
    /// One of its app password tokens.
    pub app_password: SecretString,
    /// Space-separated scopes; `profile` carries the `preferred_username` OCIS resolves.
    pub scope: String,
    pub timeout: Duration,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    /// Seconds the token lives.
    expires_in: u64,
}

struct Cached {
    token: SecretString,
    renew_at: Instant,
}

/// Fetches and keeps the service account's bearer token.
pub struct ServiceAccountTokens {
    cfg: ServiceAccountConfig,
    http: reqwest::Client,
    cached: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for ServiceAccountTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccountTokens")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

/// How long before its end a token of `expires_in` seconds is replaced: a tenth of its life,
/// at most a minute, so a call never leaves with a token about to expire on the way.
pub fn renewal_margin(expires_in: Duration) -> Duration {
    (expires_in / 10).min(Duration::from_secs(60))
}

impl ServiceAccountTokens {
    pub fn new(cfg: ServiceAccountConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self {
            cfg,
            http,
            cached: tokio::sync::Mutex::new(None),
        }
    }

    /// The service account's username.
    pub fn username(&self) -> &str {
        &self.cfg.username
    }

    /// The current token, fetched when there is none or it nears its end.
    ///
    /// Errors: `Status` with Authentik's OAuth error (`invalid_grant` when the username, the
    /// app password or the application's policies refuse), `Unreachable`, `Timeout`,
    /// `Protocol` for an answer without `access_token`/`expires_in`.
    pub async fn bearer(&self) -> Result<SecretString, UpstreamError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch().await?;
        let token = fresh.token.clone();
        *cached = Some(fresh);
        Ok(token)
    }

    /// Drops `stale` (a token the receiving service refused), unless another caller has
    /// already replaced it, so the next [`bearer`](Self::bearer) fetches a new one.
    pub async fn forget(&self, stale: &SecretString) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|c| c.token.expose_secret() == stale.expose_secret())
        {
            *cached = None;
        }
    }

    async fn fetch(&self) -> Result<Cached, UpstreamError> {
        let asked_at = Instant::now();
        let response = send(
            UPSTREAM,
            self.http.post(&self.cfg.token_url).form(&[
                ("grant_type", "client_credentials"),
                ("client_id", self.cfg.client_id.as_str()),
                ("username", self.cfg.username.as_str()),
                ("password", self.cfg.app_password.expose_secret()),
                ("scope", self.cfg.scope.as_str()),
            ]),
        )
        .await?;
        let status = response.status();
        if !status.is_success() {
            let body = read_capped(response, 64 * 1024)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
            let said: String = scrub(&crate::upstream::error_text(&body))
                .chars()
                .take(300)
                .collect();
            return Err(UpstreamError::Status {
                upstream: UPSTREAM,
                status: status.as_u16(),
                detail: format!(
                    "the client_credentials grant for service account {} (client_id {}) was refused ({said}); check the username, that the password is an unexpired app password of that account, and that the provider's application lets it in",
                    self.cfg.username, self.cfg.client_id
                ),
            });
        }
        let answer: TokenAnswer = json_body(UPSTREAM, response).await?;
        let life = Duration::from_secs(answer.expires_in);
        Ok(Cached {
            token: SecretString::from(answer.access_token),
            renew_at: asked_at + life.saturating_sub(renewal_margin(life)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_renewed_a_tenth_of_its_life_early_at_most_a_minute() {
        assert_eq!(
            renewal_margin(Duration::from_secs(300)),
            Duration::from_secs(30)
        );
        assert_eq!(
            renewal_margin(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(renewal_margin(Duration::ZERO), Duration::ZERO);
    }
}

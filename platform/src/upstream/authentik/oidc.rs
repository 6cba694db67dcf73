//! OIDC authorization-code flow with PKCE, state and nonce against Authentik, plus refresh,
//! userinfo, revocation and the end-session URL.
//!
//! Discovery happens on first use and is cached; a failed discovery is retried on the next
//! sign-in, so the console starts even while the IdP is down.

use std::sync::Arc;
use std::time::Duration;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreErrorResponseType, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// `https://<host>/application/o/<slug>/`, with the trailing slash.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// `<public url>/auth/callback`
    pub redirect_url: String,
    /// Where the IdP sends the browser after sign-out.
    pub post_logout_redirect_url: String,
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("Authentik could not be reached for sign-in ({0}).")]
    Unavailable(String),
    #[error("Authentik's OIDC configuration is invalid: {0}")]
    Misconfigured(String),
    #[error("Authentik refused the sign-in code: {0}")]
    CodeRejected(String),
    #[error("The refresh token is no longer valid.")]
    RefreshRejected,
    #[error("The ID token is not valid: {0}")]
    InvalidIdToken(String),
    #[error("Authentik did not accept the access token.")]
    Unauthorized,
}

/// What the browser must be sent to, and what the console must remember until the callback.
pub struct AuthorizationRequest {
    pub url: String,
    pub pending: PendingSignIn,
}

/// Kept in the (sealed, server-side) session between `/login` and `/auth/callback`.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Tokens as received from the IdP.
pub struct IssuedTokens {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    pub expires_in: Duration,
}

/// How far past its `exp` an ID token is still accepted (clock skew between IdP and console).
pub const ID_TOKEN_LEEWAY_SECS: i64 = 60;

/// The verified identity from an ID token.
#[derive(Clone, Debug)]
pub struct VerifiedIdentity {
    pub subject: String,
    pub email: String,
    /// The IdP's `email_verified` claim (absent: false; Authentik sends false by default
    /// since 2025.10).
    pub email_verified: bool,
    pub name: String,
}

struct Discovered {
    client: Client,
    end_session: Option<String>,
    userinfo: Option<String>,
    revocation: Option<String>,
}

pub struct OidcClient {
    cfg: OidcConfig,
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
}

#[derive(Deserialize)]
struct ExtraMetadata {
    end_session_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    revocation_endpoint: Option<String>,
}

impl OidcClient {
    pub fn new(cfg: OidcConfig) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(cfg.timeout)
            .build()
            .expect("a reqwest client with static settings builds");
        Self {
            cfg,
            http,
            discovered: RwLock::new(None),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.cfg.issuer
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(d) = self.discovered.read().await.as_ref() {
            return Ok(d.clone());
        }
        let mut slot = self.discovered.write().await;
        if let Some(d) = slot.as_ref() {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.cfg.issuer.clone())
            .map_err(|e| OidcError::Misconfigured(format!("AUTHENTIK_ISSUER: {e}")))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| OidcError::Unavailable(format!("discovery failed: {e}")))?;
        let extra: ExtraMetadata = self
            .http
            .get(format!(
                "{}.well-known/openid-configuration",
                with_slash(&self.cfg.issuer)
            ))
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(e.to_string()))
            .map(|r| crate::upstream::json_body("Authentik", r))?
            .await
            .map_err(|e| OidcError::Misconfigured(format!("discovery document: {e}")))?;
        let redirect = RedirectUrl::new(self.cfg.redirect_url.clone())
            .map_err(|e| OidcError::Misconfigured(format!("redirect URL: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.cfg.client_id.clone()),
            Some(ClientSecret::new(
                self.cfg.client_secret.expose_secret().to_string(),
            )),
        )
        .set_redirect_uri(redirect);
        let d = Arc::new(Discovered {
            client,
            end_session: extra.end_session_endpoint,
            userinfo: extra.userinfo_endpoint,
            revocation: extra.revocation_endpoint,
        });
        *slot = Some(d.clone());
        Ok(d)
    }

    /// Checks that discovery works (for `doctor` and readiness).
    pub async fn check(&self) -> Result<(), OidcError> {
        self.discovered().await.map(|_| ())
    }

    /// Starts a sign-in: the authorize URL with PKCE (S256), state and nonce.
    pub async fn authorization_request(
        &self,
        next: String,
    ) -> Result<AuthorizationRequest, OidcError> {
        let d = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = d
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("offline_access".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            pending: PendingSignIn {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                next,
            },
        })
    }

    /// Exchanges the code and verifies the ID token (signature via JWKS, issuer, audience,
    /// expiry, nonce).
    pub async fn exchange_code(
        &self,
        code: &str,
        pending: &PendingSignIn,
    ) -> Result<(IssuedTokens, VerifiedIdentity), OidcError> {
        let d = self.discovered().await?;
        let response = d
            .client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Misconfigured(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => OidcError::CodeRejected(
                    r.error_description()
                        .cloned()
                        .unwrap_or_else(|| r.error().to_string()),
                ),
                other => OidcError::Unavailable(other.to_string()),
            })?;
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::InvalidIdToken("the token response has none".into()))?;
        // A small leeway for the expiry (RFC 7519 §4.1.4): clocks of the IdP and the console
        // differ a little, and a token issued with a one-second lifetime late in a second is
        // otherwise "expired" by the time it arrives.
        let verifier = d
            .client
            .id_token_verifier()
            .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(ID_TOKEN_LEEWAY_SECS));
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| OidcError::InvalidIdToken(e.to_string()))?;
        let email = claims
            .email()
            .map(|e| e.as_str().to_string())
            .unwrap_or_default();
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_string())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string()))
            .unwrap_or_else(|| email.clone());
        let mut identity = VerifiedIdentity {
            subject: claims.subject().as_str().to_string(),
            email_verified: claims.email_verified().unwrap_or(false),
            email,
            name,
        };
        // The profile as the IdP has it now, from userinfo (OIDC Core §5.3): the ID token may
        // carry only `sub` (Authentik's `include_claims_in_id_token` off), and names change.
        // Taken only when its `sub` is the ID token's (§5.3.4); otherwise, or when userinfo
        // cannot answer, the ID token's claims stand.
        let access = SecretString::from(response.access_token().secret().clone());
        match self.userinfo(&access).await {
            Ok(info) if info.get("sub").and_then(|v| v.as_str()) == Some(&identity.subject) => {
                let text = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_string);
                if let Some(email) = text("email").filter(|e| !e.is_empty()) {
                    identity.email_verified = info
                        .get("email_verified")
                        .and_then(|v| v.as_bool())
                        .unwrap_or(false);
                    identity.email = email;
                }
                if let Some(name) = text("name")
                    .or_else(|| text("preferred_username"))
                    .filter(|n| !n.is_empty())
                {
                    identity.name = name;
                }
                if identity.name.is_empty() {
                    identity.name = identity.email.clone();
                }
            }
            Ok(_) => {
                tracing::warn!("userinfo answered for another subject; its claims are ignored")
            }
            Err(e) => tracing::warn!(error = %e, "userinfo could not be read at sign-in"),
        }
        Ok((
            IssuedTokens {
                access_token: SecretString::from(response.access_token().secret().clone()),
                refresh_token: response
                    .refresh_token()
                    .map(|t| SecretString::from(t.secret().clone())),
                id_token: Some(SecretString::from(id_token.to_string())),
                expires_in: response.expires_in().unwrap_or(Duration::from_secs(300)),
            },
            identity,
        ))
    }

    /// Uses the refresh token once. Authentik rotates it: keep the new one.
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<IssuedTokens, OidcError> {
        let d = self.discovered().await?;
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        let response = d
            .client
            .exchange_refresh_token(&token)
            .map_err(|e| OidcError::Misconfigured(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r)
                    if matches!(
                        r.error(),
                        CoreErrorResponseType::InvalidGrant
                            | CoreErrorResponseType::InvalidClient
                            | CoreErrorResponseType::UnauthorizedClient
                            | CoreErrorResponseType::InvalidScope
                    ) =>
                {
                    OidcError::RefreshRejected
                }
                other => OidcError::Unavailable(other.to_string()),
            })?;
        Ok(IssuedTokens {
            access_token: SecretString::from(response.access_token().secret().clone()),
            refresh_token: response
                .refresh_token()
                .map(|t| SecretString::from(t.secret().clone())),
            id_token: response
                .id_token()
                .map(|t| SecretString::from(t.to_string())),
            expires_in: response.expires_in().unwrap_or(Duration::from_secs(300)),
        })
    }

    /// The claims the IdP returns for an access token. A 401 is `Unauthorized`, so the caller
    /// can refresh once and try again.
    pub async fn userinfo(
        &self,
        access_token: &SecretString,
    ) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
        let d = self.discovered().await?;
        let url = d
            .userinfo
            .clone()
            .ok_or_else(|| OidcError::Misconfigured("no userinfo_endpoint".into()))?;
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        match response.status() {
            s if s.is_success() => crate::upstream::json_body("Authentik", response)
                .await
                .map_err(|e| OidcError::Unavailable(format!("userinfo answer: {e}"))),
            reqwest::StatusCode::UNAUTHORIZED | reqwest::StatusCode::FORBIDDEN => {
                Err(OidcError::Unauthorized)
            }
            s => Err(OidcError::Unavailable(format!("userinfo answered {s}"))),
        }
    }

    /// Revokes a refresh token (end-session does not delete refresh tokens). Best effort.
    pub async fn revoke(&self, refresh_token: &SecretString) -> Result<(), OidcError> {
        let d = self.discovered().await?;
        let Some(url) = d.revocation.clone() else {
            return Ok(());
        };
        let response = self
            .http
            .post(url)
            .basic_auth(
                &self.cfg.client_id,
                Some(self.cfg.client_secret.expose_secret()),
            )
            .form(&[
                ("token", refresh_token.expose_secret()),
                ("token_type_hint", "refresh_token"),
            ])
            .send()
            .await
            .map_err(|e| OidcError::Unavailable(e.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(OidcError::Unavailable(format!(
                "revocation answered {}",
                response.status()
            )))
        }
    }

    /// Where to send the browser to end the IdP session (RP-initiated logout).
    pub async fn end_session_url(&self, id_token_hint: Option<&SecretString>) -> Option<String> {
        let d = self.discovered().await.ok()?;
        let mut url = url::Url::parse(d.end_session.as_deref()?).ok()?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(hint) = id_token_hint {
                q.append_pair("id_token_hint", hint.expose_secret());
            }
            q.append_pair(
                "post_logout_redirect_uri",
                &self.cfg.post_logout_redirect_url,
            );
            q.append_pair("client_id", &self.cfg.client_id);
        }
        Some(url.to_string())
    }
}

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

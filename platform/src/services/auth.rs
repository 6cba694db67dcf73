//! Sign-in, sessions' IdP tokens, refresh and sign-out.
//!
//! Tokens live server-side only, sealed in `auth_tokens` under a random key that the browser
//! session holds. The access token is refreshed shortly before it expires (and once more when
//! the IdP answers 401). Authentik rotates refresh tokens, so a refresh must happen once per
//! session: requests of one instance queue on a per-session lock, and instances race on the
//! row's `version` — the loser reads the winner's tokens instead of refreshing again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;

use crate::crypto::{random_token, SecretBox};
use crate::domain::{Outcome, User};
use crate::repo::identity;
use crate::repo::tokens::{self as repo, SealedTokens, TokenRow};
use crate::services::audit::{AuditEntry, AuditRecorder};
use crate::upstream::authentik::oidc::{
    AuthorizationRequest, IssuedTokens, OidcClient, OidcError, PendingSignIn,
};
use crate::{now_ms, Ctx, CurrentUser, Db};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("The sign-in could not be completed: {0}")]
    SignIn(String),
    #[error("Your session has ended; please sign in again.")]
    SessionEnded,
    #[error(transparent)]
    Oidc(#[from] OidcError),
    #[error("The session store failed: {0}")]
    Store(#[from] sqlx::Error),
    #[error("The session's tokens could not be sealed for storage.")]
    Seal(#[source] crate::crypto::SealError),
}

/// How long a sign-in may take between `/login` and the IdP's callback.
pub const SIGN_IN_WINDOW: Duration = Duration::from_secs(600);

pub struct AuthService {
    db: Db,
    sealer: SecretBox,
    sign_in_sealer: SecretBox,
    oidc: Arc<OidcClient>,
    audit: AuditRecorder,
    margin: Duration,
    lifetime: Duration,
    locks: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// Plain tokens of one session, after opening the sealed row.
struct OpenTokens {
    access: SecretString,
    refresh: Option<SecretString>,
    id_token: SecretString,
}

/// A session's tokens, sealed for storage.
struct Sealed {
    access: String,
    refresh: Option<String>,
    id: String,
}

impl Sealed {
    fn as_row(&self, expires_at: i64) -> SealedTokens<'_> {
        SealedTokens {
            access_token: &self.access,
            refresh_token: self.refresh.as_deref(),
            id_token: &self.id,
            expires_at,
        }
    }
}

/// The result of a sign-out: where the browser goes next.
pub struct SignedOut {
    pub end_session_url: Option<String>,
}

impl AuthService {
    pub fn new(
        db: Db,
        sealer: SecretBox,
        sign_in_sealer: SecretBox,
        oidc: Arc<OidcClient>,
        audit: AuditRecorder,
        margin: Duration,
        lifetime: Duration,
    ) -> Self {
        Self {
            db,
            sealer,
            sign_in_sealer,
            oidc,
            audit,
            margin,
            lifetime,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Step 1: where to send the browser, and what to remember until the callback.
    pub async fn start_sign_in(&self, next: String) -> Result<AuthorizationRequest, AuthError> {
        Ok(self.oidc.authorization_request(next).await?)
    }

    /// A sign-in under way, sealed for a short-lived cookie: `/login` stores nothing on the
    /// server, so anonymous requests cannot fill the session table.
    pub fn seal_pending(&self, pending: &PendingSignIn) -> Result<String, AuthError> {
        let json = serde_json::to_vec(&(now_ms(), pending))
            .map_err(|e| AuthError::SignIn(format!("the sign-in state: {e}")))?;
        self.sign_in_sealer.seal(&json).map_err(AuthError::Seal)
    }

    /// The sign-in under way from its cookie, if it opens and is younger than
    /// [`SIGN_IN_WINDOW`].
    pub fn open_pending(&self, sealed: &str) -> Option<PendingSignIn> {
        let plain = self.sign_in_sealer.open(sealed).ok()?;
        let (issued, pending): (i64, PendingSignIn) = serde_json::from_slice(&plain).ok()?;
        (now_ms() - issued < SIGN_IN_WINDOW.as_millis() as i64).then_some(pending)
    }

    /// Step 2: the callback. Checks `state` against the pending sign-in, exchanges the code
    /// (PKCE), verifies the ID token, keeps the user's profile current and stores the tokens.
    pub async fn finish_sign_in(
        &self,
        ctx: &Ctx,
        pending: &PendingSignIn,
        state: &str,
        code: &str,
    ) -> Result<(User, CurrentUser), AuthError> {
        let result = self.complete(ctx, pending, state, code).await;
        if let Err(e) = &result {
            self.audit
                .record(
                    ctx,
                    AuditEntry {
                        tenant_id: None,
                        action: "auth.sign_in",
                        target: "unknown",
                        outcome: Outcome::Failure,
                        details: json!({ "reason": e.to_string() }),
                    },
                )
                .await;
        }
        result
    }

    async fn complete(
        &self,
        ctx: &Ctx,
        pending: &PendingSignIn,
        state: &str,
        code: &str,
    ) -> Result<(User, CurrentUser), AuthError> {
        if !constant_time_eq(pending.state.as_bytes(), state.as_bytes()) {
            return Err(AuthError::SignIn(
                "the sign-in response does not belong to this browser session (state mismatch)"
                    .into(),
            ));
        }
        let (tokens, identity) = self.oidc.exchange_code(code, pending).await?;
        if identity.subject.is_empty() {
            return Err(AuthError::SignIn("the ID token has no subject".into()));
        }
        let user = identity::upsert_user_by_subject(
            &self.db,
            &identity.subject,
            &identity.email,
            &identity.name,
            identity.email_verified,
        )
        .await?;
        let key = random_token(32);
        let id_token = tokens
            .id_token
            .clone()
            .ok_or_else(|| AuthError::SignIn("no ID token".into()))?;
        let sealed = self.seal(&tokens, &id_token)?;
        repo::insert(&self.db, &key, &user.id, &sealed.as_row(expiry(&tokens))).await?;
        let signed_in = Ctx {
            user_id: Some(user.id.clone()),
            ..ctx.clone()
        };
        self.audit
            .record(
                &signed_in,
                AuditEntry {
                    tenant_id: None,
                    action: "auth.sign_in",
                    target: &user.email,
                    outcome: Outcome::Success,
                    details: json!({}),
                },
            )
            .await;
        Ok((
            user.clone(),
            CurrentUser {
                user_id: user.id,
                auth_key: key,
                signed_in_at: now_ms(),
                last_seen_at: now_ms(),
            },
        ))
    }

    /// Resolves a session's key to its user, refreshing the access token when it is about
    /// to expire. `Ok(None)` means the session has ended (signed out elsewhere, refresh
    /// refused): the caller treats the person as signed out.
    pub async fn resolve(&self, auth_key: &str) -> Result<Option<CurrentUser>, AuthError> {
        let Some(row) = repo::get(&self.db, auth_key).await? else {
            return Ok(None);
        };
        if row.created_at + self.lifetime.as_millis() as i64 <= now_ms() {
            // Past its absolute lifetime: the session ends, whatever its activity.
            repo::delete(&self.db, auth_key).await?;
            return Ok(None);
        }
        if row.expires_at > now_ms() + self.margin.as_millis() as i64 {
            return Ok(Some(current(&row)));
        }
        let seen = row.last_seen_at;
        match self.refresh(auth_key, row.version).await {
            Ok(fresh) => Ok(Some(current(&TokenRow {
                last_seen_at: seen,
                ..fresh
            }))),
            Err(AuthError::SessionEnded) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Calls the IdP's userinfo with the session's access token; on 401, refreshes once and
    /// tries again.
    pub async fn userinfo(
        &self,
        user: &CurrentUser,
    ) -> Result<serde_json::Map<String, serde_json::Value>, AuthError> {
        let row = repo::get(&self.db, &user.auth_key)
            .await?
            .ok_or(AuthError::SessionEnded)?;
        let tokens = self.open(&row)?;
        match self.oidc.userinfo(&tokens.access).await {
            Err(OidcError::Unauthorized) => {
                let row = self.refresh(&user.auth_key, row.version).await?;
                let tokens = self.open(&row)?;
                Ok(self.oidc.userinfo(&tokens.access).await?)
            }
            other => Ok(other?),
        }
    }

    /// Refreshes once per session even when many requests ask at the same time. Returns the
    /// newest row: the one this call wrote, or the one another request or instance wrote
    /// since `seen_version`.
    async fn refresh(&self, auth_key: &str, seen_version: i64) -> Result<TokenRow, AuthError> {
        let lock = self.lock_for(auth_key);
        let _guard = lock.lock().await;
        let row = repo::get(&self.db, auth_key)
            .await?
            .ok_or(AuthError::SessionEnded)?;
        if row.version != seen_version {
            return Ok(row); // someone refreshed while we waited
        }
        let tokens = self.open(&row)?;
        let Some(refresh_token) = tokens.refresh else {
            repo::delete(&self.db, auth_key).await?;
            return Err(AuthError::SessionEnded);
        };
        match self.oidc.refresh(&refresh_token).await {
            Ok(issued) => {
                let id_token = issued.id_token.as_ref().unwrap_or(&tokens.id_token);
                let sealed = self.seal(&issued, id_token)?;
                let won = repo::replace_if_version(
                    &self.db,
                    auth_key,
                    row.version,
                    &sealed.as_row(expiry(&issued)),
                )
                .await?;
                if !won {
                    tracing::debug!("another instance refreshed this session first");
                }
                repo::get(&self.db, auth_key)
                    .await?
                    .ok_or(AuthError::SessionEnded)
            }
            Err(OidcError::RefreshRejected) => {
                // Another instance may have rotated the token a moment ago.
                match repo::get(&self.db, auth_key).await? {
                    Some(newer) if newer.version != row.version => Ok(newer),
                    _ => {
                        repo::delete(&self.db, auth_key).await?;
                        Err(AuthError::SessionEnded)
                    }
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes what can never be used again — session records past their expiry and the
    /// tokens of sessions past their absolute lifetime — under the `session-gc` job lease, so
    /// one instance does it at a time. `None` when another instance holds the lease.
    pub async fn collect_expired(
        &self,
        sessions: &crate::repo::sessions::DbSessionStore,
    ) -> Result<Option<u64>, AuthError> {
        use tower_sessions::ExpiredDeletion;
        let holder = crate::new_id();
        use crate::repo::leases::{self, Lease};
        if !leases::try_take(&self.db, Lease::Job("session-gc"), &holder, 300_000).await? {
            return Ok(None);
        }
        let tokens =
            repo::delete_signed_in_before(&self.db, now_ms() - self.lifetime.as_millis() as i64)
                .await;
        let records = sessions.delete_expired().await;
        leases::release(&self.db, Lease::Job("session-gc"), &holder).await?;
        if let Err(e) = records {
            tracing::warn!(error = %e, "expired session records could not be deleted");
        }
        Ok(Some(tokens?))
    }

    /// Ends the console session: deletes the tokens, revokes the refresh token at the IdP
    /// (best effort) and returns the IdP's end-session URL.
    pub async fn sign_out(&self, ctx: &Ctx, auth_key: &str) -> Result<SignedOut, AuthError> {
        let row = repo::get(&self.db, auth_key).await?;
        repo::delete(&self.db, auth_key).await?;
        let Some(row) = row else {
            return Ok(SignedOut {
                end_session_url: self.oidc.end_session_url(None).await,
            });
        };
        let tokens = self.open(&row).ok();
        if let Some(refresh) = tokens.as_ref().and_then(|t| t.refresh.as_ref()) {
            if let Err(e) = self.oidc.revoke(refresh).await {
                tracing::warn!(request_id = %ctx.meta.request_id, error = %e, "refresh token revocation failed");
            }
        }
        let email = identity::user_by_id(&self.db, &row.user_id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        self.audit
            .record(
                ctx,
                AuditEntry {
                    tenant_id: None,
                    action: "auth.sign_out",
                    target: &email,
                    outcome: Outcome::Success,
                    details: json!({}),
                },
            )
            .await;
        Ok(SignedOut {
            end_session_url: self
                .oidc
                .end_session_url(tokens.as_ref().map(|t| &t.id_token))
                .await,
        })
    }

    fn seal(&self, t: &IssuedTokens, id_token: &SecretString) -> Result<Sealed, AuthError> {
        let seal = |s: &SecretString| self.sealer.seal_str(s).map_err(AuthError::Seal);
        Ok(Sealed {
            access: seal(&t.access_token)?,
            refresh: t.refresh_token.as_ref().map(seal).transpose()?,
            id: seal(id_token)?,
        })
    }

    fn open(&self, row: &TokenRow) -> Result<OpenTokens, AuthError> {
        let open = |s: &str| self.sealer.open_str(s).map_err(|_| AuthError::SessionEnded);
        Ok(OpenTokens {
            access: open(&row.access_token)?,
            refresh: row.refresh_token.as_deref().map(open).transpose()?,
            id_token: open(&row.id_token)?,
        })
    }

    fn lock_for(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        // A panic while holding this map cannot leave it inconsistent: take it over.
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.retain(|_, w| w.strong_count() > 0);
        if let Some(l) = locks.get(key).and_then(Weak::upgrade) {
            return l;
        }
        let l = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(key.to_string(), Arc::downgrade(&l));
        l
    }
}

fn current(row: &TokenRow) -> CurrentUser {
    CurrentUser {
        user_id: row.user_id.clone(),
        auth_key: row.id.clone(),
        signed_in_at: row.created_at,
        last_seen_at: if row.last_seen_at > 0 {
            row.last_seen_at
        } else {
            row.created_at
        },
    }
}

fn expiry(t: &IssuedTokens) -> i64 {
    now_ms() + t.expires_in.as_millis() as i64
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `server doctor`: the console's own OAuth2 provider, read from Authentik's admin API
/// (`/providers/oauth2/?client_id=`), is set up as the console relies on
/// (`shared/reference/authentik.md` §8.4): `sub_mode` `user_uuid` (a member's first sign-in
/// finds their record by the Authentik user's UUID), the `offline_access` scope mapping
/// (without it there are no refresh tokens and sessions end when the access token expires),
/// and an invalidation flow (sign-out at the IdP).
pub async fn provider_check(
    api: &crate::upstream::authentik::admin::AuthentikAdmin,
    client_id: &str,
) -> crate::services::health::Check {
    use crate::services::health::{Check, CheckStatus};
    const OFFLINE: &str = "goauthentik.io/providers/oauth2/scope-offline_access";
    let check = |status, detail: String, hint: Option<String>| Check {
        name: "authentik console provider".into(),
        status,
        detail,
        hint,
    };
    let provider = match api.oauth2_provider_of_client(client_id).await {
        Ok(Some(p)) => p,
        Ok(None) => {
            return check(
                CheckStatus::Failed,
                format!("no OAuth2 provider has the client id {client_id}"),
                Some(
                    "check AUTHENTIK_CLIENT_ID, and that the admin token may view providers".into(),
                ),
            )
        }
        Err(e) => {
            return check(
                CheckStatus::Failed,
                e.to_string(),
                Some("check AUTHENTIK_ADMIN_TOKEN and the network path to Authentik".into()),
            )
        }
    };
    let offline = match api.scope_mappings(&[OFFLINE]).await {
        Ok(m) => m.into_iter().map(|m| m.pk).collect::<Vec<_>>(),
        Err(e) => return check(CheckStatus::Failed, e.to_string(), None),
    };
    let mut problems = Vec::new();
    if provider.sub_mode != "user_uuid" {
        problems.push(format!(
            "sub_mode is {}: members are matched by their Authentik user's UUID, so set the provider's Subject mode to \"Based on the User's UUID\" (user_uuid)",
            if provider.sub_mode.is_empty() { "unknown" } else { &provider.sub_mode }
        ));
    }
    if !provider
        .property_mappings
        .iter()
        .any(|m| offline.contains(m))
    {
        problems.push("the offline_access scope mapping is not selected: Authentik issues no refresh token, so console sessions end when the access token expires".into());
    }
    if provider
        .invalidation_flow
        .as_deref()
        .is_none_or(str::is_empty)
    {
        problems.push("no invalidation flow: signing out cannot end the Authentik session".into());
    }
    if problems.is_empty() {
        check(
            CheckStatus::Ok,
            format!(
                "provider {} (sub_mode user_uuid, offline_access, invalidation flow)",
                provider.name
            ),
            None,
        )
    } else {
        check(
            CheckStatus::Failed,
            problems.join("; "),
            Some(format!("edit the provider {} in Authentik", provider.name)),
        )
    }
}

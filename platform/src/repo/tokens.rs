//! Rows of sealed IdP tokens, one per signed-in browser session.

use sqlx::FromRow;

use super::RepoResult;
use crate::{now_ms, Db};

/// The stored (sealed) form of a session's tokens.
#[derive(Clone, Debug, FromRow)]
pub struct TokenRow {
    pub id: String,
    pub user_id: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub id_token: String,
    pub expires_at: i64,
    pub version: i64,
    /// When the session signed in (ms since the epoch): its absolute lifetime counts from here.
    pub created_at: i64,
    /// The last request to a tenant's console noted (ms since the epoch; 0: none since
    /// sign-in).
    pub last_seen_at: i64,
}

pub struct SealedTokens<'a> {
    pub access_token: &'a str,
    pub refresh_token: Option<&'a str>,
    pub id_token: &'a str,
    pub expires_at: i64,
}

pub async fn insert(db: &Db, id: &str, user_id: &str, t: &SealedTokens<'_>) -> RepoResult<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO auth_tokens (id, user_id, access_token, refresh_token, id_token, expires_at,
             version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7)",
    )
    .bind(id)
    .bind(user_id)
    .bind(t.access_token)
    .bind(t.refresh_token)
    .bind(t.id_token)
    .bind(t.expires_at)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn get(db: &Db, id: &str) -> RepoResult<Option<TokenRow>> {
    sqlx::query_as(
        "SELECT id, user_id, access_token, refresh_token, id_token, expires_at, version, created_at,
                last_seen_at
           FROM auth_tokens WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Replaces the tokens only if nobody else refreshed since `seen_version`; returns whether
/// this write won.
pub async fn replace_if_version(
    db: &Db,
    id: &str,
    seen_version: i64,
    t: &SealedTokens<'_>,
) -> RepoResult<bool> {
    let n = sqlx::query(
        "UPDATE auth_tokens
            SET access_token = $1, refresh_token = COALESCE($2, refresh_token), id_token = $3,
                expires_at = $4, version = version + 1, updated_at = $5
          WHERE id = $6 AND version = $7",
    )
    .bind(t.access_token)
    .bind(t.refresh_token)
    .bind(t.id_token)
    .bind(t.expires_at)
    .bind(now_ms())
    .bind(id)
    .bind(seen_version)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Notes a request of the session at `at` (ms since the epoch).
pub async fn touch(db: &Db, id: &str, at: i64) -> RepoResult<()> {
    sqlx::query("UPDATE auth_tokens SET last_seen_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM auth_tokens WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Ends every console session of one person (force sign-out, suspension).
pub async fn delete_for_user(db: &Db, user_id: &str) -> RepoResult<u64> {
    Ok(sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1")
        .bind(user_id)
        .execute(db.pool())
        .await?
        .rows_affected())
}

/// Deletes the tokens of sessions signed in before `signed_in_before` (ms since the epoch):
/// past their absolute lifetime, they can never be used again.
pub async fn delete_signed_in_before(db: &Db, signed_in_before: i64) -> RepoResult<u64> {
    Ok(
        sqlx::query("DELETE FROM auth_tokens WHERE created_at <= $1")
            .bind(signed_in_before)
            .execute(db.pool())
            .await?
            .rows_affected(),
    )
}

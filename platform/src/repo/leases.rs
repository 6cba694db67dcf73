//! Leases: one holder at a time for a tenant's provisioning or a background job, across
//! requests and instances. A lease expires, so a crashed holder does not block for ever.

use super::RepoResult;
use crate::{now_ms, Db};

/// What is leased.
#[derive(Clone, Copy, Debug)]
pub enum Lease<'a> {
    /// A tenant's provisioning run (`tenant_leases`, by tenant id).
    Tenant(&'a str),
    /// A background job (`job_leases`, by job name).
    Job(&'a str),
}

impl Lease<'_> {
    fn table_key(&self) -> (&'static str, &'static str, &str) {
        match self {
            Lease::Tenant(id) => ("tenant_leases", "tenant_id", id),
            Lease::Job(name) => ("job_leases", "job", name),
        }
    }
}

/// Takes the lease for `ttl_ms` if it is free or expired; whether `holder` has it now.
pub async fn try_take(db: &Db, lease: Lease<'_>, holder: &str, ttl_ms: i64) -> RepoResult<bool> {
    let (table, key, value) = lease.table_key();
    let now = now_ms();
    let n = sqlx::query(&format!(
        "INSERT INTO {table} ({key}, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT ({key}) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE {table}.expires_at < $4"
    ))
    .bind(value)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Gives the lease back (only the holder can).
pub async fn release(db: &Db, lease: Lease<'_>, holder: &str) -> RepoResult<()> {
    let (table, key, value) = lease.table_key();
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE {key} = $1 AND holder = $2"
    ))
    .bind(value)
    .bind(holder)
    .execute(db.pool())
    .await?;
    Ok(())
}

//! Leases of background jobs: one instance at a time runs each.

use super::RepoResult;
use crate::{now_ms, Db};

/// Takes the job's lease for `ttl_ms` if it is free or expired; whether this holder has it.
pub async fn try_lease(db: &Db, job: &str, holder: &str, ttl_ms: i64) -> RepoResult<bool> {
    let now = now_ms();
    let n = sqlx::query(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
          WHERE job_leases.expires_at < $4",
    )
    .bind(job)
    .bind(holder)
    .bind(now + ttl_ms)
    .bind(now)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn release(db: &Db, job: &str, holder: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
        .bind(job)
        .bind(holder)
        .execute(db.pool())
        .await?;
    Ok(())
}

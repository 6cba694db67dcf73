//! Background jobs of one instance.

use std::sync::Arc;

use platform::Platform;

/// Background jobs: expired session records, and the tokens of sessions past their absolute
/// lifetime, are deleted every ten minutes (under a job lease, one instance at a time); domains not checked for
/// the recheck interval are checked again (under a lease, so instances never overlap); audit
/// events older than the retention are purged hourly (under a lease).
pub(super) fn spawn_jobs(
    platform: Arc<Platform>,
    recheck_interval: std::time::Duration,
    audit_retention: std::time::Duration,
) {
    let audit = platform.clone();
    tokio::spawn(async move {
        let holder = uuid::Uuid::now_v7().to_string();
        // Hourly, the first an hour after start (a restart loop does not purge each time).
        let hour = std::time::Duration::from_secs(3600);
        let mut every = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
        loop {
            every.tick().await;
            match audit
                .audit_log
                .purge_expired(audit_retention, &holder)
                .await
            {
                Ok(Some(n)) if n > 0 => {
                    tracing::info!(events = n, "audit retention: old events purged")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "audit retention purge failed; retrying later")
                }
            }
        }
    });
    let domains = platform.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval((recheck_interval / 4).clamp(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs(300),
        ));
        let ctx = platform::Ctx::system("domain-recheck");
        loop {
            every.tick().await;
            match domains
                .domains
                .recheck_due(&ctx, recheck_interval, 50)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(domains = n, "background DNS recheck"),
                Err(e) => {
                    tracing::warn!(error = %e, "background DNS recheck failed; retrying later")
                }
            }
        }
    });
    let store = platform.session_store();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            match platform.auth.collect_expired(&store).await {
                Ok(Some(n)) if n > 0 => tracing::info!(tokens = n, "expired sessions collected"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "expired-session clean-up failed; retrying later")
                }
            }
        }
    });
}

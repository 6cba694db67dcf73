//! Background jobs of one instance.

use std::sync::Arc;

use platform::Platform;

/// Background jobs: expired sessions are deleted every ten minutes; domains not checked for
/// the recheck interval are checked again (under a lease, so instances never overlap).
pub(super) fn spawn_jobs(platform: Arc<Platform>, recheck_interval: std::time::Duration) {
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
    use tower_sessions::ExpiredDeletion;
    let store = platform.session_store();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired-session cleanup failed; retrying later");
            }
        }
    });
}

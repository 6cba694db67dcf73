//! Access tokens are refreshed before they expire, once per session even under concurrent
//! requests, and once more when the IdP answers 401; a refused refresh sends the person to
//! sign in and back. Tokens never reach the database in clear.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn set_ttl(app: &TestApp, secs: i64) {
    app.sandbox_post(
        "/_sandbox/authentik/settings",
        json!({ "access_token_ttl_secs": secs }),
    )
    .await;
}

async fn an_expiring_access_token_is_refreshed_transparently(backend: Backend) {
    let app = spawn_app(backend).await;
    set_ttl(&app, 1).await; // inside the refresh margin: due at once
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    let before = app.sandbox_stats().await["refresh_grants"]
        .as_u64()
        .unwrap();
    let r = b.get(&app.url("/admin/acme")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let after = app.sandbox_stats().await["refresh_grants"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before + 1);
    app.cleanup().await;
}
on_both_backends!(refresh, an_expiring_access_token_is_refreshed_transparently);

async fn concurrent_requests_share_one_refresh(backend: Backend) {
    let app = spawn_app(backend).await;
    set_ttl(&app, 1).await;
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    // The next token lives long, so exactly one refresh is due.
    set_ttl(&app, 3600).await;
    let before = app.sandbox_stats().await;
    let me = app.url("/api/me");
    let requests = (0..8).map(|_| b.get(&me));
    let answers = futures::future::join_all(requests).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    let after = app.sandbox_stats().await;
    assert_eq!(
        after["refresh_grants"].as_u64().unwrap(),
        before["refresh_grants"].as_u64().unwrap() + 1
    );
    assert_eq!(
        after["rejected_refresh"], before["rejected_refresh"],
        "no rotated token was reused"
    );
    app.cleanup().await;
}
on_both_backends!(single_refresh, concurrent_requests_share_one_refresh);

async fn a_refused_refresh_sends_the_person_to_sign_in_and_back(backend: Backend) {
    let app = spawn_app(backend).await;
    set_ttl(&app, 1).await;
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    app.sandbox_post(
        &format!("/_sandbox/authentik/users/{}/revoke-tokens", ADMIN.username),
        json!({}),
    )
    .await;
    let r = b.get(&app.url("/admin/acme?tab=x")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/login?next=%2Fadmin%2Facme%3Ftab%3Dx"
    );
    assert_eq!(app.me_status(&b).await, StatusCode::UNAUTHORIZED);
    let page = app.sign_in(&b, &ADMIN, "/admin/acme?tab=x").await;
    assert_eq!(page.url().path(), "/admin/acme");
    assert_eq!(page.url().query(), Some("tab=x"));
    app.cleanup().await;
}
on_both_backends!(
    refused_refresh,
    a_refused_refresh_sends_the_person_to_sign_in_and_back
);

async fn an_idp_401_triggers_one_refresh_and_a_retry(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    let before = app.sandbox_stats().await["refresh_grants"]
        .as_u64()
        .unwrap();
    app.sandbox_post(
        "/_sandbox/faults",
        json!({ "path_prefix": "/application/o/userinfo/", "count": 1, "status": 401 }),
    )
    .await;
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("preferred_username") && html.contains("adam@acme.example"),
        "{html}"
    );
    let after = app.sandbox_stats().await["refresh_grants"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before + 1);

    // The IdP down: the page says so (502, an upstream failure), the session survives.
    app.sandbox_post(
        "/_sandbox/faults",
        json!({ "path_prefix": "/application/o/userinfo/", "count": 1, "status": 503 }),
    )
    .await;
    let r = b.get(&app.url("/profile")).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(app.me_status(&b).await, StatusCode::OK);
    app.cleanup().await;
}
on_both_backends!(retry_on_401, an_idp_401_triggers_one_refresh_and_a_retry);

async fn tokens_are_sealed_at_rest(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    let rows: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT access_token, refresh_token, id_token FROM auth_tokens")
            .fetch_all(app.platform.db.pool())
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    let (access, refresh, id) = &rows[0];
    // A JWT starts with a base64 JSON header ("eyJ"); sealed values are opaque.
    assert!(!access.starts_with("eyJ") && !id.starts_with("eyJ"));
    assert!(refresh.is_some());
    let sessions: Vec<String> = sqlx::query_scalar("SELECT data FROM sessions")
        .fetch_all(app.platform.db.pool())
        .await
        .unwrap();
    assert!(sessions.iter().all(|d| !d.contains("auth_key")));
    app.cleanup().await;
}
on_both_backends!(sealed, tokens_are_sealed_at_rest);

/// A session ends `SESSION_LIFETIME_HOURS` after its sign-in however busy it is, and a token
/// refresh does not move that point.
async fn sessions_end_at_their_absolute_lifetime(backend: Backend) {
    let app = spawn_app(backend).await;
    set_ttl(&app, 1).await; // every request refreshes the access token
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    let pool = app.platform.db.pool();
    let hour = 3_600_000i64;
    // Signed in 11 h 59 min ago: still within the default 12 h.
    sqlx::query("UPDATE auth_tokens SET created_at = created_at - $1")
        .bind(12 * hour - 60_000)
        .execute(pool)
        .await
        .unwrap();
    let before: i64 = sqlx::query_scalar("SELECT created_at FROM auth_tokens")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(app.me_status(&b).await, StatusCode::OK);
    let after: i64 = sqlx::query_scalar("SELECT created_at FROM auth_tokens")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(before, after, "the refresh did not extend the session");
    // Two minutes later (as the database sees it) the session is over.
    sqlx::query("UPDATE auth_tokens SET created_at = created_at - $1")
        .bind(120_000i64)
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(app.me_status(&b).await, StatusCode::UNAUTHORIZED);
    let page = b.get(&app.url("/admin/acme")).await;
    assert_eq!(
        page.status(),
        StatusCode::SEE_OTHER,
        "sent to sign in again"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_tokens")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "the ended session's tokens are gone");
    app.cleanup().await;
}
on_both_backends!(absolute_lifetime, sessions_end_at_their_absolute_lifetime);

/// The background clean-up deletes the tokens of sessions past their absolute lifetime (and
/// expired session records), one instance at a time.
async fn expired_sessions_are_collected_under_a_lease(backend: Backend) {
    let app = spawn_app(backend).await;
    let (old, fresh) = (Browser::new(), Browser::new());
    app.sign_in(&old, &ADMIN, "/").await;
    app.sign_in(&fresh, &OWNER, "/").await;
    let pool = app.platform.db.pool();
    sqlx::query(
        "UPDATE auth_tokens SET created_at = created_at - 13 * 3600000
          WHERE user_id = (SELECT id FROM users WHERE email = $1)",
    )
    .bind(ADMIN.username)
    .execute(pool)
    .await
    .unwrap();
    // Another instance holds the lease: nothing happens here.
    sqlx::query(
        "INSERT INTO job_leases (job, holder, expires_at) VALUES ('session-gc', 'other', $1)",
    )
    .bind(platform::now_ms() + 60_000)
    .execute(pool)
    .await
    .unwrap();
    let store = app.platform.session_store();
    assert_eq!(
        app.platform.auth.collect_expired(&store).await.unwrap(),
        None
    );
    sqlx::query("DELETE FROM job_leases")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(
        app.platform.auth.collect_expired(&store).await.unwrap(),
        Some(1),
        "the session past its lifetime is collected"
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM auth_tokens")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "the fresh session stays");
    assert_eq!(app.me_status(&fresh).await, StatusCode::OK);
    assert_eq!(app.me_status(&old).await, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}
on_both_backends!(collection, expired_sessions_are_collected_under_a_lease);

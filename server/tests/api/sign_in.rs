//! OIDC sign-in: the happy path, the session id change, and every bad callback — each gives
//! a clear error page and leaves no session.

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;

use crate::helpers::*;

async fn sign_in_lands_on_the_page_asked_for(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let page = app.sign_in(&browser, &ADMIN, "/admin/acme").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.url().path().ends_with("/admin/acme"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Acme Corporation — Admin dashboard"));
    assert!(html.contains("Adam Admin"));

    let me: serde_json::Value = browser.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["email"], "adam@acme.example");
    assert_eq!(me["name"], "Adam Admin");
    assert_eq!(me["tenants"][0]["slug"], "acme");
    assert_eq!(me["tenants"][0]["role"], "admin");
    assert!(me["partner"].is_null());

    let events = app.audit().await;
    assert!(events.iter().any(|e| e.action == "auth.sign_in"
        && e.outcome == Outcome::Success
        && e.actor_email.as_deref() == Some("adam@acme.example")));
    app.cleanup().await;
}
on_both_backends!(happy_path, sign_in_lands_on_the_page_asked_for);

fn session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("dezky_session="))
        .map(String::from)
}

async fn the_session_id_changes_at_sign_in_and_the_cookie_is_guarded(backend: Backend) {
    let app = spawn_app(backend).await;
    let browser = Browser::new();
    let start = browser.get(&app.url("/login?next=/")).await;
    assert!(
        session_cookie(&start).is_none(),
        "no session before the IdP answers (nothing to fixate)"
    );
    let callback = app.sign_in_until_callback(&browser, &MEMBER, "/").await;
    let done = browser.get(&callback).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let before = session_cookie(&done).expect("a session cookie at sign-in");
    assert!(before.contains("HttpOnly"), "{before}");
    assert!(before.contains("SameSite=Lax"), "{before}");
    assert!(
        !before.contains("Secure"),
        "plain http: no Secure flag ({before})"
    );
    // Signing in again in the same browser (with its session cookie) gets a new id.
    let callback = app.sign_in_until_callback(&browser, &MEMBER, "/").await;
    let again = browser.get(&callback).await;
    let after = session_cookie(&again).expect("a new session cookie at sign-in");
    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&before), id(&after));
    app.cleanup().await;
}
on_both_backends!(
    session_id_changes,
    the_session_id_changes_at_sign_in_and_the_cookie_is_guarded
);

async fn assert_refused_without_session(
    app: &TestApp,
    browser: &Browser,
    callback: &str,
    expect: &str,
) {
    let r = browser.get(callback).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{callback}");
    let html = r.text().await.unwrap();
    assert!(html.contains(expect), "page says {expect:?}: {html}");
    assert!(
        html.contains("Sign in again"),
        "the page offers the way back"
    );
    assert_eq!(app.me_status(browser).await, StatusCode::UNAUTHORIZED);
}

fn with_param(url: &str, key: &str, value: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == key {
                    value.to_string()
                } else {
                    v.to_string()
                },
            )
        })
        .collect();
    u.query_pairs_mut().clear().extend_pairs(pairs);
    u.to_string()
}

async fn bad_callbacks_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;

    // Tampered state.
    let b = Browser::new();
    let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
    assert_refused_without_session(
        &app,
        &b,
        &with_param(&cb, "state", "forged"),
        "state mismatch",
    )
    .await;

    // Tampered code.
    let b = Browser::new();
    let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
    assert_refused_without_session(
        &app,
        &b,
        &with_param(&cb, "code", "forged"),
        "refused the sign-in code",
    )
    .await;

    // Replayed callback: in the same browser after success, and in another browser.
    let b = Browser::new();
    let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
    assert_eq!(b.get(&cb).await.status(), StatusCode::SEE_OTHER);
    let again = b.get(&cb).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("no longer valid"));
    let thief = Browser::new();
    assert_refused_without_session(&app, &thief, &cb, "no longer valid").await;

    // An error answer from the IdP.
    let b = Browser::new();
    let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
    let state = url::Url::parse(&cb)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .to_string();
    let denied = app.url(&format!("/auth/callback?error=access_denied&state={state}"));
    assert_refused_without_session(&app, &b, &denied, "access_denied").await;

    // A wrong nonce, then an expired ID token.
    for (tamper, says) in [("wrong_nonce", "Nonce"), ("expired", "expired")] {
        let b = Browser::new();
        app.sandbox_post(
            "/_sandbox/authentik/next-id-token",
            serde_json::json!({ tamper: true }),
        )
        .await;
        let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
        let r = b.get(&cb).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{tamper}");
        let html = r.text().await.unwrap();
        assert!(html.contains("ID token is not valid"), "{tamper}: {html}");
        assert!(
            html.to_lowercase().contains(&says.to_lowercase()),
            "{tamper}: {html}"
        );
        assert_eq!(
            app.me_status(&b).await,
            StatusCode::UNAUTHORIZED,
            "{tamper}"
        );
    }

    // A token that expired a few seconds ago (a slightly skewed clock) is still accepted;
    // an hour ago is refused above.
    let b = Browser::new();
    app.sandbox_post(
        "/_sandbox/authentik/next-id-token",
        serde_json::json!({ "exp_after_secs": -30 }),
    )
    .await;
    let cb = app.sign_in_until_callback(&b, &ADMIN, "/").await;
    let r = b.get(&cb).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "within the leeway");
    assert_eq!(app.me_status(&b).await, StatusCode::OK);

    let failures = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.action == "auth.sign_in" && e.outcome == Outcome::Failure)
        .count();
    assert!(failures >= 4, "failed sign-ins are audited ({failures})");
    app.cleanup().await;
}
on_both_backends!(bad_callbacks, bad_callbacks_are_refused);

async fn wrong_password_and_inactive_users_cannot_sign_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    let start = b.get(&app.url("/login?next=/")).await;
    let flow = b.get(&location(&start)).await;
    let form = location(&flow);
    let next = url::Url::parse(&form)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .to_string();
    let r = b
        .client
        .post(format!(
            "{}/if/flow/default-authentication-flow/",
            app.sandbox_url
        ))
        .form(&[
            ("uid_field", ADMIN.username),
            ("password", "wrong"),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Failed to authenticate"));

    app.sandbox_post(
        &format!("/_sandbox/authentik/users/{}/active", MEMBER.username),
        serde_json::json!({ "is_active": false }),
    )
    .await;
    let r = b
        .client
        .post(format!(
            "{}/if/flow/default-authentication-flow/",
            app.sandbox_url
        ))
        .form(&[
            ("uid_field", MEMBER.username),
            ("password", MEMBER.password),
            ("next", &next),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "an inactive user stays on the form"
    );
    assert_eq!(app.me_status(&b).await, StatusCode::UNAUTHORIZED);
    app.cleanup().await;
}
on_both_backends!(
    refused_at_idp,
    wrong_password_and_inactive_users_cannot_sign_in
);

async fn sign_out_ends_the_session_here_and_at_the_idp(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    app.sign_in(&b, &ADMIN, "/").await;
    assert_eq!(app.me_status(&b).await, StatusCode::OK);
    let out = b.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let end_session = location(&out);
    assert!(
        end_session.starts_with(&format!(
            "{}/application/o/dezky/end-session/",
            app.sandbox_url
        )),
        "{end_session}"
    );
    assert!(end_session.contains("id_token_hint="));
    let back = b.follow(b.get(&end_session).await).await;
    assert_eq!(back.url().path(), "/signed-out");
    assert_eq!(back.status(), StatusCode::OK);
    assert_eq!(app.me_status(&b).await, StatusCode::UNAUTHORIZED);
    let private = b.get(&app.url("/admin/acme")).await;
    assert_eq!(private.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.sandbox_stats().await["browser_sessions"],
        0,
        "the IdP session ended too"
    );
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "auth.sign_out"));
    // The next sign-in asks for the password again.
    let start = b.get(&app.url("/login?next=/")).await;
    assert!(location(&b.get(&location(&start)).await).contains("/if/flow/"));
    app.cleanup().await;
}
on_both_backends!(sign_out, sign_out_ends_the_session_here_and_at_the_idp);

async fn open_redirects_are_not_followed(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    let page = app.sign_in(&b, &OWNER, "https://evil.example/").await;
    assert_eq!(page.url().as_str(), app.url("/"));
    // What browsers would turn into another site: tab and newline dropped, `\` read as `/`.
    for next in [
        "/\t/evil.example",
        "/\\evil",
        "https://evil",
        "//evil",
        "/\r\nSet-Cookie:x",
    ] {
        let b = Browser::new();
        let callback = app.sign_in_until_callback(&b, &OWNER, next).await;
        let r = b.get(&callback).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(r.headers()["location"], "/", "{next:?}");
    }
    app.cleanup().await;
}
on_both_backends!(no_open_redirect, open_redirects_are_not_followed);

/// `/login` stores nothing on the server: anonymous requests cannot fill the session table.
/// The sign-in under way travels in a sealed, short-lived cookie that works once.
async fn starting_a_sign_in_stores_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    for _ in 0..5 {
        let b = Browser::new();
        let r = b.get(&app.url("/login?next=/admin")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.starts_with("dezky_signin=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Max-Age=600"),
            "{cookie}"
        );
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(app.platform.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "no session row before the IdP answers");
    // A sign-in still completes, and its cookie cannot be used twice.
    let b = Browser::new();
    let callback = app.sign_in_until_callback(&b, &OWNER, "/profile").await;
    let first = b.get(&callback).await;
    assert_eq!(first.headers()["location"], "/profile");
    let replay = b.get(&callback).await;
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    app.cleanup().await;
}
on_both_backends!(login_stores_nothing, starting_a_sign_in_stores_nothing);

/// An address the IdP does not vouch for (Authentik sends `email_verified: false` by default)
/// and Dezky did not give is shown as unverified and never attributes an audit event; the
/// addresses Dezky gave (seeded people, members it created) are verified.
async fn unverified_addresses_do_not_attribute_audit_events(backend: Backend) {
    let app = spawn_app(backend).await;
    let uuid = app
        .authentik
        .add_user("eve@elsewhere.example", "Eve", "eve-password-2026");
    let eve = Browser::new();
    let who = Person {
        username: "eve@elsewhere.example",
        password: "eve-password-2026",
    };
    app.sign_in(&eve, &who, "/").await;
    let me: serde_json::Value = eve.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["email"], "eve@elsewhere.example");
    assert_eq!(me["email_verified"], false, "{me}");
    // Eve probes acme: the refusal is audited to her user id, not to the address she claims.
    let r = eve.get(&app.url("/api/tenants/acme/members")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let user =
        platform::repo::identity::user_by_id(&app.platform.db, me["user_id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap();
    assert_eq!(user.subject, uuid);
    let denied: Vec<_> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| {
            e.actor_user_id.as_deref() == Some(user.id.as_str()) && e.outcome == Outcome::Denied
        })
        .collect();
    assert!(!denied.is_empty());
    assert!(denied.iter().all(|e| e.actor_email.is_none()), "{denied:?}");
    // The seeded owner's address is Dezky's own: verified, and attributes events.
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let me: serde_json::Value = owner.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["email_verified"], true, "{me}");
    app.cleanup().await;
}
on_both_backends!(
    email_verified,
    unverified_addresses_do_not_attribute_audit_events
);

/// An IdP whose ID token carries only `sub` (Authentik's `include_claims_in_id_token` off, as
/// OIDC Core allows): the name and address come from userinfo, and follow the IdP at the next
/// sign-in.
async fn the_profile_comes_from_userinfo_and_stays_current(backend: Backend) {
    let app = spawn_app(backend).await;
    app.authentik.set_include_claims_in_id_token(false);
    let browser = Browser::new();
    app.sign_in(&browser, &ADMIN, "/").await;
    let me: serde_json::Value = browser.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["email"], "adam@acme.example", "{me}");
    assert_eq!(me["name"], "Adam Admin", "{me}");

    app.authentik.rename_user(ADMIN.username, "Adam Renamed");
    let again = Browser::new();
    app.sign_in(&again, &ADMIN, "/").await;
    let me: serde_json::Value = again.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["name"], "Adam Renamed", "{me}");
    app.cleanup().await;
}
on_both_backends!(
    userinfo_profile,
    the_profile_comes_from_userinfo_and_stays_current
);

/// The stand-in issues subjects by the provider's `sub_mode`, as Authentik does: with
/// `hashed_user_id` a member's sign-in no longer finds their record (matched by the user's
/// UUID), which is why `server doctor` insists on `user_uuid`.
async fn subjects_follow_the_providers_sub_mode(backend: Backend) {
    let app = spawn_app(backend).await;
    app.authentik.set_console_sub_mode("hashed_user_id");
    let browser = Browser::new();
    app.sign_in(&browser, &ADMIN, "/").await;
    let me: serde_json::Value = browser.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["tenants"], serde_json::json!([]), "{me}");

    app.authentik.set_console_sub_mode("user_uuid");
    let again = Browser::new();
    app.sign_in(&again, &ADMIN, "/").await;
    let me: serde_json::Value = again.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["tenants"][0]["slug"], "acme", "{me}");
    app.cleanup().await;
}
on_both_backends!(sub_mode, subjects_follow_the_providers_sub_mode);

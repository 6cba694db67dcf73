//! Route guards and `me`: admins reach `/admin`, members and strangers do not (403, audited
//! as denied), unknown tenants are 404, anonymous callers are sent to sign in (pages) or get
//! 401 (API and server functions). Partner mode only for partner staff, never carried over.

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;

use crate::helpers::*;

async fn anonymous_callers_are_sent_to_sign_in_or_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    for page in ["/", "/admin", "/admin/acme", "/partner", "/profile"] {
        let r = b.get(&app.url(page)).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(
            r.headers()["location"],
            format!("/login?next={}", urlencoding::encode(page)).as_str()
        );
    }
    let api = b.get(&app.url("/api/me")).await;
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "unauthenticated");
    assert!(body["message"].as_str().unwrap().contains("sign in"));
    for (f, args) in [
        ("admin_dashboard", vec![("tenant", "acme")]),
        ("partner_overview", vec![]),
        ("enter_partner_mode", vec![("tenant", "acme")]),
        ("profile", vec![]),
        ("admin_home", vec![]),
        ("exit_partner_mode", vec![]),
    ] {
        let r = app.server_fn(&b, f, &args).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{f}");
        assert!(r.text().await.unwrap().contains("unauthenticated"), "{f}");
    }
    let info: serde_json::Value = app
        .server_fn(&b, "session_info", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(info["me"].is_null());
    assert_eq!(info["sandbox"], true);
    app.cleanup().await;
}
on_both_backends!(anonymous, anonymous_callers_are_sent_to_sign_in_or_refused);

async fn only_admins_reach_the_admin_console(backend: Backend) {
    let app = spawn_app(backend).await;
    let member = Browser::new();
    let home = app.sign_in(&member, &MEMBER, "/").await;
    let html = home.text().await.unwrap();
    assert!(html.contains("Welcome, Mia Member"));
    assert!(
        !html.contains("admin-tile-acme"),
        "no admin tile for a member"
    );

    let r = member.get(&app.url("/admin/acme")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Only admins and owners"));
    let r = member.get(&app.url("/admin")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .server_fn(&member, "admin_dashboard", &[("tenant", "acme")])
        .await;
    assert!(r.text().await.unwrap().contains("forbidden"));

    let denied: Vec<_> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| {
            e.outcome == Outcome::Denied
                && e.action == "admin.open"
                && e.actor_email.as_deref() == Some(MEMBER.username)
        })
        .collect();
    assert_eq!(
        denied.len(),
        1,
        "three refusals in a minute are audited once: nobody floods a tenant's log"
    );
    assert!(denied
        .iter()
        .all(|e| e.tenant_id.is_some() && e.ip.as_deref() == Some("127.0.0.1")));
    // A minute later (as the database sees it) the next refusal is audited again.
    sqlx::query("UPDATE audit_denial_marks SET last_at = last_at - 61000")
        .execute(app.platform.db.pool())
        .await
        .unwrap();
    let r = member.get(&app.url("/admin/acme")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let again = app
        .audit()
        .await
        .into_iter()
        .filter(|e| {
            e.outcome == Outcome::Denied && e.actor_email.as_deref() == Some(MEMBER.username)
        })
        .count();
    assert_eq!(again, 2);

    let owner = Browser::new();
    let r = app.sign_in(&owner, &OWNER, "/admin").await;
    assert_eq!(
        r.url().path(),
        "/admin/acme",
        "/admin opens the owner's tenant"
    );
    assert_eq!(r.status(), StatusCode::OK);
    app.cleanup().await;
}
on_both_backends!(admins_only, only_admins_reach_the_admin_console);

async fn other_tenants_are_403_and_unknown_ones_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    assert_eq!(
        gina.get(&app.url("/admin/globex")).await.status(),
        StatusCode::OK
    );
    let r = gina.get(&app.url("/admin/acme")).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("not a member"));
    let r = app
        .server_fn(&gina, "admin_dashboard", &[("tenant", "acme")])
        .await;
    let body = r.text().await.unwrap();
    assert!(
        body.contains("forbidden") && !body.contains("Acme Corporation — "),
        "{body}"
    );
    let r = gina.get(&app.url("/admin/no-such-tenant")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("no workspace called"));
    let r = gina.get(&app.url("/nothing-here")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let acme = platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    let events = app.audit().await;
    assert!(events
        .iter()
        .any(|e| e.tenant_id.as_deref() == Some(acme.id.as_str())
            && e.outcome == Outcome::Denied
            && e.actor_email.as_deref() == Some(GLOBEX_ADMIN.username)));
    assert!(events
        .iter()
        .any(|e| e.target == "no-such-tenant" && e.outcome == Outcome::Denied));
    app.cleanup().await;
}
on_both_backends!(tenant_isolation, other_tenants_are_403_and_unknown_ones_404);

async fn partner_mode_is_for_partner_staff_and_ends_with_the_session(backend: Backend) {
    let app = spawn_app(backend).await;
    // A member cannot enter partner mode.
    let mia = Browser::new();
    app.sign_in(&mia, &MEMBER, "/").await;
    let r = app
        .server_fn(&mia, "enter_partner_mode", &[("tenant", "acme")])
        .await;
    assert!(r.text().await.unwrap().contains("forbidden"));
    assert_eq!(
        mia.get(&app.url("/partner")).await.status(),
        StatusCode::FORBIDDEN
    );

    let pat = Browser::new();
    let home = app.sign_in(&pat, &PARTNER, "/").await.text().await.unwrap();
    assert!(home.contains("Partner view — Northwind IT Services"));
    let me: serde_json::Value = pat.get(&app.url("/api/me")).await.json().await.unwrap();
    assert_eq!(me["partner"]["slug"], "northwind");
    let partner = pat.get(&app.url("/partner")).await.text().await.unwrap();
    assert!(partner.contains("Acme Corporation") && !partner.contains("Globex"));
    // Not in partner mode yet: no access to the tenant's admin console.
    assert_eq!(
        pat.get(&app.url("/admin/acme")).await.status(),
        StatusCode::FORBIDDEN
    );
    // Globex is not looked after by this partner.
    let r = app
        .server_fn(&pat, "enter_partner_mode", &[("tenant", "globex")])
        .await;
    assert!(r.text().await.unwrap().contains("forbidden"));
    let r = app
        .server_fn(&pat, "enter_partner_mode", &[("tenant", "acme")])
        .await;
    assert_eq!(r.json::<String>().await.unwrap(), "/admin/acme");
    let dash = pat.get(&app.url("/admin/acme")).await;
    assert_eq!(dash.status(), StatusCode::OK);
    let html = dash.text().await.unwrap();
    assert!(html.contains("partner-banner") && html.contains("(partner staff)"));
    assert!(
        html.contains("partner.enter_tenant"),
        "the entry shows in the tenant's recent activity"
    );
    let entered = app
        .audit()
        .await
        .into_iter()
        .find(|e| e.action == "partner.enter_tenant" && e.outcome == Outcome::Success)
        .unwrap();
    assert!(entered.actor_partner_staff);

    // A new sign-in starts without partner mode.
    let out = pat.client.post(app.url("/logout")).send().await.unwrap();
    pat.follow(out).await;
    app.sign_in(&pat, &PARTNER, "/").await;
    assert_eq!(
        pat.get(&app.url("/admin/acme")).await.status(),
        StatusCode::FORBIDDEN
    );
    app.cleanup().await;
}
on_both_backends!(
    partner_mode,
    partner_mode_is_for_partner_staff_and_ends_with_the_session
);

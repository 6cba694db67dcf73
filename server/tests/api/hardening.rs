//! Requests from other sites, security headers and body limits.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

/// A form on another site posting to a server function, the API or `/logout` is refused
/// (403 `cross_site`) and changes nothing; the console's own pages pass.
async fn cross_site_requests_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let form = [("tenant", "acme"), ("name", "csrf.example")];
    let evil = |path: &str| {
        owner
            .client
            .post(app.url(path))
            .header("origin", "https://evil.example")
    };
    let r = evil("/api/fn/add_domain").form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "cross_site");
    let r = evil("/api/tenants/acme/domains")
        .json(&json!({ "name": "csrf.example" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = owner
        .client
        .post(app.url("/api/fn/add_domain"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = evil("/logout").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.me_status(&owner).await,
        StatusCode::OK,
        "still signed in"
    );
    let list: Vec<Value> = owner
        .get(&app.url("/api/tenants/acme/domains"))
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty(), "nothing was added: {list:?}");
    // The console's own page (same origin) passes.
    let r = owner
        .client
        .post(app.url("/api/fn/add_domain"))
        .header("origin", app.address.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    app.cleanup().await;
}
on_both_backends!(csrf, cross_site_requests_are_refused);

/// Every answer carries the security headers; a page's Content-Security-Policy allows only
/// the inline scripts that carry this response's nonce.
async fn answers_carry_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    let b = Browser::new();
    let page = app.sign_in(&b, &ADMIN, "/admin/acme").await;
    let h = page.headers().clone();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce in {csp}"));
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(
        html.matches("<script>").count(),
        0,
        "no inline script without the nonce"
    );
    assert!(
        with_nonce >= 2,
        "{with_nonce} of {scripts} scripts carry the nonce"
    );
    // A second page gets a new nonce.
    let again = b.get(&app.url("/admin/acme")).await;
    let csp2 = again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(csp, csp2, "one nonce per response");
    // An address no route takes (and no file of the site): the "not found" page, with the
    // page's policy and its own nonce.
    let missing = b.get(&app.url("/no-such-page")).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let csp3 = missing.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp3.contains("'nonce-") && csp3 != csp2, "{csp3}");
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("There is no page at this address."));
    // API answers get a policy that allows nothing.
    let api = b.get(&app.url("/api/me")).await;
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(api.headers()["x-frame-options"], "DENY");
    app.cleanup().await;
}
on_both_backends!(security_headers, answers_carry_security_headers);

/// A body over the limit is refused with the API's JSON error before it is read.
async fn large_bodies_are_refused(backend: Backend) {
    let app = spawn_app_with(backend, vec![("MAX_BODY_BYTES", "1024".into())]).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let big = "x".repeat(4096);
    let r = app
        .post_json(&admin, "/api/tenants/acme/domains", json!({ "name": big }))
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    let r = app
        .server_fn(&admin, "add_domain", &[("tenant", "acme"), ("name", &big)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    app.cleanup().await;
}
on_both_backends!(body_limit, large_bodies_are_refused);

/// The sandbox's control routes (faults, ID-token tampering, DNS records, mailboxes) answer
/// only requests carrying the control token printed at start.
async fn sandbox_control_routes_need_the_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = reqwest::Client::new();
    let fault = json!({ "path_prefix": "/", "count": 0, "status": 500 });
    for base in [&app.sandbox_url, &app.stalwart_url, &app.ocis_url] {
        let r = client
            .post(format!("{base}/_sandbox/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{base}");
        let r = client
            .post(format!("{base}/_sandbox/faults"))
            .header("x-sandbox-token", "wrong")
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{base}");
    }
    let r = client
        .post(format!(
            "{}/_sandbox/authentik/next-id-token",
            app.sandbox_url
        ))
        .json(&json!({ "wrong_nonce": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Nothing was injected: sign-in works.
    let b = Browser::new();
    let page = app.sign_in(&b, &OWNER, "/").await;
    assert_eq!(page.status(), StatusCode::OK);
    // With the token the control routes work.
    let r = client
        .get(format!("{}/_sandbox/authentik/stats", app.sandbox_url))
        .header("x-sandbox-token", &app.control_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    app.cleanup().await;
}
on_both_backends!(sandbox_token, sandbox_control_routes_need_the_token);

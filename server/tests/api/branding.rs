//! Branding: the product name and accent (refused below WCAG 2.x AA, with the ratio and the
//! nearest colour that passes), the theme in the first HTML response of the tenant's pages
//! and nobody else's, the logo re-encoded (SVG, non-images and polyglots refused), the email
//! templates (validated with the line, previewed with values escaped, reset), the welcome
//! message through SMTP to the sandbox's sink (never with the password), and the notice to
//! the admins when an account is suspended.

use platform::db::Backend;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

async fn put(app: &TestApp, b: &Browser, path: &str, body: Value) -> (StatusCode, Value) {
    let r = b
        .client
        .put(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, b: &Browser, path: &str) -> (StatusCode, Value) {
    let r = b.get(&app.url(path)).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The page's HTML and the nonce of its Content-Security-Policy's `style-src`.
async fn page(app: &TestApp, b: &Browser, path: &str) -> (String, String) {
    let r = b.get(&app.url(path)).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let style_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("style-src"))
        .unwrap_or_else(|| panic!("{csp}"))
        .to_string();
    let nonce = style_src
        .split("'nonce-")
        .nth(1)
        .and_then(|n| n.split('\'').next())
        .unwrap_or_else(|| panic!("a nonce in {style_src}"))
        .to_string();
    (r.text().await.unwrap(), nonce)
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(width, height, image::Rgba([200, 30, 30, 255]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn the_accent_is_checked_and_themes_every_page_of_the_tenant(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;

    let (s, v) = get(&app, &owner, "/api/tenants/acme/branding").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["product_name"], Value::Null);
    assert_eq!(v["theme"]["product_name"], "Dezky");
    assert_eq!(v["theme"]["accent"], "#4f46e5");
    assert_eq!(v["check"]["passes"], true);

    // The check of a colour as typed: #FFF is a white background with black text (21:1),
    // but it is invisible as a link on the white page.
    let (s, c) = get(
        &app,
        &owner,
        "/api/tenants/acme/branding/check?accent=%23FFF",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["accent"], "#ffffff");
    assert_eq!(c["on_accent"], "black");
    assert_eq!(c["on_accent_ratio"], 21.0);
    assert_eq!(c["passes"], false);

    // A mid grey is refused with its ratio and the nearest colour that passes.
    let (s, e) = put(
        &app,
        &owner,
        "/api/tenants/acme/branding",
        json!({ "accent": "#777777" }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "accent");
    let m = e["message"].as_str().unwrap();
    assert!(m.contains("4.47:1") && m.contains("#767676"), "{m}");
    for bad in ["red", "#12", "#GGGGGG"] {
        let (s, e) = put(
            &app,
            &owner,
            "/api/tenants/acme/branding",
            json!({ "accent": bad }),
        )
        .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {e}");
        assert_eq!(e["field"], "accent");
    }
    let (s, e) = put(
        &app,
        &owner,
        "/api/tenants/acme/branding",
        json!({ "product_name": "x".repeat(41) }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "product_name");

    // #333 passes, with white text.
    let (s, v) = put(
        &app,
        &owner,
        "/api/tenants/acme/branding",
        json!({ "product_name": "Acme Cloud", "accent": "#333" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["accent"], "#333333");
    assert_eq!(v["theme"]["on_accent"], "#ffffff");
    assert_eq!(v["check"]["on_accent"], "white");

    // The theme is in the first HTML response, in a <style> carrying the CSP's nonce, on
    // every page of the tenant.
    for path in ["/admin/acme", "/admin/acme/members", "/admin/acme/branding"] {
        let (html, nonce) = page(&app, &owner, path).await;
        assert!(
            html.contains(":root{--accent:#333333;--on-accent:#ffffff}"),
            "{path}: {html}"
        );
        assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{path}");
        assert!(html.contains("<title>Acme Cloud console</title>"), "{path}");
        assert!(
            html.contains("id=\"product-name\">Acme Cloud<"),
            "{path}: the header shows the product name"
        );
    }
    // The sidebar's mark carries the product name over the workspace's.
    let mark: Value = app
        .server_fn(&owner, "admin_sidebar", &[("tenant", "acme")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mark["product_name"], "Acme Cloud", "{mark}");
    assert_eq!(mark["tenant_name"], "Acme Corporation");
    // The partner's view of acme too.
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let r = app
        .server_fn(&pat, "enter_partner_mode", &[("tenant", "acme")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (html, _) = page(&app, &pat, "/admin/acme/storage").await;
    assert!(html.contains("--accent:#333333"), "partner view: {html}");
    // A member of acme sees it on their start page.
    let mia = Browser::new();
    app.sign_in(&mia, &MEMBER, "/").await;
    let (html, _) = page(&app, &mia, "/").await;
    assert!(
        html.contains("--accent:#333333") && html.contains("Acme Cloud"),
        "{html}"
    );
    // Nobody else: globex's admin opening acme's pages sees the console's own.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    let html = app.html(&gina, "/admin/acme").await;
    assert!(
        !html.contains("#333333") && !html.contains("Acme Cloud"),
        "{html}"
    );
    let (s, _) = get(&app, &gina, "/api/tenants/acme/branding").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put(
        &app,
        &mia,
        "/api/tenants/acme/branding",
        json!({ "accent": "#000" }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Empty goes back to the defaults.
    let (s, v) = put(
        &app,
        &owner,
        "/api/tenants/acme/branding",
        json!({ "product_name": "", "accent": "" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["theme"]["accent"], "#4f46e5");
    assert_eq!(v["theme"]["product_name"], "Dezky");

    let audit = app.audit().await;
    let updates: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "branding.update")
        .collect();
    assert!(updates
        .iter()
        .any(|e| e.outcome == platform::domain::Outcome::Failure));
    assert_eq!(
        updates
            .iter()
            .filter(|e| e.outcome == platform::domain::Outcome::Success)
            .count(),
        2
    );
    app.cleanup().await;
}
on_both_backends!(
    accent_and_theme,
    the_accent_is_checked_and_themes_every_page_of_the_tenant
);

async fn logos_are_re_encoded_and_only_images_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let upload = |body: Vec<u8>| {
        owner
            .client
            .put(app.url("/api/tenants/acme/branding/logo"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };

    let svg =
        br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec();
    let mut polyglot = png(8, 8);
    polyglot.extend_from_slice(b"<script>alert(1)</script>");
    for (body, words) in [
        (svg, "SVG"),
        (
            b"just text, not an image".to_vec(),
            "not a PNG, JPEG or WebP",
        ),
        (polyglot, "does not end where the file does"),
        (vec![0x89; 300 * 1024], "256 KiB"),
    ] {
        let r = upload(body).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["field"], "logo", "{e}");
        assert!(e["message"].as_str().unwrap().contains(words), "{e}");
    }

    let r = upload(png(64, 32)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["logo"]["width"], 64);
    assert_eq!(v["logo"]["height"], 32);
    let url = v["theme"]["logo_url"].as_str().unwrap().to_string();
    let r = owner.get(&app.url(&url)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    let stored = r.bytes().await.unwrap();
    let decoded = image::load_from_memory(&stored).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 32));
    // The header shows it on the tenant's pages.
    let html = app.html(&owner, "/admin/acme").await;
    assert!(
        html.contains(&format!("src=\"{}\"", url.replace('&', "&amp;"))),
        "{html}"
    );

    // Another tenant's admin never gets it.
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    assert_eq!(
        gina.get(&app.url(&url)).await.status(),
        StatusCode::FORBIDDEN
    );

    let r = owner
        .client
        .delete(app.url("/api/tenants/acme/branding/logo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        owner.get(&app.url(&url)).await.status(),
        StatusCode::NOT_FOUND
    );
    let audit = app.audit().await;
    assert_eq!(
        audit.iter().filter(|e| e.action == "branding.logo").count(),
        5
    );
    app.cleanup().await;
}
on_both_backends!(logo, logos_are_re_encoded_and_only_images_accepted);

async fn templates_are_validated_previewed_saved_and_reset(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    let (s, list) = get(&app, &owner, "/api/tenants/acme/email-templates").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["welcome", "suspended", "domain_attention"]);
    assert!(list[0]["placeholders"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "sign_in_url"));
    assert_eq!(list[0]["customised"], false);

    let path = "/api/tenants/acme/email-templates/welcome";
    let (s, e) = put(
        &app,
        &owner,
        path,
        json!({ "subject": "Hi", "body": "<p>Hello {{ member_name }}</p>\n<p>{{ password }}</p>" }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "body");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Line 2 of the body: {{ password }} is not a placeholder"),
        "{e}"
    );
    let (s, e) = put(
        &app,
        &owner,
        path,
        json!({ "subject": "Hi {{ member_name", "body": "x" }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "subject");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Line 1 of the subject: syntax error"),
        "{e}"
    );
    let (s, _) = put(
        &app,
        &owner,
        "/api/tenants/acme/email-templates/nope",
        json!({ "subject": "a", "body": "b" }),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The preview uses sample data and this workspace's name; values are escaped.
    let (s, p) = put_post(&app, &owner, "/api/tenants/acme/email-templates/welcome/preview",
        json!({ "subject": "Welcome {{ member_name }} to {{ workspace_name }}", "body": "<p>{{ admin_name }} says hi to {{ member_email }}</p>" })).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["subject"], "Welcome Alex Rivera to Acme Corporation");
    assert!(
        p["body"]
            .as_str()
            .unwrap()
            .contains("says hi to alex@acme.example"),
        "{p}"
    );

    let (s, v) = put(&app, &owner, path, json!({ "subject": "Hello from {{ workspace_name }}", "body": "<p>Sign in at {{ sign_in_url }} as {{ member_email }}.</p>" })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["customised"], true);
    let (_, list) = get(&app, &owner, "/api/tenants/acme/email-templates").await;
    assert_eq!(list[0]["subject"], "Hello from {{ workspace_name }}");

    let r = owner.client.delete(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["customised"], false);
    assert!(v["subject"].as_str().unwrap().starts_with("Welcome to"));

    let audit = app.audit().await;
    assert!(audit
        .iter()
        .any(|e| e.action == "email_template.save"
            && e.outcome == platform::domain::Outcome::Failure));
    assert!(audit.iter().any(|e| e.action == "email_template.reset"));
    app.cleanup().await;
}
on_both_backends!(templates, templates_are_validated_previewed_saved_and_reset);

async fn put_post(app: &TestApp, b: &Browser, path: &str, body: Value) -> (StatusCode, Value) {
    let r = app.post_json(b, path, body).await;
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

async fn the_welcome_message_reaches_the_smtp_sink_without_the_password(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    app.primary_domain(&owner, "welcome.example").await;
    let (s, member) = app.create_member(&owner, "jane", "member").await;
    assert_eq!(s, StatusCode::CREATED, "{member}");
    let id = member["member"]["id"].as_str().unwrap().to_string();
    let password = member["one_time_password"].as_str().unwrap().to_string();
    // A product name with markup: escaped in the HTML body.
    let (s, _) = put(
        &app,
        &owner,
        "/api/tenants/acme/branding",
        json!({ "product_name": "Acme <script>x</script>" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = put(&app, &owner, "/api/tenants/acme/email-templates/welcome", json!({
        "subject": "Welcome {{ member_name }}",
        "body": "<p>{{ product_name }}: sign in at {{ sign_in_url }} as {{ member_email }}.</p>",
    })).await;
    assert_eq!(s, StatusCode::OK);

    let welcome = format!("/api/tenants/acme/members/{id}/welcome");
    let (s, e) = put_post(&app, &owner, &welcome, json!({ "to": "not an address" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["field"], "to");
    let gina = Browser::new();
    app.sign_in(&gina, &GLOBEX_ADMIN, "/").await;
    let (s, _) = put_post(&app, &gina, &welcome, json!({ "to": "jane@home.example" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, sent) = put_post(&app, &owner, &welcome, json!({ "to": "jane@home.example" })).await;
    assert_eq!(s, StatusCode::OK, "{sent}");
    assert_eq!(sent["subject"], "Welcome Jane Tester");
    let got = app.smtp.messages_to("jane@home.example");
    assert_eq!(got.len(), 1, "{got:?}");
    let data = &got[0].data;
    assert!(data.contains("Subject: Welcome Jane Tester"), "{data}");
    assert!(
        data.contains("Acme &lt;script&gt;x&lt;&#x2f;script&gt;: sign in at"),
        "{data}"
    );
    assert!(data.contains("jane@welcome.example"), "{data}");
    assert!(
        !data.contains(&password),
        "the one-time password is never mailed"
    );

    // The mail server refusing is a 502 with the reason, audited.
    app.smtp.refuse_next(1);
    let (s, e) = put_post(&app, &owner, &welcome, json!({ "to": "jane@home.example" })).await;
    assert_eq!(s, StatusCode::BAD_GATEWAY, "{e}");
    let audit = app.audit().await;
    let sends: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "member.welcome_email")
        .collect();
    assert!(sends
        .iter()
        .any(|e| e.outcome == platform::domain::Outcome::Success
            && e.target == "jane@welcome.example"));
    assert!(sends
        .iter()
        .any(|e| e.outcome == platform::domain::Outcome::Failure));

    // Suspending jane tells acme's other admins and owners.
    let (s, v) = app.member_action(&owner, &id, "suspend").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let notices = app.smtp.messages_to("adam@acme.example");
    assert_eq!(notices.len(), 1, "{:?}", app.smtp.messages());
    assert!(
        notices[0]
            .data
            .contains("jane@welcome.example was suspended"),
        "{}",
        notices[0].data
    );
    assert!(app
        .audit()
        .await
        .iter()
        .any(|e| e.action == "email.suspended_notice"));
    app.cleanup().await;
}
on_both_backends!(
    welcome_email,
    the_welcome_message_reaches_the_smtp_sink_without_the_password
);

/// The parts of one page (the layout's theme, the sidebar's mark and banner, the dashboard)
/// read the theme, the billing row and the seat count once per request: a change made
/// meanwhile shows on the next request, not halfway through this one.
async fn a_page_reads_the_theme_and_seats_once_per_request(backend: Backend) {
    use platform::repo::{branding, identity, members};
    use platform::{Ctx, RequestMeta};
    use wire::members::MemberStatus;

    let app = spawn_app(backend).await;
    let db = &app.platform.db;
    let p = &app.platform;
    let acme = identity::tenant_by_slug(db, "acme").await.unwrap().unwrap();
    let acme_id = acme.id.as_str();
    let member = |address: &'static str| async move {
        members::by_address(db, acme_id, address)
            .await
            .unwrap()
            .unwrap()
    };
    let olivia = member("olivia@acme.example").await.user_id.unwrap();
    let request = |id: &str| Ctx {
        user_id: Some(olivia.clone()),
        partner_mode: false,
        meta: RequestMeta {
            request_id: id.into(),
            ..Default::default()
        },
        session: None,
        memo: Default::default(),
    };
    // The request's context lives as long as the request (the memo with it).
    let ctx_a = request("req-a");
    let first = p.access.tenant_admin(&ctx_a, "acme").await.unwrap();
    let theme = p.branding.theme_for_admin(&first).await.unwrap();
    let seats = p.tenants.dashboard(&first).await.unwrap().seats_used;

    // Meanwhile the workspace is renamed and Mia's removal starts (she gives up her seat).
    branding::set_theme(db, &acme.id, Some("Renamed Console"), None)
        .await
        .unwrap();
    let mia = member("mia@acme.example").await;
    members::set_status(db, &mia.id, MemberStatus::Removing, None)
        .await
        .unwrap();

    // The same request keeps what it read: the sidebar agrees with the layout and the dashboard.
    assert_eq!(p.branding.theme_for_admin(&first).await.unwrap(), theme);
    assert_eq!(p.billing.mark(&first).await.unwrap().1, seats);
    // The next request reads afresh.
    let next = p
        .access
        .tenant_admin(&request("req-b"), "acme")
        .await
        .unwrap();
    assert_eq!(
        p.branding
            .theme_for_admin(&next)
            .await
            .unwrap()
            .product_name,
        "Renamed Console"
    );
    assert_eq!(p.billing.mark(&next).await.unwrap().1, seats - 1);
    assert_eq!(
        p.tenants.dashboard(&next).await.unwrap().seats_used,
        seats - 1
    );
    drop(ctx_a);
    app.cleanup().await;
}
on_both_backends!(
    read_once_per_request,
    a_page_reads_the_theme_and_seats_once_per_request
);

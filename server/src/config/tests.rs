//! Reading the settings from the environment.

use std::collections::HashMap;

use secrecy::ExposeSecret;

use super::*;

fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_source(&move |k| map.get(k).cloned())
}

fn temp_dir() -> String {
    let dir = std::env::temp_dir().join(format!("dezky-config-{}", uuid::Uuid::new_v4()));
    dir.to_string_lossy().into_owned()
}

#[test]
fn the_sandbox_needs_only_its_flag() {
    let dir = temp_dir();
    let s = load(&[("DEZKY_SANDBOX", "true"), ("DATA_DIR", &dir)]).unwrap();
    assert!(s.sandbox);
    assert_eq!(s.database_url, "sqlite://data/dezky.db");
    assert_eq!(s.dns_resolvers.len(), 2);
    assert!(
        s.stalwart.enabled,
        "the sandbox's Stalwart stand-in is provisioned by default"
    );
}

#[test]
fn without_variables_the_console_is_production_and_fails_closed() {
    let e = load(&[]).unwrap_err();
    assert_eq!(e.var, "PUBLIC_URL", "{e}");
}

#[test]
fn the_sandbox_refuses_to_be_reachable_or_real() {
    let dir = temp_dir();
    for (var, value) in [
        ("LEPTOS_SITE_ADDR", "0.0.0.0:3000"),
        ("PUBLIC_URL", "https://console.example.com"),
        (
            "AUTHENTIK_ISSUER",
            "https://auth.example/application/o/dezky/",
        ),
        ("AUTHENTIK_ADMIN_TOKEN", "t"),
        // A live Stripe key charges real cards; the sandbox says nothing real is charged.
        ("STRIPE_SECRET_KEY", "sk_live_51Habc"),
        ("STRIPE_SECRET_KEY", "rk_live_51Habc"),
    ] {
        let e = load(&[("DEZKY_SANDBOX", "true"), ("DATA_DIR", &dir), (var, value)]).unwrap_err();
        assert_eq!(e.var, var, "{e}");
    }
    // A test key is fine there.
    load(&[
        ("DEZKY_SANDBOX", "true"),
        ("DATA_DIR", &dir),
        ("STRIPE_SECRET_KEY", "sk_test_x"),
    ])
    .unwrap();
}

#[test]
fn the_sandbox_session_secret_is_generated_per_data_folder() {
    let (a, b) = (temp_dir(), temp_dir());
    let secret = |dir: &str| {
        let s = load(&[("DEZKY_SANDBOX", "true"), ("DATA_DIR", dir)]).unwrap();
        s.session_secret.expose_secret().to_string()
    };
    let first = secret(&a);
    assert!(first.len() >= 32);
    assert_eq!(first, secret(&a), "kept across restarts");
    assert_ne!(first, secret(&b), "no two data folders share a secret");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(std::path::Path::new(&a).join("sandbox-session-secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "readable by its owner only");
    }
}

#[test]
fn production_requires_the_idp_and_a_session_secret() {
    let e = load(&[("PUBLIC_URL", "https://console.example.com")]).unwrap_err();
    assert_eq!(e.var, "SESSION_SECRET");
    let e = load(&[
        ("PUBLIC_URL", "https://console.example.com"),
        ("SESSION_SECRET", &"x".repeat(40)),
    ])
    .unwrap_err();
    assert_eq!(e.var, "AUTHENTIK_ISSUER");
}

#[test]
fn production_speaks_https_except_to_this_machine() {
    let e = load(&[("PUBLIC_URL", "http://console.example.com")]).unwrap_err();
    assert_eq!(e.var, "PUBLIC_URL", "{e}");
    let mut vars = production().to_vec();
    vars[0] = ("PUBLIC_URL", "http://127.0.0.1:3000");
    vars.push(("ALLOW_INSECURE_PUBLIC_URL", "true"));
    assert!(load(&vars).is_ok(), "a local setup may opt in");
    let mut vars = production().to_vec();
    vars.extend([
        ("STALWART_PROVISIONING_ENABLED", "true"),
        ("STALWART_URL", "http://stalwart.internal:8080"),
        ("STALWART_API_KEY", "API_c2VjcmV0"),
    ]);
    assert_eq!(load(&vars).unwrap_err().var, "STALWART_URL");
    let mut vars = production().to_vec();
    vars.extend([
        ("STALWART_PROVISIONING_ENABLED", "true"),
        ("STALWART_URL", "http://127.0.0.1:8080"),
        ("STALWART_API_KEY", "API_c2VjcmV0"),
    ]);
    assert!(load(&vars).is_ok(), "loopback may be plain http");
    let mut vars = production().to_vec();
    vars[2] = (
        "AUTHENTIK_ISSUER",
        "http://auth.example/application/o/dezky/",
    );
    assert_eq!(load(&vars).unwrap_err().var, "AUTHENTIK_ISSUER");
}

#[test]
fn on_https_the_session_cookie_is_host_only() {
    let s = load(&production()).unwrap();
    assert_eq!(s.session_cookie_name, "__Host-dezky_session");
    let dir = temp_dir();
    let s = load(&[("DEZKY_SANDBOX", "true"), ("DATA_DIR", &dir)]).unwrap();
    assert_eq!(
        s.session_cookie_name, "dezky_session",
        "plain http has no prefix"
    );
}

/// The smallest valid production configuration.
fn production() -> [(&'static str, &'static str); 6] {
    [
        ("PUBLIC_URL", "https://console.example.com"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        (
            "AUTHENTIK_ISSUER",
            "https://auth.example/application/o/dezky/",
        ),
        ("AUTHENTIK_CLIENT_ID", "c"),
        ("AUTHENTIK_CLIENT_SECRET", "s"),
        ("AUTHENTIK_ADMIN_TOKEN", "t"),
    ]
}

#[test]
fn malformed_values_name_the_variable() {
    for (var, value) in [
        ("DEZKY_SANDBOX", "maybe"),
        ("DATABASE_URL", "mysql://x"),
        ("LEPTOS_SITE_ADDR", "localhost"),
        ("PUBLIC_URL", "ftp://x"),
        ("SESSION_SECRET", "short"),
        ("DNS_RESOLVERS", "not-an-ip"),
        ("AUTHENTIK_TIMEOUT_SECS", "0"),
        ("LOG_FORMAT", "xml"),
    ] {
        let mut vars: Vec<(&str, &str)> = production()
            .into_iter()
            .filter(|(k, _)| *k != var)
            .collect();
        vars.push((var, value));
        let e = load(&vars).unwrap_err();
        assert_eq!(e.var, var, "{e}");
    }
}

#[test]
fn enabling_an_upstream_requires_its_url() {
    let base = production();
    let mut vars = base.to_vec();
    vars.push(("STALWART_PROVISIONING_ENABLED", "true"));
    assert_eq!(load(&vars).unwrap_err().var, "STALWART_URL");
    let mut vars = base.to_vec();
    vars.push(("STRIPE_ENABLED", "true"));
    assert_eq!(load(&vars).unwrap_err().var, "STRIPE_SECRET_KEY");
    let mut vars = base.to_vec();
    vars.extend([
        ("OCIS_PROVISIONING_ENABLED", "true"),
        ("OCIS_URL", "https://files.example"),
    ]);
    assert_eq!(load(&vars).unwrap_err().var, "OCIS_OIDC_CLIENT_ID");
    vars.push(("OCIS_AUTH", "app_token"));
    assert_eq!(load(&vars).unwrap_err().var, "OCIS_ADMIN_USER");
    assert!(load(&base).is_ok());
}

#[test]
fn stalwart_takes_an_api_key_or_the_admin_password() {
    let mut vars = production().to_vec();
    vars.extend([
        ("STALWART_PROVISIONING_ENABLED", "true"),
        ("STALWART_URL", "https://mail.example"),
    ]);
    assert_eq!(load(&vars).unwrap_err().var, "STALWART_API_KEY");
    let mut with_key = vars.clone();
    with_key.push(("STALWART_API_KEY", "API_c2VjcmV0"));
    assert!(load(&with_key).unwrap().stalwart.api_key.is_some());
    let mut wrong = vars.clone();
    wrong.push(("STALWART_API_KEY", "c2VjcmV0"));
    let e = load(&wrong).unwrap_err();
    assert_eq!(e.var, "STALWART_API_KEY");
    assert!(
        !e.to_string().contains("c2VjcmV0"),
        "the secret is not echoed: {e}"
    );
    let mut basic = vars;
    basic.extend([
        ("STALWART_ADMIN_USER", "admin"),
        ("STALWART_ADMIN_PASSWORD", "pw"),
    ]);
    assert!(load(&basic).is_ok());
}

#[test]
fn outgoing_mail_needs_an_smtp_url_and_a_mailbox() {
    let mut vars = production().to_vec();
    vars.push(("SMTP_URL", "https://mail.example"));
    assert_eq!(load(&vars).unwrap_err().var, "SMTP_URL");
    let mut vars = production().to_vec();
    vars.extend([
        ("SMTP_URL", "smtps://user:pw@mail.example:465"),
        ("SMTP_FROM", "not a mailbox"),
    ]);
    assert_eq!(load(&vars).unwrap_err().var, "SMTP_FROM");
    let mut vars = production().to_vec();
    vars.extend([
        ("SMTP_URL", "smtps://user:pw@mail.example:465"),
        ("SMTP_FROM", "Acme <no-reply@acme.example>"),
    ]);
    assert!(load(&vars).unwrap().smtp_url.is_some());
}

#[test]
fn ocis_takes_a_service_account_or_an_app_token() {
    let mut vars = production().to_vec();
    vars.extend([
        ("OCIS_PROVISIONING_ENABLED", "true"),
        ("OCIS_URL", "https://files.example"),
        ("OCIS_OIDC_CLIENT_ID", "ocis-web"),
        ("OCIS_SERVICE_ACCOUNT", "dezky-svc"),
    ]);
    assert_eq!(
        load(&vars).unwrap_err().var,
        "OCIS_SERVICE_ACCOUNT_APP_PASSWORD"
    );
    vars.push(("OCIS_SERVICE_ACCOUNT_APP_PASSWORD", "app-password"));
    let settings = load(&vars).unwrap();
    assert_eq!(settings.ocis.auth, OcisAuthMode::ServiceAccount);
    assert!(
        !format!("{settings:?}").contains("app-password"),
        "the app password never shows in Debug"
    );
    vars.push(("OCIS_AUTH", "basic"));
    assert_eq!(load(&vars).unwrap_err().var, "OCIS_AUTH");
}

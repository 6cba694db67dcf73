//! `server doctor` finds what works and names what does not, with a hint.

use platform::services::health::CheckStatus;
use server::config::Settings;
use server::doctor;

fn settings(vars: &'static [(&'static str, &'static str)]) -> Settings {
    Settings::from_source(&|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
}

#[tokio::test]
async fn doctor_reports_each_check_with_a_fix_hint() {
    let dir = std::env::temp_dir().join(format!("dezky-doctor-{}", uuid::Uuid::new_v4()));
    let url: &'static str = Box::leak(format!("sqlite://{}/c.db", dir.display()).into_boxed_str());
    let vars: &'static [(&str, &str)] = Box::leak(Box::new([
        ("DATABASE_URL", url),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("DEZKY_SANDBOX", "true"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
    ]));
    let checks = doctor::checks(&settings(vars)).await;
    let by = |n: &str| checks.iter().find(|c| c.name == n).unwrap().clone();
    assert_eq!(by("database").status, CheckStatus::Ok);
    assert_eq!(
        by("authentik").status,
        CheckStatus::Ok,
        "the embedded sandbox answers discovery"
    );
    assert_eq!(
        by("stalwart").status,
        CheckStatus::Ok,
        "the sandbox's Stalwart stand-in answers"
    );
    assert_eq!(
        by("authentik console provider").status,
        CheckStatus::Ok,
        "{:?}",
        by("authentik console provider")
    );
    let ocis = by("ocis credentials");
    assert_eq!(ocis.status, CheckStatus::Ok, "{ocis:?}");
    assert!(
        ocis.detail.contains("service account dezky-svc"),
        "the sandbox reaches OCIS as production does, with a service account's bearer token: {}",
        ocis.detail
    );
    assert_eq!(by("stripe").status, CheckStatus::Disabled);
    assert!(
        checks.iter().all(|c| c.name != "stripe plans"),
        "no plan check while Stripe is off"
    );
    assert_eq!(
        by("authentik sso apps").status,
        CheckStatus::Ok,
        "flows, signing key and scope mappings are there: {:?}",
        by("authentik sso apps")
    );
    let vars_bad_flow: &'static [(&str, &str)] = Box::leak(Box::new([
        ("DATABASE_URL", url),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("DEZKY_SANDBOX", "true"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("AUTHENTIK_AUTHORIZATION_FLOW", "no-such-flow"),
    ]));
    let sso = doctor::checks(&settings(vars_bad_flow))
        .await
        .into_iter()
        .find(|c| c.name == "authentik sso apps")
        .unwrap();
    assert_eq!(sso.status, CheckStatus::Failed);
    assert!(
        sso.detail.contains("no-such-flow") && sso.detail.contains("AUTHENTIK_AUTHORIZATION_FLOW"),
        "the missing piece is named: {}",
        sso.detail
    );

    let broken = doctor::checks(&settings(&[
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
        ("DEZKY_SANDBOX", "false"),
        ("PUBLIC_URL", "https://console.example.com"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        (
            "AUTHENTIK_ISSUER",
            "http://127.0.0.1:1/application/o/dezky/",
        ),
        ("AUTHENTIK_CLIENT_ID", "c"),
        ("AUTHENTIK_CLIENT_SECRET", "s"),
        ("AUTHENTIK_ADMIN_TOKEN", "t"),
        ("STALWART_PROVISIONING_ENABLED", "true"),
        ("STALWART_URL", "http://127.0.0.1:1/"),
        ("STALWART_API_KEY", "API_ZG9jdG9y"),
    ]))
    .await;
    for name in [
        "database",
        "authentik",
        "stalwart",
        "authentik sso apps",
        "authentik console provider",
    ] {
        let c = broken.iter().find(|c| c.name == name).unwrap();
        assert_eq!(c.status, CheckStatus::Failed, "{name}");
        assert!(
            c.hint.as_deref().is_some_and(|h| !h.is_empty()),
            "{name} has a hint"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// With Stripe on, the plan catalogue is checked against Stripe: an unknown plan is named.
#[tokio::test]
async fn doctor_names_plans_stripe_does_not_know() {
    let dir = std::env::temp_dir().join(format!("dezky-doctor-{}", uuid::Uuid::new_v4()));
    let url: &'static str = Box::leak(format!("sqlite://{}/c.db", dir.display()).into_boxed_str());
    let base: &'static str = Box::leak(
        std::env::var("LOCALSTRIPE_URL")
            .unwrap_or_else(|_| "http://127.0.0.1:8420".into())
            .into_boxed_str(),
    );
    let vars: &'static [(&str, &str)] = Box::leak(Box::new([
        ("DATABASE_URL", url),
        ("LEPTOS_SITE_ADDR", "127.0.0.1:0"),
        ("DEZKY_SANDBOX", "true"),
        ("SESSION_SECRET", "0123456789abcdef0123456789abcdef"),
        ("STRIPE_ENABLED", "true"),
        ("STRIPE_SECRET_KEY", "sk_test_dezky"),
        ("STRIPE_API_BASE", base),
        ("STRIPE_DIALECT", "localstripe"),
        ("STRIPE_PLANS", "dezky-doctor-no-such-plan"),
    ]));
    let check = doctor::checks(&settings(vars))
        .await
        .into_iter()
        .find(|c| c.name == "stripe plans")
        .expect("the plan check runs when Stripe is on");
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(
        check.detail.contains("dezky-doctor-no-such-plan"),
        "{}",
        check.detail
    );
}

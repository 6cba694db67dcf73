//! `server doctor`: checks the database and each enabled upstream, one line per check with a
//! fix hint, and exits non-zero when any check fails.

use std::process::ExitCode;

use platform::services::health::{self, Check, CheckStatus};
use platform::Db;

use crate::config::Settings;
use crate::startup;

pub async fn run(settings: &Settings) -> ExitCode {
    let checks = checks(settings).await;
    let mut failed = false;
    for c in &checks {
        let mark = match c.status {
            CheckStatus::Ok => "ok  ",
            CheckStatus::Disabled => "off ",
            CheckStatus::Failed => {
                failed = true;
                "FAIL"
            }
        };
        match &c.hint {
            Some(h) if c.status == CheckStatus::Failed => {
                println!("[{mark}] {}: {} — fix: {h}", c.name, c.detail)
            }
            _ => println!("[{mark}] {}: {}", c.name, c.detail),
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every check, in the order printed.
pub async fn checks(settings: &Settings) -> Vec<Check> {
    let mut checks: Vec<Check> = Vec::new();
    match Db::connect(&settings.database_url, 2).await {
        Ok(db) => checks.push(health::database(&db).await),
        Err(e) => checks.push(Check {
            name: "database".into(),
            status: CheckStatus::Failed,
            detail: e.to_string(),
            hint: Some(
                "check DATABASE_URL; for PostgreSQL, that the server runs and the database exists"
                    .into(),
            ),
        }),
    }
    match startup::resolve_upstreams(settings, None).await {
        Ok(resolved) => {
            for probe in &resolved.probes {
                checks.push(health::upstream(probe, std::time::Duration::from_secs(5)).await);
            }
            let api = platform::upstream::authentik::admin::AuthentikAdmin::new(
                resolved.authentik_admin.clone(),
            );
            checks.push(platform::services::sso_apps::setup_check(&api, &settings.sso).await);
            checks.push(
                platform::services::auth::provider_check(&api, &resolved.oidc_client_id).await,
            );
            if let Some(ocis) = &resolved.ocis {
                let client = platform::upstream::ocis::OcisClient::new(ocis.clone());
                checks.push(platform::services::health::ocis_credentials(&client).await);
            }
            if let (true, Some(secret_key)) = (settings.stripe.enabled, &settings.stripe.secret_key)
            {
                let stripe = platform::upstream::stripe::StripeClient::new(
                    platform::upstream::stripe::StripeConfig {
                        api_base: settings.stripe.api_base.clone(),
                        secret_key: secret_key.clone(),
                        timeout: std::time::Duration::from_secs(5),
                        dialect: settings.stripe.dialect,
                    },
                );
                let set_up = (
                    settings.stripe.publishable_key.is_some(),
                    settings.stripe.webhook_secret.is_some(),
                );
                checks.push(
                    platform::services::billing::plans_check(
                        &stripe,
                        &settings.stripe.plans,
                        set_up,
                    )
                    .await,
                );
            }
        }
        Err(e) => checks.push(Check {
            name: "sandbox".into(),
            status: CheckStatus::Failed,
            detail: e.to_string(),
            hint: Some("another process may hold SANDBOX_AUTHENTIK_PORT".into()),
        }),
    }
    checks
}

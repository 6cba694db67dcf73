//! Health checks shared by `/readyz` and `server doctor`: the database, and each upstream
//! (disabled, reachable, or not — with a hint on what to fix).

use std::time::Duration;

use serde::Serialize;

use crate::Db;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    Disabled,
    Failed,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// An upstream to probe: `url` answers a plain GET when the upstream is up.
#[derive(Clone, Debug)]
pub struct UpstreamProbe {
    pub name: &'static str,
    pub enabled: bool,
    pub url: Option<String>,
    pub hint: &'static str,
}

pub async fn database(db: &Db) -> Check {
    match db.ping().await {
        Ok(()) => Check {
            name: "database".into(),
            status: CheckStatus::Ok,
            detail: format!("{:?} reachable, migrations applied", db.backend()),
            hint: None,
        },
        Err(e) => Check {
            name: "database".into(),
            status: CheckStatus::Failed,
            detail: e.to_string(),
            hint: Some("check DATABASE_URL and that the database server is running".into()),
        },
    }
}

pub async fn upstream(probe: &UpstreamProbe, timeout: Duration) -> Check {
    let name = probe.name.to_string();
    if !probe.enabled {
        return Check {
            name,
            status: CheckStatus::Disabled,
            detail: "disabled by configuration (steps are recorded as skipped)".into(),
            hint: None,
        };
    }
    let Some(url) = &probe.url else {
        return Check {
            name,
            status: CheckStatus::Failed,
            detail: "enabled but no URL is configured".into(),
            hint: Some(probe.hint.into()),
        };
    };
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return Check {
                name,
                status: CheckStatus::Failed,
                detail: format!("no HTTP client could be built: {e}"),
                hint: Some(probe.hint.into()),
            }
        }
    };
    match client.get(url).send().await {
        Ok(r) if r.status().is_server_error() => Check {
            name,
            status: CheckStatus::Failed,
            detail: format!("{url} answered {}", r.status()),
            hint: Some(probe.hint.into()),
        },
        Ok(r) => Check {
            name,
            status: CheckStatus::Ok,
            detail: format!("{url} answered {}", r.status()),
            hint: None,
        },
        Err(e) => Check {
            name,
            status: CheckStatus::Failed,
            detail: format!("{url}: {e}"),
            hint: Some(probe.hint.into()),
        },
    }
}

/// Whether OCIS takes the console's credentials (`server doctor`): an authenticated Graph
/// read (`GET /graph/v1.0/groups?$search=…`). With a service account this also proves that
/// Authentik issues its token and that OCIS trusts the issuer and finds the user; a 401 or
/// a refused grant fails with the setup to check (`docs/configuration.md`, OCIS).
pub async fn ocis_credentials(client: &crate::upstream::ocis::OcisClient) -> Check {
    let name = "ocis credentials".to_string();
    match client.find_group_by_name("dezky-doctor-probe").await {
        Ok(_) => Check {
            name,
            status: CheckStatus::Ok,
            detail: format!("OCIS accepted the console's {}", client.credentials_name()),
            hint: None,
        },
        Err(e) => Check {
            name,
            status: CheckStatus::Failed,
            detail: e.to_string(),
            hint: Some(
                "with OCIS_AUTH=service_account: OCIS_OIDC_CLIENT_ID must be the client of the provider OCIS_OIDC_ISSUER names, OCIS_SERVICE_ACCOUNT_APP_PASSWORD an unexpired app password, and an OCIS user of the same name must hold the Admin role; with OCIS_AUTH=app_token: rotate the app token"
                    .into(),
            ),
        },
    }
}

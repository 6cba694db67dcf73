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

//! Security policies, one row per tenant (none: the defaults).

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{state, RepoResult};
use crate::services::security::policy::{parse_countries, parse_networks, Policy};
use crate::Db;
use wire::security::{MfaMode, NetworkEnforcement};

/// A stored policy with who changed it last.
#[derive(Clone, Debug)]
pub struct PolicyRow {
    pub policy: Policy,
    pub updated_at: i64,
    /// The email (or user id) of who saved it.
    pub updated_by: Option<String>,
}

/// The items of a stored list, each parsed on its own: one that no longer parses (a rule
/// changed since it was saved) is logged and left out. A list that had items and keeps none
/// is refused as undecodable, so access to the tenant fails closed instead of the list
/// silently allowing everyone.
fn items<T, E>(
    row: &AnyRow,
    column: &str,
    parse: impl Fn(&[String]) -> Result<Vec<T>, E>,
) -> RepoResult<Vec<T>> {
    let stored: Vec<String> = row
        .try_get::<String, _>(column)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    let mut kept = Vec::new();
    for line in &stored {
        match parse(std::slice::from_ref(line)) {
            Ok(mut v) => kept.append(&mut v),
            Err(_) => {
                tracing::error!(column, value = %line, "a stored security policy item no longer parses; left out")
            }
        }
    }
    if !stored.is_empty() && kept.is_empty() {
        return Err(sqlx::Error::Decode(
            format!("security_policies.{column}: no stored item parses").into(),
        ));
    }
    Ok(kept)
}

impl FromRow<'_, AnyRow> for PolicyRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        let countries = items(row, "allowed_countries", parse_countries)?;
        let networks = items(row, "ip_allowlist", parse_networks)?;
        Ok(Self {
            policy: Policy {
                mfa_mode: state(row, "mfa_mode", |s| MfaMode::parse(s).unwrap_or_default())?,
                idle_timeout_minutes: row.try_get("idle_timeout_minutes")?,
                absolute_lifetime_minutes: row.try_get("absolute_lifetime_minutes")?,
                allowed_countries: countries,
                ip_allowlist: networks,
                // Unknown text reads as enforce: fail closed.
                network_enforcement: state(row, "network_enforcement", |s| {
                    NetworkEnforcement::parse(s).unwrap_or_default()
                })?,
            },
            updated_at: row.try_get("updated_at")?,
            updated_by: row.try_get("updated_by")?,
        })
    }
}

/// The tenant's stored policy, if it has one.
pub async fn get(db: &Db, tenant_id: &str) -> RepoResult<Option<PolicyRow>> {
    sqlx::query_as(
        "SELECT mfa_mode, idle_timeout_minutes, absolute_lifetime_minutes, allowed_countries,
                ip_allowlist, network_enforcement, updated_at, updated_by
           FROM security_policies WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(db.pool())
    .await
}

/// Saves `p` if nobody saved since the caller read the policy: `seen` is the `updated_at` it
/// read (`None`: there was no row). Whether this write won (`false`: someone else's change
/// came first; read again). `at` must be later than `seen`.
pub async fn put(
    db: &Db,
    tenant_id: &str,
    p: &Policy,
    at: i64,
    by: Option<&str>,
    seen: Option<i64>,
) -> RepoResult<bool> {
    let countries: Vec<String> = p.allowed_countries.iter().map(|c| c.to_string()).collect();
    let networks: Vec<String> = p.ip_allowlist.iter().map(|n| n.to_string()).collect();
    let sql = match seen {
        None => {
            "INSERT INTO security_policies (mfa_mode, idle_timeout_minutes, absolute_lifetime_minutes,
                 allowed_countries, ip_allowlist, network_enforcement, updated_at, updated_by, tenant_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (tenant_id) DO NOTHING"
        }
        Some(_) => {
            "UPDATE security_policies SET mfa_mode = $1, idle_timeout_minutes = $2,
                 absolute_lifetime_minutes = $3, allowed_countries = $4, ip_allowlist = $5,
                 network_enforcement = $6, updated_at = $7, updated_by = $8
              WHERE tenant_id = $9 AND updated_at = $10"
        }
    };
    let mut q = sqlx::query(sql)
        .bind(p.mfa_mode.as_str())
        .bind(p.idle_timeout_minutes)
        .bind(p.absolute_lifetime_minutes)
        .bind(countries.join("\n"))
        .bind(networks.join("\n"))
        .bind(p.network_enforcement.as_str())
        .bind(at)
        .bind(by)
        .bind(tenant_id);
    if let Some(seen) = seen {
        q = q.bind(seen);
    }
    Ok(q.execute(db.pool()).await?.rows_affected() == 1)
}

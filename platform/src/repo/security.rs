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

fn lines(row: &AnyRow, column: &str) -> RepoResult<Vec<String>> {
    Ok(row
        .try_get::<String, _>(column)?
        .lines()
        .map(String::from)
        .collect())
}

impl FromRow<'_, AnyRow> for PolicyRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        // Stored values were validated when saved; one that no longer parses is dropped
        // from the list rather than failing every access to the tenant.
        let countries = parse_countries(&lines(row, "allowed_countries")?).unwrap_or_default();
        let networks = parse_networks(&lines(row, "ip_allowlist")?).unwrap_or_default();
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

pub async fn put(
    db: &Db,
    tenant_id: &str,
    p: &Policy,
    at: i64,
    by: Option<&str>,
) -> RepoResult<()> {
    let countries: Vec<String> = p.allowed_countries.iter().map(|c| c.to_string()).collect();
    let networks: Vec<String> = p.ip_allowlist.iter().map(|n| n.to_string()).collect();
    sqlx::query(
        "INSERT INTO security_policies (tenant_id, mfa_mode, idle_timeout_minutes,
             absolute_lifetime_minutes, allowed_countries, ip_allowlist, network_enforcement,
             updated_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id) DO UPDATE SET mfa_mode = excluded.mfa_mode,
             idle_timeout_minutes = excluded.idle_timeout_minutes,
             absolute_lifetime_minutes = excluded.absolute_lifetime_minutes,
             allowed_countries = excluded.allowed_countries, ip_allowlist = excluded.ip_allowlist,
             network_enforcement = excluded.network_enforcement, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
    )
    .bind(tenant_id)
    .bind(p.mfa_mode.as_str())
    .bind(p.idle_timeout_minutes)
    .bind(p.absolute_lifetime_minutes)
    .bind(countries.join("\n"))
    .bind(networks.join("\n"))
    .bind(p.network_enforcement.as_str())
    .bind(at)
    .bind(by)
    .execute(db.pool())
    .await?;
    Ok(())
}

//! Tenant reads for the admin dashboard, the partner view and the JSON API.

// The views are the wire's; these paths stay importable from here.
pub use wire::tenants::{DashboardView, PartnerQuery, PartnerSort, PartnerTenantView, PartnerView};

use crate::repo::audit;
use crate::repo::partner_tenants::{self, PartnerTenantFilter, PartnerTenantKey};
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::services::provisioning::{ProvisioningService, StepState};
use crate::services::steps::StepStatus;
use crate::Db;

/// How many audit events the dashboard shows.
const RECENT_AUDIT: i64 = 10;

/// A tenant read failed: a query the caller gave that does not parse, or the database.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("The workspace could not be read.")]
    Store(#[from] sqlx::Error),
    #[error("The workspace's provisioning steps could not be read.")]
    Steps(#[from] crate::services::provisioning::ProvisioningError),
}

#[derive(Clone)]
pub struct TenantService {
    db: Db,
    provisioning: ProvisioningService,
}

impl TenantService {
    pub fn new(db: Db, provisioning: ProvisioningService) -> Self {
        Self { db, provisioning }
    }

    /// The admin dashboard: the tenant, who is looking, seats, provisioning steps and the
    /// newest audit events.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn dashboard(&self, admin: &TenantAdmin) -> Result<DashboardView, TenantError> {
        let tenant = admin.tenant().clone();
        Ok(DashboardView {
            viewer_name: admin.user().name.clone(),
            viewer_role: admin.role(),
            via_partner: admin.via_partner(),
            seats_used: crate::services::billing::seats::seats_used_once(&self.db, admin).await?
                as i64,
            steps: self.provisioning.steps(&tenant).await?,
            recent_audit: audit::for_tenant(&self.db, &tenant.id, RECENT_AUDIT).await?,
            tenant,
        })
    }

    /// One page of the workspaces a partner looks after (`query`: search, sort, cursor,
    /// limit), each with its provisioning steps, seats, mail domains needing attention and
    /// subscription state: a fixed number of queries whatever the page or the partner's size
    /// (the page's keys, its total, then steps and details for the page's rows only).
    ///
    /// Errors: `Invalid` (`sort` not name, status or attention; `limit` not 1–200; a cursor
    /// this list did not give out for this order), `Store`.
    #[tracing::instrument(skip_all, fields(partner = %staff.partner().slug, actor = %staff.user().id))]
    pub async fn partner_view(
        &self,
        staff: &PartnerStaff,
        query: &PartnerQuery,
    ) -> Result<PartnerView, TenantError> {
        let sort = match query
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => PartnerSort::default(),
            Some(s) => PartnerSort::parse(s).ok_or_else(|| TenantError::Invalid {
                field: "sort",
                message: format!("sort must be name, status or attention (got {s:?})."),
            })?,
        };
        let limit = partner_page_limit(query.limit.as_deref())?;
        let after = query
            .cursor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| decode_partner_cursor(c, sort))
            .transpose()?;
        let search = query
            .q
            .as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        let filter = PartnerTenantFilter {
            search: search.as_deref(),
            sort,
            after: after.as_ref(),
        };
        let partner_id = &staff.partner().id;
        let mut rows = partner_tenants::page(&self.db, partner_id, &filter, limit + 1).await?;
        // One row more than the page was asked for: there is a next page, after the last shown.
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = rows
            .last()
            .filter(|_| more)
            .map(|last| encode_partner_cursor(sort, &last.key()));
        let total = partner_tenants::count(&self.db, partner_id, &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.tenant.id.clone()).collect();
        let steps = crate::repo::provisioning::steps_of_tenants(&self.db, &ids).await?;
        let details = partner_tenants::details(&self.db, &ids).await?;
        let tenants = rows
            .into_iter()
            .map(|row| {
                let steps: Vec<StepStatus> = steps
                    .iter()
                    .filter(|(id, _)| *id == row.tenant.id)
                    .map(|(_, s)| StepStatus::from(s.clone()))
                    .collect();
                let d = details.iter().find(|d| d.tenant_id == row.tenant.id);
                let domains_attention = d.map_or(0, |d| d.domains_attention);
                let billing_state = d.and_then(|d| d.subscription_state);
                let attention = steps.iter().filter(|s| s.state == StepState::Error).count() as i64
                    + domains_attention
                    + i64::from(billing_state.is_some_and(|s| s.behind_on_payment()));
                PartnerTenantView {
                    seats_used: d.map_or(0, |d| d.seats_used),
                    tenant: row.tenant,
                    steps,
                    attention,
                    domains_attention,
                    billing_state,
                }
            })
            .collect();
        Ok(PartnerView {
            partner_name: staff.partner().name.clone(),
            tenants,
            total,
            next_cursor,
            sort,
        })
    }
}

/// The page size of a partner view query: 1–200, 50 when not given.
fn partner_page_limit(limit: Option<&str>) -> Result<i64, TenantError> {
    match limit.map(str::trim).filter(|l| !l.is_empty()) {
        None => Ok(50),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=200).contains(&n) => Ok(n),
            _ => Err(TenantError::Invalid {
                field: "limit",
                message: format!("limit must be a whole number from 1 to 200 (got {l:?})."),
            }),
        },
    }
}

/// The opaque cursor of a position in an order: base64url of the JSON array
/// [sort, attention, status, name, slug].
fn encode_partner_cursor(sort: PartnerSort, k: &PartnerTenantKey) -> String {
    use base64::Engine;
    let raw = serde_json::json!([sort.as_str(), k.attention, k.status, k.name, k.slug]).to_string();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// The position of a cursor given out for `sort`; a cursor of another order, or not ours, is
/// refused with its field.
fn decode_partner_cursor(c: &str, sort: PartnerSort) -> Result<PartnerTenantKey, TenantError> {
    use base64::Engine;
    let bad = || TenantError::Invalid {
        field: "cursor",
        message: "The cursor is not one this list gave out for this order; start again from the \
                  first page."
            .into(),
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let (s, attention, status, name, slug): (String, i64, String, String, String) =
        serde_json::from_slice(&raw).map_err(|_| bad())?;
    if s != sort.as_str() {
        return Err(bad());
    }
    Ok(PartnerTenantKey {
        attention,
        status,
        name,
        slug,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partner_cursors_round_trip_and_refuse_another_order_or_what_is_not_ours() {
        let k = PartnerTenantKey {
            attention: 3,
            status: "active".into(),
            name: "Acme \"Corp\"".into(),
            slug: "acme".into(),
        };
        let c = encode_partner_cursor(PartnerSort::Attention, &k);
        assert_eq!(
            decode_partner_cursor(&c, PartnerSort::Attention).unwrap(),
            k
        );
        for (cursor, sort) in [
            (c.as_str(), PartnerSort::Name),
            ("not-base64!", PartnerSort::Name),
            ("WyJuYW1lIl0", PartnerSort::Name), // ["name"]
        ] {
            assert!(
                matches!(
                    decode_partner_cursor(cursor, sort),
                    Err(TenantError::Invalid {
                        field: "cursor",
                        ..
                    })
                ),
                "{cursor}"
            );
        }
    }

    #[test]
    fn partner_page_limits_are_bounded() {
        assert_eq!(partner_page_limit(None).unwrap(), 50);
        assert_eq!(partner_page_limit(Some(" 200 ")).unwrap(), 200);
        for bad in ["0", "201", "-1", "ten"] {
            assert!(
                matches!(
                    partner_page_limit(Some(bad)),
                    Err(TenantError::Invalid { field: "limit", .. })
                ),
                "{bad}"
            );
        }
    }
}

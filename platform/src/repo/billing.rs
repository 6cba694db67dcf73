//! `tenant_billing` (the chosen plan, the subscription id and its last known state) and
//! `stripe_events` (webhook deliveries already handled). Nothing here is card data.

use sqlx::Row;
use wire::billing::SubscriptionState;

use super::RepoResult;
use crate::{now_ms, Db};

/// One tenant's billing row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantBilling {
    pub plan_id: Option<String>,
    pub subscription_id: Option<String>,
    pub state: Option<SubscriptionState>,
    /// Unix seconds.
    pub state_at: Option<i64>,
    pub seats_paid: Option<i64>,
}

pub async fn get(db: &Db, tenant_id: &str) -> RepoResult<TenantBilling> {
    let row = sqlx::query(
        "SELECT plan_id, subscription_id, subscription_state, state_at, seats_paid
           FROM tenant_billing WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(TenantBilling::default());
    };
    let state: Option<String> = row.try_get("subscription_state")?;
    Ok(TenantBilling {
        plan_id: row.try_get("plan_id")?,
        subscription_id: row.try_get("subscription_id")?,
        state: state.as_deref().and_then(SubscriptionState::parse),
        state_at: row.try_get("state_at")?,
        seats_paid: row.try_get("seats_paid")?,
    })
}

/// Records the chosen plan.
pub async fn set_plan(db: &Db, tenant_id: &str, plan_id: &str) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO tenant_billing (tenant_id, plan_id, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id) DO UPDATE SET plan_id = excluded.plan_id,
                                               updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(plan_id)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Records the subscription as read at `at` (unix seconds), unless a newer state is already
/// stored (a webhook delivered late). Returns whether it was written.
pub async fn record_subscription(
    db: &Db,
    tenant_id: &str,
    subscription_id: &str,
    state: SubscriptionState,
    seats_paid: Option<i64>,
    at: i64,
) -> RepoResult<bool> {
    let done = sqlx::query(
        "INSERT INTO tenant_billing
                (tenant_id, subscription_id, subscription_state, state_at, seats_paid, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id) DO UPDATE
            SET subscription_id = excluded.subscription_id,
                subscription_state = excluded.subscription_state,
                state_at = excluded.state_at,
                seats_paid = COALESCE(excluded.seats_paid, tenant_billing.seats_paid),
                updated_at = excluded.updated_at
          WHERE tenant_billing.state_at IS NULL OR tenant_billing.state_at <= excluded.state_at",
    )
    .bind(tenant_id)
    .bind(subscription_id)
    .bind(state.as_str())
    .bind(at)
    .bind(seats_paid)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// The last known states of these tenants (for the partner view), by tenant id.
pub async fn states(
    db: &Db,
    tenant_ids: &[String],
) -> RepoResult<Vec<(String, SubscriptionState)>> {
    if tenant_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders = super::bind_list(1, tenant_ids.len());
    let sql = format!(
        "SELECT tenant_id, subscription_state FROM tenant_billing
          WHERE subscription_state IS NOT NULL AND tenant_id IN ({})",
        placeholders
    );
    let mut q = sqlx::query(&sql);
    for id in tenant_ids {
        q = q.bind(id);
    }
    let rows = q.fetch_all(db.pool()).await?;
    let mut out = Vec::new();
    for r in rows {
        let state: String = r.try_get("subscription_state")?;
        if let Some(s) = SubscriptionState::parse(&state) {
            out.push((r.try_get("tenant_id")?, s));
        }
    }
    Ok(out)
}

/// The tenant whose Stripe customer is `customer` (the `stripe` provisioning step's id).
pub async fn tenant_of_customer(db: &Db, customer: &str) -> RepoResult<Option<String>> {
    let row = sqlx::query(
        "SELECT tenant_id FROM provisioning_steps WHERE upstream = 'stripe' AND upstream_id = $1",
    )
    .bind(customer)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| r.try_get("tenant_id")).transpose()
}

/// Remembers a webhook delivery; `false` when it was handled before (a duplicate).
pub async fn first_delivery(db: &Db, event_id: &str, event_type: &str) -> RepoResult<bool> {
    let done = sqlx::query(
        "INSERT INTO stripe_events (id, event_type, received_at) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(event_id)
    .bind(event_type)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets a delivery whose handling failed, so Stripe's retry is handled.
pub async fn forget_delivery(db: &Db, event_id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM stripe_events WHERE id = $1")
        .bind(event_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

//! The subscription follows the workspace: the plan a partner chose and as many seats as it
//! has members (never below the plan's `min_seats`). [`SeatSync::sync`] is one idempotent,
//! recorded step (`stripe_subscription` among the tenant's provisioning steps): it creates the
//! subscription when there is none, else sets its plan and quantity, and records what it did
//! or why it could not. It runs after a member is created or removed, after a plan is chosen,
//! on reconcile, and from the billing page's "Sync seats"; a failed run is retried by any of
//! those, since it sets absolute values.

use std::sync::Arc;

use wire::billing::SubscriptionState;

use crate::repo::billing as repo;
use crate::repo::provisioning as tenant_steps;
use crate::services::provisioning::STRIPE;
use crate::services::steps::StepState;
use crate::upstream::stripe::{StripeClient, SubscriptionInfo};
use crate::upstream::UpstreamError;
use crate::Db;

/// The step's name among the tenant's provisioning steps.
pub const STRIPE_SUBSCRIPTION: &str = "stripe_subscription";

/// The tenant's Stripe customer (the `stripe` step's id, once it is ok).
pub(crate) async fn customer_id(db: &Db, tenant_id: &str) -> Result<Option<String>, sqlx::Error> {
    Ok(tenant_steps::steps(db, tenant_id)
        .await?
        .into_iter()
        .find(|s| s.upstream == STRIPE && s.state == StepState::Ok)
        .and_then(|s| s.upstream_id))
}

/// Members holding a seat: every one not being removed (suspended members keep theirs), as
/// the dashboard and the partner view count them.
pub(crate) async fn seats_used(db: &Db, tenant_id: &str) -> Result<u64, sqlx::Error> {
    Ok(crate::repo::identity::count_members(db, tenant_id)
        .await?
        .max(0) as u64)
}

/// [`seats_used`] of the admin's tenant, counted once per request (the dashboard and the
/// sidebar both show it).
pub(crate) async fn seats_used_once(
    db: &Db,
    admin: &crate::services::access::TenantAdmin,
) -> Result<u64, sqlx::Error> {
    let tenant_id = &admin.tenant().id;
    admin
        .memo()
        .get_or_try_init(format!("seats_used:{tenant_id}"), || {
            seats_used(db, tenant_id)
        })
        .await
}

/// Keeps the tenant's subscription on its plan and seats (see the module doc).
#[derive(Clone)]
pub struct SeatSync {
    db: Db,
    stripe: Option<Arc<StripeClient>>,
    trial_days: u32,
    /// The plan catalogue (`STRIPE_PLANS`).
    plans: Arc<Vec<String>>,
    /// One sync at a time in this process: two member changes at once must not let the older
    /// count win (the count is read inside the lock).
    lock: Arc<tokio::sync::Mutex<()>>,
}

/// What a sync did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeatOutcome {
    /// Stripe is off, no plan is chosen, or the customer does not exist yet.
    NothingToDo,
    Synced(Box<SubscriptionInfo>),
    Failed(String),
}

impl SeatSync {
    pub fn new(db: Db, stripe: Option<StripeClient>, trial_days: u32, plans: Vec<String>) -> Self {
        Self {
            db,
            stripe: stripe.map(Arc::new),
            trial_days,
            plans: Arc::new(plans),
            lock: Arc::new(tokio::sync::Mutex::new(())),
        }
    }

    /// `plan` is one of the catalogue and Stripe is on; else what is wrong, for the `plan`
    /// field.
    pub fn check_plan(&self, plan: &str) -> Result<(), String> {
        if self.stripe.is_none() {
            return Err(
                "Billing is switched off on this console (STRIPE_ENABLED): no plan can be chosen."
                    .into(),
            );
        }
        if self.plans.iter().any(|p| p == plan) {
            return Ok(());
        }
        Err(format!(
            "{plan} is not a plan of the catalogue; choose one of: {}.",
            self.plans.join(", ")
        ))
    }

    /// Records the tenant's chosen plan (checked with [`SeatSync::check_plan`] first); the
    /// next [`SeatSync::sync`] subscribes it.
    pub async fn set_plan(&self, tenant_id: &str, plan: &str) -> Result<(), sqlx::Error> {
        repo::set_plan(&self.db, tenant_id, plan).await
    }

    pub(super) fn stripe(&self) -> Option<Arc<StripeClient>> {
        self.stripe.clone()
    }

    /// Creates or adjusts the subscription and records the step. Errors of Stripe are the
    /// step's (`Failed`, recorded); only the database failing is an `Err`.
    pub async fn sync(&self, tenant_id: &str) -> Result<SeatOutcome, sqlx::Error> {
        let Some(stripe) = self.stripe.as_deref() else {
            return Ok(SeatOutcome::NothingToDo);
        };
        let _one_at_a_time = self.lock.lock().await;
        let billing = repo::get(&self.db, tenant_id).await?;
        let Some(plan_id) = billing.plan_id else {
            return Ok(SeatOutcome::NothingToDo);
        };
        let Some(customer) = customer_id(&self.db, tenant_id).await? else {
            return Ok(SeatOutcome::NothingToDo);
        };
        let used = seats_used(&self.db, tenant_id).await?;
        let result = self
            .apply(stripe, tenant_id, &customer, &plan_id, used)
            .await;
        match result {
            Ok((sub, message)) => {
                tenant_steps::record(
                    &self.db,
                    tenant_id,
                    STRIPE_SUBSCRIPTION,
                    StepState::Ok,
                    &message,
                    Some(&sub.id),
                )
                .await?;
                if let Some(state) = SubscriptionState::parse(&sub.status) {
                    repo::record_subscription(
                        &self.db,
                        tenant_id,
                        &sub.id,
                        state,
                        Some(sub.seats as i64),
                        crate::now_ms() / 1000,
                    )
                    .await?;
                }
                Ok(SeatOutcome::Synced(Box::new(sub)))
            }
            Err(message) => {
                tenant_steps::record(
                    &self.db,
                    tenant_id,
                    STRIPE_SUBSCRIPTION,
                    StepState::Error,
                    &message,
                    None,
                )
                .await?;
                Ok(SeatOutcome::Failed(message))
            }
        }
    }

    async fn apply(
        &self,
        stripe: &StripeClient,
        tenant_id: &str,
        customer: &str,
        plan_id: &str,
        used: u64,
    ) -> Result<(SubscriptionInfo, String), String> {
        let fail = |what: &str, e: UpstreamError| format!("Stripe: could not {what}: {e}");
        let plan = stripe
            .plan(plan_id)
            .await
            .map_err(|e| fail("read the plan", e))?
            .ok_or_else(|| format!("Stripe: the plan {plan_id} does not exist (STRIPE_PLANS)."))?;
        let seats = used.max(plan.min_seats);
        let current = stripe
            .subscription_of(customer)
            .await
            .map_err(|e| fail("read the subscription", e))?
            .filter(|s| s.status != "canceled" && s.status != "incomplete_expired");
        match current {
            Some(sub) if sub.plan.id == plan.id && sub.seats == seats => {
                let message = format!("Stripe bills {seats} seats on {}.", plan.name);
                Ok((sub, message))
            }
            Some(sub) => {
                let was = (sub.plan.name.clone(), sub.seats);
                let sub = stripe
                    .update_subscription(&sub.id, &sub.item_id, &plan.id, seats)
                    .await
                    .map_err(|e| fail(&format!("set the subscription to {seats} seats"), e))?;
                let message = format!(
                    "Stripe now bills {seats} seats on {} (was {} seats on {}).",
                    plan.name, was.1, was.0
                );
                Ok((sub, message))
            }
            None => {
                let has_card = stripe
                    .default_card(customer)
                    .await
                    .map_err(|e| fail("read the default card", e))?
                    .is_some();
                let trial = (!has_card && self.trial_days > 0).then_some(self.trial_days);
                let sub = stripe
                    .create_subscription(customer, tenant_id, &plan.id, seats, trial)
                    .await
                    .map_err(|e| fail("create the subscription", e))?;
                let message = match trial {
                    Some(days) => format!(
                        "Subscribed to {} with {seats} seats, starting with a {days}-day trial (no card yet).",
                        plan.name
                    ),
                    None => format!("Subscribed to {} with {seats} seats.", plan.name),
                };
                Ok((sub, message))
            }
        }
    }
}

//! Tenant lifecycle: creation (partner staff) and provisioning across the upstreams, one
//! independent step per upstream, each recorded (pending, ok, skipped, error with a message
//! naming the upstream and the step). The tenant is active when every step is ok or skipped.
//!
//! Reconcile re-runs the steps and repairs drift (a group deleted out of band is recreated).
//! Every step is idempotent: it looks for the object it would create before creating it, and
//! runs under the tenant's lease, so concurrent runs (requests or instances) create nothing
//! twice.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tracing::Instrument;

// The step vocabulary is shared with members; these paths stay importable from here.
pub use crate::services::steps::{StepState, StepStatus};
/// A tenant with the result of each provisioning step (the wire's view).
pub use wire::tenants::TenantProvisioning;

use crate::domain::{Outcome, Tenant, TenantSlug, TenantStatus};
use crate::repo::leases::{self, Lease};
use crate::repo::{identity, provisioning as repo};
use crate::services::access::{PartnerStaff, TenantAdmin};
use crate::services::audit::{AuditEntry, AuditRecorder};
use crate::services::steps::{self, audit_line, Step, StepsOf};
use crate::upstream::authentik::admin::AuthentikAdmin;
use crate::upstream::ocis::OcisClient;
use crate::upstream::stripe::{CustomerLookup, StripeClient};
use crate::upstream::UpstreamError;
use crate::{new_id, Ctx, Db};

pub const AUTHENTIK: &str = "authentik";
pub const OCIS: &str = "ocis";
pub const STALWART: &str = "stalwart";
pub const STRIPE: &str = "stripe";
pub const UPSTREAMS: [&str; 4] = [AUTHENTIK, OCIS, STALWART, STRIPE];

const LEASE_MS: i64 = 60_000;

#[derive(Debug, thiserror::Error)]
pub enum ProvisioningError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("The slug \"{0}\" is already taken; choose another.")]
    SlugTaken(String),
    #[error("Another provisioning run of this workspace did not finish in time; try again.")]
    Busy,
    /// The provisioning task ended abnormally (a panic, or the runtime shutting down); the
    /// steps recorded so far stay and Reconcile continues.
    #[error("The provisioning run stopped before it finished ({0}); press Reconcile to continue.")]
    Interrupted(String),
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// Which upstreams are enabled, and their clients.
pub struct Upstreams {
    pub authentik: AuthentikAdmin,
    pub ocis: Option<OcisClient>,
    pub stalwart_enabled: bool,
    /// `None`: Stripe is disabled.
    pub stripe: Option<StripeClient>,
    /// The subscription step, run after the customer's (it records itself).
    pub seats: crate::services::billing::SeatSync,
}

#[derive(Clone)]
pub struct ProvisioningService {
    db: Db,
    audit: AuditRecorder,
    upstreams: Arc<Upstreams>,
}

impl ProvisioningService {
    pub fn new(db: Db, audit: AuditRecorder, upstreams: Upstreams) -> Self {
        Self {
            db,
            audit,
            upstreams: Arc::new(upstreams),
        }
    }

    /// Creates a tenant looked after by the caller's partner, with every step pending.
    #[tracing::instrument(skip_all, fields(actor = %staff.user().id, partner = %staff.partner().slug, tenant = %slug.trim()))]
    pub async fn create_tenant(
        &self,
        ctx: &Ctx,
        staff: &PartnerStaff,
        slug: &str,
        name: &str,
        plan: Option<&str>,
    ) -> Result<Tenant, ProvisioningError> {
        let plan = plan.map(str::trim).filter(|p| !p.is_empty());
        let result = match plan.map(|p| self.upstreams.seats.check_plan(p)) {
            Some(Err(message)) => Err(ProvisioningError::Invalid {
                field: "plan",
                message,
            }),
            _ => self.insert_tenant(staff, slug, name).await,
        };
        // The plan is recorded with the tenant; the provisioning run's subscription step
        // subscribes it once the Stripe customer exists.
        let result = match (result, plan) {
            (Ok(t), Some(p)) => self
                .upstreams
                .seats
                .set_plan(&t.id, p)
                .await
                .map(|_| t)
                .map_err(Into::into),
            (r, _) => r,
        };
        let (outcome, target, details) = match &result {
            Ok(t) => (
                Outcome::Success,
                t.slug.clone(),
                json!({ "name": t.name, "plan": plan }),
            ),
            Err(e) => (
                Outcome::Failure,
                slug.trim().to_string(),
                json!({ "reason": e.to_string() }),
            ),
        };
        self.audit
            .record(
                &Ctx {
                    partner_mode: true,
                    ..ctx.clone()
                },
                AuditEntry {
                    tenant_id: result.as_ref().ok().map(|t| t.id.as_str()),
                    action: "tenant.create",
                    target: &target,
                    outcome,
                    details,
                },
            )
            .await;
        result
    }

    async fn insert_tenant(
        &self,
        staff: &PartnerStaff,
        slug: &str,
        name: &str,
    ) -> Result<Tenant, ProvisioningError> {
        let slug = TenantSlug::parse(slug).map_err(|e| ProvisioningError::Invalid {
            field: "slug",
            message: e.to_string(),
        })?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ProvisioningError::Invalid {
                field: "name",
                message: "The workspace name must be 1 to 100 characters long.".into(),
            });
        }
        let tenant = identity::insert_tenant(&self.db, slug.as_str(), name, TenantStatus::Pending)
            .await?
            .ok_or_else(|| ProvisioningError::SlugTaken(slug.to_string()))?;
        identity::add_partner_tenant(&self.db, &staff.partner().id, &tenant.id).await?;
        repo::init_steps(&self.db, &tenant.id, &UPSTREAMS).await?;
        Ok(tenant)
    }

    /// Creates a tenant and provisions it: [`Self::create_tenant`], then [`Self::run`], and
    /// answers with every step's result. The page and `POST /api/tenants` both call this.
    /// The run is a task of its own, so it completes even when the caller goes away (a
    /// browser closed mid-way); the page follows it with [`Self::progress`] meanwhile.
    #[tracing::instrument(skip_all, fields(actor = %staff.user().id, partner = %staff.partner().slug, tenant = %slug.trim()))]
    pub async fn create_and_provision(
        &self,
        ctx: &Ctx,
        staff: &PartnerStaff,
        slug: &str,
        name: &str,
        plan: Option<&str>,
    ) -> Result<TenantProvisioning, ProvisioningError> {
        let tenant = self.create_tenant(ctx, staff, slug, name, plan).await?;
        let (this, ctx) = (self.clone(), ctx.clone());
        let run = tokio::spawn(
            async move { this.run(&ctx, &tenant, "tenant.provision").await }.in_current_span(),
        );
        match run.await {
            Ok(result) => result,
            Err(e) => Err(ProvisioningError::Interrupted(e.to_string())),
        }
    }

    /// Runs the steps now (creation's provisioning, or a reconcile).
    #[tracing::instrument(skip_all, fields(tenant = %tenant.slug, actor = ctx.user_id.as_deref(), action = %action))]
    pub async fn run(
        &self,
        ctx: &Ctx,
        tenant: &Tenant,
        action: &str,
    ) -> Result<TenantProvisioning, ProvisioningError> {
        let holder = new_id();
        let mut waited = Duration::ZERO;
        while !leases::try_take(&self.db, Lease::Tenant(&tenant.id), &holder, LEASE_MS).await? {
            // Another run holds the lease: wait for it, then check again (nothing twice).
            if waited > Duration::from_millis(LEASE_MS as u64) {
                return Err(ProvisioningError::Busy);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += Duration::from_millis(50);
        }
        let result = self.run_steps(tenant).await;
        leases::release(&self.db, Lease::Tenant(&tenant.id), &holder).await?;
        let steps = result?;
        let status = if steps.iter().all(|s| s.state.is_done()) {
            TenantStatus::Active
        } else {
            TenantStatus::Pending
        };
        identity::set_tenant_status(&self.db, &tenant.id, status).await?;
        let failed: Vec<&StepStatus> = steps
            .iter()
            .filter(|s| s.state == StepState::Error)
            .collect();
        self.audit
            .record(
                ctx,
                AuditEntry {
                    tenant_id: Some(&tenant.id),
                    action,
                    target: &tenant.slug,
                    outcome: if failed.is_empty() { Outcome::Success } else { Outcome::Failure },
                    details: json!({
                        "steps": steps.iter().map(|s| audit_line(&s.upstream, s.state, &s.message)).collect::<Vec<_>>(),
                    }),
                },
            )
            .await;
        Ok(TenantProvisioning {
            tenant: Tenant {
                status,
                ..tenant.clone()
            },
            steps,
        })
    }

    /// Reconcile on the admin's (or partner's) request.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn reconcile(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
    ) -> Result<TenantProvisioning, ProvisioningError> {
        self.run(ctx, admin.tenant(), "tenant.reconcile").await
    }

    /// The tenant and its steps as last recorded (the creation page follows them).
    #[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
    pub async fn progress(&self, tenant: &Tenant) -> Result<TenantProvisioning, ProvisioningError> {
        Ok(TenantProvisioning {
            steps: self.steps(tenant).await?,
            tenant: tenant.clone(),
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %tenant.slug))]
    pub async fn steps(&self, tenant: &Tenant) -> Result<Vec<StepStatus>, ProvisioningError> {
        Ok(repo::steps(&self.db, &tenant.id)
            .await?
            .into_iter()
            .map(StepStatus::from)
            .collect())
    }

    async fn run_steps(&self, tenant: &Tenant) -> Result<Vec<StepStatus>, ProvisioningError> {
        repo::init_steps(&self.db, &tenant.id, &UPSTREAMS).await?;
        let stored = repo::steps(&self.db, &tenant.id).await?;
        let id_of = |u: &str| {
            stored
                .iter()
                .find(|s| s.upstream == u)
                .and_then(|s| s.upstream_id.clone())
        };
        let (a, o, p) = tokio::join!(
            self.authentik_step(tenant, id_of(AUTHENTIK)),
            self.ocis_step(tenant, id_of(OCIS)),
            self.stripe_step(tenant, id_of(STRIPE)),
        );
        let results = [
            (AUTHENTIK, a),
            (OCIS, o),
            (STALWART, self.stalwart_step()),
            (STRIPE, p),
        ];
        steps::record(&self.db, StepsOf::Tenant(&tenant.id), &results).await?;
        // The subscription (plan and seats), once the customer exists; it records its own
        // step, and does nothing before a plan is chosen.
        self.upstreams.seats.sync(&tenant.id).await?;
        // Read back: what the page shows is what was stored.
        let recorded = self.steps(tenant).await?;
        Ok(recorded)
    }

    fn group_name(tenant: &Tenant) -> String {
        format!("dezky-tenant-{}", tenant.slug)
    }

    /// Ensures the tenant group exists: by stored id, else by exact name, else created.
    async fn authentik_step(&self, tenant: &Tenant, stored: Option<String>) -> Step {
        let admin = &self.upstreams.authentik;
        let name = Self::group_name(tenant);
        let step = async {
            if let Some(pk) = &stored {
                if let Some(g) = admin.get_group(pk).await? {
                    return Ok::<_, UpstreamError>((g.pk, "The tenant group exists.".to_string()));
                }
            }
            if let Some(g) = admin.find_group_by_name(&name).await? {
                return Ok((g.pk, format!("Found the tenant group {name}.")));
            }
            let attributes =
                json!({ "dezky_tenant_slug": tenant.slug, "dezky_tenant_id": tenant.id });
            match admin.create_group(&name, attributes).await {
                Ok(g) => Ok((g.pk, format!("Created the tenant group {name}."))),
                // Created by someone else a moment ago: take it.
                Err(e) if e.status() == Some(400) => match admin.find_group_by_name(&name).await? {
                    Some(g) => Ok((g.pk, format!("Found the tenant group {name}."))),
                    None => Err(e),
                },
                Err(e) => Err(e),
            }
        };
        Step::ensured(step.await.map_err(|e| e.to_string()), |e| {
            Step::Error(format!(
                "Authentik: could not ensure the tenant group {name}: {e}"
            ))
        })
    }

    /// Ensures the tenant's OCIS group exists, by its stored id (lookup by name is unreliable
    /// there); a lost id is recovered by an exact-name search after a 409.
    async fn ocis_step(&self, tenant: &Tenant, stored: Option<String>) -> Step {
        let Some(ocis) = &self.upstreams.ocis else {
            return Step::Skipped(
                "OCIS provisioning is disabled (OCIS_PROVISIONING_ENABLED=false).".into(),
            );
        };
        let name = Self::group_name(tenant);
        let step = async {
            if let Some(id) = &stored {
                if let Some(g) = ocis.get_group(id).await? {
                    return Ok::<_, UpstreamError>((g.id, "The tenant group exists.".to_string()));
                }
            }
            match ocis
                .create_group(&name, &format!("Dezky tenant {}", tenant.slug))
                .await?
            {
                Some(g) => Ok((g.id, format!("Created the group {name}."))),
                None => match ocis.find_group_by_name(&name).await? {
                    Some(g) => Ok((g.id, format!("Found the group {name}."))),
                    None => Err(UpstreamError::Protocol {
                        upstream: "OCIS",
                        detail: format!("{name} exists but cannot be found by name"),
                    }),
                },
            }
        };
        // Every member with an OCIS user is in the group (adding one already there is
        // skipped upstream): repairs a membership lost upstream or a group made anew.
        let with_members = async {
            let (group, done) = step.await?;
            let mut added = 0;
            for user in self.ocis_users_of(tenant).await {
                if ocis.add_group_member(&group, &user).await? {
                    added += 1;
                }
            }
            Ok::<_, UpstreamError>((group, format!("{done} {added} member(s) in the group.")))
        };
        Step::ensured(with_members.await.map_err(|e| e.to_string()), |e| {
            Step::Error(format!(
                "OCIS: could not ensure the tenant group {name} and its members: {e}"
            ))
        })
    }

    /// The OCIS user ids of the tenant's members (as their steps recorded them), except
    /// members being removed.
    async fn ocis_users_of(&self, tenant: &Tenant) -> Vec<String> {
        use crate::repo::members as members_repo;
        let Ok(rows) = members_repo::of_tenant(&self.db, &tenant.id).await else {
            return Vec::new();
        };
        let ids: Vec<String> = rows
            .iter()
            .filter(|m| m.status != wire::members::MemberStatus::Removing)
            .map(|m| m.id.clone())
            .collect();
        members_repo::steps(&self.db, &ids)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.upstream == OCIS)
            .filter_map(|s| s.upstream_id)
            .collect()
    }

    fn stalwart_step(&self) -> Step {
        if self.upstreams.stalwart_enabled {
            Step::Ok {
                message: "Nothing to create in Stalwart until the first mail domain is added."
                    .into(),
                id: None,
            }
        } else {
            Step::Skipped(
                "Stalwart provisioning is disabled (STALWART_PROVISIONING_ENABLED=false).".into(),
            )
        }
    }

    /// Ensures the tenant's Stripe customer: by stored id, else by the tenant id in the
    /// customers' metadata, else created. A stored customer that Stripe reports deleted is
    /// replaced, and the step says so.
    async fn stripe_step(&self, tenant: &Tenant, stored: Option<String>) -> Step {
        let Some(stripe) = &self.upstreams.stripe else {
            return Step::Skipped("Stripe is disabled (STRIPE_ENABLED=false).".into());
        };
        let step = async {
            // The stored customer that is gone (deleted, or unknown to this Stripe account), and
            // how: the new one is created in its place, with its own idempotency key.
            let mut gone: Option<(&str, &str)> = None;
            if let Some(id) = &stored {
                match stripe.get_customer(id).await? {
                    CustomerLookup::Live(c) => {
                        return Ok::<_, UpstreamError>((c.id, "The customer exists.".to_string()))
                    }
                    CustomerLookup::Deleted => gone = Some((id, "was deleted at Stripe")),
                    CustomerLookup::Missing => gone = Some((id, "is unknown to Stripe")),
                }
            }
            if let Some(c) = stripe.find_customer_of_tenant(&tenant.id).await? {
                return Ok((c.id.clone(), format!("Found the customer {}.", c.id)));
            }
            let c = stripe
                .create_customer(
                    &tenant.name,
                    &tenant.slug,
                    &tenant.id,
                    gone.map(|(id, _)| id),
                )
                .await?;
            let message = match gone {
                Some((old, how)) => format!(
                    "The customer {old} {how}; created the customer {} in its place.",
                    c.id
                ),
                None => format!("Created the customer {}.", c.id),
            };
            Ok((c.id.clone(), message))
        };
        Step::ensured(step.await.map_err(|e| e.to_string()), |e| {
            Step::Error(format!(
                "Stripe: could not ensure the tenant's customer: {e}"
            ))
        })
    }
}

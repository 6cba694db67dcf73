//! `/api/me`, `/api/tenants` (create) and reconcile.

use axum::http::StatusCode;
use axum::routing::{get, post};
use platform::domain::Me;
use platform::services::provisioning::TenantProvisioning;
use serde::Deserialize;

use super::{Admin, Api, Caller, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/me", get(me))
        .route("/api/tenants", post(create_tenant))
        .route("/api/tenants/{slug}/reconcile", post(reconcile))
}

/// `GET /api/me`: profile, tenants with the role in each, partner staff or not.
async fn me(c: Caller) -> Api<Me> {
    Ok(Json(c.platform.access.me(&c.ctx).await?))
}

#[derive(Deserialize)]
struct NewTenant {
    slug: String,
    name: String,
    /// A plan of the catalogue (`STRIPE_PLANS`); none: chosen later.
    #[serde(default)]
    plan: Option<String>,
}

/// `POST /api/tenants` `{"slug", "name", "plan"?}` (partner staff): creates the tenant and
/// provisions it (subscribed to `plan` once its Stripe customer exists); 201 with the result of
/// every step; 400 on `plan` for a plan outside the catalogue (nothing is created).
async fn create_tenant(
    c: Caller,
    body: Result<Json<NewTenant>, ApiError>,
) -> Result<(StatusCode, Json<TenantProvisioning>), ApiError> {
    let staff = c.platform.access.partner_staff(&c.ctx).await?;
    let Json(body) = body?;
    let result = c
        .platform
        .provisioning
        .create_and_provision(&c.ctx, &staff, &body.slug, &body.name, body.plan.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// `POST /api/tenants/:slug/reconcile` (admins, owners, partner staff looking after it).
async fn reconcile(a: Admin) -> Api<TenantProvisioning> {
    Ok(Json(
        a.platform.provisioning.reconcile(&a.ctx, &a.admin).await?,
    ))
}

//! `/api/tenants/{slug}/security-policy` and `/api/tenants/{slug}/mfa-status`.

use axum::routing::get;
use wire::security::{MfaOverview, SecurityPolicyPatch, SecurityPolicyView};

use super::{Admin, Api, Json, SecurityAdmin};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route(
        "/api/tenants/{slug}/security-policy",
        get(policy).patch(update),
    )
    .route("/api/tenants/{slug}/mfa-status", get(mfa_status))
}

/// `GET …/security-policy`: the policy, who enforces each setting, the caller's address and
/// country as the console sees them.
async fn policy(a: SecurityAdmin) -> Api<SecurityPolicyView> {
    Ok(Json(a.platform.security.view(&a.ctx, &a.admin).await?))
}

/// `PATCH …/security-policy` with the fields to change (see `SecurityPolicyPatch`): 400 names
/// the field; 409 `would_lock_out` when the rules would refuse this very request and
/// `confirm_lockout` is not true.
async fn update(
    a: SecurityAdmin,
    body: Result<Json<SecurityPolicyPatch>, ApiError>,
) -> Api<SecurityPolicyView> {
    let Json(patch) = body?;
    Ok(Json(
        a.platform.security.update(&a.ctx, &a.admin, &patch).await?,
    ))
}

/// `GET …/mfa-status`: each member's confirmed second factors from Authentik, admins
/// without MFA first, with the totals and the policy's verdict.
async fn mfa_status(a: Admin) -> Api<MfaOverview> {
    Ok(Json(a.platform.security.mfa_overview(&a.admin).await?))
}

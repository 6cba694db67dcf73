//! The profile's server function.

use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;
use wire::tenants::ProfileView;

/// The person's own profile, with the claims the IdP returns for their access token (the
/// token is refreshed and the call retried once if the IdP answers 401).
#[server(prefix = "/api/fn", endpoint = "profile", client = crate::resilient::Resilient)]
pub async fn get_profile() -> Result<ProfileView, AppError> {
    let call = call()?;
    let who = call.platform.access.signed_in(&call.ctx).await?;
    let user = call.user.clone().ok_or_else(AppError::unauthenticated)?;
    let claims = call.platform.auth.userinfo(&user).await?;
    let mut idp_claims: Vec<(String, String)> = claims
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect();
    idp_claims.sort();
    let me = call.platform.access.me(&call.ctx).await?;
    Ok(ProfileView {
        name: who.user().name.clone(),
        email: who.user().email.clone(),
        tenants: me.tenants,
        idp_claims,
    })
}

//! Who is asking, for server functions (server only): the platform, the service context and
//! the session of the request the server's middleware annotated. Every server function starts
//! with [`call`], then proves access through the platform's access service (fail closed), calls
//! one service method and lets `?` turn its error into the public error (`crate::error`).

use std::sync::Arc;

use leptos::prelude::*;
use platform::services::access::{PartnerStaff, PolicyAdmin, TenantAdmin};
use platform::{Ctx, CurrentUser, Platform};

use crate::error::{AppError, ErrorClass};

/// Facts the server provides to pages and server functions besides the platform.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleFlags {
    pub sandbox: bool,
}

pub struct Call {
    pub platform: Arc<Platform>,
    pub ctx: Ctx,
    pub user: Option<CurrentUser>,
    pub session: Option<tower_sessions::Session>,
}

impl Call {
    /// The check every admin-only server function starts with (denials are audited).
    pub async fn tenant_admin(&self, slug: &str) -> Result<TenantAdmin, AppError> {
        Ok(self.platform.access.tenant_admin(&self.ctx, slug).await?)
    }

    /// The check of the Security page's server functions (owners pass the network rules).
    pub async fn policy_admin(&self, slug: &str) -> Result<PolicyAdmin, AppError> {
        Ok(self.platform.access.security_admin(&self.ctx, slug).await?)
    }

    pub async fn partner_staff(&self) -> Result<PartnerStaff, AppError> {
        Ok(self.platform.access.partner_staff(&self.ctx).await?)
    }

    /// Sets or clears the browser session's partner mode.
    pub async fn set_partner_mode(&self, on: bool) -> Result<(), AppError> {
        use platform::ctx::session_keys::PARTNER_MODE;
        let session = self
            .session
            .as_ref()
            .ok_or_else(|| wiring("the session layer"))?;
        let result = if on {
            session.insert(PARTNER_MODE, true).await
        } else {
            session.remove::<bool>(PARTNER_MODE).await.map(|_| ())
        };
        result.map_err(|e| {
            tracing::error!(error = %e, "the session store failed");
            AppError::new(
                ErrorClass::Internal,
                "internal",
                "The session could not be changed.",
            )
        })
    }
}

/// Who is asking, from the request the server's middleware annotated.
pub fn call() -> Result<Call, AppError> {
    let parts = use_context::<http::request::Parts>().ok_or_else(|| wiring("request parts"))?;
    let platform = use_context::<Arc<Platform>>().ok_or_else(|| wiring("platform"))?;
    let ctx = parts
        .extensions
        .get::<Ctx>()
        .cloned()
        .ok_or_else(|| wiring("request context"))?;
    Ok(Call {
        platform,
        user: parts.extensions.get::<CurrentUser>().cloned(),
        session: parts.extensions.get::<tower_sessions::Session>().cloned(),
        ctx,
    })
}

pub fn flags() -> ConsoleFlags {
    use_context::<ConsoleFlags>().unwrap_or(ConsoleFlags { sandbox: false })
}

fn wiring(what: &str) -> AppError {
    tracing::error!("server function called without {what} in context");
    AppError::new(
        ErrorClass::Internal,
        "internal",
        "Something went wrong on our side.",
    )
}

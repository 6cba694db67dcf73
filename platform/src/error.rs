//! The public face of every service error, defined once: each error says its class (which
//! decides the HTTP status), a stable code and the input field at fault. Both faces — the
//! pages' server functions (`app::error::AppError`) and the JSON API (`server::error::ApiError`)
//! — convert through [`public`], so the same failure answers the same status and body on both.
//!
//! Causes stay in the error values (`#[source]`); [`public`] logs the whole chain for faults
//! of ours and of upstreams, and the person only sees the message meant for them.

use std::error::Error;

pub use wire::{ErrorClass, PublicError};

use crate::services::access::AccessError;
use crate::services::audit::AuditError;
use crate::services::auth::AuthError;
use crate::services::domains::DomainError;
use crate::services::members::MemberError;
use crate::services::provisioning::ProvisioningError;
use crate::services::security::SecurityError;
use crate::services::tenants::TenantError;

/// Calls `$m!(…)` with every service error type, so each face (server functions, JSON API)
/// converts from all of them without keeping its own list: a new area adds its error here.
#[macro_export]
macro_rules! for_each_service_error {
    ($m:ident) => {
        $m!(
            $crate::services::access::AccessError,
            $crate::services::auth::AuthError,
            $crate::services::provisioning::ProvisioningError,
            $crate::services::domains::DomainError,
            $crate::services::members::MemberError,
            $crate::services::tenants::TenantError,
            $crate::services::audit::AuditError,
            $crate::services::security::SecurityError,
            $crate::services::sso_apps::SsoAppError,
            $crate::services::billing::BillingError,
            $crate::services::storage::StorageError,
            $crate::services::branding::BrandingError
        );
    };
}

/// How a service error shows itself to the caller.
pub trait Classify: Error {
    fn class(&self) -> ErrorClass;
    /// A stable snake_case code, documented per endpoint.
    fn code(&self) -> &'static str;
    /// The input field at fault, for validation errors.
    fn field(&self) -> Option<&str> {
        None
    }
}

/// The public error of `e`. Internal faults are logged with their cause chain and shown as
/// "Something went wrong on our side" (the face adds the request id); upstream failures are
/// logged at warn with their chain and keep their message, which names the upstream and step.
pub fn public(e: &dyn Classify) -> PublicError {
    let class = e.class();
    let chain = cause_chain(e);
    let message = match class {
        ErrorClass::Internal => {
            tracing::error!(error = %chain, code = e.code(), "request failed");
            "Something went wrong on our side. Please try again; if it persists, quote the reference.".to_string()
        }
        ErrorClass::Upstream | ErrorClass::Unavailable => {
            tracing::warn!(error = %chain, code = e.code(), "upstream failure");
            e.to_string()
        }
        _ => e.to_string(),
    };
    PublicError {
        error: e.code().to_string(),
        message,
        field: e.field().map(String::from),
        request_id: String::new(),
        class,
    }
}

/// `error: cause: cause …`, for the log line of a failed request.
pub fn cause_chain(e: &dyn Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

impl Classify for AccessError {
    fn class(&self) -> ErrorClass {
        match self {
            AccessError::Unauthenticated | AccessError::SessionExpired(_) => {
                ErrorClass::Unauthenticated
            }
            AccessError::NetworkRefused { .. } => ErrorClass::Forbidden,
            AccessError::UnknownTenant(_) => ErrorClass::NotFound,
            AccessError::NotMember(_)
            | AccessError::NotAdmin(_)
            | AccessError::NotPartnerStaff
            | AccessError::NoAdminWorkspace => ErrorClass::Forbidden,
            AccessError::Internal(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AccessError::Unauthenticated => "unauthenticated",
            AccessError::SessionExpired(_) => "session_expired",
            AccessError::NetworkRefused { .. } => "network_blocked",
            AccessError::UnknownTenant(_) => "not_found",
            AccessError::NotMember(_)
            | AccessError::NotAdmin(_)
            | AccessError::NotPartnerStaff
            | AccessError::NoAdminWorkspace => "forbidden",
            AccessError::Internal(_) => "internal",
        }
    }
}

impl Classify for AuditError {
    fn class(&self) -> ErrorClass {
        match self {
            AuditError::Invalid { .. } => ErrorClass::Invalid,
            AuditError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AuditError::Invalid { .. } => "invalid",
            AuditError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            AuditError::Invalid { field, .. } => Some(field),
            AuditError::Store(_) => None,
        }
    }
}

impl Classify for SecurityError {
    fn class(&self) -> ErrorClass {
        match self {
            SecurityError::Invalid { .. } => ErrorClass::Invalid,
            SecurityError::WouldLockOut(_) | SecurityError::Conflict => ErrorClass::Conflict,
            SecurityError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            SecurityError::Invalid { .. } => "invalid",
            SecurityError::WouldLockOut(_) => "would_lock_out",
            SecurityError::Conflict => "conflict",
            SecurityError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            SecurityError::Invalid { field, .. } => Some(field),
            SecurityError::WouldLockOut(_) => Some("ip_allowlist"),
            SecurityError::Conflict | SecurityError::Store(_) => None,
        }
    }
}

impl Classify for AuthError {
    fn class(&self) -> ErrorClass {
        match self {
            AuthError::SignIn(_) => ErrorClass::Invalid,
            AuthError::SessionEnded => ErrorClass::Unauthenticated,
            AuthError::Oidc(_) => ErrorClass::Upstream,
            AuthError::Store(_) | AuthError::Seal(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            AuthError::SignIn(_) => "sign_in_failed",
            AuthError::SessionEnded => "unauthenticated",
            AuthError::Oidc(_) => "upstream",
            AuthError::Store(_) | AuthError::Seal(_) => "internal",
        }
    }
}

impl Classify for ProvisioningError {
    fn class(&self) -> ErrorClass {
        match self {
            ProvisioningError::Invalid { .. } => ErrorClass::Invalid,
            ProvisioningError::SlugTaken(_) | ProvisioningError::Busy => ErrorClass::Conflict,
            ProvisioningError::Store(_) | ProvisioningError::Interrupted(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            ProvisioningError::Invalid { .. } => "invalid",
            ProvisioningError::SlugTaken(_) => "slug_taken",
            ProvisioningError::Busy => "busy",
            ProvisioningError::Store(_) | ProvisioningError::Interrupted(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            ProvisioningError::Invalid { field, .. } => Some(field),
            ProvisioningError::SlugTaken(_) => Some("slug"),
            _ => None,
        }
    }
}

impl Classify for DomainError {
    fn class(&self) -> ErrorClass {
        match self {
            DomainError::Invalid { .. } => ErrorClass::Invalid,
            DomainError::NotFound(_) => ErrorClass::NotFound,
            DomainError::AlreadyAdded(_)
            | DomainError::ClaimedElsewhere(_)
            | DomainError::ExistsUpstream(_)
            | DomainError::NotVerified(_)
            | DomainError::PrimaryWithOthers(_)
            | DomainError::InUse { .. }
            | DomainError::SandboxOnly => ErrorClass::Conflict,
            DomainError::Upstream { .. } => ErrorClass::Upstream,
            DomainError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "invalid",
            DomainError::AlreadyAdded(_) => "already_added",
            DomainError::ClaimedElsewhere(_) => "claimed_by_another_workspace",
            DomainError::ExistsUpstream(_) => "exists_on_mail_server",
            DomainError::NotFound(_) => "not_found",
            DomainError::NotVerified(_) => "not_verified",
            DomainError::PrimaryWithOthers(_) => "primary_domain",
            DomainError::InUse { .. } => "domain_in_use",
            DomainError::SandboxOnly => "sandbox_only",
            DomainError::Upstream { .. } => "upstream",
            DomainError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            DomainError::Invalid { field, .. } => Some(field),
            DomainError::AlreadyAdded(_)
            | DomainError::ClaimedElsewhere(_)
            | DomainError::ExistsUpstream(_) => Some("name"),
            _ => None,
        }
    }
}

impl Classify for MemberError {
    fn class(&self) -> ErrorClass {
        match self {
            MemberError::Invalid { .. } => ErrorClass::Invalid,
            MemberError::NotFound(_) => ErrorClass::NotFound,
            MemberError::Denied(_) => ErrorClass::Forbidden,
            MemberError::NoPrimaryDomain
            | MemberError::AddressTaken(_)
            | MemberError::Conflict(_) => ErrorClass::Conflict,
            MemberError::Upstream { .. } | MemberError::RemovalIncomplete { .. } => {
                ErrorClass::Upstream
            }
            MemberError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            MemberError::Invalid { .. } => "invalid",
            MemberError::NoPrimaryDomain => "no_primary_domain",
            MemberError::AddressTaken(_) => "address_taken",
            MemberError::NotFound(_) => "not_found",
            MemberError::Denied(_) => "forbidden",
            MemberError::Conflict(_) => "conflict",
            MemberError::Upstream { .. } => "upstream",
            MemberError::RemovalIncomplete { .. } => "removal_incomplete",
            MemberError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            MemberError::Invalid { field, .. } => Some(field),
            MemberError::NoPrimaryDomain | MemberError::AddressTaken(_) => Some("local_part"),
            _ => None,
        }
    }
}

impl Classify for TenantError {
    fn class(&self) -> ErrorClass {
        match self {
            TenantError::Invalid { .. } => ErrorClass::Invalid,
            TenantError::Store(_) | TenantError::Steps(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            TenantError::Invalid { .. } => "invalid",
            TenantError::Store(_) | TenantError::Steps(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            TenantError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

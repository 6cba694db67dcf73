//! The JSON API's error: `{"error": code, "message": …, "field": …, "request_id": …}` with a
//! 4xx status for what the caller can fix, mapped from service errors in one place.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use platform::services::access::AccessError;
use platform::services::domains::DomainError;
use platform::services::members::MemberError;
use platform::services::provisioning::ProvisioningError;
use serde::Serialize;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub request_id: String,
}

#[derive(Serialize)]
struct Body<'a> {
    error: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    request_id: &'a str,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        request_id: &str,
    ) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            request_id: request_id.to_string(),
        }
    }

    pub fn access(e: AccessError, request_id: &str) -> Self {
        let (status, code) = match &e {
            AccessError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AccessError::UnknownTenant(_) => (StatusCode::NOT_FOUND, "not_found"),
            AccessError::NotMember(_) | AccessError::NotAdmin(_) | AccessError::NotPartnerStaff => {
                (StatusCode::FORBIDDEN, "forbidden")
            }
            AccessError::Internal(cause) => {
                tracing::error!(request_id, error = %cause, "access check failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        let message = match &e {
            AccessError::Internal(_) => {
                format!("Something went wrong on our side. Reference: {request_id}.")
            }
            other => other.to_string(),
        };
        Self::new(status, code, message, request_id)
    }
}

impl ApiError {
    pub fn provisioning(e: ProvisioningError, request_id: &str) -> Self {
        match e {
            ProvisioningError::Invalid { field, message } => Self {
                field: Some(field.into()),
                ..Self::new(StatusCode::BAD_REQUEST, "invalid", message, request_id)
            },
            ProvisioningError::SlugTaken(_) => Self {
                field: Some("slug".into()),
                ..Self::new(
                    StatusCode::CONFLICT,
                    "slug_taken",
                    e.to_string(),
                    request_id,
                )
            },
            ProvisioningError::Busy => {
                Self::new(StatusCode::CONFLICT, "busy", e.to_string(), request_id)
            }
            ProvisioningError::Store(cause) => Self::internal(cause, request_id),
        }
    }

    pub fn domain(e: DomainError, request_id: &str) -> Self {
        let message = e.to_string();
        let with_field = |status, code, field: &str| Self {
            field: Some(field.into()),
            ..Self::new(status, code, message.clone(), request_id)
        };
        match e {
            DomainError::Invalid { field, .. } => {
                with_field(StatusCode::BAD_REQUEST, "invalid", field)
            }
            DomainError::AlreadyAdded(_) => {
                with_field(StatusCode::CONFLICT, "already_added", "name")
            }
            DomainError::ClaimedElsewhere(_) => {
                with_field(StatusCode::CONFLICT, "claimed_by_another_workspace", "name")
            }
            DomainError::NotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", message, request_id)
            }
            DomainError::NotVerified(_) => {
                Self::new(StatusCode::CONFLICT, "not_verified", message, request_id)
            }
            DomainError::PrimaryWithOthers(_) => {
                Self::new(StatusCode::CONFLICT, "primary_domain", message, request_id)
            }
            DomainError::InUse { .. } => {
                Self::new(StatusCode::CONFLICT, "domain_in_use", message, request_id)
            }
            DomainError::Upstream(_) => {
                Self::new(StatusCode::BAD_GATEWAY, "upstream", message, request_id)
            }
            DomainError::Store(cause) => Self::internal(cause, request_id),
        }
    }

    pub fn member(e: MemberError, request_id: &str) -> Self {
        let message = e.to_string();
        let plain = |status, code| Self::new(status, code, message.clone(), request_id);
        match e {
            MemberError::Invalid { field, .. } => Self {
                field: Some(field.into()),
                ..plain(StatusCode::BAD_REQUEST, "invalid")
            },
            MemberError::NoPrimaryDomain => Self {
                field: Some("local_part".into()),
                ..plain(StatusCode::CONFLICT, "no_primary_domain")
            },
            MemberError::AddressTaken(_) => Self {
                field: Some("local_part".into()),
                ..plain(StatusCode::CONFLICT, "address_taken")
            },
            MemberError::NotFound(_) => plain(StatusCode::NOT_FOUND, "not_found"),
            MemberError::Denied(_) => plain(StatusCode::FORBIDDEN, "forbidden"),
            MemberError::Conflict(_) => plain(StatusCode::CONFLICT, "conflict"),
            MemberError::Upstream(_) => plain(StatusCode::BAD_GATEWAY, "upstream"),
            MemberError::Store(cause) => Self::internal(cause, request_id),
        }
    }

    /// An unexpected failure: the cause is logged, the caller gets the request id.
    pub fn internal(cause: impl std::fmt::Display, request_id: &str) -> Self {
        tracing::error!(request_id, error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("Something went wrong on our side. Reference: {request_id}."),
            request_id,
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: self.code,
            message: &self.message,
            field: self.field.as_deref(),
            request_id: &self.request_id,
        };
        (self.status, Json(body)).into_response()
    }
}

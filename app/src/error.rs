//! The one error type of every server function: a stable code, a message meant for the
//! person, the field for validation errors, and the request id for support.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("{message}")]
    Forbidden { message: String },
    #[error("{message}")]
    NotFound { message: String },
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Unavailable { message: String },
    #[error("Something went wrong on our side. Reference: {request_id}.")]
    Internal { request_id: String },
    /// Transport trouble between browser and server (no connection, bad answer).
    #[error("The console could not be reached: {message}")]
    Transport { message: String },
}

impl AppError {
    /// The HTTP status a page showing this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound { .. } => 404,
            AppError::Invalid { .. } => 400,
            AppError::Unavailable { .. } => 503,
            AppError::Internal { .. } | AppError::Transport { .. } => 500,
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "Sign-in required",
            AppError::Forbidden { .. } => "Access denied",
            AppError::NotFound { .. } => "Not found",
            AppError::Invalid { .. } => "Check your input",
            AppError::Unavailable { .. } => "Temporarily unavailable",
            AppError::Internal { .. } | AppError::Transport { .. } => "Something went wrong",
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        AppError::Transport {
            message: value.to_string(),
        }
    }
}

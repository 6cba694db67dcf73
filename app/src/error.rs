//! The one error type of every server function: `wire::PublicError` (stable code, message
//! meant for the person, field for validation errors, request id), converted from every
//! platform service error in one line each (`platform::error::public`).
//!
//! On the server, the error's HTTP status is set where the error is serialised for the
//! answer (`FromServerFnError::ser`), the one place every failing server function goes
//! through: a refusal is 403, an anonymous call 401, bad input 400, a conflict 409, an
//! upstream failure 502 — never 500 unless something is really broken.

use serde::{Deserialize, Serialize};
pub use wire::{ErrorClass, PublicError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(transparent)]
#[error(transparent)]
pub struct AppError(pub PublicError);

impl AppError {
    pub fn new(class: ErrorClass, code: &str, message: impl Into<String>) -> Self {
        Self(PublicError::new(class, code, message))
    }

    pub fn unauthenticated() -> Self {
        Self(PublicError::unauthenticated())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self(PublicError::invalid(field, message))
    }

    pub fn class(&self) -> ErrorClass {
        self.0.class
    }

    /// The HTTP status a page showing this error answers with.
    pub fn status(&self) -> u16 {
        self.0.status()
    }

    pub fn title(&self) -> &'static str {
        self.0.class.title()
    }

    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// The stable code (`invalid`, `would_lock_out`, …).
    pub fn code(&self) -> &str {
        &self.0.error
    }

    pub fn is_unauthenticated(&self) -> bool {
        self.0.class == ErrorClass::Unauthenticated
    }

    /// The message with the reference to quote, for faults of ours.
    pub fn message(&self) -> String {
        if self.0.class == ErrorClass::Internal && !self.0.request_id.is_empty() {
            format!("{} Reference: {}.", self.0.message, self.0.request_id)
        } else {
            self.0.message.clone()
        }
    }
}

impl From<PublicError> for AppError {
    fn from(e: PublicError) -> Self {
        Self(e)
    }
}

/// Every platform service error becomes the same public error the JSON API answers with; the
/// request id comes from the request the server function serves.
#[cfg(feature = "ssr")]
mod from_services {
    use platform::error::{public, Classify};

    use super::AppError;

    fn from_service(e: &dyn Classify) -> AppError {
        let mut public = public(e);
        public.request_id = super::request_id().unwrap_or_default();
        AppError(public)
    }

    macro_rules! from_service {
        ($($t:ty),*) => {$(
            impl From<$t> for AppError {
                fn from(e: $t) -> Self {
                    from_service(&e)
                }
            }
        )*};
    }

    platform::for_each_service_error!(from_service);
}

/// The id of the request being served (server only).
#[cfg(feature = "ssr")]
fn request_id() -> Option<String> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|p| {
        p.extensions
            .get::<platform::RequestMeta>()
            .map(|m| m.request_id.clone())
    })
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    /// Transport trouble between browser and server (no connection, an answer that is not
    /// ours), or a request the server function could not decode (400).
    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        let (class, code) = match &value {
            E::Args(_) | E::Deserialization(_) | E::MissingArg(_) => {
                (ErrorClass::Invalid, "invalid")
            }
            E::Request(_) | E::Response(_) => (ErrorClass::Unavailable, "unreachable"),
            _ => (ErrorClass::Internal, "internal"),
        };
        let message = match class {
            ErrorClass::Unavailable => format!("The console could not be reached: {value}"),
            _ => value.to_string(),
        };
        AppError::new(class, code, message)
    }

    /// The answer's body; on the server this is also where the answer gets the error's status.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        let answer = {
            use leptos::prelude::use_context;
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                if let Ok(status) = http::StatusCode::from_u16(self.status()) {
                    response.set_status(status);
                }
            }
            let mut with_id = self.clone();
            if with_id.0.request_id.is_empty() {
                with_id.0.request_id = request_id().unwrap_or_default();
            }
            with_id
        };
        #[cfg(not(feature = "ssr"))]
        let answer = self;
        serde_json::to_vec(&answer).unwrap_or_default().into()
    }
}

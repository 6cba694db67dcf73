//! The one public error of the console. Both faces send the same body with the same status:
//! `{"error": code, "message", "field", "request_id", "status"}`.

use serde::{Deserialize, Serialize};

/// What kind of failure it is; decides the HTTP status (RFC 9110 §15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// 401: nobody is signed in (or the session ended).
    Unauthenticated,
    /// 403: signed in, but not allowed.
    Forbidden,
    /// 404: no such thing (in this tenant).
    NotFound,
    /// 400: the input is malformed or breaks a rule; `field` names the input.
    Invalid,
    /// 409: not possible in the current state (already exists, in use, busy).
    Conflict,
    /// 413: the request body is larger than the console accepts.
    TooLarge,
    /// 502: an upstream (Authentik, Stalwart, OCIS, Stripe) refused or failed.
    Upstream,
    /// 503: the console could not answer in time, or a dependency is down.
    Unavailable,
    /// 500: a fault of ours; the message carries the request id to quote.
    Internal,
}

impl ErrorClass {
    /// The HTTP status code of this class.
    pub fn status(self) -> u16 {
        match self {
            ErrorClass::Unauthenticated => 401,
            ErrorClass::Forbidden => 403,
            ErrorClass::NotFound => 404,
            ErrorClass::Invalid => 400,
            ErrorClass::Conflict => 409,
            ErrorClass::TooLarge => 413,
            ErrorClass::Upstream => 502,
            ErrorClass::Unavailable => 503,
            ErrorClass::Internal => 500,
        }
    }

    /// The class of an HTTP status (the browser side reads it back from a response).
    pub fn from_status(status: u16) -> Self {
        match status {
            401 => ErrorClass::Unauthenticated,
            403 => ErrorClass::Forbidden,
            404 => ErrorClass::NotFound,
            409 => ErrorClass::Conflict,
            413 => ErrorClass::TooLarge,
            400..=499 => ErrorClass::Invalid,
            502 | 504 => ErrorClass::Upstream,
            503 => ErrorClass::Unavailable,
            _ => ErrorClass::Internal,
        }
    }

    /// A short title for an error page.
    pub fn title(self) -> &'static str {
        match self {
            ErrorClass::Unauthenticated => "Sign-in required",
            ErrorClass::Forbidden => "Access denied",
            ErrorClass::NotFound => "Not found",
            ErrorClass::Invalid => "Check your input",
            ErrorClass::Conflict => "Not possible right now",
            ErrorClass::TooLarge => "Too large",
            ErrorClass::Upstream => "A connected service failed",
            ErrorClass::Unavailable => "Temporarily unavailable",
            ErrorClass::Internal => "Something went wrong",
        }
    }
}

/// A failure as the person (and an API client) sees it: a stable machine `error` code (such
/// as `already_added`, `address_taken`, `forbidden`), a `message` meant for a person, the
/// `field` of the input at fault for validation errors, and the `request_id` to quote.
/// Causes never travel here: they are logged with the request id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct PublicError {
    /// Stable code, snake_case.
    pub error: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Filled by the face that answers (from the request's context).
    #[serde(default)]
    pub request_id: String,
    pub class: ErrorClass,
}

impl PublicError {
    pub fn new(class: ErrorClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: code.into(),
            message: message.into(),
            field: None,
            request_id: String::new(),
            class,
        }
    }

    /// A validation error on one input field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            ..Self::new(ErrorClass::Invalid, "invalid", message)
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorClass::Unauthenticated,
            "unauthenticated",
            "Please sign in to continue.",
        )
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        self.class.status()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_the_documented_fields() {
        let e = PublicError::invalid("name", "Too long.");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["error"], "invalid");
        assert_eq!(v["message"], "Too long.");
        assert_eq!(v["field"], "name");
        assert_eq!(v["class"], "invalid");
        assert_eq!(e.status(), 400);
        let back: PublicError = serde_json::from_value(v).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn every_class_round_trips_through_its_status() {
        for c in [
            ErrorClass::Unauthenticated,
            ErrorClass::Forbidden,
            ErrorClass::NotFound,
            ErrorClass::Invalid,
            ErrorClass::Conflict,
            ErrorClass::TooLarge,
            ErrorClass::Upstream,
            ErrorClass::Unavailable,
            ErrorClass::Internal,
        ] {
            assert_eq!(ErrorClass::from_status(c.status()), c);
        }
    }
}

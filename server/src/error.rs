//! The JSON API's error: `wire::PublicError`, converted from every platform service error in
//! one line each (`platform::error::public`), and from axum's rejections of bodies, queries
//! and paths that do not parse.
//!
//! The answer is built in two steps, as in axum's `examples/error-handling`: `IntoResponse`
//! sets the status and puts the error in the response's extensions; `middleware::request_context`
//! (which knows the request id) writes the body `{"error", "message", "field", "request_id",
//! "class"}` and logs it. So an error made anywhere — a handler, an extractor, the deadline —
//! answers the same body.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform::error::{public, Classify};
pub use wire::{ErrorClass, PublicError};

#[derive(Debug)]
pub struct ApiError(pub PublicError);

impl ApiError {
    pub fn new(class: ErrorClass, code: &str, message: impl Into<String>) -> Self {
        Self(PublicError::new(class, code, message))
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self(PublicError::invalid(field, message))
    }

    /// The request ran out of time (`REQUEST_TIMEOUT_SECS`).
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Unavailable, "timeout", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::NotFound, "not_found", message)
    }
}

fn from_service(e: &dyn Classify) -> ApiError {
    ApiError(public(e))
}

macro_rules! from_service {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                from_service(&e)
            }
        }
    )*};
}

platform::for_each_service_error!(from_service);

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        let hint = if e.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            " Send it with Content-Type: application/json."
        } else {
            ""
        };
        let mut error = PublicError::new(
            ErrorClass::Invalid,
            "invalid",
            format!(
                "The request body is not what this endpoint takes: {}.{hint}",
                e.body_text()
            ),
        );
        // serde names the field at fault as "<field>: …" or "missing field `<field>`".
        error.field = field_of(&e.body_text());
        ApiError(error)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        let mut error = PublicError::new(
            ErrorClass::Invalid,
            "invalid",
            format!("The query string is not valid: {}", e.body_text()),
        );
        error.field = field_of(&e.body_text());
        ApiError(error)
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError::new(
            ErrorClass::Invalid,
            "invalid",
            format!("The address is not valid: {}", e.body_text()),
        )
    }
}

/// The field a serde message names: "… missing field `name` …" or "<axum prefix>: name: …".
fn field_of(text: &str) -> Option<String> {
    if let Some(rest) = text.split("missing field `").nth(1) {
        return rest.split('`').next().map(String::from);
    }
    let (_, detail) = text.split_once(": ")?;
    let (path, _) = detail.split_once(": ")?;
    (!path.is_empty()
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')))
    .then(|| path.to_string())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = status.into_response();
        response.extensions_mut().insert(self.0);
        response
    }
}

/// Writes the JSON body of an error answer (called by `middleware::request_context`).
pub fn finish(mut response: Response, request_id: &str) -> Response {
    let error = match response.extensions_mut().remove::<PublicError>() {
        Some(e) => Some(e),
        // tower-http's body limit answers 413 in plain text; say it the API's way.
        None if response.status() == StatusCode::PAYLOAD_TOO_LARGE => Some(PublicError::new(
            ErrorClass::TooLarge,
            "too_large",
            "The request body is larger than the console accepts.",
        )),
        None => None,
    };
    let Some(mut error) = error else {
        return response;
    };
    error.request_id = request_id.to_string();
    if error.class == ErrorClass::Internal {
        error.message = format!("{} Reference: {request_id}.", error.message);
    }
    let status = response.status();
    let mut answer = (status, axum::Json(&error)).into_response();
    for (name, value) in response.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_of("Failed to deserialize the JSON body into the target type: missing field `name` at line 1 column 2").as_deref(),
            Some("name")
        );
        assert_eq!(
            field_of("Failed to deserialize query string: limit: invalid digit found in string")
                .as_deref(),
            Some("limit")
        );
        assert_eq!(
            field_of("Failed to deserialize the JSON body into the target type: invalid type: integer `1`, expected a string at line 1 column 9"),
            None
        );
        assert_eq!(
            field_of("Failed to deserialize the JSON body into the target type: role: invalid type: integer `1`, expected a string at line 1 column 9").as_deref(),
            Some("role")
        );
    }
}

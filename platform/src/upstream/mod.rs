//! HTTP clients of the systems Dezky manages. The only seam is each upstream's base URL.
//! Errors name the upstream; the services add the step.

pub mod authentik;
pub mod ocis;
pub mod stalwart;
pub mod stripe;

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{upstream} could not be reached ({detail})")]
    Unreachable {
        upstream: &'static str,
        detail: String,
    },
    #[error("{upstream} did not answer in time")]
    Timeout { upstream: &'static str },
    #[error("{upstream} answered {status}: {detail}")]
    Status {
        upstream: &'static str,
        status: u16,
        detail: String,
    },
    #[error("{upstream} sent an answer Dezky does not understand ({detail})")]
    Protocol {
        upstream: &'static str,
        detail: String,
    },
}

impl UpstreamError {
    pub fn status(&self) -> Option<u16> {
        match self {
            UpstreamError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Sends a request, turning transport trouble into `UpstreamError`.
pub(crate) async fn send(
    upstream: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, UpstreamError> {
    request.send().await.map_err(|e| {
        if e.is_timeout() {
            UpstreamError::Timeout { upstream }
        } else {
            UpstreamError::Unreachable {
                upstream,
                detail: e.without_url().to_string(),
            }
        }
    })
}

/// A successful answer's JSON body, or a `Status` error carrying the body's text.
pub(crate) async fn json<T: DeserializeOwned>(
    upstream: &'static str,
    response: reqwest::Response,
) -> Result<T, UpstreamError> {
    let response = success(upstream, response).await?;
    response.json().await.map_err(|e| UpstreamError::Protocol {
        upstream,
        detail: e.without_url().to_string(),
    })
}

/// Passes a 2xx answer through; anything else becomes a `Status` error with the body's text.
pub(crate) async fn success(
    upstream: &'static str,
    response: reqwest::Response,
) -> Result<reqwest::Response, UpstreamError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let detail: String = response
        .text()
        .await
        .unwrap_or_default()
        .chars()
        .take(300)
        .collect();
    Err(UpstreamError::Status {
        upstream,
        status: status.as_u16(),
        detail,
    })
}

pub(crate) fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client with static settings builds")
}

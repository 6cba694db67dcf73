//! HTTP clients of the systems Dezky manages. The only seam is each upstream's base URL.
//! Errors name the upstream; the services add the step.

pub mod authentik;
pub mod ocis;
pub mod smtp;
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

/// The most of an upstream's answer the console reads (bytes): a larger one is refused, so a
/// broken or hostile upstream cannot exhaust memory.
pub const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// Reads at most `cap` bytes of an answer's body; `None` when it is longer.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Ok(None);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > cap {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

/// A JSON body read with the size cap.
pub(crate) async fn json_body<T: DeserializeOwned>(
    upstream: &'static str,
    response: reqwest::Response,
) -> Result<T, UpstreamError> {
    let protocol = |detail: String| UpstreamError::Protocol { upstream, detail };
    let body = read_capped(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| protocol(e.without_url().to_string()))?
        .ok_or_else(|| {
            protocol(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            ))
        })?;
    serde_json::from_slice(&body).map_err(|e| protocol(e.to_string()))
}

/// A successful answer's JSON body, or a `Status` error carrying the body's text.
pub(crate) async fn json<T: DeserializeOwned>(
    upstream: &'static str,
    response: reqwest::Response,
) -> Result<T, UpstreamError> {
    let response = success(upstream, response).await?;
    json_body(upstream, response).await
}

/// Removes what looks like a secret from an upstream's text before it is kept anywhere (step
/// messages, audit details, logs, the page): values of password, secret, token, key and
/// authorization fields, bearer credentials, and long opaque strings (tokens, keys, JWTs).
pub fn scrub(text: &str) -> String {
    use std::sync::LazyLock;
    static FIELD: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)("?[a-z_\-]*(?:password|passwd|secret|token|api[_\-]?key|authorization|credential)[a-z_\-]*"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^\s,&}\]]+)"#,
        )
        .ok()
    });
    static BEARER: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+").ok());
    static OPAQUE: LazyLock<Option<regex::Regex>> =
        LazyLock::new(|| regex::Regex::new(r"[A-Za-z0-9_+/=.\-]{40,}").ok());
    let mut out = text.to_string();
    if let Some(re) = FIELD.as_ref() {
        out = re.replace_all(&out, "$1\"[redacted]\"").into_owned();
    }
    if let Some(re) = BEARER.as_ref() {
        out = re.replace_all(&out, "$1 [redacted]").into_owned();
    }
    if let Some(re) = OPAQUE.as_ref() {
        out = re.replace_all(&out, "[redacted]").into_owned();
    }
    out
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
    let body = read_capped(response, 64 * 1024)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let detail: String = scrub(&error_text(&body)).chars().take(300).collect();
    Err(UpstreamError::Status {
        upstream,
        status: status.as_u16(),
        detail,
    })
}

/// The message of an upstream's error body, in its own shape: OCIS's OData error
/// (`{"error":{"code","message"}}`), RFC 7807 problem details (Stalwart: `title`, `detail`),
/// OAuth (`error`, `error_description`), Django REST Framework (`{"detail"}`, or field errors
/// `{"field": ["…"]}` as Authentik answers); anything else as its text.
pub(crate) fn error_text(body: &[u8]) -> String {
    use serde_json::Value;
    let raw = || String::from_utf8_lossy(body).trim().to_string();
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(body) else {
        return raw();
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    if let Some(Value::Object(e)) = obj.get("error") {
        if let Some(message) = text(e.get("message")) {
            return match text(e.get("code")) {
                Some(code) => format!("{code}: {message}"),
                None => message,
            };
        }
    }
    if let Some(description) = text(obj.get("error_description")) {
        return match text(obj.get("error")) {
            Some(code) => format!("{code}: {description}"),
            None => description,
        };
    }
    if let Some(detail) = text(obj.get("detail")) {
        return match text(obj.get("title")) {
            Some(title) if obj.contains_key("status") => format!("{title}: {detail}"),
            _ => detail,
        };
    }
    let fields: Vec<String> = obj
        .iter()
        .filter_map(|(k, v)| {
            let first = v.as_array()?.iter().find_map(Value::as_str)?;
            Some(format!("{k}: {first}"))
        })
        .collect();
    if fields.is_empty() {
        raw()
    } else {
        fields.join("; ")
    }
}

pub(crate) fn http_client(timeout: std::time::Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a reqwest client with static settings builds")
}

#[cfg(test)]
mod tests {
    use super::{error_text, scrub};

    #[test]
    fn error_bodies_are_read_in_each_upstreams_shape() {
        let cases: [(&str, &str); 6] = [
            (
                r#"{"error":{"code":"itemNotFound","message":"not found","innererror":{"request-id":"x"}}}"#,
                "itemNotFound: not found",
            ),
            (
                r#"{"type":"about:blank","status":401,"title":"Unauthorized","detail":"You have to authenticate first."}"#,
                "Unauthorized: You have to authenticate first.",
            ),
            (r#"{"detail":"Not found."}"#, "Not found."),
            (
                r#"{"name":["provider with this name already exists."]}"#,
                "name: provider with this name already exists.",
            ),
            (
                r#"{"error":"invalid_grant","error_description":"The code has expired"}"#,
                "invalid_grant: The code has expired",
            ),
            ("upstream connect error", "upstream connect error"),
        ];
        for (body, text) in cases {
            assert_eq!(error_text(body.as_bytes()), text);
        }
    }

    #[test]
    fn secrets_are_scrubbed_from_upstream_text() {
        let body = r#"{"detail":"bad","password":"Hunter2-Xyz","client_secret": "abc", "token":"t0k"} Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl password=plain&x=1"#;
        let clean = scrub(body);
        for secret in [
            "Hunter2-Xyz",
            "\"abc\"",
            "t0k",
            "eyJhbGciOiJSUzI1NiJ9",
            "plain",
        ] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains("\"detail\":\"bad\""), "{clean}");
        let plain = "Stalwart refused the change (primaryKeyViolation): name 6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b01";
        assert_eq!(scrub(plain), plain, "ordinary text and ids stay");
    }
}

//! Who a JMAP request authenticates as (`shared/reference/stalwart.md` §3; upstream
//! `crates/http/src/auth/authenticate.rs`): HTTP Basic with the administrator credentials
//! the sandbox was started with, an administrator's API key (`Bearer API_…`, issued by
//! [`StalwartSandbox::issue_api_key`] as `x:ApiKey/set` would), or a mailbox user's sign-in — a `User` account's primary
//! address (lower-cased) and its `Password` credential, when the account's effective
//! permissions include `authenticate` (§7.5, §9: `Inherit` takes the default roles, which
//! grant it; `Merge` adds to them; `Replace` stands alone; disabled entries always win).
//! Anything else is 401 with a problem+json body.

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::json;

use super::principals::Principal;
use super::state::State_;
use super::StalwartSandbox;

impl Principal {
    /// Whether the effective permissions include `authenticate` (§7.5, §9): `Inherit` takes
    /// the default roles (which grant it), `Merge` adds to them, `Replace` stands alone;
    /// disabled entries always win.
    fn may_authenticate(&self) -> bool {
        let perms = self.prop("permissions");
        let listed = |set: &str| perms[set]["authenticate"] == json!(true);
        match perms["@type"].as_str() {
            Some("Merge") => !listed("disabledPermissions"),
            Some("Replace") => listed("enabledPermissions") && !listed("disabledPermissions"),
            _ => true,
        }
    }

    fn password(&self) -> Option<&str> {
        self.prop("credentials")
            .as_object()?
            .values()
            .find(|c| c["@type"] == "Password")?["secret"]
            .as_str()
    }
}

impl State_ {
    /// The account a mailbox login resolves to (login lower-cased, primary address only).
    pub(super) fn account_login(&self, address: &str, password: &str) -> Option<&Principal> {
        self.account_by_address(address)
            .filter(|p| p.is_user() && p.password() == Some(password) && p.may_authenticate())
    }
}

pub(super) fn unauthorized() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::WWW_AUTHENTICATE, "Bearer realm=\"Stalwart Server\""),
            (header::CONTENT_TYPE, "application/problem+json"),
        ],
        Json(json!({ "type": "about:blank", "status": 401, "title": "Unauthorized", "detail": "You have to authenticate first." })),
    )
        .into_response()
}

/// Who a request authenticates as.
pub(super) enum Caller {
    /// The administrator credentials the sandbox was started with (all permissions).
    Admin,
    /// A mailbox user: its account id and address.
    Account { id: String, address: String },
}

pub(super) fn caller(s: &StalwartSandbox, headers: &HeaderMap) -> Option<Caller> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())?;
    // An API key (§3.3): the administrator's, with its permissions.
    if let Some(key) = authorization.strip_prefix("Bearer ") {
        let st = s.lock();
        return st
            .api_keys
            .iter()
            .any(|k| k == key.trim())
            .then_some(Caller::Admin);
    }
    let creds = Some(authorization)
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())?;
    let st = s.lock();
    if creds == format!("{}:{}", st.user, st.password) {
        return Some(Caller::Admin);
    }
    let (login, secret) = creds.split_once(':')?;
    let p = st.account_login(login, secret)?;
    Some(Caller::Account {
        id: p.id.clone(),
        address: st.address(p.name(), p.domain_id()),
    })
}

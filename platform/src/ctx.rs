//! Who is asking, and from where: the context every service call receives.

use serde::{Deserialize, Serialize};

/// Keys of the values kept in the (server-side, sealed) browser session.
pub mod session_keys {
    /// The key of the session's row in `auth_tokens`.
    pub const AUTH_KEY: &str = "auth_key";
    /// Partner staff chose to act in partner mode.
    pub const PARTNER_MODE: &str = "partner_mode";
}

/// Facts about the HTTP request, put in the request extensions by the server's middleware.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RequestMeta {
    pub request_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The signed-in person, put in the request extensions once their session and tokens are
/// known to be valid (refreshed if needed).
#[derive(Clone)]
pub struct CurrentUser {
    pub user_id: String,
    /// Links the browser session to its sealed tokens: a secret, never printed.
    pub auth_key: String,
}

impl std::fmt::Debug for CurrentUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentUser")
            .field("user_id", &self.user_id)
            .field("auth_key", &"[redacted]")
            .finish()
    }
}

/// The context of a service call.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub user_id: Option<String>,
    /// True when the session asked for partner mode. Services only honour it for people who
    /// are partner staff right now.
    pub partner_mode: bool,
    pub meta: RequestMeta,
}

impl Ctx {
    pub fn new(user: Option<&CurrentUser>, partner_mode: bool, meta: RequestMeta) -> Self {
        Self {
            user_id: user.map(|u| u.user_id.clone()),
            partner_mode,
            meta,
        }
    }

    /// A context for work the system does on its own (seeding, background jobs).
    pub fn system(request_id: &str) -> Self {
        Self {
            user_id: None,
            partner_mode: false,
            meta: RequestMeta {
                request_id: request_id.to_string(),
                ..Default::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CurrentUser;

    #[test]
    fn debug_never_prints_the_auth_key() {
        let u = CurrentUser {
            user_id: "u1".into(),
            auth_key: "the-secret-key".into(),
        };
        let printed = format!("{u:?}");
        assert!(
            printed.contains("u1") && !printed.contains("the-secret-key"),
            "{printed}"
        );
    }
}

//! Who is asking, and from where: the context every service call receives.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

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
    /// When the session signed in (ms since the epoch).
    pub signed_in_at: i64,
    /// The session's last request to a tenant's console before this one (ms since the
    /// epoch; its sign-in when none).
    pub last_seen_at: i64,
}

/// The console session behind a request, for the tenants' session timeouts.
#[derive(Clone)]
pub struct SessionClock {
    /// Ends the session (a secret, never printed).
    pub auth_key: String,
    /// When it signed in (ms since the epoch).
    pub signed_in_at: i64,
    /// Its last request to a tenant's console (ms since the epoch).
    pub last_seen_at: i64,
}

impl std::fmt::Debug for SessionClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionClock")
            .field("auth_key", &"[redacted]")
            .field("signed_in_at", &self.signed_in_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish()
    }
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
    /// The console session (none for system work and API scripts without one).
    pub session: Option<SessionClock>,
    /// Answers already worked out for this request, shared by the context's clones.
    pub memo: RequestMemo,
}

/// Answers a request has already worked out, shared by every clone of its [`Ctx`]: a request
/// that makes the same access check again (the user, the tenant, the role, the security
/// policy: four queries) reuses the first answer. Checks running at the same moment (a page's
/// resources) do not wait for each other and each work it out. Only granted
/// answers are kept, under a key that names everything they depend on (the service puts the
/// tenant, the purpose and partner mode in it); a refusal is worked out (and audited) again.
/// It lives as long as the request: nothing is cached across requests.
#[derive(Clone, Default)]
pub struct RequestMemo(Arc<Mutex<HashMap<String, Arc<dyn Any + Send + Sync>>>>);

impl RequestMemo {
    /// The value kept under `key`, if one of type `T` is there.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, key: &str) -> Option<T> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.get(key)?.downcast_ref::<T>().cloned()
    }

    /// Keeps `value` under `key` for the rest of the request.
    pub fn put<T: Clone + Send + Sync + 'static>(&self, key: String, value: &T) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.insert(key, Arc::new(value.clone()));
    }
}

impl std::fmt::Debug for RequestMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f.debug_struct("RequestMemo")
            .field("answers", &map.len())
            .finish()
    }
}

impl Ctx {
    pub fn new(user: Option<&CurrentUser>, partner_mode: bool, meta: RequestMeta) -> Self {
        Self {
            user_id: user.map(|u| u.user_id.clone()),
            partner_mode,
            meta,
            session: user.map(|u| SessionClock {
                auth_key: u.auth_key.clone(),
                signed_in_at: u.signed_in_at,
                last_seen_at: u.last_seen_at,
            }),
            memo: RequestMemo::default(),
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
            session: None,
            memo: RequestMemo::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{CurrentUser, RequestMemo};

    #[test]
    fn a_memo_is_shared_by_clones_and_typed() {
        let memo = RequestMemo::default();
        let clone = memo.clone();
        memo.put("k".into(), &7_u32);
        assert_eq!(clone.get::<u32>("k"), Some(7));
        assert_eq!(clone.get::<String>("k"), None, "another type is not there");
        assert_eq!(
            RequestMemo::default().get::<u32>("k"),
            None,
            "a new request starts empty"
        );
    }

    #[test]
    fn debug_never_prints_the_auth_key() {
        let u = CurrentUser {
            user_id: "u1".into(),
            auth_key: "the-secret-key".into(),
            signed_in_at: 1,
            last_seen_at: 2,
        };
        let ctx = super::Ctx::new(Some(&u), false, Default::default());
        let printed = format!("{u:?} {ctx:?}");
        assert!(
            printed.contains("u1") && !printed.contains("the-secret-key"),
            "{printed}"
        );
    }
}

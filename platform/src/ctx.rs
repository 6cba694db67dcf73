//! Who is asking, and from where: the context every service call receives.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

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
/// resources, rendered concurrently) share one piece of work: the first works the answer out
/// and the others wait for it (`tokio::sync::OnceCell`). Only granted answers are kept, under
/// a key that names everything they depend on (the service puts the tenant, the purpose and
/// partner mode in it); a refusal is not kept, so the next check works it out (and audits it)
/// again. It lives as long as the request: nothing is cached across requests.
#[derive(Clone, Default)]
pub struct RequestMemo(Arc<Mutex<HashMap<MemoKey, MemoCell>>>);

/// The type of the answer and the caller's key.
type MemoKey = (TypeId, String);
/// A `OnceCell<T>` for the `T` of its key.
type MemoCell = Arc<dyn Any + Send + Sync>;

impl RequestMemo {
    /// The answer kept under `key`, else the one `work` gives (kept when it is `Ok`). Calls
    /// with the same key and type at the same moment run `work` once; after an `Err`, the
    /// next waiting call runs its own `work`.
    pub async fn get_or_try_init<T, E, F, Fut>(&self, key: String, work: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let cell = {
            let mut map = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            map.entry((TypeId::of::<T>(), key))
                .or_insert_with(|| Arc::new(OnceCell::<T>::new()))
                .clone()
        };
        // The key holds the type, so the cell is always a `OnceCell<T>`; were it not, the work
        // is simply done without being kept.
        let cell = cell
            .downcast::<OnceCell<T>>()
            .unwrap_or_else(|_| Arc::new(OnceCell::new()));
        cell.get_or_try_init(work).await.cloned()
    }
}

impl RequestMemo {
    /// A handle that does not keep the memo alive: for values kept in the memo itself (a
    /// [`crate::services::access::TenantAdmin`] is), so that memo and value do not hold each
    /// other past the request.
    pub fn downgrade(&self) -> WeakRequestMemo {
        WeakRequestMemo(Arc::downgrade(&self.0))
    }
}

/// A [`RequestMemo`] that may be gone (the request ended): then the work is simply done.
#[derive(Clone, Default)]
pub struct WeakRequestMemo(std::sync::Weak<Mutex<HashMap<MemoKey, MemoCell>>>);

impl WeakRequestMemo {
    /// [`RequestMemo::get_or_try_init`] while the request's memo lives; `work` itself after.
    pub async fn get_or_try_init<T, E, F, Fut>(&self, key: String, work: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        match self.0.upgrade() {
            Some(map) => RequestMemo(map).get_or_try_init(key, work).await,
            None => work().await,
        }
    }
}

impl std::fmt::Debug for WeakRequestMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeakRequestMemo")
            .field("alive", &(self.0.strong_count() > 0))
            .finish()
    }
}

impl std::fmt::Debug for RequestMemo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f.debug_struct("RequestMemo")
            .field("keys", &map.len())
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
    use super::{CurrentUser, RequestMemo, WeakRequestMemo};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_memo_is_shared_by_clones_and_typed() {
        let memo = RequestMemo::default();
        let clone = memo.clone();
        let seven = memo
            .get_or_try_init("k".into(), || async { Ok::<_, ()>(7_u32) })
            .await;
        assert_eq!(seven, Ok(7));
        let kept = clone
            .get_or_try_init("k".into(), || async { Ok::<_, ()>(8_u32) })
            .await;
        assert_eq!(kept, Ok(7), "a clone sees the first answer");
        let other_type = clone
            .get_or_try_init("k".into(), || async { Ok::<_, ()>(String::from("s")) })
            .await;
        assert_eq!(
            other_type.as_deref(),
            Ok("s"),
            "another type is another answer"
        );
        let fresh = RequestMemo::default()
            .get_or_try_init("k".into(), || async { Ok::<_, ()>(9_u32) })
            .await;
        assert_eq!(fresh, Ok(9), "a new request starts empty");
    }

    #[tokio::test]
    async fn concurrent_checks_share_one_piece_of_work_and_refusals_are_not_kept() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memo = RequestMemo::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let entered = Arc::new(AtomicUsize::new(0));
        let (release, released) = tokio::sync::watch::channel(false);
        let check = |memo: RequestMemo| {
            let (runs, entered) = (runs.clone(), entered.clone());
            let mut released = released.clone();
            async move {
                entered.fetch_add(1, Ordering::SeqCst);
                memo.get_or_try_init("admin".into(), || async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    // Held open until every caller is waiting on the same answer.
                    let _ = released.wait_for(|r| *r).await;
                    Ok::<_, ()>(1_u8)
                })
                .await
            }
        };
        let tasks: Vec<_> = (0..3).map(|_| tokio::spawn(check(memo.clone()))).collect();
        // The test runtime has one thread: each task runs until it waits (on the work, or on
        // the first task's work) before the next is polled.
        while entered.load(Ordering::SeqCst) < 3 {
            tokio::task::yield_now().await;
        }
        release.send(true).unwrap();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(1));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one query for three checks");

        let refused = memo
            .get_or_try_init("refused".into(), || async { Err::<u8, _>("no") })
            .await;
        assert_eq!(refused, Err("no"));
        let again = memo
            .get_or_try_init("refused".into(), || async { Ok::<u8, &str>(2) })
            .await;
        assert_eq!(again, Ok(2), "a refusal is worked out again");
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

    /// A value kept in the memo that carries the memo's handle (a granted `TenantAdmin`)
    /// does not keep the memo alive: once the request lets go of it, it is freed, and the
    /// handle then simply does the work.
    #[tokio::test]
    async fn a_kept_value_holding_the_memo_does_not_keep_it_alive() {
        #[derive(Clone)]
        struct Admin(WeakRequestMemo);
        let memo = RequestMemo::default();
        let admin = memo
            .get_or_try_init("admin".into(), || async {
                Ok::<_, ()>(Admin(memo.downgrade()))
            })
            .await
            .unwrap();
        let kept = admin
            .0
            .get_or_try_init("theme".into(), || async { Ok::<_, ()>(1_u8) })
            .await;
        assert_eq!(kept, Ok(1));
        let again = admin
            .0
            .get_or_try_init("theme".into(), || async { Ok::<_, ()>(2_u8) })
            .await;
        assert_eq!(again, Ok(1), "kept while the request lives");
        let alive = Arc::downgrade(&memo.0);
        drop(memo);
        assert!(alive.upgrade().is_none(), "freed with the request");
        let after = admin
            .0
            .get_or_try_init("theme".into(), || async { Ok::<_, ()>(3_u8) })
            .await;
        assert_eq!(after, Ok(3));
    }
}

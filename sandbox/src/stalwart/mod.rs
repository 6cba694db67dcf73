//! Stalwart 0.16 stand-in: the JMAP management API of `shared/reference/stalwart.md`
//! (upstream `stalwartlabs/stalwart` v0.16.18; objects as in
//! `shared/specs/stalwart-0.16-schema.json`). One module per part of the upstream API:
//!
//! - [`auth`] — Basic authentication (§3): the administrator, and mailbox users signing in
//!   with their address and `Password` credential when their effective permissions include
//!   `authenticate` (§7.5, §9: disabled entries win); 401 with a problem+json body otherwise.
//! - [`jmap`] — session discovery (§2) and `POST /jmap` (§4–5): the method calls, creation-id
//!   references, method-level errors (a mailbox user gets `forbidden` for the `x:` methods).
//! - [`domains`] — `x:Domain/get|set|query` (§6) with the computed `dnsZoneFile` (§6.4).
//! - [`dkim`] — `x:DkimSignature/query|set`, and the DKIM keys that appear shortly after a
//!   domain is created (a background task, as upstream, §6.3).
//! - [`principals`] — `x:Account/get|set|query` (§7: credentials with the password policy,
//!   permissions, aliases, quotas, JSON-pointer updates) and `x:MailingList/get|set|query`
//!   (§8), with the SetErrors of §5.3 (`primaryKeyViolation`, `objectIsLinked` with
//!   `linkedObjects`, `invalidForeignKey`, `invalidPatch`, `invalidProperties`,
//!   `validationFailed`).
//!
//! This module is the public surface: [`StalwartSandbox`] (start, the accessors tests use)
//! and the test controls under `/_sandbox/stalwart/`.

mod auth;
mod dkim;
mod domains;
mod jmap;
mod principals;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::clock;
use crate::faults::Faults;
use principals::{account_defaults, principal_json, Principal};
use state::State_;

#[derive(Clone)]
pub struct StalwartSandbox {
    state: Arc<Mutex<State_>>,
    pub faults: Faults,
}

impl StalwartSandbox {
    /// `hostname` is the server's default hostname (MX and service targets).
    pub async fn start(
        addr: SocketAddr,
        user: String,
        password: String,
        hostname: String,
    ) -> std::io::Result<(Self, String)> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let sandbox = Self {
            state: Arc::new(Mutex::new(State_ {
                user,
                password,
                hostname,
                next_id: 0,
                domains: Vec::new(),
                dkim: Vec::new(),
                principals: Vec::new(),
                dkim_delay: Duration::from_millis(150),
                fail_next: Vec::new(),
                api_keys: Vec::new(),
            })),
            faults: Faults::default(),
        };
        let router = Router::new()
            .route(
                "/.well-known/jmap",
                get(|| async { Redirect::temporary("/jmap/session") }),
            )
            .route("/jmap/session", get(jmap::session))
            .route("/jmap", post(jmap::jmap))
            .route("/jmap/", post(jmap::jmap))
            .route("/healthz/live", get(|| async { StatusCode::OK }))
            .route("/_sandbox/stalwart/accounts", post(control_create_account))
            .route(
                "/_sandbox/stalwart/accounts/{id}/delete",
                post(control_delete_account),
            )
            .with_state(sandbox.clone());
        sandbox.faults.serve(listener, router, "stalwart");
        Ok((sandbox, base))
    }

    /// The state; a lock poisoned by a panicking request is taken over as it is.
    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next call of a JMAP method (e.g. `x:Account/set`) fails with the method-level
    /// error `serverUnavailable` (tests: one step fails, the calls around it do not).
    pub fn fail_next(&self, method: &str) {
        self.lock().fail_next.push(method.to_string());
    }

    /// How long after a domain's creation its DKIM keys appear.
    pub fn set_dkim_delay(&self, delay: Duration) {
        self.lock().dkim_delay = delay;
    }

    /// Names of the domains that exist (tests).
    pub fn domain_names(&self) -> Vec<String> {
        self.lock().domains.iter().map(|d| d.name.clone()).collect()
    }

    /// The id of a domain (tests).
    pub fn domain_id(&self, name: &str) -> Option<String> {
        self.lock()
            .domains
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.id.clone())
    }

    /// Creates a domain, as another admin of the mail server would (tests).
    pub fn create_domain(&self, name: &str, description: &str) -> String {
        let mut st = self.lock();
        let id = st.new_id();
        st.domains
            .push(domains::Domain::new(&id, name, description));
        id
    }

    /// Creates a mailbox on a domain, as another admin would (tests). It has no credentials.
    pub fn create_account(&self, name: &str, domain_id: &str) -> String {
        let mut st = self.lock();
        let id = st.new_id();
        let mut props = account_defaults();
        props.insert("@type".into(), json!("User"));
        props.insert("name".into(), json!(name.to_lowercase()));
        props.insert("domainId".into(), json!(domain_id));
        st.principals.push(Principal {
            id: id.clone(),
            object: "Account",
            props,
            created_at: clock::utc_seconds(clock::now()),
            used_disk: 0,
        });
        id
    }

    pub fn remove_account(&self, id: &str) {
        self.lock().principals.retain(|p| p.id != id);
    }

    /// Whether `address` / `password` would authenticate (HTTP Basic at `/jmap/session`):
    /// a `User` account with that primary address, that `Password` credential, and
    /// `authenticate` among its effective permissions.
    pub fn authenticates(&self, address: &str, password: &str) -> bool {
        self.lock().account_login(address, password).is_some()
    }

    /// The `x:Account/get` JSON of the account with this primary address (secrets masked).
    pub fn account(&self, address: &str) -> Option<Value> {
        let st = self.lock();
        let p = st.account_by_address(address)?;
        Some(principal_json(&st, p, None))
    }

    /// How many `x:Account` objects exist (users and groups).
    pub fn account_count(&self) -> usize {
        self.lock()
            .principals
            .iter()
            .filter(|p| p.object == "Account")
            .count()
    }

    /// Sets the server-computed `usedDiskQuota` of an account; false when there is none.
    pub fn set_used_disk(&self, address: &str, bytes: u64) -> bool {
        let mut st = self.lock();
        let Some(id) = st.account_by_address(address).map(|p| p.id.clone()) else {
            return false;
        };
        if let Some(p) = st.principals.iter_mut().find(|p| p.id == id) {
            p.used_disk = bytes;
        }
        true
    }

    /// The DKIM `p=` keys of a domain (tests publish them in the DNS sandbox).
    /// Issues an API key of the administrator (all its permissions), as `x:ApiKey/set` returns
    /// one (`API_` and a base64url secret); the console's sandbox authenticates with it.
    pub fn issue_api_key(&self) -> String {
        use base64::Engine;
        use rand::RngCore;
        let mut secret = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut secret);
        let key = format!(
            "API_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        self.lock().api_keys.push(key.clone());
        key
    }

    pub fn dkim_records(&self, domain: &str) -> Vec<(String, String)> {
        let st = self.lock();
        let Some(d) = st.domains.iter().find(|d| d.name == domain) else {
            return vec![];
        };
        st.dkim
            .iter()
            .filter(|k| k.domain_id == d.id)
            .map(|k| {
                (
                    format!("{}._domainkey.{}", k.selector, d.name),
                    k.public_key.clone(),
                )
            })
            .collect()
    }
}

#[derive(serde::Deserialize)]
struct ControlAccount {
    name: String,
    domain: String,
}

/// Sandbox control (loopback, tests): a mailbox on a domain, as another admin would make it.
async fn control_create_account(
    State(s): State<StalwartSandbox>,
    Json(a): Json<ControlAccount>,
) -> Response {
    match s.domain_id(&a.domain) {
        Some(domain_id) => {
            Json(json!({ "id": s.create_account(&a.name, &domain_id) })).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn control_delete_account(
    State(s): State<StalwartSandbox>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> StatusCode {
    s.remove_account(&id);
    StatusCode::NO_CONTENT
}

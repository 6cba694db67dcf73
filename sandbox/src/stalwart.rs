//! Stalwart 0.16 stand-in: JMAP management per `shared/reference/stalwart.md` — session
//! discovery, `POST /jmap` with `x:Domain/get|set|query`, `x:DkimSignature/query|set`,
//! `x:Account/get|set|query` (§7: credentials with the password policy, permissions,
//! aliases, quotas, JSON-pointer updates), `x:MailingList/get|set|query`, SetErrors
//! (`primaryKeyViolation`, `objectIsLinked` with `linkedObjects`, `invalidForeignKey`,
//! `invalidPatch`, `invalidProperties`, `validationFailed`), the computed `dnsZoneFile`, and
//! DKIM keys that appear shortly after a domain is created (a background task, as upstream).
//!
//! Basic authentication; 401 with a problem+json body. Besides the admin, every `User`
//! account can authenticate with its address and `Password` credential when its effective
//! permissions include `authenticate` (§7.5, §9: disabled entries win); such a mailbox user
//! gets `forbidden` for the `x:` management methods.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Map, Value};

use crate::clock;
use crate::faults::Faults;

#[derive(Clone, Debug)]
struct Domain {
    id: String,
    name: String,
    description: Option<String>,
    report_address_uri: Option<String>,
}

#[derive(Clone, Debug)]
struct Dkim {
    id: String,
    domain_id: String,
    selector: String,
    algorithm: &'static str,
    public_key: String,
}

/// An `x:Account` or `x:MailingList`: its mutable properties as on the wire (`@type`,
/// `name`, `domainId`, `credentials` with plaintext secrets, `aliases`, `permissions`, …)
/// plus the server-set ones.
#[derive(Clone, Debug)]
struct Principal {
    id: String,
    object: &'static str,
    props: Map<String, Value>,
    created_at: String,
    used_disk: u64,
}

impl Principal {
    fn name(&self) -> &str {
        self.props["name"].as_str().unwrap_or_default()
    }

    fn domain_id(&self) -> &str {
        self.props["domainId"].as_str().unwrap_or_default()
    }

    fn is_user(&self) -> bool {
        self.object == "Account" && self.props["@type"] == "User"
    }

    /// `(local part, domain id)` of each alias.
    fn aliases(&self) -> Vec<(String, String)> {
        alias_pairs(&self.props)
    }

    /// Whether the effective permissions include `authenticate` (§7.5, §9): `Inherit` takes
    /// the default roles (which grant it), `Merge` adds to them, `Replace` stands alone;
    /// disabled entries always win.
    fn may_authenticate(&self) -> bool {
        let perms = &self.props["permissions"];
        let listed = |set: &str| perms[set]["authenticate"] == json!(true);
        match perms["@type"].as_str() {
            Some("Merge") => !listed("disabledPermissions"),
            Some("Replace") => listed("enabledPermissions") && !listed("disabledPermissions"),
            _ => true,
        }
    }

    fn password(&self) -> Option<&str> {
        self.props["credentials"]
            .as_object()?
            .values()
            .find(|c| c["@type"] == "Password")?["secret"]
            .as_str()
    }
}

fn alias_pairs(props: &Map<String, Value>) -> Vec<(String, String)> {
    props
        .get("aliases")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(_, a)| {
            Some((
                a["name"].as_str()?.to_string(),
                a["domainId"].as_str()?.to_string(),
            ))
        })
        .collect()
}

struct State_ {
    user: String,
    password: String,
    hostname: String,
    next_id: u64,
    domains: Vec<Domain>,
    dkim: Vec<Dkim>,
    principals: Vec<Principal>,
    dkim_delay: Duration,
    /// JMAP methods whose next call fails with `serverUnavailable` (tests).
    fail_next: Vec<String>,
}

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
            })),
            faults: Faults::default(),
        };
        let router = Router::new()
            .route(
                "/.well-known/jmap",
                get(|| async { Redirect::temporary("/jmap/session") }),
            )
            .route("/jmap/session", get(session))
            .route("/jmap", post(jmap))
            .route("/jmap/", post(jmap))
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

    fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().expect("stalwart sandbox lock")
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

/// Ids as Stalwart writes them: short base32 strings.
fn encode_id(n: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut n = n;
    let mut out = Vec::new();
    loop {
        out.push(ALPHABET[(n % 32) as usize]);
        n /= 32;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

impl State_ {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        encode_id(self.next_id)
    }

    fn domain_name(&self, id: &str) -> Option<&str> {
        self.domains
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.as_str())
    }

    fn address(&self, name: &str, domain_id: &str) -> String {
        format!("{name}@{}", self.domain_name(domain_id).unwrap_or_default())
    }

    fn account_by_address(&self, address: &str) -> Option<&Principal> {
        let address = address.trim().to_lowercase();
        self.principals
            .iter()
            .filter(|p| p.object == "Account")
            .find(|p| self.address(p.name(), p.domain_id()) == address)
    }

    /// The account a mailbox login resolves to (login lower-cased, primary address only).
    fn account_login(&self, address: &str, password: &str) -> Option<&Principal> {
        self.account_by_address(address)
            .filter(|p| p.is_user() && p.password() == Some(password) && p.may_authenticate())
    }

    /// The owner of an address among accounts, account aliases, lists and list aliases.
    fn address_owner(
        &self,
        name: &str,
        domain_id: &str,
        except: Option<&str>,
    ) -> Option<&Principal> {
        self.principals
            .iter()
            .filter(|p| Some(p.id.as_str()) != except)
            .find(|p| {
                (p.name() == name && p.domain_id() == domain_id)
                    || p.aliases().iter().any(|(n, d)| n == name && d == domain_id)
            })
    }
}

fn random_b64(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    STANDARD.encode(b)
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

fn unauthorized() -> Response {
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
enum Caller {
    /// The administrator credentials the sandbox was started with (all permissions).
    Admin,
    /// A mailbox user: its account id and address.
    Account { id: String, address: String },
}

fn caller(s: &StalwartSandbox, headers: &HeaderMap) -> Option<Caller> {
    let creds = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
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

async fn session(State(s): State<StalwartSandbox>, headers: HeaderMap) -> Response {
    let caps = json!({ "urn:ietf:params:jmap:core": { "maxObjectsInGet": 500, "maxObjectsInSet": 500, "maxCallsInRequest": 16 } });
    let (account_id, username) = match caller(&s, &headers) {
        None => return unauthorized(),
        Some(Caller::Admin) => ("b".to_string(), s.lock().user.clone()),
        Some(Caller::Account { id, address }) => (id, address),
    };
    Json(json!({
        "capabilities": caps,
        "accounts": { account_id.clone(): { "name": username, "isPersonal": true, "isReadOnly": false,
            "accountCapabilities": { "urn:stalwart:jmap": {} } } },
        "primaryAccounts": { "urn:stalwart:jmap": account_id },
        "username": username,
        "apiUrl": "https://mail.dezky.example/jmap/",
        "state": "s1",
    }))
    .into_response()
}

async fn jmap(
    State(s): State<StalwartSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(who) = caller(&s, &headers) else {
        return unauthorized();
    };
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        if !ct.starts_with("application/json") {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "type": "urn:ietf:params:jmap:error:notJSON", "status": 400 })),
            )
                .into_response();
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "type": "urn:ietf:params:jmap:error:notJSON", "status": 400 })),
        )
            .into_response();
    };
    let calls = request["methodCalls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut responses = Vec::new();
    // Creation ids of earlier calls, for `"#<creationId>"` in id properties (§4.1).
    let mut creation_ids: HashMap<String, String> = HashMap::new();
    for call in calls {
        let (Some(method), mut args, Some(id)) =
            (call[0].as_str(), call[1].clone(), call[2].as_str())
        else {
            continue;
        };
        resolve_creation_ids(&mut args, &creation_ids, false);
        if matches!(who, Caller::Account { .. }) && method.starts_with("x:") {
            // A mailbox user holds none of the `sys*` permissions.
            responses.push(json!(["error", { "type": "forbidden",
                "description": "You do not have enough permissions to perform this action." }, id]));
            continue;
        }
        let injected = {
            let mut st = s.lock();
            let i = st.fail_next.iter().position(|m| m == method);
            i.map(|i| st.fail_next.remove(i)).is_some()
        };
        if injected {
            responses.push(json!(["error", { "type": "serverUnavailable",
                "description": "sandbox fault injection" }, id]));
            continue;
        }
        let (name, result) = match method {
            "x:Domain/get" => (method, domain_get(&s, &args)),
            "x:Domain/query" => (method, domain_query(&s, &args)),
            "x:Domain/set" => (method, domain_set(&s, &args)),
            "x:DkimSignature/query" => (method, dkim_query(&s, &args)),
            "x:DkimSignature/set" => (method, dkim_set(&s, &args)),
            "x:Account/set" => (method, principal_set(&s, &args, "Account")),
            "x:Account/get" => (method, principal_get(&s, &args, "Account")),
            "x:Account/query" => principal_query(&s, &args, "Account", method),
            "x:MailingList/get" => (method, principal_get(&s, &args, "MailingList")),
            "x:MailingList/set" => (method, principal_set(&s, &args, "MailingList")),
            "x:MailingList/query" => principal_query(&s, &args, "MailingList", method),
            _ => (
                "error",
                json!({ "type": "unknownMethod", "description": format!("Unknown method {method}") }),
            ),
        };
        for (cid, created) in result["created"].as_object().into_iter().flatten() {
            if let Some(new_id) = created["id"].as_str() {
                creation_ids.insert(cid.clone(), new_id.to_string());
            }
        }
        responses.push(json!([name, result, id]));
    }
    Json(json!({ "methodResponses": responses, "sessionState": "s1" })).into_response()
}

/// Replaces `"#<creationId>"` strings in id-typed properties (names ending in `Id`, or the
/// members of `…Ids` sets) of `create`/`update` objects with the ids created earlier.
fn resolve_creation_ids(v: &mut Value, ids: &HashMap<String, String>, id_property: bool) {
    match v {
        Value::String(s) if id_property => {
            if let Some(real) = s.strip_prefix('#').and_then(|c| ids.get(c)) {
                *s = real.clone();
            }
        }
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let is_set = k.ends_with("Ids");
                if is_set {
                    // Set members are the keys.
                    if let Some(Value::Object(members)) = m.get_mut(&k) {
                        let resolved: Map<String, Value> = std::mem::take(members)
                            .into_iter()
                            .map(|(member, val)| {
                                let member = member
                                    .strip_prefix('#')
                                    .and_then(|c| ids.get(c))
                                    .cloned()
                                    .unwrap_or(member);
                                (member, val)
                            })
                            .collect();
                        *members = resolved;
                    }
                    continue;
                }
                if let Some(child) = m.get_mut(&k) {
                    resolve_creation_ids(child, ids, k.ends_with("Id"));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| resolve_creation_ids(i, ids, false)),
        _ => {}
    }
}

fn zone_file(st: &State_, d: &Domain) -> String {
    let h = &st.hostname;
    let n = &d.name;
    let mut lines = Vec::new();
    for k in st.dkim.iter().filter(|k| k.domain_id == d.id) {
        let value = format!("v=DKIM1; k={}; h=sha256; p={}", k.algorithm, k.public_key);
        if value.len() > 255 {
            let parts: Vec<String> = value
                .as_bytes()
                .chunks(255)
                .map(|c| format!("    \"{}\"", String::from_utf8_lossy(c)))
                .collect();
            lines.push(format!(
                "{}._domainkey.{n}. IN TXT (\n{}\n)",
                k.selector,
                parts.join("\n")
            ));
        } else {
            lines.push(format!("{}._domainkey.{n}. IN TXT \"{value}\"", k.selector));
        }
    }
    lines.push(format!("{n}. IN TXT \"v=spf1 mx -all\""));
    lines.push(format!("{n}. IN MX 10 {h}."));
    if let Some(uri) = &d.report_address_uri {
        let rua = if uri.contains('@') {
            uri.clone()
        } else {
            format!("{uri}@{n}")
        };
        lines.push(format!(
            "_dmarc.{n}. IN TXT \"v=DMARC1; p=reject; rua={rua}\""
        ));
        lines.push(format!("_smtp._tls.{n}. IN TXT \"v=TLSRPTv1; rua={rua}\""));
    }
    for (srv, port) in [
        ("_caldavs._tcp", 443),
        ("_carddavs._tcp", 443),
        ("_imaps._tcp", 993),
        ("_jmap._tcp", 443),
        ("_pop3s._tcp", 995),
        ("_submissions._tcp", 465),
    ] {
        lines.push(format!("{srv}.{n}. IN SRV 0 1 {port} {h}."));
    }
    lines.push(format!("autoconfig.{n}. IN CNAME {h}."));
    lines.push(format!("autodiscover.{n}. IN CNAME {h}."));
    lines.join("\n") + "\n"
}

fn domain_json(st: &State_, d: &Domain, properties: Option<&Vec<Value>>) -> Value {
    let all = json!({
        "id": d.id, "name": d.name, "aliases": {}, "isEnabled": true,
        "description": d.description, "reportAddressUri": d.report_address_uri,
        "dkimManagement": { "@type": "Automatic" }, "dnsManagement": { "@type": "Manual" },
        "dnsZoneFile": zone_file(st, d),
    });
    match properties {
        None => all,
        Some(props) => {
            let mut out = Map::new();
            out.insert("id".into(), json!(d.id));
            for p in props.iter().filter_map(|p| p.as_str()) {
                if let Some(v) = all.get(p) {
                    out.insert(p.into(), v.clone());
                }
            }
            Value::Object(out)
        }
    }
}

fn domain_get(s: &StalwartSandbox, args: &Value) -> Value {
    let st = s.lock();
    let props = args["properties"].as_array();
    let (list, not_found): (Vec<Value>, Vec<Value>) = match args["ids"].as_array() {
        None => (
            st.domains
                .iter()
                .map(|d| domain_json(&st, d, props))
                .collect(),
            vec![],
        ),
        Some(ids) => {
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for id in ids.iter().filter_map(|i| i.as_str()) {
                match st.domains.iter().find(|d| d.id == id) {
                    Some(d) => found.push(domain_json(&st, d, props)),
                    None => missing.push(json!(id)),
                }
            }
            (found, missing)
        }
    };
    json!({ "accountId": "b", "state": "s1", "list": list, "notFound": not_found })
}

fn domain_query(s: &StalwartSandbox, args: &Value) -> Value {
    let st = s.lock();
    let name = args["filter"]["name"].as_str().map(str::to_lowercase);
    let ids: Vec<&String> = st
        .domains
        .iter()
        .filter(|d| name.as_ref().is_none_or(|n| &d.name == n))
        .map(|d| &d.id)
        .collect();
    json!({ "accountId": "b", "queryState": "s1", "ids": ids, "position": 0, "canCalculateChanges": false })
}

fn domain_set(s: &StalwartSandbox, args: &Value) -> Value {
    let mut created = Map::new();
    let mut not_created = Map::new();
    let mut destroyed = Vec::new();
    let mut not_destroyed = Map::new();
    let mut updated = Map::new();
    let mut not_updated = Map::new();
    let sandbox = s.clone();
    let mut st = s.lock();
    if let Some(create) = args["create"].as_object() {
        for (cid, obj) in create {
            let Some(name) = obj["name"]
                .as_str()
                .map(|n| n.trim().to_lowercase())
                .filter(|n| !n.is_empty())
            else {
                not_created.insert(cid.clone(), json!({ "type": "validationFailed", "validationErrors": [{ "type": "Required", "property": "name" }] }));
                continue;
            };
            if let Some(owner) = st.domains.iter().find(|d| d.name == name) {
                not_created.insert(cid.clone(), json!({ "type": "primaryKeyViolation", "properties": ["name"], "objectId": { "object": "Domain", "id": owner.id } }));
                continue;
            }
            let id = st.new_id();
            let manual_dkim = obj["dkimManagement"]["@type"].as_str() == Some("Manual");
            st.domains.push(Domain {
                id: id.clone(),
                name,
                description: obj["description"].as_str().map(String::from),
                report_address_uri: Some(
                    obj["reportAddressUri"]
                        .as_str()
                        .unwrap_or("mailto:postmaster")
                        .to_string(),
                ),
            });
            created.insert(cid.clone(), json!({ "id": id }));
            if !manual_dkim {
                let delay = st.dkim_delay;
                if delay.is_zero() {
                    add_dkim_keys(&mut st, &id);
                } else {
                    // The DkimManagement task runs shortly after the set returns.
                    let sandbox = sandbox.clone();
                    let domain_id = id.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let mut st = sandbox.lock();
                        if st.domains.iter().any(|d| d.id == domain_id) {
                            add_dkim_keys(&mut st, &domain_id);
                        }
                    });
                }
            }
        }
    }
    if let Some(update) = args["update"].as_object() {
        for (id, patch) in update {
            match st.domains.iter_mut().find(|d| &d.id == id) {
                Some(d) => {
                    if patch.get("dnsZoneFile").is_some() {
                        not_updated.insert(id.clone(), json!({ "type": "invalidPatch", "description": "Cannot modify server set property", "properties": ["dnsZoneFile"] }));
                        continue;
                    }
                    if let Some(v) = patch.get("description") {
                        d.description = v.as_str().map(String::from);
                    }
                    if let Some(v) = patch.get("reportAddressUri") {
                        d.report_address_uri = v.as_str().map(String::from);
                    }
                    updated.insert(id.clone(), Value::Null);
                }
                None => {
                    not_updated.insert(id.clone(), json!({ "type": "notFound" }));
                }
            }
        }
    }
    if let Some(destroy) = args["destroy"].as_array() {
        for id in destroy.iter().filter_map(|i| i.as_str()) {
            if !st.domains.iter().any(|d| d.id == id) {
                not_destroyed.insert(id.into(), json!({ "type": "notFound" }));
                continue;
            }
            // Accounts and lists on the domain, or with an alias on it, reference it.
            let mut linked: Vec<Value> = st
                .principals
                .iter()
                .filter(|p| p.domain_id() == id || p.aliases().iter().any(|(_, d)| d == id))
                .map(|p| json!({ "object": p.object, "id": p.id }))
                .collect();
            linked.extend(
                st.dkim
                    .iter()
                    .filter(|k| k.domain_id == id)
                    .map(|k| json!({ "object": "DkimSignature", "id": k.id })),
            );
            if linked.is_empty() {
                st.domains.retain(|d| d.id != id);
                destroyed.push(json!(id));
            } else {
                not_destroyed.insert(id.into(), json!({ "type": "objectIsLinked", "objectId": { "object": "Domain", "id": id }, "linkedObjects": linked }));
            }
        }
    }
    json!({ "accountId": "b", "oldState": "s1", "newState": "s2",
        "created": created, "notCreated": not_created, "updated": updated, "notUpdated": not_updated,
        "destroyed": destroyed, "notDestroyed": not_destroyed })
}

fn add_dkim_keys(st: &mut State_, domain_id: &str) {
    let date = time::OffsetDateTime::now_utc().date();
    let stamp = format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    for (algorithm, bytes) in [("ed25519", 32), ("rsa", 270)] {
        let id = st.new_id();
        st.dkim.push(Dkim {
            id,
            domain_id: domain_id.to_string(),
            selector: format!("v1-{algorithm}-{stamp}"),
            algorithm,
            public_key: random_b64(bytes),
        });
    }
}

fn dkim_query(s: &StalwartSandbox, args: &Value) -> Value {
    let st = s.lock();
    let domain = args["filter"]["domainId"].as_str();
    let ids: Vec<&String> = st
        .dkim
        .iter()
        .filter(|k| domain.is_none_or(|d| k.domain_id == d))
        .map(|k| &k.id)
        .collect();
    json!({ "accountId": "b", "queryState": "s1", "ids": ids, "position": 0 })
}

fn dkim_set(s: &StalwartSandbox, args: &Value) -> Value {
    let mut st = s.lock();
    let mut destroyed = Vec::new();
    let mut not_destroyed = Map::new();
    for id in args["destroy"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str())
    {
        if st.dkim.iter().any(|k| k.id == id) {
            st.dkim.retain(|k| k.id != id);
            destroyed.push(json!(id));
        } else {
            not_destroyed.insert(id.into(), json!({ "type": "notFound" }));
        }
    }
    json!({ "accountId": "b", "destroyed": destroyed, "notDestroyed": not_destroyed })
}

// ---------------------------------------------------------------------------------------
// Accounts and mailing lists (§7, §8)

/// Mutable `x:Account` properties (User and Group variants).
const ACCOUNT_PROPS: &[&str] = &[
    "@type",
    "name",
    "domainId",
    "description",
    "credentials",
    "aliases",
    "memberGroupIds",
    "roles",
    "permissions",
    "quotas",
    "locale",
    "timeZone",
    "encryptionAtRest",
    "memberTenantId",
];
const LIST_PROPS: &[&str] = &[
    "name",
    "domainId",
    "description",
    "recipients",
    "aliases",
    "memberTenantId",
];
/// Server-set properties: any write is `invalidPatch` (§4.4).
const SERVER_SET: &[&str] = &[
    "id",
    "emailAddress",
    "usedDiskQuota",
    "createdAt",
    "credentialId",
];
/// Set-typed properties: in a pointer update, `false` removes a member like `null` does.
const SET_PROPS: &[&str] = &[
    "enabledPermissions",
    "disabledPermissions",
    "memberGroupIds",
    "recipients",
    "allowedIps",
    "roleIds",
];
const STORAGE_QUOTAS: &[&str] = &[
    "maxEmails",
    "maxMailboxes",
    "maxEmailSubmissions",
    "maxEmailIdentities",
    "maxParticipantIdentities",
    "maxSieveScripts",
    "maxPushSubscriptions",
    "maxCalendars",
    "maxCalendarEvents",
    "maxCalendarEventNotifications",
    "maxAddressBooks",
    "maxContactCards",
    "maxFiles",
    "maxFolders",
    "maxMaskedAddresses",
    "maxAppPasswords",
    "maxApiKeys",
    "maxPublicKeys",
    "maxDiskQuota",
];
const MASKED_SECRET: &str = "****";

fn account_defaults() -> Map<String, Value> {
    match json!({
        "description": null, "credentials": {}, "aliases": {}, "memberGroupIds": {},
        "roles": { "@type": "User" }, "permissions": { "@type": "Inherit" }, "quotas": {},
        "locale": "en_US", "timeZone": null, "encryptionAtRest": { "@type": "Disabled" },
        "memberTenantId": null,
    }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn list_defaults() -> Map<String, Value> {
    match json!({ "description": null, "recipients": {}, "aliases": {}, "memberTenantId": null }) {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

/// A SetError; empty fields are omitted (§5.2).
fn set_error(kind: &str, description: Option<&str>, properties: &[&str]) -> Value {
    let mut e = json!({ "type": kind });
    if let Some(d) = description {
        e["description"] = json!(d);
    }
    if !properties.is_empty() {
        e["properties"] = json!(properties);
    }
    e
}

fn invalid_patch(description: &str, property: &str) -> Value {
    set_error("invalidPatch", Some(description), &[property])
}

fn missing_type(property: &str) -> Value {
    invalid_patch("Missing or invalid '@type' property", property)
}

/// Secrets that already are hashes are stored as they are and skip the strength check.
fn looks_hashed(secret: &str) -> bool {
    ["$argon2", "$pbkdf2", "$scrypt", "$2", "$1$", "$5$", "$6$"]
        .iter()
        .any(|p| secret.starts_with(p))
        || secret
            .strip_prefix('{')
            .and_then(|r| r.split_once('}'))
            .is_some_and(|(scheme, _)| {
                !scheme.is_empty()
                    && scheme
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
            })
}

/// The `x:Authentication` password policy: 8..=128 characters and a zxcvbn score of at
/// least three. The problem, if any, as the SetError description.
fn password_problem(secret: &str, user_inputs: &[&str]) -> Option<String> {
    let len = secret.chars().count();
    if len < 8 {
        return Some("Password must be at least 8 characters long".into());
    }
    if len > 128 {
        return Some("Password must be at most 128 characters long".into());
    }
    let estimate = zxcvbn::zxcvbn(secret, user_inputs);
    if u8::from(estimate.score()) >= 3 {
        return None;
    }
    Some(
        estimate
            .feedback()
            .map(|f| f.to_string().trim().to_string())
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "Password is too weak".into()),
    )
}

fn principal_json(st: &State_, p: &Principal, properties: Option<&Vec<Value>>) -> Value {
    let mut all = p.props.clone();
    if let Some(Value::Object(creds)) = all.get_mut("credentials") {
        for c in creds.values_mut() {
            if c.get("secret").is_some() {
                c["secret"] = json!(MASKED_SECRET);
            }
        }
    }
    all.insert(
        "emailAddress".into(),
        json!(st.address(p.name(), p.domain_id())),
    );
    if p.object == "Account" {
        all.insert("usedDiskQuota".into(), json!(p.used_disk));
        all.insert("createdAt".into(), json!(p.created_at));
    }
    let mut out = Map::new();
    out.insert("id".into(), json!(p.id));
    match properties {
        None => out.extend(all),
        Some(props) => {
            if let Some(t) = all.get("@type") {
                out.insert("@type".into(), t.clone());
            }
            for name in props.iter().filter_map(|p| p.as_str()) {
                if let Some(v) = all.get(name) {
                    out.insert(name.into(), v.clone());
                }
            }
        }
    }
    Value::Object(out)
}

fn principal_get(s: &StalwartSandbox, args: &Value, object: &str) -> Value {
    let st = s.lock();
    let props = args["properties"].as_array();
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    match args["ids"].as_array() {
        None => list.extend(
            st.principals
                .iter()
                .filter(|p| p.object == object)
                .take(500)
                .map(|p| principal_json(&st, p, props)),
        ),
        Some(ids) => {
            for id in ids.iter().filter_map(|i| i.as_str()) {
                match st
                    .principals
                    .iter()
                    .find(|p| p.object == object && p.id == id)
                {
                    Some(p) => list.push(principal_json(&st, p, props)),
                    None => not_found.push(json!(id)),
                }
            }
        }
    }
    json!({ "accountId": "b", "state": "s1", "list": list, "notFound": not_found })
}

/// Indexed filter properties (§7.3, §8.2); anything else is `unsupportedFilter`.
fn filter_properties(object: &str) -> &'static [&'static str] {
    if object == "Account" {
        &[
            "@type",
            "name",
            "domainId",
            "text",
            "memberGroupIds",
            "memberTenantId",
        ]
    } else {
        &["text", "memberTenantId"]
    }
}

fn check_filter(filter: &Value, object: &str) -> Result<(), String> {
    match filter {
        Value::Null => Ok(()),
        Value::Object(m) if m.contains_key("operator") => {
            if m["operator"] != "AND" {
                return Err(format!("Unsupported filter operator {}", m["operator"]));
            }
            m.get("conditions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .try_for_each(|c| check_filter(c, object))
        }
        Value::Object(m) => m.keys().try_for_each(|k| {
            if filter_properties(object).contains(&k.as_str()) {
                Ok(())
            } else {
                Err(format!("Unsupported filter property {k}"))
            }
        }),
        _ => Err("Invalid filter".into()),
    }
}

fn filter_matches(p: &Principal, filter: &Value) -> bool {
    let Value::Object(m) = filter else {
        return true;
    };
    if m.contains_key("operator") {
        return m
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .all(|c| filter_matches(p, c));
    }
    m.iter().all(|(k, v)| match k.as_str() {
        "@type" => p.props.get("@type") == Some(v),
        "name" => v.as_str().is_some_and(|n| p.name() == n.to_lowercase()),
        "domainId" => v.as_str() == Some(p.domain_id()),
        "memberGroupIds" => v
            .as_str()
            .is_some_and(|g| p.props["memberGroupIds"][g] == json!(true)),
        "memberTenantId" => p.props.get("memberTenantId").unwrap_or(&Value::Null) == v,
        "text" => {
            let mut words: Vec<String> = vec![p.name().to_string()];
            words.extend(p.aliases().into_iter().map(|(n, _)| n));
            if let Some(d) = p.props["description"].as_str() {
                words.extend(d.split_whitespace().map(str::to_lowercase));
            }
            v.as_str().unwrap_or_default().split_whitespace().all(|t| {
                let t = t.to_lowercase();
                words.iter().any(|w| w.contains(&t))
            })
        }
        _ => false,
    })
}

fn principal_query<'a>(
    s: &StalwartSandbox,
    args: &Value,
    object: &str,
    method: &'a str,
) -> (&'a str, Value) {
    let filter = &args["filter"];
    if let Err(description) = check_filter(filter, object) {
        return (
            "error",
            json!({ "type": "unsupportedFilter", "description": description }),
        );
    }
    let st = s.lock();
    let ids: Vec<&String> = st
        .principals
        .iter()
        .filter(|p| p.object == object && filter_matches(p, filter))
        .map(|p| &p.id)
        .collect();
    let total = ids.len();
    let position = args["position"].as_u64().unwrap_or(0) as usize;
    let limit = args["limit"].as_u64().map(|l| l as usize).unwrap_or(5000);
    let page: Vec<&String> = ids.into_iter().skip(position).take(limit).collect();
    let mut out = json!({ "accountId": "b", "queryState": "s1", "canCalculateChanges": false,
        "position": position, "ids": page });
    if args["calculateTotal"] == json!(true) {
        out["total"] = json!(total);
    }
    (method, out)
}

/// Accounts and mailing lists: create, partial update (top-level keys and JSON pointers),
/// destroy, with the SetErrors of §5.3.
fn principal_set(s: &StalwartSandbox, args: &Value, object: &'static str) -> Value {
    let mut st = s.lock();
    let mut created = Map::new();
    let mut not_created = Map::new();
    let mut updated = Map::new();
    let mut not_updated = Map::new();
    let mut destroyed = Vec::new();
    let mut not_destroyed = Map::new();
    for (cid, obj) in args["create"].as_object().into_iter().flatten() {
        match create_principal(&mut st, obj, object) {
            Ok(id) => {
                created.insert(cid.clone(), json!({ "id": id }));
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    for (id, patch) in args["update"].as_object().into_iter().flatten() {
        match update_principal(&mut st, id, patch, object) {
            Ok(()) => {
                updated.insert(id.clone(), Value::Null);
            }
            Err(e) => {
                not_updated.insert(id.clone(), e);
            }
        }
    }
    for id in args["destroy"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str())
    {
        if !st
            .principals
            .iter()
            .any(|p| p.object == object && p.id == id)
        {
            not_destroyed.insert(id.into(), set_error("notFound", None, &[]));
            continue;
        }
        // A group account still referenced by members' `memberGroupIds`.
        let linked: Vec<Value> = st
            .principals
            .iter()
            .filter(|p| p.props["memberGroupIds"][id] == json!(true))
            .map(|p| json!({ "object": p.object, "id": p.id }))
            .collect();
        if !linked.is_empty() {
            not_destroyed.insert(
                id.into(),
                json!({ "type": "objectIsLinked",
                "objectId": { "object": object, "id": id }, "linkedObjects": linked }),
            );
            continue;
        }
        st.principals.retain(|p| p.id != id);
        destroyed.push(json!(id));
    }
    json!({ "accountId": "b", "oldState": "s1", "newState": "s2",
        "created": created, "notCreated": not_created, "updated": updated, "notUpdated": not_updated,
        "destroyed": destroyed, "notDestroyed": not_destroyed })
}

/// Rejects writes to server-set and unknown properties.
fn check_writable(key: &str, first: &str, object: &str) -> Result<(), Value> {
    if SERVER_SET.contains(&first) || key.rsplit('/').next().is_some_and(|l| l == "credentialId") {
        return Err(invalid_patch("Cannot modify server set property", key));
    }
    let known = if object == "Account" {
        ACCOUNT_PROPS
    } else {
        LIST_PROPS
    };
    if !known.contains(&first) {
        return Err(invalid_patch("Invalid property", key));
    }
    Ok(())
}

fn create_principal(st: &mut State_, obj: &Value, object: &'static str) -> Result<String, Value> {
    let Some(obj) = obj.as_object() else {
        return Err(set_error("invalidPatch", Some("Expected an object"), &[]));
    };
    let mut props = if object == "Account" {
        match obj.get("@type").and_then(Value::as_str) {
            Some("User" | "Group") => account_defaults(),
            _ => return Err(missing_type("@type")),
        }
    } else {
        list_defaults()
    };
    for (k, v) in obj {
        check_writable(k, k, object)?;
        props.insert(k.clone(), v.clone());
    }
    let props = normalize(st, props, object, None, None)?;
    let id = st.new_id();
    st.principals.push(Principal {
        id: id.clone(),
        object,
        props,
        created_at: clock::utc_seconds(clock::now()),
        used_disk: 0,
    });
    Ok(id)
}

fn update_principal(st: &mut State_, id: &str, patch: &Value, object: &str) -> Result<(), Value> {
    let Some(i) = st
        .principals
        .iter()
        .position(|p| p.object == object && p.id == id)
    else {
        return Err(set_error("notFound", None, &[]));
    };
    let Some(patch) = patch.as_object() else {
        return Err(set_error("invalidPatch", Some("Expected an object"), &[]));
    };
    let original = st.principals[i].props.clone();
    let mut props = original.clone();
    for (key, value) in patch {
        apply_patch(&mut props, key, value, object)?;
    }
    let props = normalize(st, props, object, Some(&original), Some(id))?;
    st.principals[i].props = props;
    Ok(())
}

/// One entry of an update: a top-level property replaced whole, or a JSON-pointer path
/// (`credentials/0/secret`, `permissions/disabledPermissions/authenticate`, `aliases/2`).
fn apply_patch(
    props: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    object: &str,
) -> Result<(), Value> {
    let segments: Vec<&str> = key.split('/').collect();
    let first = segments[0];
    check_writable(key, first, object)?;
    if first == "@type" {
        if segments.len() > 1 || props.get("@type") != Some(value) {
            return Err(set_error(
                "invalidProperties",
                Some("The type of an account cannot be changed"),
                &["@type"],
            ));
        }
        return Ok(());
    }
    if segments.len() == 1 {
        props.insert(first.into(), value.clone());
        return Ok(());
    }
    if first == "permissions"
        && matches!(segments[1], "enabledPermissions" | "disabledPermissions")
        && props["permissions"]["@type"] == "Inherit"
    {
        // A pointer into the lists of an inheriting account turns it into a Merge.
        props.insert(
            "permissions".into(),
            json!({ "@type": "Merge", "enabledPermissions": {}, "disabledPermissions": {} }),
        );
    }
    let invalid_path = || invalid_patch("Invalid path", key);
    let mut current = props.get_mut(first).ok_or_else(invalid_path)?;
    for segment in &segments[1..segments.len() - 1] {
        current = current
            .as_object_mut()
            .and_then(|m| m.get_mut(*segment))
            .ok_or_else(invalid_path)?;
    }
    let container = current.as_object_mut().ok_or_else(invalid_path)?;
    let last = segments[segments.len() - 1];
    let parent = segments[segments.len() - 2];
    if value.is_null() || (*value == json!(false) && SET_PROPS.contains(&parent)) {
        container.remove(last);
    } else {
        container.insert(last.into(), value.clone());
    }
    Ok(())
}

/// An object list (`{"0": {…}, "1": {…}}`) in index order; arrays are `invalidPatch`.
fn object_list(value: Option<&Value>, property: &str) -> Result<Vec<Value>, Value> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => {
            let mut items: Vec<(u64, &Value)> = Vec::new();
            for (k, v) in m {
                let Ok(n) = k.parse::<u64>() else {
                    return Err(invalid_patch(
                        "Invalid list index",
                        &format!("{property}/{k}"),
                    ));
                };
                items.push((n, v));
            }
            items.sort_by_key(|(n, _)| *n);
            Ok(items.into_iter().map(|(_, v)| v.clone()).collect())
        }
        Some(_) => Err(invalid_patch("Expected an object list", property)),
    }
}

fn renumber(items: Vec<Value>) -> Value {
    Value::Object(
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
    )
}

/// A set (`{"member": true}`); arrays and non-boolean members are `invalidPatch`.
fn set_of(value: Option<&Value>, property: &str) -> Result<Value, Value> {
    match value {
        None | Some(Value::Null) => Ok(json!({})),
        Some(Value::Object(m)) => {
            let mut out = Map::new();
            for (k, v) in m {
                match v {
                    Value::Bool(true) => {
                        out.insert(k.clone(), json!(true));
                    }
                    Value::Bool(false) | Value::Null => {}
                    _ => {
                        return Err(invalid_patch(
                            "Invalid set member",
                            &format!("{property}/{k}"),
                        ))
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Some(_) => Err(invalid_patch("Expected a set object", property)),
    }
}

/// A local part: lower-cased; `Err(Required)` when missing or empty.
fn local_part(value: Option<&Value>, property: &str) -> Result<Option<String>, Value> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim().to_lowercase();
            if s.is_empty() {
                Ok(None)
            } else if s.contains('@') || s.chars().any(char::is_whitespace) {
                Err(json!({ "type": "validationFailed", "validationErrors": [
                    { "type": "Invalid", "property": property, "value": s }] }))
            } else {
                Ok(Some(s))
            }
        }
        Some(_) => Err(invalid_patch("Invalid value", property)),
    }
}

fn domain_fk(st: &State_, id: &str) -> Result<(), Value> {
    if st.domain_name(id).is_some() {
        Ok(())
    } else {
        Err(json!({ "type": "invalidForeignKey", "objectId": { "object": "Domain", "id": id } }))
    }
}

/// Validates and normalises a principal's properties after a create or an update.
/// `original` is the stored version (updates), for masked and unchanged secrets.
fn normalize(
    st: &State_,
    mut props: Map<String, Value>,
    object: &str,
    original: Option<&Map<String, Value>>,
    this: Option<&str>,
) -> Result<Map<String, Value>, Value> {
    let is_account = object == "Account";
    if is_account
        && !matches!(
            props.get("@type").and_then(Value::as_str),
            Some("User" | "Group")
        )
    {
        return Err(missing_type("@type"));
    }
    // Required properties.
    let name = local_part(props.get("name"), "name")?;
    let domain_id = match props.get("domainId") {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) if d.is_empty() => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => return Err(invalid_patch("Invalid value", "domainId")),
    };
    let missing: Vec<Value> = [("name", name.is_none()), ("domainId", domain_id.is_none())]
        .iter()
        .filter(|(_, m)| *m)
        .map(|(p, _)| json!({ "type": "Required", "property": p }))
        .collect();
    let (Some(name), Some(domain_id)) = (name, domain_id) else {
        return Err(json!({ "type": "validationFailed", "validationErrors": missing }));
    };
    domain_fk(st, &domain_id)?;
    props.insert("name".into(), json!(name));
    props.insert("domainId".into(), json!(domain_id));
    match props.get("description") {
        None | Some(Value::Null) | Some(Value::String(_)) => {}
        Some(_) => return Err(invalid_patch("Invalid value", "description")),
    }
    // Aliases.
    let mut aliases = Vec::new();
    for (i, a) in object_list(props.get("aliases"), "aliases")?
        .into_iter()
        .enumerate()
    {
        let Value::Object(a) = a else {
            return Err(invalid_patch("Invalid value", &format!("aliases/{i}")));
        };
        let alias_name = local_part(a.get("name"), &format!("aliases/{i}/name"))?;
        let alias_domain = a.get("domainId").and_then(Value::as_str).map(String::from);
        let (Some(alias_name), Some(alias_domain)) = (alias_name, alias_domain) else {
            return Err(json!({ "type": "validationFailed", "validationErrors": [
                { "type": "Required", "property": format!("aliases/{i}") }] }));
        };
        domain_fk(st, &alias_domain)?;
        aliases.push(json!({
            "name": alias_name, "domainId": alias_domain,
            "enabled": a.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            "description": a.get("description").cloned().unwrap_or(Value::Null),
        }));
    }
    props.insert("aliases".into(), renumber(aliases));
    if is_account {
        normalize_account(st, &mut props, original)?;
    } else {
        let recipients = set_of(props.get("recipients"), "recipients")?;
        props.insert("recipients".into(), recipients);
    }
    // Server-wide unique addresses (§7.2): primary and alias addresses.
    let mut addresses = vec![(name.clone(), domain_id.clone())];
    addresses.extend(alias_pairs(&props));
    for (n, d) in &addresses {
        if let Some(owner) = st.address_owner(n, d, this) {
            return Err(
                json!({ "type": "primaryKeyViolation", "properties": ["email"],
                "objectId": { "object": owner.object, "id": owner.id } }),
            );
        }
    }
    Ok(props)
}

fn normalize_account(
    st: &State_,
    props: &mut Map<String, Value>,
    original: Option<&Map<String, Value>>,
) -> Result<(), Value> {
    let original_credentials: Vec<Value> = original
        .map(|o| object_list(o.get("credentials"), "credentials"))
        .transpose()?
        .unwrap_or_default();
    let address = st.address(
        props["name"].as_str().unwrap_or_default(),
        props["domainId"].as_str().unwrap_or_default(),
    );
    let name = props["name"].as_str().unwrap_or_default().to_string();
    let description = props["description"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut credentials = Vec::new();
    for (i, c) in object_list(props.get("credentials"), "credentials")?
        .into_iter()
        .enumerate()
    {
        let Value::Object(mut c) = c else {
            return Err(invalid_patch("Invalid value", &format!("credentials/{i}")));
        };
        match c.get("@type").and_then(Value::as_str) {
            Some("Password") => {}
            Some("AppPassword" | "ApiKey") => {
                return Err(set_error(
                    "invalidProperties",
                    Some("App passwords and API keys are managed with x:AppPassword and x:ApiKey"),
                    &["credentials"],
                ))
            }
            _ => return Err(missing_type(&format!("credentials/{i}/@type"))),
        }
        for k in c.keys() {
            if ![
                "@type",
                "secret",
                "credentialId",
                "expiresAt",
                "allowedIps",
                "otpAuth",
            ]
            .contains(&k.as_str())
            {
                return Err(invalid_patch(
                    "Invalid property",
                    &format!("credentials/{i}/{k}"),
                ));
            }
        }
        // The stored credential this one continues (same credentialId), if any.
        let previous = c.get("credentialId").and_then(|id| {
            original_credentials
                .iter()
                .find(|o| o.get("credentialId") == Some(id))
        });
        let secret = match c.get("secret") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => {
                return Err(json!({ "type": "validationFailed", "validationErrors": [
                    { "type": "Required", "property": "secret" }] }))
            }
            Some(_) => return Err(invalid_patch("Invalid value", "secret")),
        };
        let stored = previous.and_then(|p| p["secret"].as_str());
        let secret = if secret == MASKED_SECRET {
            // Writing back the masked value keeps the stored secret.
            match stored {
                Some(s) => s.to_string(),
                None => {
                    return Err(set_error(
                        "invalidProperties",
                        Some("Invalid secret"),
                        &["secret"],
                    ))
                }
            }
        } else if stored == Some(secret.as_str()) || looks_hashed(&secret) {
            secret
        } else {
            let inputs = [name.as_str(), address.as_str(), description.as_str()];
            if let Some(problem) = password_problem(&secret, &inputs) {
                return Err(set_error("invalidProperties", Some(&problem), &["secret"]));
            }
            secret
        };
        c.insert("secret".into(), json!(secret));
        if previous.is_none() {
            let mut raw = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut raw);
            c.insert(
                "credentialId".into(),
                json!(raw.iter().map(|b| format!("{b:02x}")).collect::<String>()),
            );
        }
        c.entry("expiresAt").or_insert(Value::Null);
        let ips = set_of(c.get("allowedIps"), &format!("credentials/{i}/allowedIps"))?;
        c.insert("allowedIps".into(), ips);
        credentials.push(Value::Object(c));
    }
    if credentials.len() > 1 {
        return Err(set_error(
            "invalidProperties",
            Some("Only one password credential is allowed"),
            &["credentials"],
        ));
    }
    props.insert("credentials".into(), renumber(credentials));
    // Permissions (§7.5, §9).
    let permissions = match props.get("permissions") {
        None | Some(Value::Null) => json!({ "@type": "Inherit" }),
        Some(Value::Object(p)) => match p.get("@type").and_then(Value::as_str) {
            Some("Inherit") => json!({ "@type": "Inherit" }),
            Some(t @ ("Merge" | "Replace")) => json!({
                "@type": t,
                "enabledPermissions": set_of(p.get("enabledPermissions"), "permissions/enabledPermissions")?,
                "disabledPermissions": set_of(p.get("disabledPermissions"), "permissions/disabledPermissions")?,
            }),
            _ => return Err(missing_type("permissions")),
        },
        Some(_) => return Err(missing_type("permissions")),
    };
    props.insert("permissions".into(), permissions);
    let roles = match props.get("roles") {
        None | Some(Value::Null) => json!({ "@type": "User" }),
        Some(Value::Object(r)) => match r.get("@type").and_then(Value::as_str) {
            Some(t @ ("User" | "Admin")) => json!({ "@type": t }),
            Some("Custom") => {
                json!({ "@type": "Custom", "roleIds": set_of(r.get("roleIds"), "roles/roleIds")? })
            }
            _ => return Err(missing_type("roles")),
        },
        Some(_) => return Err(missing_type("roles")),
    };
    props.insert("roles".into(), roles);
    match props.get("quotas") {
        None | Some(Value::Null) => {
            props.insert("quotas".into(), json!({}));
        }
        Some(Value::Object(q)) => {
            for (k, v) in q {
                if !STORAGE_QUOTAS.contains(&k.as_str()) || v.as_u64().is_none() {
                    return Err(invalid_patch("Invalid value", &format!("quotas/{k}")));
                }
            }
        }
        Some(_) => return Err(invalid_patch("Expected a map", "quotas")),
    }
    let groups = set_of(props.get("memberGroupIds"), "memberGroupIds")?;
    props.insert("memberGroupIds".into(), groups);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(password_problem("short", &[]).is_some());
        assert!(password_problem("password123", &[]).is_some());
        assert!(password_problem("correct horse battery staple 42", &[]).is_none());
        assert!(password_problem(&"x".repeat(129), &[]).is_some());
    }

    #[test]
    fn hashes_are_recognised() {
        assert!(looks_hashed("$argon2id$v=19$m=19456,t=2,p=1$abc$def"));
        assert!(looks_hashed("{SHA512}abc"));
        assert!(looks_hashed("$6$salt$hash"));
        assert!(!looks_hashed("{not a hash"));
        assert!(!looks_hashed("plain words here"));
    }
}

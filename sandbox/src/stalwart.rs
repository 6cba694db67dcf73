//! Stalwart 0.16 stand-in: JMAP management per `shared/reference/stalwart.md` — session
//! discovery, `POST /jmap` with `x:Domain/get|set|query`, `x:DkimSignature/query|set`,
//! `x:Account/set` and `x:MailingList/set` (enough to reference a domain), SetErrors
//! (`primaryKeyViolation`, `objectIsLinked` with `linkedObjects`, `invalidForeignKey`),
//! the computed `dnsZoneFile`, and DKIM keys that appear shortly after a domain is created
//! (a background task, as upstream). Basic authentication; 401 with a problem+json body.

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

#[derive(Clone, Debug)]
struct Principal {
    id: String,
    object: &'static str,
    name: String,
    domain_id: String,
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

    /// Creates a mailbox on a domain, as another admin would (tests).
    pub fn create_account(&self, name: &str, domain_id: &str) -> String {
        let mut st = self.lock();
        let id = st.new_id();
        st.principals.push(Principal {
            id: id.clone(),
            object: "Account",
            name: name.into(),
            domain_id: domain_id.into(),
        });
        id
    }

    pub fn remove_account(&self, id: &str) {
        self.lock().principals.retain(|p| p.id != id);
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

fn authenticated(s: &StalwartSandbox, headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|c| {
            let st = s.lock();
            c == format!("{}:{}", st.user, st.password)
        })
}

async fn session(State(s): State<StalwartSandbox>, headers: HeaderMap) -> Response {
    let caps = json!({ "urn:ietf:params:jmap:core": { "maxObjectsInGet": 500, "maxObjectsInSet": 500, "maxCallsInRequest": 16 } });
    if !authenticated(&s, &headers) {
        return Json(json!({ "capabilities": caps })).into_response();
    }
    let user = s.lock().user.clone();
    Json(json!({
        "capabilities": caps,
        "accounts": { "b": { "name": user, "isPersonal": true, "isReadOnly": false,
            "accountCapabilities": { "urn:stalwart:jmap": {} } } },
        "primaryAccounts": { "urn:stalwart:jmap": "b" },
        "username": user,
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
    if !authenticated(&s, &headers) {
        return unauthorized();
    }
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
    for call in calls {
        let (Some(method), args, Some(id)) = (call[0].as_str(), call[1].clone(), call[2].as_str())
        else {
            continue;
        };
        let (name, result) = match method {
            "x:Domain/get" => (method, domain_get(&s, &args)),
            "x:Domain/query" => (method, domain_query(&s, &args)),
            "x:Domain/set" => (method, domain_set(&s, &args)),
            "x:DkimSignature/query" => (method, dkim_query(&s, &args)),
            "x:DkimSignature/set" => (method, dkim_set(&s, &args)),
            "x:Account/set" => (method, principal_set(&s, &args, "Account")),
            "x:Account/get" => (method, principal_get(&s, &args, "Account")),
            "x:MailingList/get" => (method, principal_get(&s, &args, "MailingList")),
            "x:MailingList/set" => (method, principal_set(&s, &args, "MailingList")),
            _ => (
                "error",
                json!({ "type": "unknownMethod", "description": format!("Unknown method {method}") }),
            ),
        };
        responses.push(json!([name, result, id]));
    }
    Json(json!({ "methodResponses": responses, "sessionState": "s1" })).into_response()
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
            let mut linked: Vec<Value> = st
                .principals
                .iter()
                .filter(|p| p.domain_id == id)
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

fn principal_get(s: &StalwartSandbox, args: &Value, object: &str) -> Value {
    let st = s.lock();
    let ids: Vec<String> = args["ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str().map(String::from))
        .collect();
    let list: Vec<Value> = st
        .principals
        .iter()
        .filter(|p| p.object == object && ids.contains(&p.id))
        .map(|p| {
            let domain = st.domains.iter().find(|d| d.id == p.domain_id).map(|d| d.name.clone()).unwrap_or_default();
            json!({ "id": p.id, "name": p.name, "domainId": p.domain_id, "emailAddress": format!("{}@{domain}", p.name) })
        })
        .collect();
    json!({ "accountId": "b", "state": "s1", "list": list, "notFound": [] })
}

/// Accounts and mailing lists, reduced to what references a domain (name + domainId), with
/// server-wide unique addresses.
fn principal_set(s: &StalwartSandbox, args: &Value, object: &'static str) -> Value {
    let mut st = s.lock();
    let mut created = Map::new();
    let mut not_created = Map::new();
    let mut destroyed = Vec::new();
    for (cid, obj) in args["create"].as_object().into_iter().flatten() {
        let (Some(name), Some(domain_id)) = (obj["name"].as_str(), obj["domainId"].as_str()) else {
            not_created.insert(cid.clone(), json!({ "type": "validationFailed" }));
            continue;
        };
        if !st.domains.iter().any(|d| d.id == domain_id) {
            not_created.insert(cid.clone(), json!({ "type": "invalidForeignKey", "objectId": { "object": "Domain", "id": domain_id } }));
            continue;
        }
        if let Some(owner) = st
            .principals
            .iter()
            .find(|p| p.name == name && p.domain_id == domain_id)
        {
            not_created.insert(cid.clone(), json!({ "type": "primaryKeyViolation", "properties": ["email"], "objectId": { "object": owner.object, "id": owner.id } }));
            continue;
        }
        let id = st.new_id();
        st.principals.push(Principal {
            id: id.clone(),
            object,
            name: name.to_lowercase(),
            domain_id: domain_id.into(),
        });
        created.insert(cid.clone(), json!({ "id": id }));
    }
    for id in args["destroy"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.as_str())
    {
        st.principals.retain(|p| p.id != id);
        destroyed.push(json!(id));
    }
    json!({ "accountId": "b", "created": created, "notCreated": not_created, "destroyed": destroyed, "notDestroyed": {} })
}

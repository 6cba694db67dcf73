//! A DNS server on loopback (UDP) whose zones each test sets: answers from a table of
//! records (TXT, MX, A, AAAA, CNAME, NS), NXDOMAIN for names it does not know, and silence for
//! names marked as timing out, so every verification outcome can be produced over real DNS
//! queries. It answers as a recursive resolver does: a name with a CNAME is answered with the
//! chain and the target's records (at most 8 links); a loop or a longer chain is SERVFAIL.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, MessageType, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

#[derive(Default)]
struct Zones {
    records: HashMap<(String, RecordType), Vec<RData>>,
    silent: HashSet<String>,
    delays: HashMap<String, std::time::Duration>,
    queries: u64,
}

#[derive(Clone)]
pub struct DnsSandbox {
    zones: Arc<Mutex<Zones>>,
    pub addr: SocketAddr,
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl DnsSandbox {
    pub async fn start() -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0").await?;
        let addr = socket.local_addr()?;
        let sandbox = Self {
            zones: Arc::new(Mutex::new(Zones::default())),
            addr,
        };
        let zones = sandbox.zones.clone();
        let socket = Arc::new(socket);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                if let Some((answer, delay)) = answer(&zones, &buf[..n]) {
                    let socket = socket.clone();
                    tokio::spawn(async move {
                        if let Some(d) = delay {
                            tokio::time::sleep(d).await;
                        }
                        let _ = socket.send_to(&answer, peer).await;
                    });
                }
            }
        });
        Ok(sandbox)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Zones> {
        lock(&self.zones)
    }

    /// Adds a TXT record (one string per element, as in a multi-string record).
    pub fn txt(&self, name: &str, strings: &[&str]) {
        let data = TXT::new(strings.iter().map(|s| s.to_string()).collect());
        self.lock()
            .records
            .entry((key(name), RecordType::TXT))
            .or_default()
            .push(RData::TXT(data));
    }

    /// Adds an MX record; false (and nothing added) when `exchange` is not a host name.
    pub fn mx(&self, name: &str, preference: u16, exchange: &str) -> bool {
        let Ok(host) = Name::from_ascii(format!("{}.", exchange.trim_end_matches('.'))) else {
            return false;
        };
        self.lock()
            .records
            .entry((key(name), RecordType::MX))
            .or_default()
            .push(RData::MX(MX::new(preference, host)));
        true
    }

    /// Adds a record as the control API takes it: `"TXT"` with its value (split into strings
    /// of at most 255 bytes, RFC 1035 §3.3.14), or `"MX"` with `"10 host"`. False (nothing
    /// added) for another type or an MX value that is not one.
    pub fn publish(&self, name: &str, kind: &str, value: &str) -> bool {
        match kind {
            "TXT" => {
                let parts: Vec<String> = value
                    .as_bytes()
                    .chunks(255)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect();
                let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
                self.txt(name, &parts);
                true
            }
            "MX" => match value
                .split_once(' ')
                .and_then(|(p, h)| Some((p.parse().ok()?, h)))
            {
                Some((pref, host)) => self.mx(name, pref, host),
                None => false,
            },
            "A" | "AAAA" => match value.trim().parse::<std::net::IpAddr>() {
                Ok(ip) if ip.is_ipv4() == (kind == "A") => {
                    self.address(name, ip);
                    true
                }
                _ => false,
            },
            "CNAME" => self.cname(name, value),
            "NS" => self.ns(name, value),
            _ => false,
        }
    }

    /// Adds an A or AAAA record (by the address's family).
    pub fn address(&self, name: &str, ip: std::net::IpAddr) {
        let (kind, data) = match ip {
            std::net::IpAddr::V4(v4) => (RecordType::A, RData::A(A(v4))),
            std::net::IpAddr::V6(v6) => (RecordType::AAAA, RData::AAAA(AAAA(v6))),
        };
        self.lock()
            .records
            .entry((key(name), kind))
            .or_default()
            .push(data);
    }

    /// Adds a name server (NS) of `name`; false when `host` is not a name.
    pub fn ns(&self, name: &str, host: &str) -> bool {
        let Ok(host) = Name::from_ascii(format!("{}.", host.trim_end_matches('.'))) else {
            return false;
        };
        self.lock()
            .records
            .entry((key(name), RecordType::NS))
            .or_default()
            .push(RData::NS(NS(host)));
        true
    }

    /// Sets `name` as an alias of `target` (CNAME); false when `target` is not a name.
    pub fn cname(&self, name: &str, target: &str) -> bool {
        let Ok(target) = Name::from_ascii(format!("{}.", target.trim_end_matches('.'))) else {
            return false;
        };
        self.lock().records.insert(
            (key(name), RecordType::CNAME),
            vec![RData::CNAME(CNAME(target))],
        );
        true
    }

    /// Removes every record of a name.
    pub fn clear(&self, name: &str) {
        let k = key(name);
        self.lock().records.retain(|(n, _), _| *n != k);
    }

    /// Queries for this name get no answer at all (the resolver times out).
    pub fn silence(&self, name: &str) {
        self.lock().silent.insert(key(name));
    }

    /// Answers for this name come after `delay` (benchmarks of slow resolvers).
    pub fn delay(&self, name: &str, delay: std::time::Duration) {
        self.lock().delays.insert(key(name), delay);
    }

    /// An HTTP control API on `addr` for tests outside this process (Playwright) and the
    /// sandbox demo: `POST /_sandbox/dns/records` `{"name", "type": "TXT"|"MX"|"A"|"AAAA"|"CNAME",
    /// "value"}` (MX value `"10 host"`), `DELETE /_sandbox/dns/records?name=…`, and
    /// `POST /_sandbox/dns/delays` `{"name", "delay_ms"}`. Returns the bound address.
    /// With `token`, every control request must carry it (`x-sandbox-token`).
    pub async fn serve_control(
        &self,
        addr: SocketAddr,
        token: Option<String>,
    ) -> std::io::Result<SocketAddr> {
        use axum::extract::{Query, State};
        use axum::http::StatusCode;
        use axum::routing::post;
        use axum::{Json, Router};

        #[derive(serde::Deserialize)]
        struct NewRecord {
            name: String,
            #[serde(rename = "type")]
            kind: String,
            value: String,
        }
        #[derive(serde::Deserialize)]
        struct Delay {
            name: String,
            delay_ms: u64,
        }
        async fn slow(State(dns): State<DnsSandbox>, Json(d): Json<Delay>) -> StatusCode {
            dns.delay(&d.name, std::time::Duration::from_millis(d.delay_ms));
            StatusCode::NO_CONTENT
        }
        #[derive(serde::Deserialize)]
        struct Clear {
            name: String,
        }
        async fn add(State(dns): State<DnsSandbox>, Json(r): Json<NewRecord>) -> StatusCode {
            if dns.publish(&r.name, &r.kind, &r.value) {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::BAD_REQUEST
            }
        }
        async fn clear(State(dns): State<DnsSandbox>, Query(q): Query<Clear>) -> StatusCode {
            dns.clear(&q.name);
            StatusCode::NO_CONTENT
        }
        let router = Router::new()
            .route("/_sandbox/dns/records", post(add).delete(clear))
            .route("/_sandbox/dns/delays", post(slow))
            .with_state(self.clone())
            .layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let token = token.clone();
                    async move {
                        if crate::faults::control_allowed(token.as_deref(), req.headers()) {
                            next.run(req).await
                        } else {
                            crate::faults::control_refused()
                        }
                    }
                },
            ));
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(bound)
    }

    /// How many queries arrived (benchmarks and tests).
    pub fn queries(&self) -> u64 {
        self.lock().queries
    }
}

/// The zones; a lock poisoned by a panicking thread is taken over as it is.
fn lock(zones: &Mutex<Zones>) -> std::sync::MutexGuard<'_, Zones> {
    zones.lock().unwrap_or_else(|e| e.into_inner())
}

fn answer(zones: &Mutex<Zones>, packet: &[u8]) -> Option<(Vec<u8>, Option<std::time::Duration>)> {
    let request = Message::from_vec(packet).ok()?;
    let query = request.queries().first()?.clone();
    let name = key(&query.name().to_ascii());
    let mut zones = lock(zones);
    zones.queries += 1;
    if zones.silent.contains(&name) {
        return None;
    }
    let mut response = Message::new();
    response
        .set_id(request.id())
        .set_message_type(MessageType::Response)
        .set_op_code(request.op_code())
        .set_authoritative(true)
        .set_recursion_desired(request.recursion_desired())
        .set_recursion_available(true)
        .add_query(query.clone());
    let delay = zones.delays.get(&name).copied();
    // Follow CNAMEs as a recursive resolver does, answering with the chain.
    let mut owner = query.name().clone();
    let mut current = name;
    let mut seen = HashSet::new();
    if query.query_type() != RecordType::CNAME {
        while let Some(RData::CNAME(target)) = zones
            .records
            .get(&(current.clone(), RecordType::CNAME))
            .and_then(|r| r.first())
        {
            if !seen.insert(current.clone()) || seen.len() > 8 {
                response.take_answers();
                response.set_response_code(ResponseCode::ServFail);
                return response.to_vec().ok().map(|bytes| (bytes, delay));
            }
            response.add_answer(Record::from_rdata(
                owner.clone(),
                60,
                RData::CNAME(target.clone()),
            ));
            owner = target.0.clone();
            current = key(&target.0.to_ascii());
        }
    }
    let known = zones.records.keys().any(|(n, _)| *n == current);
    match zones.records.get(&(current, query.query_type())) {
        Some(rdatas) => {
            for r in rdatas {
                response.add_answer(Record::from_rdata(owner.clone(), 60, r.clone()));
            }
            response.set_response_code(ResponseCode::NoError);
        }
        None if known || !seen.is_empty() => {
            response.set_response_code(ResponseCode::NoError);
        }
        None => {
            response.set_response_code(ResponseCode::NXDomain);
        }
    }
    response.to_vec().ok().map(|bytes| (bytes, delay))
}

//! `x:DkimSignature` (`shared/reference/stalwart.md` §6.3): the keys Stalwart's DKIM
//! management task generates for a new domain (an Ed25519 and an RSA key, selectors
//! `v1-<algorithm>-<yyyymmdd>`), query by `domainId`, and destroy. The public keys are
//! random stand-ins of the real keys' lengths.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde_json::{json, Map, Value};

use super::state::State_;
use super::StalwartSandbox;

#[derive(Clone, Debug)]
pub(super) struct Dkim {
    pub(super) id: String,
    pub(super) domain_id: String,
    pub(super) selector: String,
    pub(super) algorithm: &'static str,
    pub(super) public_key: String,
}

fn random_b64(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    STANDARD.encode(b)
}

pub(super) fn add_dkim_keys(st: &mut State_, domain_id: &str) {
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

pub(super) fn dkim_query(s: &StalwartSandbox, args: &Value) -> Value {
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

pub(super) fn dkim_set(s: &StalwartSandbox, args: &Value) -> Value {
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

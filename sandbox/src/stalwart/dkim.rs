//! `x:DkimSignature` (`shared/reference/stalwart.md` §6.3): the keys Stalwart's DKIM
//! management task generates for a new domain (an Ed25519 and an RSA key, selectors
//! `v1-<algorithm>-<yyyymmdd>`), query by `domainId`, and destroy. The public keys are real
//! keys, so a key record reads as receivers read it: a new Ed25519 key per domain, and one
//! fixed RSA-2048 key (SubjectPublicKeyInfo, made with `openssl genrsa 2048`) for every
//! domain, since generating RSA keys per domain would slow every test down.

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

/// The RSA-2048 public key every domain's RSA selector publishes (DER, base64).
const RSA_PUBLIC_KEY: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnzZAw3+NCWK8tERf3jQfdRV0URyC+TJ6nA0yW32BCPO0Xqz4pbG8wJGJtpVMfFPX8dEX+Q9aJ0FGoGXMp7v4HB/7LMqNfVEk01rEsmq1r+R/emhm/F8IRRgJFFvmju8qQd6LvQurOWPeGqcvshPfXSqE5n6a7LtHwafacB1nc9kSQk1YrOi8ir4nrydEMPu1DRLuYFESCgzsZssGQppt/4rj9ruJ8jMy+SsFcRb74pCFZyUs/vXll/NEupXZlHN0ee7uD2lN8I6vQEEJBil0jmOuBw3MA6Z4nzyjkgWYtUobH8BMIu3+A1ciaz4eHiTHNbzebpxH+WD4MwbDimSsVQIDAQAB";

/// A new Ed25519 public key (32 bytes, base64), from a random secret key.
fn ed25519_public_key() -> String {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let key = ed25519_dalek::SigningKey::from_bytes(&secret);
    STANDARD.encode(key.verifying_key().to_bytes())
}

pub(super) fn add_dkim_keys(st: &mut State_, domain_id: &str) {
    let date = time::OffsetDateTime::now_utc().date();
    let stamp = format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    for (algorithm, public_key) in [
        ("ed25519", ed25519_public_key()),
        ("rsa", RSA_PUBLIC_KEY.to_string()),
    ] {
        let id = st.new_id();
        st.dkim.push(Dkim {
            id,
            domain_id: domain_id.to_string(),
            selector: format!("v1-{algorithm}-{stamp}"),
            algorithm,
            public_key,
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

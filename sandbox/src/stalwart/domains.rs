//! `x:Domain` (`shared/reference/stalwart.md` §6): get (all, or by id, with `properties`),
//! query (exact `name`), and set — create (the name is required, lower-cased and unique:
//! `primaryKeyViolation`; automatic DKIM keys follow shortly, §6.3), update (`description`,
//! `reportAddressUri`; the server-set `dnsZoneFile` is `invalidPatch`) and destroy (§6.7:
//! `objectIsLinked` with the accounts, lists and DKIM keys still on the domain). The
//! computed `dnsZoneFile` lists the records to publish as upstream writes them (§6.4): DKIM,
//! SPF, MX, DMARC and TLS reporting, the SRV records and the autoconfig CNAMEs.

use serde_json::{json, Map, Value};

use super::dkim::add_dkim_keys;
use super::state::State_;
use super::StalwartSandbox;

#[derive(Clone, Debug)]
pub(super) struct Domain {
    pub(super) id: String,
    pub(super) name: String,
    description: Option<String>,
    report_address_uri: Option<String>,
}

impl Domain {
    pub(super) fn new(id: &str, name: &str, description: &str) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            description: Some(description.into()),
            report_address_uri: Some("mailto:postmaster".into()),
        }
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

pub(super) fn domain_get(s: &StalwartSandbox, args: &Value) -> Value {
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

pub(super) fn domain_query(s: &StalwartSandbox, args: &Value) -> Value {
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

pub(super) fn domain_set(s: &StalwartSandbox, args: &Value) -> Value {
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

//! Accounts (`x:Account`, `shared/reference/stalwart.md` §7) and mailing lists
//! (`x:MailingList`, §8) — the directory's principals, handled alike: their properties as
//! on the wire (secrets masked on read), `get` (all, or by id, with `properties`) and `query`
//! over the indexed filter properties (§7.3, §8.2; anything else is `unsupportedFilter`;
//! `position`, `limit`, `calculateTotal`). Writes are in [`set`]; what only accounts have
//! (credentials and the password policy, permissions, roles, quotas) is in [`accounts`],
//! what only lists have in [`mailing_lists`].

mod accounts;
mod mailing_lists;
mod set;

use serde_json::{json, Map, Value};

use super::state::State_;
use super::StalwartSandbox;
pub(super) use accounts::account_defaults;
use accounts::MASKED_SECRET;
pub(super) use set::principal_set;

/// An `x:Account` or `x:MailingList`: its mutable properties as on the wire (`@type`,
/// `name`, `domainId`, `credentials` with plaintext secrets, `aliases`, `permissions`, …)
/// plus the server-set ones.
#[derive(Clone, Debug)]
pub(super) struct Principal {
    pub(super) id: String,
    pub(super) object: &'static str,
    pub(super) props: Map<String, Value>,
    pub(super) created_at: String,
    pub(super) used_disk: u64,
}

impl Principal {
    /// A property, `null` when absent (lists have no `memberGroupIds`, for instance).
    pub(super) fn prop(&self, key: &str) -> &Value {
        self.props.get(key).unwrap_or(&Value::Null)
    }

    pub(super) fn name(&self) -> &str {
        self.prop("name").as_str().unwrap_or_default()
    }

    pub(super) fn domain_id(&self) -> &str {
        self.prop("domainId").as_str().unwrap_or_default()
    }

    pub(super) fn is_user(&self) -> bool {
        self.object == "Account" && self.prop("@type") == "User"
    }

    /// `(local part, domain id)` of each alias.
    pub(super) fn aliases(&self) -> Vec<(String, String)> {
        alias_pairs(&self.props)
    }
}

/// A property map from `(name, value)` pairs, in that order (the defaults of a new object).
fn props_of<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

pub(super) fn alias_pairs(props: &Map<String, Value>) -> Vec<(String, String)> {
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

pub(super) fn principal_json(st: &State_, p: &Principal, properties: Option<&Vec<Value>>) -> Value {
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

pub(super) fn principal_get(s: &StalwartSandbox, args: &Value, object: &str) -> Value {
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
            .is_some_and(|g| p.prop("memberGroupIds")[g] == json!(true)),
        "memberTenantId" => p.props.get("memberTenantId").unwrap_or(&Value::Null) == v,
        "text" => {
            let mut words: Vec<String> = vec![p.name().to_string()];
            words.extend(p.aliases().into_iter().map(|(n, _)| n));
            if let Some(d) = p.prop("description").as_str() {
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

pub(super) fn principal_query<'a>(
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

//! `x:Account/set` and `x:MailingList/set` (`shared/reference/stalwart.md` §4.4, §5,
//! §7.2–7.6, §8): create, partial update — top-level keys replaced whole, or JSON-pointer
//! paths into object lists and sets (`false` removes a set member like `null` does) — and
//! destroy (`objectIsLinked` while members' `memberGroupIds` name a group). Every write is
//! validated and normalised as upstream stores it: required `name` and `domainId`
//! (`validationFailed`), existing domains (`invalidForeignKey`), aliases, and addresses unique
//! server-wide (`primaryKeyViolation`, §7.2); server-set and unknown properties are
//! `invalidPatch`. SetErrors omit empty fields (§5.2).

use serde_json::{json, Map, Value};

use super::accounts::{normalize_account, ACCOUNT_PROPS};
use super::mailing_lists::{list_defaults, normalize_list, LIST_PROPS};
use super::{account_defaults, alias_pairs, Principal};
use crate::clock;
use crate::stalwart::state::State_;
use crate::stalwart::StalwartSandbox;

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

/// A SetError; empty fields are omitted (§5.2).
pub(super) fn set_error(kind: &str, description: Option<&str>, properties: &[&str]) -> Value {
    let mut e = json!({ "type": kind });
    if let Some(d) = description {
        e["description"] = json!(d);
    }
    if !properties.is_empty() {
        e["properties"] = json!(properties);
    }
    e
}

pub(super) fn invalid_patch(description: &str, property: &str) -> Value {
    set_error("invalidPatch", Some(description), &[property])
}

pub(super) fn missing_type(property: &str) -> Value {
    invalid_patch("Missing or invalid '@type' property", property)
}

/// Accounts and mailing lists: create, partial update (top-level keys and JSON pointers),
/// destroy, with the SetErrors of §5.3.
pub(in crate::stalwart) fn principal_set(
    s: &StalwartSandbox,
    args: &Value,
    object: &'static str,
) -> Value {
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
            .filter(|p| p.prop("memberGroupIds")[id] == json!(true))
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
        && props
            .get("permissions")
            .is_some_and(|p| p["@type"] == "Inherit")
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
pub(super) fn object_list(value: Option<&Value>, property: &str) -> Result<Vec<Value>, Value> {
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

pub(super) fn renumber(items: Vec<Value>) -> Value {
    Value::Object(
        items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
    )
}

/// A set (`{"member": true}`); arrays and non-boolean members are `invalidPatch`.
pub(super) fn set_of(value: Option<&Value>, property: &str) -> Result<Value, Value> {
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
        normalize_list(&mut props)?;
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

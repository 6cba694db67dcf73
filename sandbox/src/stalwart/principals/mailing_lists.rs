//! What only mailing lists (`x:MailingList`, `shared/reference/stalwart.md` §8.2) have: their
//! writable properties and defaults, and `recipients`, a set of addresses.

use serde_json::{json, Map, Value};

use super::props_of;
use super::set::set_of;

pub(super) const LIST_PROPS: &[&str] = &[
    "name",
    "domainId",
    "description",
    "recipients",
    "aliases",
    "memberTenantId",
];

pub(super) fn list_defaults() -> Map<String, Value> {
    props_of([
        ("description", Value::Null),
        ("recipients", json!({})),
        ("aliases", json!({})),
        ("memberTenantId", Value::Null),
    ])
}

/// Normalises what only a list has after a create or an update: `recipients` as a set.
pub(super) fn normalize_list(props: &mut Map<String, Value>) -> Result<(), Value> {
    let recipients = set_of(props.get("recipients"), "recipients")?;
    props.insert("recipients".into(), recipients);
    Ok(())
}

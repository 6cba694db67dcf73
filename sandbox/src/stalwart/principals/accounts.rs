//! What only accounts (`x:Account`, `shared/reference/stalwart.md` §7) have: the writable
//! properties of the `User` and `Group` variants and their defaults, and the normalisation of
//! credentials (§7.2, §7.4: one `Password` credential; app passwords and API keys are other
//! objects; the masked secret written back keeps the stored one; hashes are stored as they
//! are; anything else must pass the `x:Authentication` password policy), permissions (§7.5,
//! §9: `Inherit`, `Merge`, `Replace`), roles, storage quotas (§7.7) and group memberships.

use rand::RngCore;
use serde_json::{json, Map, Value};

use super::props_of;
use super::set::{invalid_patch, missing_type, object_list, renumber, set_error, set_of};
use crate::stalwart::state::State_;

/// Mutable `x:Account` properties (User and Group variants).
pub(super) const ACCOUNT_PROPS: &[&str] = &[
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
pub(super) const MASKED_SECRET: &str = "****";

pub(in crate::stalwart) fn account_defaults() -> Map<String, Value> {
    props_of([
        ("description", Value::Null),
        ("credentials", json!({})),
        ("aliases", json!({})),
        ("memberGroupIds", json!({})),
        ("roles", json!({ "@type": "User" })),
        ("permissions", json!({ "@type": "Inherit" })),
        ("quotas", json!({})),
        ("locale", json!("en_US")),
        ("timeZone", Value::Null),
        ("encryptionAtRest", json!({ "@type": "Disabled" })),
        ("memberTenantId", Value::Null),
    ])
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

pub(super) fn normalize_account(
    st: &State_,
    props: &mut Map<String, Value>,
    original: Option<&Map<String, Value>>,
) -> Result<(), Value> {
    let original_credentials: Vec<Value> = original
        .map(|o| object_list(o.get("credentials"), "credentials"))
        .transpose()?
        .unwrap_or_default();
    let text = |key: &str| props.get(key).and_then(Value::as_str).unwrap_or_default();
    let address = st.address(text("name"), text("domainId"));
    let name = text("name").to_string();
    let description = text("description").to_string();
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

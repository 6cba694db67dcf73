//! The `User` serializer of `/api/v3/core/users/` (`shared/reference/authentik.md` §4;
//! upstream `authentik/core/api/users.py`, schema `User` / `UserRequest` /
//! `PatchedUserRequest` in `shared/specs/authentik-schema.yml`): the JSON a user is shown as
//! (`uid`, initials avatar, groups and `*_obj` fields), and the validation of the writable
//! fields with DRF's messages (unique username, email, group and role pks, path, type,
//! attributes).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::super::drf::{bool_field, char_field, field_error, parse_uuid, py_type, Errors};
use super::super::Group;
use crate::authentik::{hex, State_, User};
use crate::clock;

pub(super) const USER_TYPES: &[&str] = &[
    "internal",
    "external",
    "service_account",
    "internal_service_account",
];

/// `User.uid`: SHA-256 of `<pk>-<install id>`, hex (the default OIDC `sub` upstream).
pub(crate) fn user_uid(st: &State_, pk: i64) -> String {
    hex(&Sha256::digest(
        format!("{pk}-{}", st.install_id).as_bytes(),
    ))
}

/// The initials avatar (authentik's fallback when gravatar is off).
fn avatar(u: &User) -> String {
    use base64::Engine;
    let source = if u.name.trim().is_empty() {
        &u.username
    } else {
        &u.name
    };
    let initials: String = source
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"100\"><rect width=\"100\" height=\"100\" fill=\"#ed8936\"/>\
         <text x=\"50\" y=\"50\" fill=\"#fff\" font-size=\"40\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text></svg>",
        initials.replace('&', "&amp;").replace('<', "&lt;")
    );
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}

/// The `User` serializer.
pub(in crate::authentik::admin) fn user_json(
    st: &State_,
    u: &User,
    include_groups: bool,
    include_roles: bool,
) -> Value {
    let groups: Vec<&Group> = st
        .groups
        .iter()
        .filter(|g| g.users.contains(&u.pk))
        .collect();
    json!({
        "pk": u.pk,
        "username": u.username,
        "name": u.name,
        "is_active": u.is_active,
        "last_login": u.last_login.map(clock::drf),
        "date_joined": clock::drf(u.date_joined),
        "is_superuser": groups.iter().any(|g| g.is_superuser),
        "groups": groups.iter().map(|g| g.pk.clone()).collect::<Vec<_>>(),
        "groups_obj": if include_groups {
            json!(groups.iter().map(|g| json!({
                "pk": g.pk, "num_pk": g.num_pk, "name": g.name,
                "is_superuser": g.is_superuser, "attributes": g.attributes,
            })).collect::<Vec<_>>())
        } else {
            Value::Null
        },
        "roles": [],
        "roles_obj": if include_roles { json!([]) } else { Value::Null },
        "email": u.email,
        "avatar": avatar(u),
        "attributes": u.attributes,
        "uid": user_uid(st, u.pk),
        "path": u.path,
        "type": u.user_type,
        "uuid": u.uuid,
        "password_change_date": clock::drf(u.password_change_date),
        "last_updated": clock::drf(u.last_updated),
    })
}

/// Django's `EmailValidator`, roughly: one `@`, a non-empty local part, a dotted domain
/// (or `localhost`), no whitespace.
fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && !local.contains('@')
        && !email.chars().any(char::is_whitespace)
        && (domain == "localhost"
            || (domain.contains('.') && domain.split('.').all(|l| !l.is_empty())))
}

/// A many `PrimaryKeyRelatedField` to groups (or roles, of which the sandbox has none):
/// the resolved group uuids, or the first item's error.
fn related_uuids(
    errors: &mut Errors,
    data: &Map<String, Value>,
    field: &str,
    known: &[String],
) -> Option<Vec<String>> {
    let v = data.get(field)?;
    let Value::Array(items) = v else {
        if v.is_null() {
            field_error(errors, field, "This field may not be null.");
        } else {
            field_error(
                errors,
                field,
                format!("Expected a list of items but got type \"{}\".", py_type(v)),
            );
        }
        return None;
    };
    let mut out = Vec::new();
    for item in items {
        let Value::String(raw) = item else {
            field_error(
                errors,
                field,
                format!(
                    "Incorrect type. Expected pk value, received {}.",
                    py_type(item)
                ),
            );
            return None;
        };
        let Some(id) = parse_uuid(raw) else {
            field_error(errors, field, format!("“{raw}” is not a valid UUID."));
            return None;
        };
        if !known.contains(&id) {
            field_error(
                errors,
                field,
                format!("Invalid pk \"{raw}\" - object does not exist."),
            );
            return None;
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

/// The writable fields of `UserRequest` / `PatchedUserRequest`, validated.
#[derive(Default)]
pub(super) struct UserInput {
    pub(super) username: Option<String>,
    pub(super) name: Option<String>,
    pub(super) email: Option<String>,
    pub(super) is_active: Option<bool>,
    pub(super) groups: Option<Vec<String>>,
    pub(super) path: Option<String>,
    pub(super) user_type: Option<String>,
    pub(super) attributes: Option<Value>,
}

pub(super) fn validate_user(
    st: &State_,
    data: &Map<String, Value>,
    partial: bool,
    this: Option<i64>,
) -> Result<UserInput, Errors> {
    let mut errors = Errors::new();
    let mut input = UserInput {
        username: char_field(&mut errors, data, "username", !partial, false, Some(150)),
        name: char_field(&mut errors, data, "name", !partial, true, None),
        email: char_field(&mut errors, data, "email", false, true, Some(254)),
        is_active: bool_field(&mut errors, data, "is_active"),
        ..UserInput::default()
    };
    if let Some(username) = &input.username {
        if st
            .users
            .iter()
            .any(|u| &u.username == username && Some(u.pk) != this)
        {
            field_error(&mut errors, "username", "This field must be unique.");
        }
    }
    if let Some(email) = &input.email {
        if !email.is_empty() && !valid_email(email) {
            field_error(&mut errors, "email", "Enter a valid email address.");
        }
    }
    let group_ids: Vec<String> = st.groups.iter().map(|g| g.pk.clone()).collect();
    input.groups = related_uuids(&mut errors, data, "groups", &group_ids);
    related_uuids(&mut errors, data, "roles", &[]);
    input.path = char_field(&mut errors, data, "path", false, false, None);
    if let Some(path) = &input.path {
        if path.starts_with('/') || path.ends_with('/') {
            field_error(
                &mut errors,
                "path",
                "No leading or trailing slashes allowed.",
            );
        } else if path.split('/').any(str::is_empty) {
            field_error(
                &mut errors,
                "path",
                "No empty segments in user path allowed.",
            );
        }
    }
    if let Some(v) = data.get("type") {
        match v.as_str() {
            Some(t) if USER_TYPES.contains(&t) => {
                let current = this
                    .and_then(|pk| st.users.iter().find(|u| u.pk == pk))
                    .map(|u| u.user_type.as_str());
                if current == Some("internal_service_account") && t != "internal_service_account" {
                    field_error(
                        &mut errors,
                        "type",
                        "Can't change internal service account to other user type.",
                    );
                } else if this.is_none() && t == "internal_service_account" {
                    field_error(
                        &mut errors,
                        "type",
                        "Setting a user to internal service account is not allowed.",
                    );
                } else {
                    input.user_type = Some(t.to_string());
                }
            }
            _ => {
                let shown = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                field_error(
                    &mut errors,
                    "type",
                    format!("\"{shown}\" is not a valid choice."),
                );
            }
        }
    }
    if let Some(v) = data.get("attributes") {
        match v {
            Value::Object(_) => input.attributes = Some(v.clone()),
            Value::Null => field_error(&mut errors, "attributes", "This field may not be null."),
            _ => field_error(
                &mut errors,
                "attributes",
                "Value must be a dictionary, and not have any duplicate keys.",
            ),
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// Replaces a user's group memberships as a whole (what `groups` in a PATCH does).
pub(super) fn set_user_groups(st: &mut State_, pk: i64, groups: &[String]) {
    for g in st.groups.iter_mut() {
        let member = groups.contains(&g.pk);
        let is = g.users.contains(&pk);
        if member && !is {
            g.users.push(pk);
        } else if !member && is {
            g.users.retain(|u| *u != pk);
        }
    }
}

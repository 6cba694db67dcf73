//! What an admin types to create a member, parsed once: names, the local part of the address
//! (on the tenant's primary domain), and the role.

use super::Role;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct MemberInputError {
    pub field: &'static str,
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> MemberInputError {
    MemberInputError {
        field,
        message: message.into(),
    }
}

/// A person's first or last name: trimmed, 1 to 64 characters, no control characters.
pub fn parse_name(field: &'static str, label: &str, raw: &str) -> Result<String, MemberInputError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(invalid(field, format!("Enter the {label}.")));
    }
    if name.chars().count() > 64 {
        return Err(invalid(
            field,
            format!("The {label} can be at most 64 characters long."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid(
            field,
            format!("The {label} cannot contain control characters."),
        ));
    }
    Ok(name.to_string())
}

/// The part of an address before the `@`, as Stalwart stores it (lower case): letters,
/// digits, dots, hyphens and underscores; no dot at either end or twice in a row; at most 64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPart(String);

impl LocalPart {
    pub fn parse(raw: &str) -> Result<Self, MemberInputError> {
        const FIELD: &str = "local_part";
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(invalid(
                FIELD,
                "Enter the part of the address before the @.",
            ));
        }
        if s.contains('@') {
            return Err(invalid(
                FIELD,
                "Enter only the part before the @; the domain is the workspace's primary domain.",
            ));
        }
        if s.len() > 64 {
            return Err(invalid(
                FIELD,
                "The part before the @ can be at most 64 characters long.",
            ));
        }
        if let Some(c) = s.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
        }) {
            return Err(invalid(
                FIELD,
                format!("\"{c}\" cannot be used in an address: use letters, digits, dots, hyphens or underscores."),
            ));
        }
        if s.starts_with('.') || s.ends_with('.') || s.contains("..") {
            return Err(invalid(
                FIELD,
                "An address cannot start or end with a dot, or have two dots in a row.",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub fn parse_role(raw: &str) -> Result<Role, MemberInputError> {
    Role::parse(raw.trim().to_ascii_lowercase().as_str())
        .ok_or_else(|| invalid("role", "The role must be member, admin or owner."))
}

/// A new member as the admin described them.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub first_name: String,
    pub last_name: String,
    pub local_part: LocalPart,
    pub role: Role,
}

impl LocalPart {
    /// OCIS's default username rule (`GRAPH_USERNAME_MATCH=default`, services/graph
    /// `usernameMatchDefault`: `^[a-zA-Z_][a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]*(@domain)*$`): the
    /// member's address is their OCIS username, so it must start with a letter or `_`.
    /// Checked before anything is created whenever OCIS provisioning is on.
    pub fn check_ocis_username(&self) -> Result<(), MemberInputError> {
        match self.0.chars().next() {
            Some(c) if c.is_ascii_alphabetic() || c == '_' => Ok(()),
            _ => Err(invalid(
                "local_part",
                format!(
                    "{} cannot be a files (OCIS) username: an address must start with a letter or an underscore.",
                    self.0
                ),
            )),
        }
    }
}

impl NewMember {
    pub fn parse(
        first_name: &str,
        last_name: &str,
        local_part: &str,
        role: &str,
    ) -> Result<Self, MemberInputError> {
        Ok(Self {
            first_name: parse_name("first_name", "first name", first_name)?,
            last_name: parse_name("last_name", "last name", last_name)?,
            local_part: LocalPart::parse(local_part)?,
            role: parse_role(role)?,
        })
    }

    pub fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocis_usernames_start_with_a_letter_or_underscore() {
        for ok in ["jane", "_ops", "Zed"] {
            assert!(
                LocalPart::parse(ok).unwrap().check_ocis_username().is_ok(),
                "{ok}"
            );
        }
        for bad in ["2fa", "-ops", "9"] {
            let e = LocalPart::parse(bad)
                .unwrap()
                .check_ocis_username()
                .unwrap_err();
            assert_eq!(e.field, "local_part");
            assert!(e.message.contains("start with a letter"), "{}", e.message);
        }
    }

    #[test]
    fn local_parts_are_normalised_and_checked() {
        assert_eq!(
            LocalPart::parse("  Jane.Roe ").unwrap().as_str(),
            "jane.roe"
        );
        for bad in [
            "",
            "jane@acme.example",
            "jane roe",
            ".jane",
            "jane.",
            "ja..ne",
            "jäne",
            "jane+x",
        ] {
            let e = LocalPart::parse(bad).unwrap_err();
            assert_eq!(e.field, "local_part", "{bad}");
        }
        assert!(LocalPart::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn names_and_roles_name_their_field() {
        let e = NewMember::parse(" ", "Roe", "jane", "member").unwrap_err();
        assert_eq!(e.field, "first_name");
        let e = NewMember::parse("Jane", "Roe", "jane", "boss").unwrap_err();
        assert_eq!(e.field, "role");
        let m = NewMember::parse(" Jane ", "Roe", "jane", "Admin").unwrap();
        assert_eq!(
            (m.display_name().as_str(), m.role),
            ("Jane Roe", Role::Admin)
        );
    }
}

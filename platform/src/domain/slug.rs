//! Tenant slugs: the name of a tenant in URLs and upstream objects.

use serde::{Deserialize, Serialize};

/// Slugs that would collide with the console's own routes or upstream naming.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "partner",
    "partners",
    "auth",
    "login",
    "logout",
    "signed-out",
    "static",
    "pkg",
    "healthz",
    "readyz",
    "www",
    "mail",
    "dezky",
    "root",
    "system",
    "new",
    "settings",
];

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantSlug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("The slug must be 3 to 40 characters long.")]
    Length,
    #[error("The slug may contain only lowercase letters a–z, digits and hyphens.")]
    Characters,
    #[error("The slug must start and end with a letter or digit.")]
    Edges,
    #[error("The slug \"{0}\" is reserved; choose another.")]
    Reserved(String),
}

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, SlugError> {
        let s = raw.trim();
        if !(3..=40).contains(&s.chars().count()) {
            return Err(SlugError::Length);
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(SlugError::Characters);
        }
        if s.starts_with('-') || s.ends_with('-') {
            return Err(SlugError::Edges);
        }
        if RESERVED.contains(&s) {
            return Err(SlugError::Reserved(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_slugs_parse() {
        for s in ["acme", "a-1", "acme-gmbh-2026", &"a".repeat(40)] {
            assert_eq!(TenantSlug::parse(s).unwrap().as_str(), s);
        }
    }

    #[test]
    fn each_rule_is_named() {
        assert_eq!(TenantSlug::parse("ab"), Err(SlugError::Length));
        assert_eq!(TenantSlug::parse(&"a".repeat(41)), Err(SlugError::Length));
        assert_eq!(TenantSlug::parse("Acme"), Err(SlugError::Characters));
        assert_eq!(TenantSlug::parse("ac_me"), Err(SlugError::Characters));
        assert_eq!(TenantSlug::parse("-acme"), Err(SlugError::Edges));
        assert_eq!(
            TenantSlug::parse("admin"),
            Err(SlugError::Reserved("admin".into()))
        );
    }
}

//! Mail domain names: trimmed, lower-cased, trailing dot dropped, internationalised names
//! converted to their ASCII (IDNA) form and kept in both forms; label and total length
//! limits, at least two labels, no IP addresses.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MailDomain {
    ascii: String,
    unicode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("Enter a domain name.")]
    Empty,
    #[error("\"{0}\" is an IP address; enter a domain name such as example.com.")]
    IpAddress(String),
    #[error("A domain name needs at least two labels, such as example.com.")]
    SingleLabel,
    #[error("\"{0}\" is not a valid internationalised domain name.")]
    Idna(String),
    #[error("Each part between dots must be 1 to 63 characters long.")]
    LabelLength,
    #[error("The domain name is longer than 253 characters.")]
    TotalLength,
    #[error("Each part may contain only letters, digits and hyphens, and may not start or end with a hyphen.")]
    Characters,
}

impl MailDomain {
    pub fn parse(raw: &str) -> Result<Self, DomainNameError> {
        let trimmed = raw.trim().trim_end_matches('.').to_lowercase();
        if trimmed.is_empty() {
            return Err(DomainNameError::Empty);
        }
        let bare = trimmed.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<std::net::IpAddr>().is_ok() {
            return Err(DomainNameError::IpAddress(trimmed));
        }
        let ascii =
            idna::domain_to_ascii(&trimmed).map_err(|_| DomainNameError::Idna(trimmed.clone()))?;
        if ascii.len() > 253 {
            return Err(DomainNameError::TotalLength);
        }
        let labels: Vec<&str> = ascii.split('.').collect();
        if labels.iter().any(|l| l.is_empty() || l.len() > 63) {
            return Err(DomainNameError::LabelLength);
        }
        if labels.len() < 2 {
            return Err(DomainNameError::SingleLabel);
        }
        if labels.iter().any(|l| {
            l.starts_with('-')
                || l.ends_with('-')
                || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        }) {
            return Err(DomainNameError::Characters);
        }
        if labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(DomainNameError::IpAddress(trimmed));
        }
        let (unicode, _) = idna::domain_to_unicode(&ascii);
        Ok(Self { ascii, unicode })
    }

    /// The form used in DNS and upstream APIs (`xn--…` for internationalised names).
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The form people read.
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    pub fn is_internationalised(&self) -> bool {
        self.ascii != self.unicode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        let d = MailDomain::parse("  Example.COM. ").unwrap();
        assert_eq!(d.ascii(), "example.com");
        assert!(!d.is_internationalised());
    }

    #[test]
    fn idn_round_trip() {
        let d = MailDomain::parse("Bücher.Example").unwrap();
        assert_eq!(d.ascii(), "xn--bcher-kva.example");
        assert_eq!(d.unicode(), "bücher.example");
        let again = MailDomain::parse(d.ascii()).unwrap();
        assert_eq!(again.unicode(), "bücher.example");
    }

    #[test]
    fn each_rule_is_named() {
        assert_eq!(MailDomain::parse(" "), Err(DomainNameError::Empty));
        assert!(matches!(
            MailDomain::parse("192.0.2.1"),
            Err(DomainNameError::IpAddress(_))
        ));
        assert!(matches!(
            MailDomain::parse("[2001:db8::1]"),
            Err(DomainNameError::IpAddress(_))
        ));
        assert_eq!(
            MailDomain::parse("localhost"),
            Err(DomainNameError::SingleLabel)
        );
        assert_eq!(
            MailDomain::parse(&format!("{}.com", "a".repeat(64))),
            Err(DomainNameError::LabelLength)
        );
        assert_eq!(
            MailDomain::parse("a..com"),
            Err(DomainNameError::LabelLength)
        );
        let long = format!("{}.com", vec!["a".repeat(60); 5].join("."));
        assert_eq!(MailDomain::parse(&long), Err(DomainNameError::TotalLength));
        assert_eq!(
            MailDomain::parse("-bad.com"),
            Err(DomainNameError::Characters)
        );
        assert_eq!(
            MailDomain::parse("under_score.com"),
            Err(DomainNameError::Characters)
        );
    }
}

//! EU VAT identification numbers, normalised and checked against each member state's format
//! (the structures VIES publishes, European Commission, "VIES VAT number validation") before
//! they reach Stripe, which takes them as `eu_vat` tax ids. Greece's prefix is `EL`, not its
//! ISO code `GR`; Northern Ireland's is `XI`. A prefix typed by the person is taken off once, so
//! it is never doubled.

use std::sync::LazyLock;

use regex::Regex;

/// The member states' formats after the prefix: (ISO 3166-1 country, VAT prefix, pattern).
const FORMATS: &[(&str, &str, &str)] = &[
    ("AT", "AT", r"^U\d{8}$"),
    ("BE", "BE", r"^[01]\d{9}$"),
    ("BG", "BG", r"^\d{9,10}$"),
    ("CY", "CY", r"^\d{8}[A-Z]$"),
    ("CZ", "CZ", r"^\d{8,10}$"),
    ("DE", "DE", r"^\d{9}$"),
    ("DK", "DK", r"^\d{8}$"),
    ("EE", "EE", r"^\d{9}$"),
    ("GR", "EL", r"^\d{9}$"),
    ("ES", "ES", r"^[A-Z0-9]\d{7}[A-Z0-9]$"),
    ("FI", "FI", r"^\d{8}$"),
    ("FR", "FR", r"^[A-HJ-NP-Z0-9]{2}\d{9}$"),
    ("HR", "HR", r"^\d{11}$"),
    ("HU", "HU", r"^\d{8}$"),
    ("IE", "IE", r"^(\d{7}[A-W][A-I]?|\d[A-Z+*]\d{5}[A-W])$"),
    ("IT", "IT", r"^\d{11}$"),
    ("LT", "LT", r"^(\d{9}|\d{12})$"),
    ("LU", "LU", r"^\d{8}$"),
    ("LV", "LV", r"^\d{11}$"),
    ("MT", "MT", r"^\d{8}$"),
    ("NL", "NL", r"^\d{9}B\d{2}$"),
    ("PL", "PL", r"^\d{10}$"),
    ("PT", "PT", r"^\d{9}$"),
    ("RO", "RO", r"^\d{2,10}$"),
    ("SE", "SE", r"^\d{10}01$"),
    ("SI", "SI", r"^\d{8}$"),
    ("SK", "SK", r"^\d{10}$"),
    ("XI", "XI", r"^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$"),
];

static PATTERNS: LazyLock<Vec<(&'static str, &'static str, Option<Regex>)>> = LazyLock::new(|| {
    FORMATS
        .iter()
        .map(|(c, p, re)| (*c, *p, Regex::new(re).ok()))
        .collect()
});

/// A VAT id: the prefix and the number, e.g. `EL123456789`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VatId(String);

impl VatId {
    /// Parses `raw` for a company in `country` (ISO 3166-1 alpha-2): upper-cased, spaces,
    /// dots and hyphens removed, the prefix (or, for Greece, `GR`) taken off once, then the
    /// rest checked against the member state's format. The error is the sentence to show.
    pub fn parse(country: &str, raw: &str) -> Result<Self, String> {
        let Some((_, prefix, pattern)) = PATTERNS.iter().find(|(c, _, _)| *c == country) else {
            return Err(format!(
                "VAT ids are taken for EU member states (and XI for Northern Ireland); {country} is not one."
            ));
        };
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
            .flat_map(char::to_uppercase)
            .collect();
        let number = cleaned
            .strip_prefix(prefix)
            .or_else(|| {
                (country == "GR")
                    .then(|| cleaned.strip_prefix("GR"))
                    .flatten()
            })
            .unwrap_or(&cleaned);
        let matches = pattern.as_ref().is_some_and(|re| re.is_match(number));
        if !matches {
            return Err(format!(
                "{raw} is not a VAT id of {country}: it should be {prefix} followed by {}.",
                describe(country)
            ));
        }
        Ok(Self(format!("{prefix}{number}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The format in words, for the error message.
fn describe(country: &str) -> &'static str {
    match country {
        "AT" => "U and 8 digits",
        "BE" => "10 digits starting with 0 or 1",
        "BG" => "9 or 10 digits",
        "CY" => "8 digits and a letter",
        "CZ" => "8 to 10 digits",
        "ES" => "9 characters: a letter or digit, 7 digits, a letter or digit",
        "FR" => "2 letters or digits and 9 digits",
        "HR" | "IT" | "LV" => "11 digits",
        "IE" => "7 digits and 1 or 2 letters",
        "LT" => "9 or 12 digits",
        "NL" => "9 digits, B and 2 digits",
        "PL" | "SK" => "10 digits",
        "RO" => "2 to 10 digits",
        "SE" => "12 digits ending in 01",
        "XI" => "9 or 12 digits",
        "DE" | "EE" | "GR" | "PT" => "9 digits",
        _ => "8 digits",
    }
}

#[cfg(test)]
mod tests {
    use super::VatId;

    #[test]
    fn vat_ids_are_normalised_and_checked_per_country() {
        let ok = |c: &str, raw: &str| VatId::parse(c, raw).map(|v| v.0);
        assert_eq!(ok("DE", "de 123.456.789").unwrap(), "DE123456789");
        assert_eq!(ok("DE", "123456789").unwrap(), "DE123456789");
        // Greece: EL, whether typed as EL, GR or without a prefix; never doubled.
        assert_eq!(ok("GR", "EL123456789").unwrap(), "EL123456789");
        assert_eq!(ok("GR", "gr 123-456-789").unwrap(), "EL123456789");
        assert_eq!(ok("GR", "123456789").unwrap(), "EL123456789");
        assert!(ok("GR", "ELEL123456789").is_err());
        assert_eq!(ok("NL", "nl123456789b01").unwrap(), "NL123456789B01");
        assert_eq!(ok("FR", "FR 40 303 265 045").unwrap(), "FR40303265045");
        assert_eq!(ok("AT", "ATU12345678").unwrap(), "ATU12345678");
        let e = ok("DE", "DE12345").unwrap_err();
        assert!(e.contains("DE followed by 9 digits"), "{e}");
        assert!(
            ok("BE", "BE2123456789").is_err(),
            "Belgian numbers start with 0 or 1"
        );
        assert!(ok("US", "123").unwrap_err().contains("EU member states"));
    }
}

//! The security policy as typed values: parsed from what the page or API sent, each bad value
//! refused with its field named.

use std::net::IpAddr;

use ipnet::IpNet;
use wire::security::{MfaMode, NetworkEnforcement, SecurityPolicy, SecurityPolicyPatch};

use super::SecurityError;

/// Idle timeout bounds, minutes.
pub const IDLE_MINUTES: std::ops::RangeInclusive<i64> = 5..=1_440;
/// Absolute session lifetime bounds, minutes (15 minutes to 30 days).
pub const ABSOLUTE_MINUTES: std::ops::RangeInclusive<i64> = 15..=43_200;
/// At most this many networks and countries.
const MAX_ITEMS: usize = 200;

/// The officially assigned ISO 3166-1 alpha-2 codes (ISO 3166 Maintenance Agency; 249).
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM \
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS \
LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP \
NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM \
SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI \
VN VU WF WS YE YT ZA ZM ZW";

/// A user-assigned code that GeoIP databases (MaxMind, DB-IP) use for Kosovo.
const USER_ASSIGNED: &[&str] = &["XK"];

/// An assigned ISO 3166-1 alpha-2 country code, upper case (`DE`, `FR`), or `XK` (Kosovo, as
/// GeoIP databases report it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Two letters, any case, that ISO 3166-1 assigns.
    pub fn parse(s: &str) -> Option<Self> {
        let up = s.trim().to_ascii_uppercase();
        let b = up.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        (ISO_3166_ALPHA2.split(' ').any(|c| c == up) || USER_ASSIGNED.contains(&up.as_str()))
            .then_some(Self([b[0], b[1]]))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::fmt::Display for CountryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant's policy, typed (the wire's [`SecurityPolicy`] is its view).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub mfa_mode: MfaMode,
    /// Minutes, within [`IDLE_MINUTES`].
    pub idle_timeout_minutes: Option<i64>,
    /// Minutes, within [`ABSOLUTE_MINUTES`].
    pub absolute_lifetime_minutes: Option<i64>,
    pub allowed_countries: Vec<CountryCode>,
    pub ip_allowlist: Vec<IpNet>,
    pub network_enforcement: NetworkEnforcement,
}

impl Policy {
    pub fn view(&self) -> SecurityPolicy {
        SecurityPolicy {
            mfa_mode: self.mfa_mode,
            idle_timeout_minutes: self.idle_timeout_minutes,
            absolute_lifetime_minutes: self.absolute_lifetime_minutes,
            allowed_countries: self
                .allowed_countries
                .iter()
                .map(|c| c.to_string())
                .collect(),
            ip_allowlist: self.ip_allowlist.iter().map(|n| n.to_string()).collect(),
            network_enforcement: self.network_enforcement,
        }
    }

    /// Whether the network rules say anything at all.
    pub fn has_network_rules(&self) -> bool {
        !self.ip_allowlist.is_empty() || !self.allowed_countries.is_empty()
    }

    /// `self` with `patch` applied, every value checked. Errors: [`SecurityError::Invalid`]
    /// naming the field (`mfa_mode`, `idle_timeout_minutes`, `absolute_lifetime_minutes`,
    /// `allowed_countries`, `ip_allowlist`, `network_enforcement`).
    pub fn patched(&self, patch: &SecurityPolicyPatch) -> Result<Policy, SecurityError> {
        let mut p = self.clone();
        if let Some(m) = &patch.mfa_mode {
            p.mfa_mode = MfaMode::parse(m).ok_or_else(|| {
                invalid(
                    "mfa_mode",
                    format!("Unknown MFA mode {m:?}: use off, optional, required_for_admins or required_for_everyone."),
                )
            })?;
        }
        if let Some(v) = patch.idle_timeout_minutes {
            p.idle_timeout_minutes =
                minutes("idle_timeout_minutes", "The idle timeout", v, IDLE_MINUTES)?;
        }
        if let Some(v) = patch.absolute_lifetime_minutes {
            p.absolute_lifetime_minutes = minutes(
                "absolute_lifetime_minutes",
                "The session lifetime",
                v,
                ABSOLUTE_MINUTES,
            )?;
        }
        if let (Some(idle), Some(abs)) = (p.idle_timeout_minutes, p.absolute_lifetime_minutes) {
            if idle > abs {
                return Err(invalid(
                    "idle_timeout_minutes",
                    format!("The idle timeout ({idle} min) cannot be longer than the session lifetime ({abs} min)."),
                ));
            }
        }
        if let Some(list) = &patch.allowed_countries {
            p.allowed_countries = parse_countries(list)?;
        }
        if let Some(list) = &patch.ip_allowlist {
            p.ip_allowlist = parse_networks(list)?;
        }
        if let Some(e) = &patch.network_enforcement {
            p.network_enforcement = NetworkEnforcement::parse(e).ok_or_else(|| {
                invalid(
                    "network_enforcement",
                    format!("Unknown enforcement {e:?}: use enforce or warn_only."),
                )
            })?;
        }
        Ok(p)
    }

    /// Whether `ip` is inside the allowlist (an empty list allows every address).
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.ip_allowlist.is_empty() || self.ip_allowlist.iter().any(|n| n.contains(&ip))
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> SecurityError {
    SecurityError::Invalid {
        field,
        message: message.into(),
    }
}

fn minutes(
    field: &'static str,
    what: &str,
    v: Option<i64>,
    bounds: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, SecurityError> {
    match v {
        None | Some(0) => Ok(None),
        Some(n) if bounds.contains(&n) => Ok(Some(n)),
        Some(n) => Err(invalid(
            field,
            format!(
                "{what} must be between {} and {} minutes, or off (got {n}).",
                bounds.start(),
                bounds.end()
            ),
        )),
    }
}

/// Country codes, each checked against ISO 3166-1; duplicates dropped, sorted.
pub fn parse_countries(list: &[String]) -> Result<Vec<CountryCode>, SecurityError> {
    let mut out = Vec::new();
    for raw in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let c = CountryCode::parse(raw).ok_or_else(|| {
            invalid(
                "allowed_countries",
                format!(
                    "{raw:?} is not an ISO 3166-1 alpha-2 country code (such as DE, FR or US)."
                ),
            )
        })?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.len() > MAX_ITEMS {
        return Err(invalid(
            "allowed_countries",
            format!("At most {MAX_ITEMS} countries."),
        ));
    }
    out.sort();
    Ok(out)
}

/// IPv4 or IPv6 networks in CIDR form (a bare address counts as /32 or /128), host bits
/// cleared; duplicates dropped.
pub fn parse_networks(list: &[String]) -> Result<Vec<IpNet>, SecurityError> {
    let mut out: Vec<IpNet> = Vec::new();
    for raw in list.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let net = raw
            .parse::<IpNet>()
            .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
            .map_err(|_| {
                invalid(
                    "ip_allowlist",
                    format!("{raw:?} is not an IPv4 or IPv6 network in CIDR form (such as 203.0.113.0/24 or 2001:db8::/32)."),
                )
            })?
            .trunc();
        if !out.contains(&net) {
            out.push(net);
        }
    }
    if out.len() > MAX_ITEMS {
        return Err(invalid(
            "ip_allowlist",
            format!("At most {MAX_ITEMS} networks."),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch() -> SecurityPolicyPatch {
        SecurityPolicyPatch::default()
    }

    fn field(r: Result<Policy, SecurityError>) -> &'static str {
        match r {
            Err(SecurityError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn country_codes_are_assigned_iso_codes() {
        assert_eq!(CountryCode::parse("de").unwrap().as_str(), "DE");
        assert_eq!(CountryCode::parse("XK").unwrap().as_str(), "XK");
        for bad in ["XX", "D", "DEU", "1A", "", "UK"] {
            assert!(CountryCode::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
    }

    #[test]
    fn bad_values_name_their_field() {
        let p = Policy::default();
        let cases: Vec<(SecurityPolicyPatch, &str)> = vec![
            (
                SecurityPolicyPatch {
                    mfa_mode: Some("sometimes".into()),
                    ..patch()
                },
                "mfa_mode",
            ),
            (
                SecurityPolicyPatch {
                    idle_timeout_minutes: Some(Some(2)),
                    ..patch()
                },
                "idle_timeout_minutes",
            ),
            (
                SecurityPolicyPatch {
                    absolute_lifetime_minutes: Some(Some(50_000)),
                    ..patch()
                },
                "absolute_lifetime_minutes",
            ),
            (
                SecurityPolicyPatch {
                    idle_timeout_minutes: Some(Some(120)),
                    absolute_lifetime_minutes: Some(Some(60)),
                    ..patch()
                },
                "idle_timeout_minutes",
            ),
            (
                SecurityPolicyPatch {
                    allowed_countries: Some(vec!["ZZ".into()]),
                    ..patch()
                },
                "allowed_countries",
            ),
            (
                SecurityPolicyPatch {
                    ip_allowlist: Some(vec!["10.0.0.0/33".into()]),
                    ..patch()
                },
                "ip_allowlist",
            ),
            (
                SecurityPolicyPatch {
                    ip_allowlist: Some(vec!["example.com".into()]),
                    ..patch()
                },
                "ip_allowlist",
            ),
            (
                SecurityPolicyPatch {
                    network_enforcement: Some("log".into()),
                    ..patch()
                },
                "network_enforcement",
            ),
        ];
        for (pt, f) in cases {
            assert_eq!(field(p.patched(&pt)), f, "{pt:?}");
        }
    }

    #[test]
    fn networks_are_canonical_and_match_v4_and_v6() {
        let p = Policy::default()
            .patched(&SecurityPolicyPatch {
                ip_allowlist: Some(vec![
                    "203.0.113.77/24".into(),
                    "2001:db8::1".into(),
                    "203.0.113.0/24".into(),
                ]),
                idle_timeout_minutes: Some(Some(0)),
                ..patch()
            })
            .unwrap();
        assert_eq!(p.view().ip_allowlist, ["203.0.113.0/24", "2001:db8::1/128"]);
        assert_eq!(p.idle_timeout_minutes, None);
        assert!(p.allows_ip("203.0.113.9".parse().unwrap()));
        assert!(p.allows_ip("2001:db8::1".parse().unwrap()));
        assert!(!p.allows_ip("198.51.100.1".parse().unwrap()));
        assert!(!p.allows_ip("2001:db8::2".parse().unwrap()));
    }
}

//! A tenant's security policy and its MFA overview, as the Security and MFA pages and the JSON
//! API show them.

use serde::{Deserialize, Serialize};

use crate::tenants::Role;

/// Who must have a second factor (multi-factor authentication).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMode {
    Off,
    #[default]
    Optional,
    RequiredForAdmins,
    RequiredForEveryone,
}

impl MfaMode {
    pub const ALL: [MfaMode; 4] = [
        MfaMode::Off,
        MfaMode::Optional,
        MfaMode::RequiredForAdmins,
        MfaMode::RequiredForEveryone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MfaMode::Off => "off",
            MfaMode::Optional => "optional",
            MfaMode::RequiredForAdmins => "required_for_admins",
            MfaMode::RequiredForEveryone => "required_for_everyone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            MfaMode::Off => "Off",
            MfaMode::Optional => "Optional",
            MfaMode::RequiredForAdmins => "Required for admins and owners",
            MfaMode::RequiredForEveryone => "Required for everyone",
        }
    }

    /// Whether a member with `role` must have a second factor under this mode.
    pub fn requires(self, role: Role) -> bool {
        match self {
            MfaMode::Off | MfaMode::Optional => false,
            MfaMode::RequiredForAdmins => role.is_admin(),
            MfaMode::RequiredForEveryone => true,
        }
    }
}

/// What happens to a request the network rules (IP allowlist, countries) do not allow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkEnforcement {
    /// Refused, with a page (or JSON error) that says why; audited as denied.
    #[default]
    Enforce,
    /// Let through and audited as `security.ip_blocked` (to try rules out before enforcing).
    WarnOnly,
}

impl NetworkEnforcement {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkEnforcement::Enforce => "enforce",
            NetworkEnforcement::WarnOnly => "warn_only",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enforce" => Some(Self::Enforce),
            "warn_only" => Some(Self::WarnOnly),
            _ => None,
        }
    }
}

/// A tenant's security policy. Bounds: idle timeout 5–1440 minutes, absolute lifetime
/// 15–43200 minutes (30 days); `None` means the tenant sets no limit of its own (the console's
/// `SESSION_LIFETIME_HOURS` still applies). Countries are ISO 3166-1 alpha-2 codes, upper
/// case; networks are IPv4 or IPv6 CIDRs in canonical form. Empty lists allow every country
/// and address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicy {
    pub mfa_mode: MfaMode,
    pub idle_timeout_minutes: Option<i64>,
    pub absolute_lifetime_minutes: Option<i64>,
    pub allowed_countries: Vec<String>,
    pub ip_allowlist: Vec<String>,
    pub network_enforcement: NetworkEnforcement,
}

/// Who enforces a setting, said truthfully on the page and in the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// The console enforces it for the tenant's pages and API.
    Console,
    /// Stored, but not enforced anywhere yet (the reason says what is missing).
    NotEnforced,
}

/// One setting's enforcement statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnforcementNote {
    /// `mfa_mode`, `session_timeouts`, `ip_allowlist`, `allowed_countries`.
    pub setting: String,
    pub enforcement: Enforcement,
    pub note: String,
}

/// The Security page and `GET /api/tenants/:slug/security-policy`: the policy, who enforces
/// each part, and how the caller's own request looks to the network rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityPolicyView {
    pub policy: SecurityPolicy,
    pub enforcement: Vec<EnforcementNote>,
    pub geoip_configured: bool,
    /// The caller's address as the console sees it (after `TRUSTED_PROXIES`).
    pub your_ip: Option<String>,
    /// Its country by the GeoIP database (none without one, or when unknown).
    pub your_country: Option<String>,
    pub updated_at: Option<i64>,
    pub updated_by: Option<String>,
}

/// `PATCH /api/tenants/:slug/security-policy`: the fields to change, as sent. Durations are
/// minutes; `0` or `null` clears a limit (`Some(None)`). Lists replace the stored ones.
/// `confirm_lockout` must be true to save rules that would refuse the caller's own request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicyPatch {
    #[serde(default)]
    pub mfa_mode: Option<String>,
    #[serde(default, with = "double_option")]
    pub idle_timeout_minutes: Option<Option<i64>>,
    #[serde(default, with = "double_option")]
    pub absolute_lifetime_minutes: Option<Option<i64>>,
    #[serde(default)]
    pub allowed_countries: Option<Vec<String>>,
    #[serde(default)]
    pub ip_allowlist: Option<Vec<String>>,
    #[serde(default)]
    pub network_enforcement: Option<String>,
    #[serde(default)]
    pub confirm_lockout: bool,
}

impl SecurityPolicyPatch {
    /// The patch of the Security page's form, where every field is text: minutes empty or
    /// `0` for off; countries separated by commas or spaces; networks by commas or new
    /// lines. Errors: `(field, message)` for minutes that are not a whole number.
    #[allow(clippy::too_many_arguments)]
    pub fn from_form(
        mfa_mode: &str,
        idle_timeout_minutes: &str,
        absolute_lifetime_minutes: &str,
        allowed_countries: &str,
        ip_allowlist: &str,
        network_enforcement: &str,
        confirm_lockout: bool,
    ) -> Result<Self, (&'static str, String)> {
        let minutes =
            |field: &'static str, v: &str| -> Result<Option<Option<i64>>, (&'static str, String)> {
                let v = v.trim();
                if v.is_empty() {
                    return Ok(Some(None));
                }
                v.parse::<i64>()
                    .map(|n| Some(Some(n)))
                    .map_err(|_| (field, format!("{v:?} is not a whole number of minutes.")))
            };
        let list = |v: &str, seps: &[char]| -> Vec<String> {
            v.split(|c: char| seps.contains(&c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        };
        Ok(Self {
            mfa_mode: Some(mfa_mode.to_string()),
            idle_timeout_minutes: minutes("idle_timeout_minutes", idle_timeout_minutes)?,
            absolute_lifetime_minutes: minutes(
                "absolute_lifetime_minutes",
                absolute_lifetime_minutes,
            )?,
            allowed_countries: Some(list(allowed_countries, &[',', ' ', '\n', '\r', '\t'])),
            ip_allowlist: Some(list(ip_allowlist, &[',', ' ', '\n', '\r', '\t'])),
            network_enforcement: Some(network_enforcement.to_string()),
            confirm_lockout,
        })
    }
}

/// `Option<Option<T>>` from JSON: absent → `None`, `null` → `Some(None)`.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer, T: Serialize>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A second factor a member has confirmed in Authentik.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authenticator {
    /// `totp`, `webauthn`, `static` (backup codes), `duo`, `sms`, `email`, or the upstream's
    /// model name when unknown.
    pub kind: String,
    pub name: String,
    /// RFC 3339, when Authentik recorded a use.
    pub last_used: Option<String>,
}

/// Whether a member has a second factor, as far as the console could find out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MfaState {
    Enrolled {
        authenticators: Vec<Authenticator>,
    },
    NotEnrolled,
    /// Not known (no SSO identity yet, or Authentik did not answer): never shown as not
    /// enrolled.
    Unknown {
        reason: String,
    },
}

/// One member in the MFA overview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberMfa {
    pub member_id: String,
    pub address: String,
    pub name: String,
    pub role: Role,
    pub mfa: MfaState,
    /// The policy requires a second factor of this member and none is known.
    pub required_missing: bool,
}

/// `GET /api/tenants/:slug/mfa-status`: admins and owners without MFA first, then the
/// others without, then the enrolled; with the totals and the policy's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaOverview {
    pub mode: MfaMode,
    pub members: Vec<MemberMfa>,
    pub enrolled: i64,
    pub not_enrolled: i64,
    pub unknown: i64,
    /// E.g. "Required for admins and owners: 2 admins not enrolled." (none when nothing is
    /// missing or nothing is required).
    pub verdict: Option<String>,
    /// MFA mode is stored, not enforced at sign-in yet (Authentik's shared flow unchanged).
    pub enforced_at_sign_in: bool,
}

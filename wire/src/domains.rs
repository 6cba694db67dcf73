//! Mail domains: their status, the DNS records to publish and what the last check found.

use serde::{Deserialize, Serialize};

use crate::steps::StepState;

/// Whether a domain's records are in place (RFC 5321 MX, RFC 7208 SPF, RFC 6376 DKIM,
/// RFC 7489 DMARC, and the ownership TXT record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainStatus {
    /// Not every required record has been found yet.
    Pending,
    Verified,
    /// Was verified, and a required record has since gone or changed.
    NeedsAttention,
}

impl DomainStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainStatus::Pending => "pending",
            DomainStatus::Verified => "verified",
            DomainStatus::NeedsAttention => "needs_attention",
        }
    }

    /// The stored form; anything unknown reads as pending (the next check settles it).
    pub fn parse(s: &str) -> Self {
        match s {
            "verified" => DomainStatus::Verified,
            "needs_attention" => DomainStatus::NeedsAttention,
            _ => DomainStatus::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DomainStatus::Pending => "Pending verification",
            DomainStatus::Verified => "Verified",
            DomainStatus::NeedsAttention => "Needs attention",
        }
    }
}

/// A DMARC policy (`p=`, RFC 7489 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DmarcPolicy {
    None,
    Quarantine,
    Reject,
}

impl DmarcPolicy {
    pub const ALL: [DmarcPolicy; 3] = [
        DmarcPolicy::None,
        DmarcPolicy::Quarantine,
        DmarcPolicy::Reject,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DmarcPolicy::None => "none",
            DmarcPolicy::Quarantine => "quarantine",
            DmarcPolicy::Reject => "reject",
        }
    }

    /// Exactly `none`, `quarantine` or `reject` (the tag values are case-sensitive).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(DmarcPolicy::None),
            "quarantine" => Some(DmarcPolicy::Quarantine),
            "reject" => Some(DmarcPolicy::Reject),
            _ => None,
        }
    }
}

impl std::fmt::Display for DmarcPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the check of one record found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordState {
    Ok,
    Missing,
    /// A record is there, with another meaning than the one expected.
    Mismatch,
    /// More than one record where exactly one is allowed (two SPF records, RFC 7208 §3.2).
    Duplicate,
    /// The lookup failed (timeout, SERVFAIL).
    Error,
    /// Nothing to check yet: Stalwart has not generated the DKIM keys.
    Pending,
    /// Not checked yet.
    Unchecked,
    /// Published for mail clients; not verified.
    Optional,
}

impl RecordState {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordState::Ok => "ok",
            RecordState::Missing => "missing",
            RecordState::Mismatch => "mismatch",
            RecordState::Duplicate => "duplicate",
            RecordState::Error => "error",
            RecordState::Pending => "pending",
            RecordState::Unchecked => "unchecked",
            RecordState::Optional => "optional",
        }
    }
}

/// One record to publish, and what the last check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecordView {
    /// MX, SPF, DKIM, DMARC, Ownership, or the zone file's own type for optional records.
    pub kind: String,
    /// The owner name, without the trailing dot.
    pub name: String,
    pub value: String,
    pub required: bool,
    pub state: RecordState,
    pub found: Vec<String>,
    /// Records found that must go (an MX pointing elsewhere).
    pub to_remove: Vec<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDomainView {
    /// The ASCII (A-label) form, as in DNS.
    pub name: String,
    /// The Unicode (U-label) form, as people read it.
    pub unicode_name: String,
    pub status: DomainStatus,
    pub is_primary: bool,
    pub dmarc_policy: DmarcPolicy,
    /// The aggregate-report address (`rua=mailto:…`), if any.
    pub dmarc_rua: Option<String>,
    /// The Stalwart step of this domain.
    pub stalwart_state: StepState,
    pub stalwart_message: String,
    /// ms since the Unix epoch.
    pub last_checked_at: Option<i64>,
    pub records: Vec<DnsRecordView>,
    /// Sandbox mode: the page may publish the expected records in the sandbox's DNS server.
    #[serde(default)]
    pub sandbox_dns: bool,
}

impl MailDomainView {
    /// The records as a BIND zone file (RFC 1035 §5), for download.
    pub fn zone_file(&self) -> String {
        self.records
            .iter()
            .filter(|r| !r.value.is_empty())
            .map(|r| {
                let (kind, value) = match r.kind.as_str() {
                    "SPF" | "DKIM" | "DMARC" | "Ownership" | "TXT" => {
                        ("TXT".to_string(), format!("\"{}\"", r.value))
                    }
                    other => (other.to_string(), r.value.clone()),
                };
                format!("{}. IN {kind} {value}", r.name)
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n"
    }
}

/// What a `PATCH` of a domain changes: the DMARC policy (with its report address) and/or
/// making it the primary domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainPatch {
    pub dmarc_policy: Option<String>,
    pub dmarc_rua: Option<String>,
    pub primary: Option<bool>,
}

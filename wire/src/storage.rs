//! Storage: mail (Stalwart mailboxes) and files (OCIS personal drives) per member, with quotas.
//! Sizes are bytes; each also comes written in binary units (KiB, MiB, GiB) for people.

use serde::{Deserialize, Serialize};

/// How full a quota is, in OCIS's words and thresholds (`calculateQuotaState`): `normal`
/// ≤ 75 %, `nearing` ≤ 90 %, `critical` ≤ 99 %, else `exceeded`. Without a quota: `normal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageLevel {
    Normal,
    Nearing,
    Critical,
    Exceeded,
}

impl UsageLevel {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "normal" => Self::Normal,
            "nearing" => Self::Nearing,
            "critical" => Self::Critical,
            "exceeded" => Self::Exceeded,
            _ => return None,
        })
    }

    /// From bytes used of a quota (OCIS's thresholds).
    pub fn of(used: u64, quota: Option<u64>) -> Self {
        match quota.filter(|q| *q > 0) {
            None => Self::Normal,
            Some(q) => match used as f64 / q as f64 * 100.0 {
                p if p <= 75.0 => Self::Normal,
                p if p <= 90.0 => Self::Nearing,
                p if p <= 99.0 => Self::Critical,
                _ => Self::Exceeded,
            },
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Normal => "OK",
            Self::Nearing => "Nearing quota",
            Self::Critical => "Almost full",
            Self::Exceeded => "Over quota",
        }
    }
}

/// One member's use of one store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Bytes used.
    pub used: u64,
    pub used_display: String,
    /// The quota in bytes; `None`: unlimited.
    pub quota: Option<u64>,
    /// `Unlimited` when there is no quota.
    pub quota_display: String,
    /// Bytes left: of the quota, or what the store reports free when unlimited.
    pub free: Option<u64>,
    /// Used of the quota, 0–100 (and above when over); `None` when unlimited.
    pub percent: Option<u32>,
    pub level: UsageLevel,
    /// At or above 90 % of the quota, or the store says nearing, critical or exceeded.
    pub flagged: bool,
}

/// One member's storage. `None` for a store: the member has nothing there yet (`*_note`
/// says why) or the store is unavailable (the column says why).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStorage {
    pub id: String,
    pub address: String,
    pub name: String,
    pub mail: Option<Usage>,
    pub mail_note: Option<String>,
    pub files: Option<Usage>,
    pub files_note: Option<String>,
}

impl MemberStorage {
    pub fn flagged(&self) -> bool {
        self.mail.as_ref().is_some_and(|u| u.flagged)
            || self.files.as_ref().is_some_and(|u| u.flagged)
    }
}

/// Whether a store answered; when not, why (disabled, down), and the other column still shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreColumn {
    pub available: bool,
    pub reason: Option<String>,
    /// Bytes used by the listed members together.
    pub total_used: u64,
    pub total_display: String,
}

/// `GET /api/tenants/:slug/storage`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageView {
    pub members: Vec<MemberStorage>,
    pub mail: StoreColumn,
    pub files: StoreColumn,
    /// Members flagged in either store.
    pub flagged: u32,
}

/// `PATCH /api/tenants/:slug/storage/:member_id`: each quota as a size with its unit
/// (`5 GiB`, `500 MiB`, or bytes), or `unlimited`; absent or empty: unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaUpdate {
    #[serde(default)]
    pub mail_quota: Option<String>,
    #[serde(default)]
    pub files_quota: Option<String>,
}

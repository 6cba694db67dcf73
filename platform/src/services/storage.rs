//! Storage: each member's mail (Stalwart `usedDiskQuota` and `quotas.maxDiskQuota`,
//! `shared/reference/stalwart.md` §7.7) and files (their OCIS personal drive's live quota,
//! `shared/reference/ocis.md` §5.2, §9), with tenant totals, members near or over quota
//! flagged, and quotas set per member. One store down or switched off leaves its column
//! unavailable with the reason; the other still shows. Sizes are bytes, written in binary
//! units by `bytesize`.

use std::sync::Arc;

use bytesize::ByteSize;
use serde_json::json;
use wire::storage::{MemberStorage, QuotaUpdate, StorageView, StoreColumn, Usage, UsageLevel};

use crate::domain::Outcome;
use crate::repo::members::{self as members_repo, MemberRow};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::services::provisioning::{OCIS, STALWART};
use crate::upstream::ocis::{OcisClient, PersonalDrive};
use crate::upstream::stalwart::{MailboxQuota, StalwartClient};
use crate::{Ctx, Db};

/// The smallest and largest quota accepted (1 MiB, 1 PiB).
const MIN_QUOTA: u64 = 1 << 20;
const MAX_QUOTA: u64 = 1 << 50;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("No member {0} in this workspace.")]
    NotFound(String),
    /// Not possible now: the store is off, or the member has nothing there yet.
    #[error("{0}")]
    Conflict(String),
    /// A store refused or failed; the message names it and what was done before.
    #[error("{0}")]
    Upstream(String),
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

impl crate::error::Classify for StorageError {
    fn class(&self) -> wire::ErrorClass {
        use wire::ErrorClass;
        match self {
            StorageError::Invalid { .. } => ErrorClass::Invalid,
            StorageError::NotFound(_) => ErrorClass::NotFound,
            StorageError::Conflict(_) => ErrorClass::Conflict,
            StorageError::Upstream(_) => ErrorClass::Upstream,
            StorageError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            StorageError::Invalid { .. } => "invalid",
            StorageError::NotFound(_) => "not_found",
            StorageError::Conflict(_) => "conflict",
            StorageError::Upstream(_) => "upstream",
            StorageError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            StorageError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

/// `bytes` in binary units (`1.5 GiB`).
pub fn binary(bytes: u64) -> String {
    ByteSize(bytes).display().iec().to_string()
}

/// A quota as typed: `None` unchanged (absent or empty), `Some(None)` unlimited,
/// `Some(Some(bytes))` a limit.
fn parse_quota(
    field: &'static str,
    typed: Option<&str>,
) -> Result<Option<Option<u64>>, StorageError> {
    let Some(t) = typed.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.eq_ignore_ascii_case("unlimited") {
        return Ok(Some(None));
    }
    let invalid = |m: String| StorageError::Invalid { field, message: m };
    let size: ByteSize = t.parse().map_err(|_| {
        invalid(format!(
            "{t} is not a size: write a number with its unit, like 5 GiB or 500 MiB, or unlimited."
        ))
    })?;
    if !(MIN_QUOTA..=MAX_QUOTA).contains(&size.0) {
        return Err(invalid(format!(
            "{t} is out of range: a quota is between 1 MiB and 1 PiB (or unlimited)."
        )));
    }
    Ok(Some(Some(size.0)))
}

fn usage(used: u64, quota: Option<u64>, free: Option<u64>, reported: Option<UsageLevel>) -> Usage {
    let quota = quota.filter(|q| *q > 0);
    let percent = quota.map(|q| u32::try_from(used.saturating_mul(100) / q).unwrap_or(u32::MAX));
    let level = reported.unwrap_or_else(|| UsageLevel::of(used, quota));
    Usage {
        used,
        used_display: binary(used),
        quota,
        quota_display: quota.map(binary).unwrap_or_else(|| "Unlimited".into()),
        // The smaller of what the quota leaves and what the store reports free (§5.2).
        free: match (free, quota.map(|q| q.saturating_sub(used))) {
            (Some(r), Some(q)) => Some(r.min(q)),
            (r, q) => r.or(q),
        },
        percent,
        level,
        flagged: percent.is_some_and(|p| p >= 90) || level > UsageLevel::Normal && quota.is_some(),
    }
}

fn mail_usage(q: &MailboxQuota) -> Usage {
    let u = usage(q.used, q.max, None, None);
    // Mail is flagged from 90 % (OCIS's own states flag files from "nearing").
    Usage {
        flagged: u.percent.is_some_and(|p| p >= 90),
        ..u
    }
}

fn files_usage(d: &PersonalDrive) -> Usage {
    usage(
        d.used,
        d.total,
        d.remaining,
        d.state.as_deref().and_then(UsageLevel::parse),
    )
}

fn column(result: &Result<(), String>, total: u64) -> StoreColumn {
    StoreColumn {
        available: result.is_ok(),
        reason: result.as_ref().err().cloned(),
        total_used: total,
        total_display: binary(total),
    }
}

#[derive(Clone)]
pub struct StorageService {
    db: Db,
    audit: AuditRecorder,
    stalwart: Option<Arc<StalwartClient>>,
    ocis: Option<Arc<OcisClient>>,
}

/// What each member holds upstream.
struct Ids {
    row: MemberRow,
    mailbox: Option<String>,
    ocis_user: Option<String>,
}

impl StorageService {
    pub fn new(
        db: Db,
        audit: AuditRecorder,
        stalwart: Option<StalwartClient>,
        ocis: Option<OcisClient>,
    ) -> Self {
        Self {
            db,
            audit,
            stalwart: stalwart.map(Arc::new),
            ocis: ocis.map(Arc::new),
        }
    }

    async fn members(&self, admin: &TenantAdmin) -> Result<Vec<Ids>, StorageError> {
        let rows = members_repo::of_tenant(&self.db, &admin.tenant().id).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let steps = members_repo::steps(&self.db, &ids).await?;
        let id_of = |member: &str, upstream: &str| {
            steps
                .iter()
                .find(|s| s.member_id == member && s.upstream == upstream)
                .and_then(|s| s.upstream_id.clone())
        };
        Ok(rows
            .into_iter()
            .filter(|r| r.status != wire::members::MemberStatus::Removing)
            .map(|row| Ids {
                mailbox: id_of(&row.id, STALWART),
                ocis_user: id_of(&row.id, OCIS),
                row,
            })
            .collect())
    }

    async fn mail(&self, ids: &[String]) -> Result<Vec<MailboxQuota>, String> {
        let Some(s) = &self.stalwart else {
            return Err("Mail storage is not shown: Stalwart provisioning is switched off (STALWART_PROVISIONING_ENABLED).".into());
        };
        s.disk_quotas(ids)
            .await
            .map_err(|e| format!("Mail storage is unavailable right now: {e}"))
    }

    async fn files(&self) -> Result<Vec<PersonalDrive>, String> {
        let Some(o) = &self.ocis else {
            return Err("File storage is not shown: OCIS provisioning is switched off (OCIS_PROVISIONING_ENABLED).".into());
        };
        o.personal_drives()
            .await
            .map_err(|e| format!("File storage is unavailable right now: {e}"))
    }

    /// Every member's mail and files with their quotas, tenant totals, and how many members
    /// are flagged. Stalwart and OCIS are asked at the same time; one failing leaves only its
    /// column unavailable.
    pub async fn overview(&self, admin: &TenantAdmin) -> Result<StorageView, StorageError> {
        let members = self.members(admin).await?;
        let mailbox_ids: Vec<String> = members.iter().filter_map(|m| m.mailbox.clone()).collect();
        let (mail, files) = tokio::join!(self.mail(&mailbox_ids), self.files());
        let (mail_ok, mail) = match mail {
            Ok(m) => (Ok(()), m),
            Err(e) => (Err(e), Vec::new()),
        };
        let (files_ok, files) = match files {
            Ok(f) => (Ok(()), f),
            Err(e) => (Err(e), Vec::new()),
        };
        let view: Vec<MemberStorage> = members
            .iter()
            .map(|m| {
                let mailbox = m
                    .mailbox
                    .as_ref()
                    .and_then(|id| mail.iter().find(|q| &q.id == id));
                let drive = m
                    .ocis_user
                    .as_ref()
                    .and_then(|id| files.iter().find(|d| &d.owner == id));
                MemberStorage {
                    id: m.row.id.clone(),
                    address: m.row.address.clone(),
                    name: format!("{} {}", m.row.first_name, m.row.last_name),
                    mail: mailbox.map(mail_usage),
                    mail_note: (mail_ok.is_ok() && mailbox.is_none())
                        .then(|| "No mailbox yet.".to_string()),
                    files: drive.map(files_usage),
                    files_note: (files_ok.is_ok() && drive.is_none()).then(|| {
                        "No drive yet: OCIS makes it at the member's first sign-in.".to_string()
                    }),
                }
            })
            .collect();
        let total = |f: fn(&MemberStorage) -> Option<&Usage>| -> u64 {
            view.iter().filter_map(f).map(|u| u.used).sum()
        };
        let (mail_total, files_total) = (total(|m| m.mail.as_ref()), total(|m| m.files.as_ref()));
        Ok(StorageView {
            flagged: view.iter().filter(|m| m.flagged()).count() as u32,
            members: view,
            mail: column(&mail_ok, mail_total),
            files: column(&files_ok, files_total),
        })
    }

    /// Sets a member's mail quota, files quota, or both; audited with before and after. Mail
    /// is set first: when files then fail, the error says the mail quota is already set.
    pub async fn set_quota(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        member_id: &str,
        update: &QuotaUpdate,
    ) -> Result<MemberStorage, StorageError> {
        let result = self.set_quota_inner(admin, member_id, update).await;
        let (outcome, target, details) = match &result {
            Ok((address, changes)) => (Outcome::Success, address.clone(), changes.clone()),
            Err(e) => (
                Outcome::Failure,
                member_id.to_string(),
                json!({ "error": e.to_string(), "field": crate::error::Classify::field(e),
                        "mail_quota": update.mail_quota, "files_quota": update.files_quota }),
            ),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "storage.set_quota",
                &target,
                outcome,
                details,
            )
            .await;
        result?;
        self.overview(admin)
            .await?
            .members
            .into_iter()
            .find(|m| m.id == member_id)
            .ok_or_else(|| StorageError::NotFound(member_id.to_string()))
    }

    async fn set_quota_inner(
        &self,
        admin: &TenantAdmin,
        member_id: &str,
        update: &QuotaUpdate,
    ) -> Result<(String, serde_json::Value), StorageError> {
        let mail = parse_quota("mail_quota", update.mail_quota.as_deref())?;
        let files = parse_quota("files_quota", update.files_quota.as_deref())?;
        if mail.is_none() && files.is_none() {
            return Err(StorageError::Invalid {
                field: "mail_quota",
                message: "Give a mail quota, a files quota, or both.".into(),
            });
        }
        let member = self
            .members(admin)
            .await?
            .into_iter()
            .find(|m| m.row.id == member_id)
            .ok_or_else(|| StorageError::NotFound(member_id.to_string()))?;
        let mut changes = json!({});
        if let Some(max) = mail {
            let stalwart = self.stalwart.as_deref().ok_or_else(|| {
                StorageError::Conflict(
                    "Stalwart provisioning is switched off: there is no mail quota to set.".into(),
                )
            })?;
            let mailbox = member.mailbox.as_deref().ok_or_else(|| {
                StorageError::Conflict(format!("{} has no mailbox yet.", member.row.address))
            })?;
            let before = stalwart
                .disk_quotas(&[mailbox.to_string()])
                .await
                .ok()
                .and_then(|q| q.into_iter().next())
                .and_then(|q| q.max);
            stalwart.set_disk_quota(mailbox, max).await.map_err(|e| {
                StorageError::Upstream(format!("Stalwart: could not set the mail quota: {e}"))
            })?;
            changes["mail_quota"] = json!({ "before": before, "after": max });
        }
        if let Some(total) = files {
            let done = if mail.is_some() {
                " The mail quota is already set."
            } else {
                ""
            };
            let ocis = self.ocis.as_deref().ok_or_else(|| {
                StorageError::Conflict(format!(
                    "OCIS provisioning is switched off: there is no files quota to set.{done}"
                ))
            })?;
            let drive = match &member.ocis_user {
                None => None,
                Some(user) => ocis
                    .personal_drives()
                    .await
                    .map_err(|e| {
                        StorageError::Upstream(format!(
                            "OCIS: could not read the drives: {e}.{done}"
                        ))
                    })?
                    .into_iter()
                    .find(|d| &d.owner == user),
            };
            let drive = drive.ok_or_else(|| {
                StorageError::Conflict(format!(
                    "{} has no drive yet: OCIS makes it at their first sign-in.{done}",
                    member.row.address
                ))
            })?;
            let found = ocis.set_drive_quota(&drive.id, total).await.map_err(|e| {
                StorageError::Upstream(format!("OCIS: could not set the files quota: {e}.{done}"))
            })?;
            if !found {
                return Err(StorageError::Conflict(format!(
                    "The drive of {} is gone.{done}",
                    member.row.address
                )));
            }
            changes["files_quota"] = json!({ "before": drive.total, "after": total });
        }
        Ok((member.row.address, changes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_are_sizes_with_binary_or_decimal_units() {
        assert_eq!(parse_quota("q", None).ok(), Some(None));
        assert_eq!(parse_quota("q", Some(" ")).ok(), Some(None));
        assert_eq!(parse_quota("q", Some("Unlimited")).ok(), Some(Some(None)));
        assert_eq!(
            parse_quota("q", Some("5 GiB")).ok(),
            Some(Some(Some(5 << 30)))
        );
        assert_eq!(
            parse_quota("q", Some("500MiB")).ok(),
            Some(Some(Some(500 << 20)))
        );
        assert_eq!(
            parse_quota("q", Some("2 GB")).ok(),
            Some(Some(Some(2_000_000_000)))
        );
        for bad in ["lots", "5 parsecs", "-1 GiB", "10 KiB", "2 EiB"] {
            let e = parse_quota("mail_quota", Some(bad)).unwrap_err();
            assert_eq!(
                crate::error::Classify::field(&e),
                Some("mail_quota"),
                "{bad}"
            );
        }
    }

    #[test]
    fn usage_is_flagged_from_ninety_percent_or_the_store_s_own_state() {
        let mail = mail_usage(&MailboxQuota {
            id: "a".into(),
            used: 90,
            max: Some(100),
        });
        assert!(mail.flagged);
        assert_eq!(mail.percent, Some(90));
        assert_eq!(mail.free, Some(10));
        let mail = mail_usage(&MailboxQuota {
            id: "a".into(),
            used: 80,
            max: Some(100),
        });
        assert!(!mail.flagged, "mail from 90 %");
        assert_eq!(mail.level, UsageLevel::Nearing);
        let unlimited = mail_usage(&MailboxQuota {
            id: "a".into(),
            used: 5 << 30,
            max: None,
        });
        assert_eq!(
            (
                unlimited.quota_display.as_str(),
                unlimited.percent,
                unlimited.flagged
            ),
            ("Unlimited", None, false)
        );
        assert_eq!(unlimited.used_display, "5.0 GiB");
        let drive = |used, total: Option<u64>, state: &str| PersonalDrive {
            id: "d".into(),
            owner: "u".into(),
            used,
            total,
            remaining: Some(total.unwrap_or(1 << 40).saturating_sub(used)),
            state: Some(state.into()),
        };
        assert!(
            files_usage(&drive(80, Some(100), "nearing")).flagged,
            "OCIS says nearing"
        );
        assert!(!files_usage(&drive(10, Some(100), "normal")).flagged);
        let over = files_usage(&drive(120, Some(100), "exceeded"));
        assert_eq!(
            (over.level, over.percent, over.free),
            (UsageLevel::Exceeded, Some(120), Some(0))
        );
    }
}

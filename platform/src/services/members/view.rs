//! What the pages and the JSON API see of members, and the reading methods (no upstream
//! changes here; the listing asks Stalwart for mailbox usage only).

use secrecy::{ExposeSecret, SecretString};

use super::{MemberError, MemberService, MEMBER_UPSTREAMS};
use crate::repo::mail_domains;
use crate::repo::members::{self as repo, MemberFilter, MemberKey, MemberRow, MemberStepRow};
use crate::services::access::TenantAdmin;
use crate::services::provisioning::STALWART;
use crate::services::steps::{StepState, StepStatus};

// The views are the wire's (the same for pages, the JSON API and here).
pub use wire::members::{
    MemberQuery, MemberStatus, MemberView, MembersOverview, RemovalAction, RemovalItem,
    RevealedMember, SignOutReport,
};

/// One upstream's step of a member: the same shape as a tenant's provisioning step.
pub type MemberStep = StepStatus;

/// A member with the one-time password that was just set (shown once, never stored): the
/// password stays a secret until [`MemberWithPassword::reveal`].
pub struct MemberWithPassword {
    pub member: MemberView,
    pub one_time_password: Option<SecretString>,
}

impl MemberWithPassword {
    /// The member and the password in clear, for the one answer that shows it.
    pub fn reveal(self) -> RevealedMember {
        RevealedMember {
            member: self.member,
            one_time_password: self
                .one_time_password
                .map(|p| p.expose_secret().to_string()),
        }
    }
}

impl MemberService {
    /// One page of a tenant's members (`query`: search, cursor, limit) with their steps and
    /// mailbox usage (asked of Stalwart for this page's mailboxes only).
    ///
    /// Errors: `Invalid` (`limit` not 1–500, a cursor this list did not give out), `Store`.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn list(
        &self,
        admin: &TenantAdmin,
        query: &MemberQuery,
    ) -> Result<MembersOverview, MemberError> {
        let tenant = admin.tenant();
        let limit = page_limit(query.limit.as_deref())?;
        let after = query
            .cursor
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        let search = query
            .q
            .as_deref()
            .map(|q| q.trim().to_lowercase())
            .filter(|q| !q.is_empty());
        let filter = MemberFilter {
            search: search.as_deref(),
            after: after.as_ref(),
        };
        let mut rows = repo::page(&self.db, &tenant.id, &filter, limit + 1).await?;
        let next_cursor = (rows.len() as i64 > limit).then(|| {
            rows.truncate(limit as usize);
            encode_cursor(&MemberKey::from(rows.last().expect("a full page")))
        });
        let total = repo::count(&self.db, &tenant.id, &filter).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let steps = repo::steps(&self.db, &ids).await?;
        let mailbox_ids: Vec<String> = steps
            .iter()
            .filter(|s| s.upstream == STALWART)
            .filter_map(|s| s.upstream_id.clone())
            .collect();
        let (usage, usage_note) = self.mailbox_usage(&mailbox_ids).await;
        let members = rows
            .iter()
            .map(|r| {
                let own: Vec<&MemberStepRow> =
                    steps.iter().filter(|s| s.member_id == r.id).collect();
                let mailbox = own
                    .iter()
                    .find(|s| s.upstream == STALWART)
                    .and_then(|s| s.upstream_id.as_ref());
                let used = mailbox.and_then(|m| usage.iter().find(|(id, _)| id == m).map(|u| u.1));
                self.view(admin, r, &own, used)
            })
            .collect();
        let primary = mail_domains::of_tenant(&self.db, &tenant.id)
            .await?
            .into_iter()
            .find(|d| d.is_primary != 0)
            .map(|d| d.name);
        Ok(MembersOverview {
            members,
            total,
            next_cursor,
            primary_domain: primary,
            can_manage_owners: Self::may_manage_owners(admin),
            usage_note,
        })
    }

    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id, member = %id))]
    pub async fn get(&self, admin: &TenantAdmin, id: &str) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.load_view(admin, &row).await
    }

    /// The member with this address, if the tenant has one (the create dialog follows the
    /// steps with it while the creation runs).
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, actor = %admin.user().id))]
    pub async fn by_address(
        &self,
        admin: &TenantAdmin,
        address: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let address = address.trim().to_lowercase();
        match repo::by_address(&self.db, &admin.tenant().id, &address).await? {
            Some(row) => Ok(Some(self.load_view(admin, &row).await?)),
            None => Ok(None),
        }
    }

    pub(super) async fn load_view(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
    ) -> Result<MemberView, MemberError> {
        let steps = repo::steps(&self.db, std::slice::from_ref(&row.id)).await?;
        let refs: Vec<&MemberStepRow> = steps.iter().collect();
        Ok(self.view(admin, row, &refs, None))
    }

    fn view(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        steps: &[&MemberStepRow],
        used: Option<i64>,
    ) -> MemberView {
        let steps: Vec<MemberStep> = MEMBER_UPSTREAMS
            .iter()
            .filter_map(|u| steps.iter().find(|s| s.upstream == *u))
            .map(|s| MemberStep::from(*s))
            .collect();
        MemberView {
            id: row.id.clone(),
            address: row.address.clone(),
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            name: format!("{} {}", row.first_name, row.last_name)
                .trim()
                .to_string(),
            role: row.role,
            status: row.status,
            suspended_at: row.suspended_at,
            suspended_by: row.suspended_by.clone(),
            created_at: row.created_at,
            is_self: row.user_id.as_deref() == Some(admin.user().id.as_str()),
            needs_attention: matches!(row.status, MemberStatus::Creating | MemberStatus::Removing)
                || steps.iter().any(|s| s.state == StepState::Error),
            steps,
            mailbox_used_bytes: used,
        }
    }
}

/// Members per page unless `limit` says otherwise (1–500).
const DEFAULT_PAGE: i64 = 100;

fn page_limit(limit: Option<&str>) -> Result<i64, MemberError> {
    match limit.map(str::trim) {
        None | Some("") => Ok(DEFAULT_PAGE),
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=500).contains(&n) => Ok(n),
            _ => Err(MemberError::Invalid {
                field: "limit",
                message: format!("limit must be a whole number from 1 to 500 (got {l:?})."),
            }),
        },
    }
}

/// The opaque cursor of a position: base64url of the JSON array [first, last, address].
fn encode_cursor(k: &MemberKey) -> String {
    use base64::Engine;
    let raw =
        serde_json::to_vec(&[&k.first_name, &k.last_name, &k.address]).expect("strings serialise");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(c: &str) -> Result<MemberKey, MemberError> {
    use base64::Engine;
    let bad = || MemberError::Invalid {
        field: "cursor",
        message:
            "The cursor is not one this member list gave out; start again from the first page."
                .into(),
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c.trim())
        .map_err(|_| bad())?;
    let [first_name, last_name, address]: [String; 3] =
        serde_json::from_slice(&raw).map_err(|_| bad())?;
    Ok(MemberKey {
        first_name,
        last_name,
        address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_they_did_not_give() {
        let k = MemberKey {
            first_name: "Zoë".into(),
            last_name: "O'Brien, \"Jr\"".into(),
            address: "zoe@acme.example".into(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&k)).unwrap(), k);
        for bad in ["!!", "eHx5", "WyJhIl0"] {
            assert!(
                matches!(
                    decode_cursor(bad),
                    Err(MemberError::Invalid {
                        field: "cursor",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE);
        assert_eq!(page_limit(Some("500")).unwrap(), 500);
        for bad in ["0", "501", "ten", "-1"] {
            assert!(matches!(
                page_limit(Some(bad)),
                Err(MemberError::Invalid { field: "limit", .. })
            ));
        }
    }
}

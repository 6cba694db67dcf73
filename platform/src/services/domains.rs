//! Mail domains: add (normalised, claimed by one tenant, created in Stalwart), the records to
//! publish (from Stalwart's zone file plus the ownership token and the tenant's DMARC
//! choice), verification against live DNS, DMARC policy, primary domain, and guarded removal.
//! Every mutation is audited with its outcome.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::crypto::random_token;
use crate::dns::checks::Outcome as CheckOutcome;
use crate::dns::resolver::DnsResolver;
use crate::dns::{self, zonefile, Expectation};
use crate::domain::{MailDomain, Outcome};
use crate::repo::mail_domains::{self as repo, DomainRow, NewDomain};
use crate::services::access::TenantAdmin;
use crate::services::audit::{AuditEntry, AuditRecorder};
use crate::upstream::stalwart::{StalwartClient, StalwartError};
use crate::{new_id, Ctx, Db};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} is already one of this workspace's domains.")]
    AlreadyAdded(String),
    #[error("{0} belongs to another workspace; a domain can be used by one workspace only.")]
    ClaimedElsewhere(String),
    #[error("This workspace has no domain called {0}.")]
    NotFound(String),
    #[error("Only a verified domain can be the primary mail domain; verify {0} first.")]
    NotVerified(String),
    #[error("{0} is the primary domain; make another domain primary before removing it.")]
    PrimaryWithOthers(String),
    #[error("{domain} is still in use in Stalwart: {}. Remove those first.", .blockers.join(", "))]
    InUse {
        domain: String,
        blockers: Vec<String>,
    },
    #[error("{0}")]
    Upstream(String),
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

/// One record to publish, and what the last check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    /// MX, SPF, DKIM, DMARC, Ownership, or the zone file's own type for optional records.
    pub kind: String,
    pub name: String,
    pub value: String,
    pub required: bool,
    /// ok, missing, mismatch, duplicate, error, pending (DKIM keys not generated yet),
    /// unchecked (not verified yet), optional (published for clients, not verified).
    pub state: String,
    pub found: Vec<String>,
    pub to_remove: Vec<String>,
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDomainView {
    pub name: String,
    pub unicode_name: String,
    /// pending, verified, needs_attention
    pub status: String,
    pub is_primary: bool,
    pub dmarc_policy: String,
    pub dmarc_rua: Option<String>,
    /// ok, skipped, error (the Stalwart step of this domain)
    pub stalwart_state: String,
    pub stalwart_message: String,
    pub last_checked_at: Option<i64>,
    pub records: Vec<RecordView>,
}

pub struct DomainUpstreams {
    pub stalwart: Option<StalwartClient>,
    pub dns: DnsResolver,
    /// The MX host expected when Stalwart provisioning is disabled.
    pub mail_host: String,
}

#[derive(Clone)]
pub struct DomainService {
    db: Db,
    audit: AuditRecorder,
    up: Arc<DomainUpstreams>,
}

const OWNERSHIP_PREFIX: &str = "_dezky-verification";

fn dmarc_policy(raw: &str) -> Result<String, DomainError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        p @ ("none" | "quarantine" | "reject") => Ok(p.to_string()),
        _ => Err(DomainError::Invalid {
            field: "dmarc_policy",
            message: "The DMARC policy must be none, quarantine or reject.".into(),
        }),
    }
}

impl DomainService {
    pub fn new(db: Db, audit: AuditRecorder, up: DomainUpstreams) -> Self {
        Self {
            db,
            audit,
            up: Arc::new(up),
        }
    }

    async fn record(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        result: &Result<impl Sized, DomainError>,
    ) {
        let (outcome, details) = match result {
            Ok(_) => (Outcome::Success, json!({})),
            Err(e) => (Outcome::Failure, json!({ "reason": e.to_string() })),
        };
        self.audit
            .record_in(ctx, &admin.tenant().id, action, target, outcome, details)
            .await;
    }

    async fn row(&self, admin: &TenantAdmin, name: &str) -> Result<DomainRow, DomainError> {
        let ascii = MailDomain::parse(name)
            .map(|d| d.ascii().to_string())
            .unwrap_or_else(|_| name.to_string());
        match repo::by_name(&self.db, &ascii).await? {
            Some(r) if r.tenant_id == admin.tenant().id => Ok(r),
            _ => Err(DomainError::NotFound(name.to_string())),
        }
    }

    /// Adds a domain: claims it, creates it in Stalwart (or records that provisioning is
    /// off). If Stalwart fails, the claim is withdrawn: nothing is left half-written.
    pub async fn add(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        raw: &str,
    ) -> Result<MailDomainView, DomainError> {
        let result = self.add_inner(admin, raw).await;
        let target = result
            .as_ref()
            .map(|d| d.name.clone())
            .unwrap_or_else(|_| raw.trim().to_string());
        self.record(ctx, admin, "domain.add", &target, &result)
            .await;
        result
    }

    async fn add_inner(
        &self,
        admin: &TenantAdmin,
        raw: &str,
    ) -> Result<MailDomainView, DomainError> {
        let domain = MailDomain::parse(raw).map_err(|e| DomainError::Invalid {
            field: "name",
            message: e.to_string(),
        })?;
        let id = new_id();
        let claimed = repo::insert(
            &self.db,
            &NewDomain {
                id: &id,
                tenant_id: &admin.tenant().id,
                name: domain.ascii(),
                unicode_name: domain.unicode(),
                ownership_token: &random_token(18),
            },
        )
        .await?;
        if !claimed {
            let owner = repo::by_name(&self.db, domain.ascii()).await?;
            return Err(match owner {
                Some(o) if o.tenant_id == admin.tenant().id => {
                    DomainError::AlreadyAdded(domain.unicode().into())
                }
                _ => DomainError::ClaimedElsewhere(domain.unicode().into()),
            });
        }
        match &self.up.stalwart {
            None => {
                repo::set_stalwart(&self.db, &id, "skipped", "Stalwart provisioning is disabled (STALWART_PROVISIONING_ENABLED=false); the domain is kept and verified here only.", None).await?;
            }
            Some(stalwart) => {
                let description = format!("Dezky tenant {}", admin.tenant().slug);
                let created = match stalwart.create_domain(domain.ascii(), &description).await {
                    // Created by an earlier attempt whose answer was lost: adopt it.
                    Err(e) if e.is("primaryKeyViolation") => stalwart
                        .find_domain(domain.ascii())
                        .await
                        .and_then(|id| id.ok_or(e)),
                    other => other,
                };
                match created {
                    Ok(sid) => {
                        repo::set_stalwart(&self.db, &id, "ok", "Created in Stalwart.", Some(&sid))
                            .await?
                    }
                    Err(e) => {
                        repo::delete(&self.db, &id).await?;
                        return Err(DomainError::Upstream(format!(
                            "Stalwart could not create {}: {e}. Nothing was added; try again.",
                            domain.unicode()
                        )));
                    }
                }
            }
        }
        let row = repo::by_name(&self.db, domain.ascii())
            .await?
            .ok_or_else(|| DomainError::NotFound(domain.ascii().into()))?;
        self.view(&row).await
    }

    pub async fn list(&self, admin: &TenantAdmin) -> Result<Vec<MailDomainView>, DomainError> {
        let mut out = Vec::new();
        for row in repo::of_tenant(&self.db, &admin.tenant().id).await? {
            out.push(self.summary(&row));
        }
        Ok(out)
    }

    pub async fn get(
        &self,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let row = self.row(admin, name).await?;
        self.view(&row).await
    }

    /// The list form: the stored last check, no upstream calls.
    fn summary(&self, row: &DomainRow) -> MailDomainView {
        MailDomainView {
            name: row.name.clone(),
            unicode_name: row.unicode_name.clone(),
            status: row.status.clone(),
            is_primary: row.is_primary != 0,
            dmarc_policy: row.dmarc_policy.clone(),
            dmarc_rua: row.dmarc_rua.clone(),
            stalwart_state: row.stalwart_state.clone(),
            stalwart_message: row.stalwart_message.clone(),
            last_checked_at: row.last_checked_at,
            records: serde_json::from_str(&row.checks).unwrap_or_default(),
        }
    }

    /// The records to publish, with the last check's findings merged in.
    async fn view(&self, row: &DomainRow) -> Result<MailDomainView, DomainError> {
        let (expected, optional) = self.expected(row).await?;
        let last: Vec<RecordView> = serde_json::from_str(&row.checks).unwrap_or_default();
        let mut records: Vec<RecordView> = expected
            .into_iter()
            .map(|r| {
                last.iter()
                    .find(|l| l.kind == r.kind && l.name == r.name && l.value == r.value)
                    .cloned()
                    .unwrap_or(r)
            })
            .collect();
        records.extend(optional);
        Ok(MailDomainView {
            records,
            ..self.summary(row)
        })
    }

    /// Required records (as unchecked views) and the optional ones from the zone file.
    async fn expected(
        &self,
        row: &DomainRow,
    ) -> Result<(Vec<RecordView>, Vec<RecordView>), DomainError> {
        let name = &row.name;
        let unchecked = |kind: &str, rname: String, value: String| RecordView {
            kind: kind.into(),
            name: rname,
            value,
            required: true,
            state: "unchecked".into(),
            found: vec![],
            to_remove: vec![],
            message: None,
        };
        let mut required = vec![unchecked(
            "Ownership",
            format!("{OWNERSHIP_PREFIX}.{name}"),
            format!("dezky-verification={}", row.ownership_token),
        )];
        let mut optional = Vec::new();
        let zone = match (&self.up.stalwart, &row.stalwart_id) {
            (Some(s), Some(id)) => s
                .get_domain(id)
                .await
                .map_err(|e| {
                    DomainError::Upstream(format!(
                        "Stalwart could not list the records of {name}: {e}"
                    ))
                })?
                .map(|d| zonefile::parse(&d.dns_zone_file)),
            _ => None,
        };
        match zone {
            Some(records) => {
                let mut dkim = 0;
                for r in records {
                    if r.kind == "MX" && r.name == *name {
                        required.push(unchecked("MX", r.name, r.value));
                    } else if r.kind == "TXT"
                        && r.name == *name
                        && r.value.to_ascii_lowercase().starts_with("v=spf1")
                    {
                        required.push(unchecked("SPF", r.name, r.value));
                    } else if r.kind == "TXT" && r.name.contains("._domainkey.") {
                        dkim += 1;
                        required.push(unchecked("DKIM", r.name, r.value));
                    } else if r.name == format!("_dmarc.{name}") {
                        continue; // ours below, with the tenant's policy
                    } else {
                        optional.push(RecordView {
                            required: false,
                            state: "optional".into(),
                            ..unchecked(&r.kind, r.name, r.value)
                        });
                    }
                }
                if dkim == 0 {
                    required.push(RecordView {
                        state: "pending".into(),
                        message: Some(
                            "Stalwart is generating the DKIM keys; they appear here shortly."
                                .into(),
                        ),
                        ..unchecked("DKIM", format!("*._domainkey.{name}"), String::new())
                    });
                }
            }
            None => {
                required.push(unchecked(
                    "MX",
                    name.clone(),
                    format!("10 {}", self.up.mail_host),
                ));
                required.push(unchecked("SPF", name.clone(), "v=spf1 mx -all".into()));
            }
        }
        let rua = row
            .dmarc_rua
            .clone()
            .unwrap_or_else(|| format!("postmaster@{name}"));
        required.push(unchecked(
            "DMARC",
            format!("_dmarc.{name}"),
            format!("v=DMARC1; p={}; rua=mailto:{rua}", row.dmarc_policy),
        ));
        Ok((required, optional))
    }

    fn expectation(r: &RecordView, policy: &str) -> Option<Expectation> {
        let name = r.name.clone();
        match r.kind.as_str() {
            "Ownership" => Some(Expectation::Txt {
                name,
                value: r.value.clone(),
            }),
            "MX" => {
                let (pref, host) = r.value.split_once(' ')?;
                Some(Expectation::Mx {
                    name,
                    host: host.into(),
                    preference: pref.parse().ok()?,
                })
            }
            "SPF" => Some(Expectation::Spf {
                name,
                mechanism: "mx".into(),
            }),
            "DKIM" if r.state != "pending" => {
                let key = r
                    .value
                    .split(';')
                    .map(str::trim)
                    .find_map(|t| t.strip_prefix("p="))?
                    .to_string();
                Some(Expectation::Dkim { name, key })
            }
            "DMARC" => Some(Expectation::Dmarc {
                name,
                policy: policy.into(),
            }),
            _ => None,
        }
    }

    /// Checks every required record against live DNS and stores the result; the status
    /// follows (a verified domain that loses a record needs attention, and that is audited).
    pub async fn verify(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let row = self.row(admin, name).await?;
        let optional = self.verify_row(ctx, &row).await?;
        let row = self.row(admin, name).await?;
        let mut view = self.summary(&row);
        view.records.extend(optional);
        Ok(view)
    }

    /// Checks one required record now (the page shows each record's result as it arrives),
    /// without storing anything; `verify` stores the full result afterwards.
    pub async fn check_record(
        &self,
        admin: &TenantAdmin,
        name: &str,
        kind: &str,
        record: &str,
    ) -> Result<RecordView, DomainError> {
        let row = self.row(admin, name).await?;
        let (required, _) = self.expected(&row).await?;
        let mut r = required
            .into_iter()
            .find(|r| r.kind == kind && r.name == record)
            .ok_or_else(|| DomainError::NotFound(format!("{kind} record {record}")))?;
        let Some(expectation) = Self::expectation(&r, &row.dmarc_policy) else {
            return Ok(r);
        };
        let verdict = dns::check(&self.up.dns, &expectation).await;
        Self::apply(&mut r, verdict);
        Ok(r)
    }

    fn apply(r: &mut RecordView, verdict: crate::dns::checks::Verdict) {
        r.to_remove = verdict.to_remove;
        (r.state, r.found, r.message) = match verdict.outcome {
            CheckOutcome::Ok => ("ok".into(), vec![], None),
            CheckOutcome::Missing => ("missing".into(), vec![], None),
            CheckOutcome::Mismatch { found } => ("mismatch".into(), found, None),
            CheckOutcome::Duplicate { found } => (
                "duplicate".into(),
                found,
                Some("Only one such record may exist; remove the others.".into()),
            ),
            CheckOutcome::Error { message } => ("error".into(), vec![], Some(message)),
        };
    }

    /// The background recheck: leases the domains not checked for `interval` (so several
    /// instances never check the same domain at once) and verifies each. Returns how many.
    pub async fn recheck_due(
        &self,
        ctx: &Ctx,
        interval: std::time::Duration,
        limit: i64,
    ) -> Result<usize, DomainError> {
        let holder = new_id();
        let due = repo::lease_due(
            &self.db,
            &holder,
            crate::now_ms() - interval.as_millis() as i64,
            5 * 60_000,
            limit,
        )
        .await?;
        for row in &due {
            if let Err(e) = self.verify_row(ctx, row).await {
                tracing::warn!(domain = %row.name, error = %e, "background recheck failed");
            }
            repo::release(&self.db, &row.id, &holder).await?;
        }
        Ok(due.len())
    }

    /// Verifies one domain and stores the result; returns the optional records for display.
    async fn verify_row(&self, ctx: &Ctx, row: &DomainRow) -> Result<Vec<RecordView>, DomainError> {
        let (required, optional) = self.expected(row).await?;
        let expectations: Vec<(usize, Expectation)> = required
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Self::expectation(r, &row.dmarc_policy).map(|e| (i, e)))
            .collect();
        let checks = dns::verify(
            &self.up.dns,
            &expectations
                .iter()
                .map(|(_, e)| e.clone())
                .collect::<Vec<_>>(),
        )
        .await;
        let mut records = required;
        for ((i, _), c) in expectations.iter().zip(checks) {
            Self::apply(&mut records[*i], c.verdict);
        }
        let all_ok = records.iter().all(|r| r.state == "ok");
        let conflicting = records
            .iter()
            .any(|r| r.state == "mismatch" || r.state == "duplicate");
        let status = if all_ok {
            "verified"
        } else if row.status == "verified" || row.status == "needs_attention" || conflicting {
            "needs_attention"
        } else {
            "pending"
        };
        repo::set_checks(
            &self.db,
            &row.id,
            status,
            &serde_json::to_string(&records).unwrap_or_else(|_| "[]".into()),
        )
        .await?;
        let failing: Vec<String> = records
            .iter()
            .filter(|r| r.state != "ok")
            .map(|r| format!("{} {}", r.kind, r.state))
            .collect();
        self.audit
            .record(
                ctx,
                AuditEntry {
                    tenant_id: Some(&row.tenant_id),
                    action: if status != row.status {
                        "domain.status_changed"
                    } else {
                        "domain.verify"
                    },
                    target: &row.name,
                    outcome: Outcome::Success,
                    details: json!({ "from": row.status, "to": status, "failing": failing }),
                },
            )
            .await;
        Ok(optional)
    }

    pub async fn set_dmarc(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
        policy: &str,
        rua: Option<&str>,
    ) -> Result<MailDomainView, DomainError> {
        let result = async {
            let row = self.row(admin, name).await?;
            let policy = dmarc_policy(policy)?;
            let rua = rua.map(str::trim).filter(|r| !r.is_empty());
            if let Some(r) = rua {
                if !r.contains('@') || r.contains(' ') || r.starts_with('@') || r.ends_with('@') {
                    return Err(DomainError::Invalid {
                        field: "dmarc_rua",
                        message: "The report address must be an email address.".into(),
                    });
                }
            }
            repo::set_dmarc(&self.db, &row.id, &policy, rua).await?;
            let row = self.row(admin, name).await?;
            self.view(&row).await
        }
        .await;
        self.record(ctx, admin, "domain.set_dmarc", name, &result)
            .await;
        result
    }

    pub async fn set_primary(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<MailDomainView, DomainError> {
        let result = async {
            let row = self.row(admin, name).await?;
            if row.status != "verified" {
                return Err(DomainError::NotVerified(row.unicode_name));
            }
            repo::set_primary(&self.db, &admin.tenant().id, &row.id).await?;
            let row = self.row(admin, name).await?;
            Ok(self.summary(&row))
        }
        .await;
        self.record(ctx, admin, "domain.set_primary", name, &result)
            .await;
        result
    }

    /// Removes a domain: refused while mailboxes, aliases or lists use it (named), while it is
    /// the primary and others exist; the domain's own DKIM keys are removed first.
    pub async fn remove(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        name: &str,
    ) -> Result<(), DomainError> {
        let result = self.remove_inner(admin, name).await;
        self.record(ctx, admin, "domain.remove", name, &result)
            .await;
        result
    }

    async fn remove_inner(&self, admin: &TenantAdmin, name: &str) -> Result<(), DomainError> {
        let row = self.row(admin, name).await?;
        if row.is_primary != 0 && repo::of_tenant(&self.db, &admin.tenant().id).await?.len() > 1 {
            return Err(DomainError::PrimaryWithOthers(row.unicode_name));
        }
        if let (Some(s), Some(id)) = (&self.up.stalwart, &row.stalwart_id) {
            let upstream = |e: StalwartError| {
                DomainError::Upstream(format!(
                    "Stalwart could not remove {}: {e}",
                    row.unicode_name
                ))
            };
            match s.destroy_domain(id).await {
                Ok(()) => {}
                Err(StalwartError::Set { kind, linked, .. }) if kind == "objectIsLinked" => {
                    let ids_of = |object: &str| -> Vec<String> {
                        linked
                            .iter()
                            .filter(|l| l.object == object)
                            .map(|l| l.id.clone())
                            .collect()
                    };
                    let mut blockers = Vec::new();
                    for (object, what) in [
                        ("Account", "mailbox or alias"),
                        ("MailingList", "mailing list"),
                    ] {
                        let ids = ids_of(object);
                        if ids.is_empty() {
                            continue;
                        }
                        // Name them by address; fall back to the Stalwart ids if that fails.
                        match s.addresses(object, &ids).await {
                            Ok(addresses) if !addresses.is_empty() => blockers
                                .extend(addresses.into_iter().map(|a| format!("{what} {a}"))),
                            _ => blockers.extend(
                                ids.into_iter()
                                    .map(|id| format!("{what} (Stalwart id {id})")),
                            ),
                        }
                    }
                    blockers.extend(
                        linked
                            .iter()
                            .filter(|l| {
                                !matches!(
                                    l.object.as_str(),
                                    "Account" | "MailingList" | "DkimSignature"
                                )
                            })
                            .map(|l| match l.object.as_str() {
                                "SystemSettings" => "the mail server's default domain".to_string(),
                                other => format!("{other} {}", l.id),
                            }),
                    );
                    if !blockers.is_empty() {
                        return Err(DomainError::InUse {
                            domain: row.unicode_name,
                            blockers,
                        });
                    }
                    let keys: Vec<String> = linked.into_iter().map(|l| l.id).collect();
                    s.destroy_dkim(&keys).await.map_err(upstream)?;
                    s.destroy_domain(id).await.map_err(upstream)?;
                }
                Err(e) => return Err(upstream(e)),
            }
        }
        repo::delete(&self.db, &row.id).await?;
        Ok(())
    }

    /// How many of a tenant's domains need attention (the sidebar badge).
    pub async fn attention_count(&self, admin: &TenantAdmin) -> Result<i64, DomainError> {
        Ok(repo::of_tenant(&self.db, &admin.tenant().id)
            .await?
            .iter()
            .filter(|r| r.status == "needs_attention")
            .count() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::dmarc_policy;

    #[test]
    fn dmarc_policies_are_checked() {
        assert_eq!(dmarc_policy(" Reject ").unwrap(), "reject");
        assert!(dmarc_policy("block").is_err());
    }
}

//! Mail domains: add (normalised, claimed by one tenant, created in Stalwart), the records to
//! publish (from Stalwart's zone file plus the ownership token and the tenant's DMARC
//! choice), verification against live DNS, DMARC policy, primary domain, and guarded removal.
//! Every mutation is audited with its outcome.
//!
//! The rooms: `view` (the shapes and reading), `add`, `records` (what to publish),
//! `verification` (checks against DNS, on request and in the background), `settings` (DMARC,
//! primary) and `removal`.

mod add;
mod error;
mod publish;
mod records;
mod removal;
mod settings;
mod verification;
mod view;

use std::sync::Arc;

use serde_json::json;

use crate::dns::resolver::DnsResolver;
use crate::domain::{MailDomain, Outcome};
use crate::repo::mail_domains::{self as repo, DomainRow};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::upstream::stalwart::StalwartClient;
use crate::{Ctx, Db};

pub use error::DomainError;
pub use view::{
    DmarcPolicy, DnsRecordView, DomainPatch, DomainStatus, MailDomainView, RecordState,
};

pub struct DomainUpstreams {
    pub stalwart: Option<StalwartClient>,
    pub dns: DnsResolver,
    /// The MX host expected when Stalwart provisioning is disabled.
    pub mail_host: String,
    /// The sandbox's DNS server, in sandbox mode only: the domain page can publish the
    /// expected records there. `None` everywhere else (the button never exists).
    pub sandbox_dns: Option<Arc<dyn SandboxDns>>,
    /// Tells the tenant's admins when a verified domain loses a record (`None`: nobody).
    pub notices: Option<crate::services::branding::Notices>,
}

/// A DNS server whose records the console may set: the sandbox's, never a real one.
pub trait SandboxDns: Send + Sync {
    /// Replaces every record at `name` with `records`: (`"MX"`, `"10 host"`) or
    /// (`"TXT"`, value). False when a value could not be published.
    fn replace(&self, name: &str, records: &[(String, String)]) -> bool;
}

impl std::fmt::Debug for dyn SandboxDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SandboxDns")
    }
}

#[derive(Clone)]
pub struct DomainService {
    db: Db,
    audit: AuditRecorder,
    up: Arc<DomainUpstreams>,
}

impl DomainService {
    pub fn new(db: Db, audit: AuditRecorder, up: DomainUpstreams) -> Self {
        Self {
            db,
            audit,
            up: Arc::new(up),
        }
    }

    /// Audits a mutation with its outcome (the reason when it failed).
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

    /// The tenant's domain by name (either form); another tenant's is not found.
    async fn row(&self, admin: &TenantAdmin, name: &str) -> Result<DomainRow, DomainError> {
        let ascii = MailDomain::parse(name)
            .map(|d| d.ascii().to_string())
            .unwrap_or_else(|_| name.to_string());
        match repo::by_name(&self.db, &ascii).await? {
            Some(r) if r.tenant_id == admin.tenant().id => Ok(r),
            _ => Err(DomainError::NotFound(name.to_string())),
        }
    }
}

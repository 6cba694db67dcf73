//! Members: one identity across Authentik (SSO), Stalwart (mailbox) and OCIS (files).
//!
//! Invariants:
//! - A member row exists before anything is created upstream, and every upstream object's id
//!   is stored as soon as it is known; a lost id is found again (by exact username, by local
//!   part on the domain, by OCIS username) and adopted only when it is this member's. So no
//!   upstream object is ever left without a record that points to it, and Retry never makes
//!   a second user, mailbox or OCIS user.
//! - `status` is what the member should be (creating, active, suspended, removing); the
//!   per-upstream steps record whether each upstream matches it. Retry drives every upstream
//!   to the status again; Cancel and Remove undo what exists, and the row goes last.
//! - A one-time password exists only in memory: generated, set on the SSO identity and the
//!   mailbox, returned once to the caller. It never reaches the database, the logs or the
//!   audit (messages and audit details name steps, never secrets).
//! - Every action is audited with its outcome per upstream; refusals (acting on oneself,
//!   making owners without being one) are audited as denied.

use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::crypto::one_time_password;
use crate::domain::{parse_role, NewMember, Outcome, Role};
use crate::repo::members::{self as repo, MemberRow, MemberStepRow, NewMemberRow};
use crate::repo::{identity, mail_domains, provisioning as tenant_steps, tokens};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::services::provisioning::{StepState, AUTHENTIK, OCIS, STALWART};
use crate::upstream::authentik::admin::{AuthentikAdmin, AuthentikUser, NewAuthentikUser};
use crate::upstream::ocis::{NewOcisUser, OcisClient};
use crate::upstream::stalwart::{NewMailbox, StalwartClient};
use crate::{new_id, Ctx, Db};

/// The upstreams of a member, in the order the page shows them.
pub const MEMBER_UPSTREAMS: [&str; 3] = [AUTHENTIK, STALWART, OCIS];

pub struct MemberUpstreams {
    pub authentik: AuthentikAdmin,
    /// `None`: Stalwart provisioning is disabled (no mailboxes).
    pub stalwart: Option<StalwartClient>,
    /// `None`: OCIS provisioning is disabled.
    pub ocis: Option<OcisClient>,
}

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("This workspace has no primary mail domain yet. Add a domain on the Domains page, verify it and make it primary: new members get their address there.")]
    NoPrimaryDomain,
    #[error("{0}")]
    AddressTaken(String),
    #[error("This workspace has no member with the id {0}.")]
    NotFound(String),
    /// Refused by rule (acting on oneself, making owners without being one): audited as denied.
    #[error("{0}")]
    Denied(String),
    /// Not possible in the member's current state (last owner, wrong status).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Upstream(String),
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<crate::domain::MemberInputError> for MemberError {
    fn from(e: crate::domain::MemberInputError) -> Self {
        MemberError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberStep {
    pub upstream: String,
    pub state: StepState,
    pub message: String,
    pub last_run_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: String,
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    pub role: Role,
    /// creating, active, suspended, removing
    pub status: String,
    pub suspended_at: Option<i64>,
    pub suspended_by: Option<String>,
    pub created_at: i64,
    /// The caller themselves (no suspend, sign-out or remove for them).
    pub is_self: bool,
    /// Some upstream does not match the member's status: Retry (or Cancel) is offered.
    pub needs_attention: bool,
    pub steps: Vec<MemberStep>,
    /// Bytes used in the mailbox, when Stalwart told us.
    pub mailbox_used_bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembersOverview {
    pub members: Vec<MemberView>,
    /// Where new members get their address (ASCII form), if the tenant has one.
    pub primary_domain: Option<String>,
    /// The caller may create owners and change owners' roles.
    pub can_manage_owners: bool,
    /// Why mailbox usage is missing, when Stalwart could not be asked.
    pub usage_note: Option<String>,
}

/// A member with the one-time password that was just set (shown once, never stored).
pub struct MemberWithPassword {
    pub member: MemberView,
    pub one_time_password: Option<SecretString>,
}

impl MemberWithPassword {
    /// The member and the password in clear, for the one answer that shows it.
    pub fn reveal(self) -> (MemberView, Option<String>) {
        use secrecy::ExposeSecret;
        let password = self
            .one_time_password
            .map(|p| p.expose_secret().to_string());
        (self.member, password)
    }
}

/// One line of a removal's confirmation: what happens in which system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemovalItem {
    pub system: String,
    /// delete, keep, leave_group
    pub action: String,
    pub description: String,
}

/// What a force sign-out ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOutReport {
    pub authentik_sessions: usize,
    pub refresh_tokens: usize,
    pub console_sessions: u64,
    /// Per-upstream failures (the person may still have a session there).
    pub errors: Vec<String>,
}

/// The result of one step on one upstream.
enum Step {
    Ok {
        message: String,
        id: Option<String>,
    },
    Skipped(String),
    Error(String),
    /// The object is gone (deleted, or never existed): the stored id is forgotten.
    Gone(String),
}

impl Step {
    fn failed(&self) -> bool {
        matches!(self, Step::Error(_))
    }

    /// A step that ensured an object: ok with its id, or the error named by `fail`.
    fn ensured(
        result: Result<(String, String), String>,
        fail: impl FnOnce(String) -> Step,
    ) -> Step {
        match result {
            Ok((id, message)) => Step::Ok {
                message,
                id: Some(id),
            },
            Err(e) => fail(e),
        }
    }
}

/// Upstream ids stored for a member.
#[derive(Default, Clone)]
struct Ids {
    authentik: Option<i64>,
    stalwart: Option<String>,
    ocis: Option<String>,
}

#[derive(Clone)]
pub struct MemberService {
    db: Db,
    audit: AuditRecorder,
    up: Arc<MemberUpstreams>,
}

fn step_state(s: &str) -> StepState {
    match s {
        "ok" => StepState::Ok,
        "skipped" => StepState::Skipped,
        "error" => StepState::Error,
        _ => StepState::Pending,
    }
}

impl MemberService {
    pub fn new(db: Db, audit: AuditRecorder, up: MemberUpstreams) -> Self {
        Self {
            db,
            audit,
            up: Arc::new(up),
        }
    }

    // ---- reading -------------------------------------------------------------------------

    pub async fn list(&self, admin: &TenantAdmin) -> Result<MembersOverview, MemberError> {
        let tenant = admin.tenant();
        let rows = repo::of_tenant(&self.db, &tenant.id).await?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let steps = repo::steps(&self.db, &ids).await?;
        let mailbox_ids: Vec<String> = steps
            .iter()
            .filter(|s| s.upstream == STALWART)
            .filter_map(|s| s.upstream_id.clone())
            .collect();
        let (usage, usage_note) = match &self.up.stalwart {
            Some(s) if !mailbox_ids.is_empty() => match s.usage(&mailbox_ids).await {
                Ok(u) => (u, None),
                Err(e) => (
                    vec![],
                    Some(format!("Mailbox usage is unavailable right now: {e}")),
                ),
            },
            _ => (vec![], None),
        };
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
            primary_domain: primary,
            can_manage_owners: Self::may_manage_owners(admin),
            usage_note,
        })
    }

    pub async fn get(&self, admin: &TenantAdmin, id: &str) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.load_view(admin, &row).await
    }

    /// The member with this address, if the tenant has one (the create dialog follows the
    /// steps with it while the creation runs).
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

    async fn load_view(
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
            .map(|s| MemberStep {
                upstream: s.upstream.clone(),
                state: step_state(&s.state),
                message: s.message.clone(),
                last_run_at: s.last_run_at,
            })
            .collect();
        MemberView {
            id: row.id.clone(),
            address: row.address.clone(),
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            name: format!("{} {}", row.first_name, row.last_name)
                .trim()
                .to_string(),
            role: Role::parse(&row.role).unwrap_or(Role::Member),
            status: row.status.clone(),
            suspended_at: row.suspended_at,
            suspended_by: row.suspended_by.clone(),
            created_at: row.created_at,
            is_self: row.user_id.as_deref() == Some(admin.user().id.as_str()),
            needs_attention: row.status == "creating"
                || row.status == "removing"
                || steps.iter().any(|s| s.state == StepState::Error),
            steps,
            mailbox_used_bytes: used,
        }
    }

    async fn row(&self, admin: &TenantAdmin, id: &str) -> Result<MemberRow, MemberError> {
        repo::by_id(&self.db, &admin.tenant().id, id)
            .await?
            .ok_or_else(|| MemberError::NotFound(id.to_string()))
    }

    async fn ids(&self, member_id: &str) -> Result<Ids, MemberError> {
        let steps = repo::steps(&self.db, &[member_id.to_string()]).await?;
        let id = |u: &str| {
            steps
                .iter()
                .find(|s| s.upstream == u)
                .and_then(|s| s.upstream_id.clone())
        };
        Ok(Ids {
            authentik: id(AUTHENTIK).and_then(|v| v.parse().ok()),
            stalwart: id(STALWART),
            ocis: id(OCIS),
        })
    }

    fn may_manage_owners(admin: &TenantAdmin) -> bool {
        admin.via_partner() || admin.role() == Some(Role::Owner)
    }

    // ---- audit ---------------------------------------------------------------------------

    async fn audit(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        outcome: Outcome,
        details: Value,
    ) {
        self.audit
            .record_in(ctx, &admin.tenant().id, action, target, outcome, details)
            .await;
    }

    /// Audits a refusal or failure that happened before any upstream was touched.
    async fn audit_error(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        e: &MemberError,
    ) {
        let outcome = match e {
            MemberError::Denied(_) => Outcome::Denied,
            _ => Outcome::Failure,
        };
        self.audit(
            ctx,
            admin,
            action,
            target,
            outcome,
            json!({ "reason": e.to_string() }),
        )
        .await;
    }

    /// Records each step's result on the member and returns them for the audit.
    async fn record(
        &self,
        member_id: &str,
        results: &[(&str, Step)],
    ) -> Result<Value, MemberError> {
        let mut audit = Vec::new();
        for (upstream, step) in results {
            let (state, message, id, forget) = match step {
                Step::Ok { message, id } => ("ok", message, id.as_deref(), false),
                Step::Skipped(m) => ("skipped", m, None, false),
                Step::Error(m) => ("error", m, None, false),
                Step::Gone(m) => ("ok", m, None, true),
            };
            repo::record_step(&self.db, member_id, upstream, state, message, id, forget).await?;
            audit.push(json!({ "upstream": upstream, "state": state, "message": message }));
        }
        Ok(Value::Array(audit))
    }

    // ---- create, retry, cancel -----------------------------------------------------------

    /// Creates a member on the tenant's primary domain: checks the address is free
    /// everywhere first, records the member, then creates the SSO identity, the mailbox and
    /// the OCIS user, each step recorded. Returns the one-time password once.
    pub async fn create(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        first_name: &str,
        last_name: &str,
        local_part: &str,
        role: &str,
    ) -> Result<MemberWithPassword, MemberError> {
        let target = local_part.trim().to_lowercase();
        let row = match self
            .claim(admin, first_name, last_name, local_part, role)
            .await
        {
            Ok(row) => row,
            Err(e) => {
                self.audit_error(ctx, admin, "member.create", &target, &e)
                    .await;
                return Err(e);
            }
        };
        let password = one_time_password();
        let (row, details) = self.provision(admin, row, Some(&password)).await?;
        let member = self.load_view(admin, &row).await?;
        let outcome = if member.needs_attention {
            Outcome::Failure
        } else {
            Outcome::Success
        };
        self.audit(
            ctx,
            admin,
            "member.create",
            &row.address,
            outcome,
            json!({ "role": row.role, "steps": details }),
        )
        .await;
        Ok(MemberWithPassword {
            member,
            one_time_password: Some(password),
        })
    }

    /// Validates, checks the address is free on every system, and records the member.
    async fn claim(
        &self,
        admin: &TenantAdmin,
        first_name: &str,
        last_name: &str,
        local_part: &str,
        role: &str,
    ) -> Result<MemberRow, MemberError> {
        let input = NewMember::parse(first_name, last_name, local_part, role)?;
        if input.role == Role::Owner && !Self::may_manage_owners(admin) {
            return Err(MemberError::Denied(
                "Only an owner of this workspace can make owners.".into(),
            ));
        }
        let tenant = admin.tenant();
        let domain = mail_domains::of_tenant(&self.db, &tenant.id)
            .await?
            .into_iter()
            .find(|d| d.is_primary != 0)
            .ok_or(MemberError::NoPrimaryDomain)?;
        let address = format!("{}@{}", input.local_part.as_str(), domain.name);
        self.ensure_address_free(
            &address,
            input.local_part.as_str(),
            domain.stalwart_id.as_deref(),
        )
        .await?;
        let id = new_id();
        let inserted = repo::insert(
            &self.db,
            &NewMemberRow {
                id: &id,
                tenant_id: &tenant.id,
                address: &address,
                first_name: &input.first_name,
                last_name: &input.last_name,
                role: input.role.as_str(),
                created_by: Some(&admin.user().email),
            },
            &MEMBER_UPSTREAMS,
        )
        .await?;
        if !inserted {
            return Err(MemberError::AddressTaken(format!(
                "{address} is already a member of this workspace."
            )));
        }
        self.row(admin, &id).await
    }

    /// An address is free when no Dezky member, no Authentik username, no Stalwart mailbox
    /// and no OCIS user has it (Stalwart addresses are unique server-wide).
    async fn ensure_address_free(
        &self,
        address: &str,
        local_part: &str,
        stalwart_domain: Option<&str>,
    ) -> Result<(), MemberError> {
        let taken = |by: &str| {
            MemberError::AddressTaken(format!(
                "{address} is already in use on this server ({by}); choose another address."
            ))
        };
        if repo::address_in_use(&self.db, address).await? {
            return Err(taken("a Dezky member has it"));
        }
        let check_error = |e: String| {
            MemberError::Upstream(format!(
                "Could not check that {address} is free, so nothing was created: {e}"
            ))
        };
        let authentik = self.up.authentik.find_user_by_username(address);
        let stalwart = async {
            match (&self.up.stalwart, stalwart_domain) {
                (Some(s), Some(d)) => s
                    .find_account(local_part, d)
                    .await
                    .map_err(|e| e.to_string()),
                _ => Ok(None),
            }
        };
        let ocis = async {
            match &self.up.ocis {
                Some(o) => o.get_user(address).await.map_err(|e| e.to_string()),
                None => Ok(None),
            }
        };
        let (a, s, o) = tokio::join!(authentik, stalwart, ocis);
        if a.map_err(|e| check_error(e.to_string()))?.is_some() {
            return Err(taken("an Authentik user has it"));
        }
        if s.map_err(check_error)?.is_some() {
            return Err(taken("a Stalwart mailbox has it"));
        }
        if o.map_err(check_error)?.is_some() {
            return Err(taken("an OCIS user has it"));
        }
        Ok(())
    }

    /// Drives every upstream to the member's status (present, active or frozen), setting
    /// `password` on the SSO identity and the mailbox when given. Steps run concurrently and
    /// are recorded; a creating member whose steps all succeed becomes active.
    async fn provision(
        &self,
        admin: &TenantAdmin,
        row: MemberRow,
        password: Option<&SecretString>,
    ) -> Result<(MemberRow, Value), MemberError> {
        let ids = self.ids(&row.id).await?;
        let suspended = row.status == "suspended";
        let (a, s, o) = tokio::join!(
            self.authentik_present(admin, &row, ids.authentik, password, !suspended),
            self.stalwart_present(&row, ids.stalwart.clone(), password, suspended),
            self.ocis_present(&row, ids.ocis.clone()),
        );
        let failed = a.failed() || s.failed() || o.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s), (OCIS, o)])
            .await?;
        if row.status == "creating" && !failed {
            repo::set_status(&self.db, &row.id, "active", None).await?;
        }
        let row = self.row(admin, &row.id).await?;
        Ok((row, details))
    }

    /// Retry: completes what failed, idempotently. A member being removed continues its
    /// removal (`None` once everything is gone). When the SSO identity or the mailbox of an
    /// incomplete creation still needs its password, a new one-time password is set on both
    /// and returned.
    pub async fn retry(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Option<MemberWithPassword>, MemberError> {
        let row = self.row(admin, id).await?;
        if row.status == "removing" {
            // `None`: the removal this retry continued is complete.
            let member = self.remove_now(ctx, admin, row, "member.remove").await?;
            return Ok(member.map(|member| MemberWithPassword {
                member,
                one_time_password: None,
            }));
        }
        let steps = repo::steps(&self.db, std::slice::from_ref(&row.id)).await?;
        // Only a creation that did not complete may still lack its password; later failures
        // (suspend, resume, reset) never change the password on a retry.
        let needs_password = row.status == "creating"
            && steps.iter().any(|s| {
                (s.upstream == AUTHENTIK || (s.upstream == STALWART && self.up.stalwart.is_some()))
                    && s.state != "ok"
                    && s.state != "skipped"
            });
        let password = needs_password.then(one_time_password);
        let (row, details) = self.provision(admin, row, password.as_ref()).await?;
        let member = self.load_view(admin, &row).await?;
        self.audit(
            ctx,
            admin,
            "member.retry",
            &row.address,
            if member.steps.iter().any(|s| s.state == StepState::Error) {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details, "new_password": password.is_some() }),
        )
        .await;
        Ok(Some(MemberWithPassword {
            member,
            one_time_password: password,
        }))
    }

    /// Cancel a creation that did not complete: undoes every step that succeeded, then
    /// deletes the record. Returns the member if something could not be undone yet.
    pub async fn cancel(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let row = self.row(admin, id).await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.cancel",
            &["creating"],
            format!(
                "{} is not being created any more; use Remove instead.",
                row.address
            ),
        )
        .await?;
        self.remove_now(ctx, admin, row, "member.cancel").await
    }

    // ---- the steps -----------------------------------------------------------------------

    /// Finds the member's Authentik user: by stored pk, else by exact username, adopted
    /// only if it is this member's (created for it, or the person's own identity).
    async fn find_sso(
        &self,
        row: &MemberRow,
        stored: Option<i64>,
    ) -> Result<Option<AuthentikUser>, String> {
        let admin = &self.up.authentik;
        if let Some(pk) = stored {
            if let Some(u) = admin.get_user(pk).await.map_err(|e| e.to_string())? {
                return Ok(Some(u));
            }
        }
        match admin
            .find_user_by_username(&row.address)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(u) if self.is_ours(row, &u).await => Ok(Some(u)),
            Some(_) => Err(format!(
                "an Authentik user {} exists that Dezky did not create for this member",
                row.address
            )),
            None => Ok(None),
        }
    }

    async fn is_ours(&self, row: &MemberRow, u: &AuthentikUser) -> bool {
        if u.attributes["dezky_member_id"].as_str() == Some(row.id.as_str()) {
            return true;
        }
        match &row.user_id {
            Some(uid) => matches!(
                identity::user_by_id(&self.db, uid).await,
                Ok(Some(user)) if user.subject == u.uuid
            ),
            None => false,
        }
    }

    async fn tenant_group(&self, admin: &TenantAdmin) -> Result<Option<String>, sqlx::Error> {
        Ok(tenant_steps::steps(&self.db, &admin.tenant().id)
            .await?
            .into_iter()
            .find(|s| s.upstream == AUTHENTIK && s.state == "ok")
            .and_then(|s| s.upstream_id))
    }

    async fn authentik_present(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        stored: Option<i64>,
        password: Option<&SecretString>,
        active: bool,
    ) -> Step {
        let fail = |e: String| {
            Step::Error(format!(
                "Authentik: could not set up the SSO identity {}: {e}",
                row.address
            ))
        };
        let group = match self.tenant_group(admin).await {
            Ok(Some(g)) => g,
            Ok(None) => {
                return fail("the workspace's Authentik group is not provisioned yet; reconcile the workspace first".into())
            }
            Err(e) => return fail(e.to_string()),
        };
        let api = &self.up.authentik;
        let result = async {
            // Stored id first; otherwise create, and only on a conflict look the user up
            // (one round trip fewer on the common path).
            let known = match stored {
                Some(pk) => api.get_user(pk).await.map_err(|e| e.to_string())?,
                None => None,
            };
            let (user, created) = match known {
                Some(u) => (u, false),
                None => {
                    let new = NewAuthentikUser {
                        username: &row.address,
                        name: &format!("{} {}", row.first_name, row.last_name),
                        email: &row.address,
                        groups: vec![group.clone()],
                        path: format!("dezky/{}", admin.tenant().slug),
                        attributes: json!({
                            "dezky_member_id": row.id,
                            "dezky_tenant": admin.tenant().slug,
                        }),
                    };
                    match api.create_user(&new).await {
                        Ok(u) => {
                            self.remember(&row.id, AUTHENTIK, &u.pk.to_string()).await?;
                            (u, true)
                        }
                        // Created a moment ago by a concurrent retry: adopt it if it is ours.
                        Err(e) if e.status() == Some(400) => {
                            match self.find_sso(row, None).await? {
                                Some(u) => (u, false),
                                None => return Err(e.to_string()),
                            }
                        }
                        Err(e) => return Err(e.to_string()),
                    }
                }
            };
            if !user.groups.contains(&group) {
                api.add_user_to_group(&group, user.pk)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if user.is_active != active {
                api.set_user_active(user.pk, active)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            match password {
                Some(p) => api
                    .set_password(user.pk, p)
                    .await
                    .map_err(|e| format!("setting the one-time password failed: {e}"))?,
                None if created => return Err(
                    "it was missing and was created again without a password; use Reset password"
                        .into(),
                ),
                None => {}
            }
            // The person's Dezky record, keyed by the subject Authentik signs them in with.
            if row.user_id.is_none() {
                let person = identity::ensure_user(
                    &self.db,
                    &user.uuid,
                    &row.address,
                    &format!("{} {}", row.first_name, row.last_name),
                )
                .await
                .map_err(|e| e.to_string())?;
                repo::set_user(&self.db, &row.id, &person.id)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let verb = if created { "Created" } else { "Checked" };
            Ok::<_, String>((
                user.pk,
                format!(
                    "{verb} the SSO identity {} in the workspace group{}.",
                    row.address,
                    if active { "" } else { " (deactivated)" }
                ),
            ))
        };
        Step::ensured(result.await.map(|(pk, m)| (pk.to_string(), m)), fail)
    }

    /// The Stalwart domain id of the member's address, if that domain is in Stalwart.
    async fn mail_domain_id(&self, row: &MemberRow) -> Result<Option<String>, sqlx::Error> {
        let domain = row.address.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        Ok(mail_domains::by_name(&self.db, domain)
            .await?
            .and_then(|d| d.stalwart_id))
    }

    async fn find_mailbox(
        &self,
        s: &StalwartClient,
        row: &MemberRow,
        stored: Option<String>,
    ) -> Result<Option<String>, String> {
        if let Some(id) = stored {
            if s.account_exists(&id).await.map_err(|e| e.to_string())? {
                return Ok(Some(id));
            }
        }
        let Some(domain_id) = self.mail_domain_id(row).await.map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let local = row.address.split('@').next().unwrap_or_default();
        s.find_account(local, &domain_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn stalwart_present(
        &self,
        row: &MemberRow,
        stored: Option<String>,
        password: Option<&SecretString>,
        frozen: bool,
    ) -> Step {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped(
                "Stalwart provisioning is disabled (STALWART_PROVISIONING_ENABLED=false): no mailbox."
                    .into(),
            );
        };
        let fail = |e: String| {
            Step::Error(format!(
                "Stalwart: could not set up the mailbox {}: {e}",
                row.address
            ))
        };
        let result = async {
            let known = match stored {
                Some(id) if s.account_exists(&id).await.map_err(|e| e.to_string())? => Some(id),
                _ => None,
            };
            let (id, created) = match known {
                Some(id) => (id, false),
                None => {
                    let Some(domain_id) =
                        self.mail_domain_id(row).await.map_err(|e| e.to_string())?
                    else {
                        return Err(format!(
                            "the domain of {} is not set up in Stalwart",
                            row.address
                        ));
                    };
                    let local = row.address.split('@').next().unwrap_or_default();
                    let display = format!("{} {}", row.first_name, row.last_name);
                    // Create; on a conflict (a concurrent retry made it a moment ago), or
                    // without a password to create with, adopt the one that exists.
                    let made = match password {
                        Some(p) => match s
                            .create_account(&NewMailbox {
                                name: local,
                                domain_id: &domain_id,
                                description: &display,
                                password: p,
                            })
                            .await
                        {
                            Ok(id) => Some(id),
                            Err(e) if e.is("primaryKeyViolation") => None,
                            Err(e) => return Err(e.to_string()),
                        },
                        None => None,
                    };
                    match made {
                        Some(id) => {
                            self.remember(&row.id, STALWART, &id).await?;
                            (id, true)
                        }
                        None => match s
                            .find_account(local, &domain_id)
                            .await
                            .map_err(|e| e.to_string())?
                        {
                            Some(id) => (id, false),
                            None if password.is_some() => {
                                return Err("the address is taken by an alias or a mailing list".into())
                            }
                            None => {
                                return Err("the mailbox does not exist; Retry creates it with a new one-time password".into())
                            }
                        },
                    }
                }
            };
            if !created {
                if let Some(p) = password {
                    s.set_account_password(&id, p)
                        .await
                        .map_err(|e| format!("setting the one-time password failed: {e}"))?;
                }
            }
            if frozen || !created {
                s.set_login_frozen(&id, frozen)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let verb = if created { "Created" } else { "Checked" };
            Ok::<_, String>((
                id,
                format!(
                    "{verb} the mailbox {}{}.",
                    row.address,
                    if frozen { " (sign-in frozen)" } else { "" }
                ),
            ))
        };
        Step::ensured(result.await, fail)
    }

    /// Finds the member's SSO identity and runs one call on it; the step names Authentik,
    /// the member and what failed.
    async fn on_sso<'a, Fut, E>(
        &'a self,
        row: &MemberRow,
        stored: Option<i64>,
        what: &str,
        act: impl FnOnce(&'a AuthentikAdmin, i64) -> Fut,
    ) -> Step
    where
        Fut: std::future::Future<Output = Result<String, E>>,
        E: std::fmt::Display,
    {
        match self.find_sso(row, stored).await {
            Ok(Some(u)) => match act(&self.up.authentik, u.pk).await {
                Ok(message) => Step::Ok {
                    message,
                    id: Some(u.pk.to_string()),
                },
                Err(e) => Step::Error(format!("Authentik: could not {what} {}: {e}", row.address)),
            },
            Ok(None) => Step::Error(format!(
                "Authentik: no SSO identity found for {}.",
                row.address
            )),
            Err(e) => Step::Error(format!("Authentik: could not find {}: {e}", row.address)),
        }
    }

    /// Finds the member's mailbox and runs one call on it; no mailbox (or Stalwart off) is
    /// a skipped step.
    async fn on_mailbox<'a, Fut, E>(
        &'a self,
        row: &MemberRow,
        stored: Option<String>,
        what: &str,
        act: impl FnOnce(&'a StalwartClient, String) -> Fut,
    ) -> Step
    where
        Fut: std::future::Future<Output = Result<String, E>>,
        E: std::fmt::Display,
    {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped("Stalwart provisioning is disabled: no mailbox.".into());
        };
        match self.find_mailbox(s, row, stored).await {
            Ok(Some(id)) => match act(s, id.clone()).await {
                Ok(message) => Step::Ok {
                    message,
                    id: Some(id),
                },
                Err(e) => Step::Error(format!(
                    "Stalwart: could not {what} the mailbox {}: {e}",
                    row.address
                )),
            },
            Ok(None) => Step::Skipped(format!("No mailbox for {} in Stalwart.", row.address)),
            Err(e) => Step::Error(format!(
                "Stalwart: could not find the mailbox {}: {e}",
                row.address
            )),
        }
    }

    /// Stores an upstream object's id the moment it exists, before the step's other calls:
    /// whatever fails next, the record points to it.
    async fn remember(&self, member_id: &str, upstream: &str, id: &str) -> Result<(), String> {
        repo::record_step(
            &self.db,
            member_id,
            upstream,
            "pending",
            "Created; finishing the step.",
            Some(id),
            false,
        )
        .await
        .map_err(|e| e.to_string())
    }

    async fn ocis_present(&self, row: &MemberRow, stored: Option<String>) -> Step {
        let Some(o) = &self.up.ocis else {
            return Step::Skipped(
                "OCIS provisioning is disabled (OCIS_PROVISIONING_ENABLED=false): no file space."
                    .into(),
            );
        };
        let result = async {
            if let Some(id) = &stored {
                if let Some(u) = o.get_user(id).await? {
                    return Ok((u.id, format!("Checked the OCIS user {}.", row.address)));
                }
            }
            let display = format!("{} {}", row.first_name, row.last_name);
            let new = NewOcisUser {
                display_name: &display,
                username: &row.address,
                mail: &row.address,
                given_name: &row.first_name,
                surname: &row.last_name,
            };
            match o.create_user(&new).await? {
                Some(u) => Ok((u.id, format!("Created the OCIS user {} (the personal drive appears at the first sign-in).", row.address))),
                None => match o.get_user(&row.address).await? {
                    Some(u) => Ok((u.id, format!("Found the OCIS user {}.", row.address))),
                    None => Err(crate::upstream::UpstreamError::Protocol {
                        upstream: "OCIS",
                        detail: format!("{} exists but cannot be read", row.address),
                    }),
                },
            }
        };
        Step::ensured(result.await.map_err(|e| e.to_string()), |e| {
            Step::Error(format!(
                "OCIS: could not set up the user {}: {e}",
                row.address
            ))
        })
    }

    // ---- lifecycle -----------------------------------------------------------------------

    /// Refuses an action on oneself (audited as denied).
    async fn not_self(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        what: &str,
    ) -> Result<(), MemberError> {
        if row.user_id.as_deref() == Some(admin.user().id.as_str()) {
            let e = MemberError::Denied(format!(
                "You cannot {what} yourself; ask another admin of this workspace."
            ));
            self.audit_error(ctx, admin, action, &row.address, &e).await;
            return Err(e);
        }
        Ok(())
    }

    /// Refuses to suspend or remove the tenant's last owner (audited).
    async fn not_last_owner(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        done: &str,
    ) -> Result<(), MemberError> {
        if row.role != "owner" || repo::count_owners(&self.db, &admin.tenant().id).await? > 1 {
            return Ok(());
        }
        let e = MemberError::Conflict(format!(
            "{} is the last owner of this workspace and cannot be {done}.",
            row.address
        ));
        self.audit_error(ctx, admin, action, &row.address, &e).await;
        Err(e)
    }

    async fn expect_status(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: &MemberRow,
        action: &str,
        allowed: &[&str],
        message: String,
    ) -> Result<(), MemberError> {
        if allowed.contains(&row.status.as_str()) {
            return Ok(());
        }
        let e = MemberError::Conflict(message);
        self.audit_error(ctx, admin, action, &row.address, &e).await;
        Err(e)
    }

    /// Suspend: SSO identity deactivated (its sessions and tokens end there), mailbox
    /// sign-in frozen (password kept, mail still delivered), console sessions ended.
    pub async fn suspend(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.not_self(ctx, admin, &row, "member.suspend", "suspend")
            .await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.suspend",
            &["active"],
            format!(
                "{} is not active, so there is nothing to suspend.",
                row.address
            ),
        )
        .await?;
        self.not_last_owner(ctx, admin, &row, "member.suspend", "suspended")
            .await?;
        repo::set_status(&self.db, &row.id, "suspended", Some(&admin.user().email)).await?;
        self.set_access(ctx, admin, row, false).await
    }

    /// Resume: everything suspend did is undone; the old password works again.
    pub async fn resume(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.resume",
            &["suspended"],
            format!("{} is not suspended.", row.address),
        )
        .await?;
        repo::set_status(&self.db, &row.id, "active", None).await?;
        self.set_access(ctx, admin, row, true).await
    }

    async fn set_access(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: MemberRow,
        active: bool,
    ) -> Result<MemberView, MemberError> {
        let ids = self.ids(&row.id).await?;
        let address = &row.address;
        let authentik = self.on_sso(
            &row,
            ids.authentik,
            if active { "reactivate" } else { "deactivate" },
            |api, pk| async move {
                api.set_user_active(pk, active).await.map(|()| {
                    if active {
                        format!("Reactivated the SSO identity {}.", address)
                    } else {
                        format!("Deactivated the SSO identity {} (its sessions and tokens ended in Authentik).", address)
                    }
                })
            },
        );
        let stalwart = self.on_mailbox(
            &row,
            ids.stalwart.clone(),
            if active { "unfreeze" } else { "freeze" },
            |s, id| async move {
                s.set_login_frozen(&id, !active).await.map(|()| {
                    if active {
                        format!("Unfroze sign-in to the mailbox {}.", address)
                    } else {
                        format!("Froze sign-in to the mailbox {} (password kept, mail still delivered).", address)
                    }
                })
            },
        );
        let (a, s) = tokio::join!(authentik, stalwart);
        let mut console_sessions = 0;
        if !active {
            if let Some(uid) = &row.user_id {
                console_sessions = tokens::delete_for_user(&self.db, uid).await?;
            }
        }
        let failed = a.failed() || s.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s)])
            .await?;
        let action = if active {
            "member.resume"
        } else {
            "member.suspend"
        };
        self.audit(
            ctx,
            admin,
            action,
            &row.address,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details, "console_sessions_ended": console_sessions }),
        )
        .await;
        self.get(admin, &row.id).await
    }

    /// Force sign-out: the person's Authentik sessions (listed with the real
    /// `user__username` filter and kept item by item to their pk), their OAuth refresh
    /// tokens, and their console sessions.
    pub async fn sign_out(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<SignOutReport, MemberError> {
        let row = self.row(admin, id).await?;
        self.not_self(ctx, admin, &row, "member.sign_out", "force sign-out")
            .await?;
        let ids = self.ids(&row.id).await?;
        let mut report = SignOutReport {
            authentik_sessions: 0,
            refresh_tokens: 0,
            console_sessions: 0,
            errors: vec![],
        };
        match self.find_sso(&row, ids.authentik).await {
            Ok(Some(u)) => {
                let api = &self.up.authentik;
                match api.sessions_of(u.pk, &u.username).await {
                    Ok(sessions) => {
                        for s in sessions {
                            match api.delete_session(&s).await {
                                Ok(()) => report.authentik_sessions += 1,
                                Err(e) => report
                                    .errors
                                    .push(format!("Authentik: could not end a session: {e}")),
                            }
                        }
                    }
                    Err(e) => report
                        .errors
                        .push(format!("Authentik: could not list the sessions: {e}")),
                }
                match api.refresh_tokens_of(u.pk).await {
                    Ok(list) => {
                        for t in list {
                            match api.delete_refresh_token(t).await {
                                Ok(()) => report.refresh_tokens += 1,
                                Err(e) => report.errors.push(format!(
                                    "Authentik: could not revoke a refresh token: {e}"
                                )),
                            }
                        }
                    }
                    Err(e) => report
                        .errors
                        .push(format!("Authentik: could not list the refresh tokens: {e}")),
                }
            }
            Ok(None) => report.errors.push(format!(
                "Authentik: no SSO identity found for {}.",
                row.address
            )),
            Err(e) => report
                .errors
                .push(format!("Authentik: could not find {}: {e}", row.address)),
        }
        if let Some(uid) = &row.user_id {
            report.console_sessions = tokens::delete_for_user(&self.db, uid).await?;
        }
        self.audit(ctx, admin, "member.sign_out", &row.address,
            if report.errors.is_empty() { Outcome::Success } else { Outcome::Failure },
            json!({ "authentik_sessions_ended": report.authentik_sessions, "refresh_tokens_revoked": report.refresh_tokens,
                    "console_sessions_ended": report.console_sessions, "errors": report.errors })).await;
        Ok(report)
    }

    /// A new one-time password on the SSO identity and the mailbox, returned once.
    pub async fn reset_password(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<MemberWithPassword, MemberError> {
        let row = self.row(admin, id).await?;
        self.expect_status(
            ctx,
            admin,
            &row,
            "member.reset_password",
            &["active", "suspended", "creating"],
            format!("{} is being removed.", row.address),
        )
        .await?;
        let password = one_time_password();
        let ids = self.ids(&row.id).await?;
        let address = &row.address;
        let authentik = self.on_sso(&row, ids.authentik, "set the new password of", |api, pk| {
            let password = &password;
            async move {
                api.set_password(pk, password).await.map(|()| {
                    format!(
                        "Set a new one-time password on the SSO identity {}.",
                        address
                    )
                })
            }
        });
        let stalwart = self.on_mailbox(
            &row,
            ids.stalwart.clone(),
            "set the new password of",
            |s, id| {
                let password = &password;
                async move {
                    s.set_account_password(&id, password).await.map(|()| {
                        format!("Set the new one-time password on the mailbox {}.", address)
                    })
                }
            },
        );
        let (a, s) = tokio::join!(authentik, stalwart);
        let failed = a.failed() || s.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s)])
            .await?;
        self.audit(
            ctx,
            admin,
            "member.reset_password",
            &row.address,
            if failed {
                Outcome::Failure
            } else {
                Outcome::Success
            },
            json!({ "steps": details }),
        )
        .await;
        Ok(MemberWithPassword {
            member: self.get(admin, &row.id).await?,
            one_time_password: Some(password),
        })
    }

    /// Changes the role. Only owners (or the partner looking after the tenant) make or
    /// unmake owners; the last owner stays an owner.
    pub async fn set_role(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
        role: &str,
    ) -> Result<MemberView, MemberError> {
        let row = self.row(admin, id).await?;
        let result = async {
            let new = parse_role(role)?;
            let old = Role::parse(&row.role).unwrap_or(Role::Member);
            if (new == Role::Owner || old == Role::Owner)
                && new != old
                && !Self::may_manage_owners(admin)
            {
                return Err(MemberError::Denied(
                    "Only an owner of this workspace can make or unmake owners.".into(),
                ));
            }
            if row.status == "removing" {
                return Err(MemberError::Conflict(format!(
                    "{} is being removed.",
                    row.address
                )));
            }
            if old == Role::Owner
                && new != Role::Owner
                && repo::count_owners(&self.db, &admin.tenant().id).await? <= 1
            {
                return Err(MemberError::Conflict(format!(
                    "{} is the last owner of this workspace; make someone else an owner first.",
                    row.address
                )));
            }
            repo::set_role(&self.db, &row.id, new.as_str()).await?;
            Ok((old, new))
        }
        .await;
        match result {
            Ok((old, new)) => {
                self.audit(
                    ctx,
                    admin,
                    "member.set_role",
                    &row.address,
                    Outcome::Success,
                    json!({ "from": old.as_str(), "to": new.as_str() }),
                )
                .await;
                self.get(admin, &row.id).await
            }
            Err(e) => {
                self.audit_error(ctx, admin, "member.set_role", &row.address, &e)
                    .await;
                Err(e)
            }
        }
    }

    // ---- removal -------------------------------------------------------------------------

    /// What removing the member does in each system, for the confirmation.
    pub async fn removal_plan(
        &self,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Vec<RemovalItem>, MemberError> {
        let row = self.row(admin, id).await?;
        let plan = self.plan(admin, &row).await?;
        Ok(plan.items(&row, self.up.stalwart.is_some(), self.up.ocis.is_some()))
    }

    async fn plan(&self, admin: &TenantAdmin, row: &MemberRow) -> Result<Plan, MemberError> {
        let tenant = &admin.tenant().id;
        let elsewhere = match &row.user_id {
            Some(uid) => repo::count_other_tenants(&self.db, uid, tenant).await?,
            None => 0,
        };
        Ok(Plan {
            member_elsewhere: elsewhere > 0,
            mailbox_elsewhere: repo::count_address_elsewhere(&self.db, &row.address, tenant)
                .await?
                > 0,
        })
    }

    /// Removes a member: the mailbox, the OCIS user (with its personal drive), the SSO
    /// identity and the Dezky record — except what another tenant still uses. Returns the
    /// member when something could not be removed yet (Retry continues).
    pub async fn remove(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let row = self.row(admin, id).await?;
        self.not_self(ctx, admin, &row, "member.remove", "remove")
            .await?;
        self.not_last_owner(ctx, admin, &row, "member.remove", "removed")
            .await?;
        self.remove_now(ctx, admin, row, "member.remove").await
    }

    async fn remove_now(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        row: MemberRow,
        action: &str,
    ) -> Result<Option<MemberView>, MemberError> {
        let plan = self.plan(admin, &row).await?;
        repo::set_status(&self.db, &row.id, "removing", None).await?;
        let ids = self.ids(&row.id).await?;
        // SSO first, so the person cannot sign in (and be re-provisioned by OCIS) meanwhile.
        let a = self
            .authentik_absent(admin, &row, ids.authentik, plan.member_elsewhere)
            .await;
        let (s, o) = tokio::join!(
            self.stalwart_absent(&row, ids.stalwart.clone(), plan.mailbox_elsewhere),
            self.ocis_absent(&row, ids.ocis.clone(), plan.member_elsewhere),
        );
        let failed = a.failed() || s.failed() || o.failed();
        let details = self
            .record(&row.id, &[(AUTHENTIK, a), (STALWART, s), (OCIS, o)])
            .await?;
        if failed {
            self.audit(
                ctx,
                admin,
                action,
                &row.address,
                Outcome::Failure,
                json!({ "steps": details, "removed": false }),
            )
            .await;
            return Ok(Some(self.get(admin, &row.id).await?));
        }
        repo::delete(&self.db, &row.id).await?;
        if let Some(uid) = &row.user_id {
            let partner = identity::partner_of_staff(&self.db, uid).await?;
            if !plan.member_elsewhere && partner.is_none() {
                identity::delete_user(&self.db, uid).await?;
            }
        }
        self.audit(
            ctx,
            admin,
            action,
            &row.address,
            Outcome::Success,
            json!({ "steps": details, "removed": true }),
        )
        .await;
        Ok(None)
    }

    async fn authentik_absent(
        &self,
        admin: &TenantAdmin,
        row: &MemberRow,
        stored: Option<i64>,
        keep: bool,
    ) -> Step {
        let api = &self.up.authentik;
        let user = match self.find_sso(row, stored).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                return Step::Gone(format!("No SSO identity {} in Authentik.", row.address))
            }
            Err(e) => {
                return Step::Error(format!("Authentik: could not find {}: {e}", row.address))
            }
        };
        if keep {
            let group = match self.tenant_group(admin).await {
                Ok(g) => g,
                Err(e) => return Step::Error(format!("Authentik: {e}")),
            };
            if let Some(g) = group {
                if let Err(e) = api.remove_user_from_group(&g, user.pk).await {
                    return Step::Error(format!(
                        "Authentik: could not take {} out of the workspace group: {e}",
                        row.address
                    ));
                }
            }
            return Step::Gone(format!("Kept the SSO identity {} (a member of another workspace); it left this workspace's group.", row.address));
        }
        match api.delete_user(user.pk).await {
            Ok(()) => Step::Gone(format!("Deleted the SSO identity {}.", row.address)),
            Err(e) => Step::Error(format!("Authentik: could not delete {}: {e}", row.address)),
        }
    }

    async fn stalwart_absent(&self, row: &MemberRow, stored: Option<String>, keep: bool) -> Step {
        let Some(s) = &self.up.stalwart else {
            return Step::Skipped("Stalwart provisioning is disabled: no mailbox.".into());
        };
        if keep {
            return Step::Gone(format!(
                "Kept the mailbox {}: another workspace still uses it.",
                row.address
            ));
        }
        match self.find_mailbox(s, row, stored).await {
            Ok(Some(id)) => match s.destroy_account(&id).await {
                Ok(()) => Step::Gone(format!("Deleted the mailbox {}.", row.address)),
                Err(e) => Step::Error(format!(
                    "Stalwart: could not delete the mailbox {}: {e}",
                    row.address
                )),
            },
            Ok(None) => Step::Gone(format!("No mailbox {} in Stalwart.", row.address)),
            Err(e) => Step::Error(format!(
                "Stalwart: could not find the mailbox {}: {e}",
                row.address
            )),
        }
    }

    async fn ocis_absent(&self, row: &MemberRow, stored: Option<String>, keep: bool) -> Step {
        let Some(o) = &self.up.ocis else {
            return Step::Skipped("OCIS provisioning is disabled: no file space.".into());
        };
        if keep {
            return Step::Gone(format!(
                "Kept the OCIS user {} (a member of another workspace).",
                row.address
            ));
        }
        let found = match stored {
            Some(id) => o.get_user(&id).await,
            None => o.get_user(&row.address).await,
        };
        match found {
            Ok(Some(u)) => match o.delete_user(&u.id).await {
                Ok(()) => Step::Gone(format!(
                    "Deleted the OCIS user {} and their personal drive.",
                    row.address
                )),
                Err(e) => Step::Error(format!("OCIS: could not delete {}: {e}", row.address)),
            },
            Ok(None) => Step::Gone(format!("No OCIS user {}.", row.address)),
            Err(e) => Step::Error(format!("OCIS: could not find {}: {e}", row.address)),
        }
    }
}

struct Plan {
    member_elsewhere: bool,
    mailbox_elsewhere: bool,
}

impl Plan {
    fn items(&self, row: &MemberRow, stalwart: bool, ocis: bool) -> Vec<RemovalItem> {
        let item = |system: &str, action: &str, description: String| RemovalItem {
            system: system.into(),
            action: action.into(),
            description,
        };
        let a = &row.address;
        let mut items = Vec::new();
        items.push(if self.member_elsewhere {
            item("Authentik", "leave_group", format!("The SSO identity {a} is kept (they are a member of another workspace); it leaves this workspace's group."))
        } else {
            item("Authentik", "delete", format!("The SSO identity {a} is deleted, with its sessions and tokens."))
        });
        if stalwart {
            items.push(if self.mailbox_elsewhere {
                item(
                    "Stalwart",
                    "keep",
                    format!("The mailbox {a} is kept: another workspace still uses it."),
                )
            } else {
                item(
                    "Stalwart",
                    "delete",
                    format!("The mailbox {a} is deleted with all its mail."),
                )
            });
        }
        if ocis {
            items.push(if self.member_elsewhere {
                item("OCIS", "keep", format!("The OCIS user {a} and their files are kept (they are a member of another workspace)."))
            } else {
                item("OCIS", "delete", format!("The OCIS user {a} is deleted, with their personal drive and its files."))
            });
        }
        items.push(item(
            "Dezky",
            "delete",
            format!(
                "The member record of {a} in this workspace is deleted{}.",
                if self.member_elsewhere {
                    ""
                } else {
                    ", and their console sessions end"
                }
            ),
        ));
        items
    }
}

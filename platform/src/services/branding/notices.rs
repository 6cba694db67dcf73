//! The messages the console sends through SMTP, rendered from the workspace's templates (or
//! the defaults): a new member's welcome message to an address the admin gives, and the
//! notices to a workspace's owners and admins that an account was suspended or that a
//! verified domain lost a record.

use serde_json::json;
use wire::branding::{EmailKind, WelcomeSent};
use wire::members::MemberStatus;

use super::templates::{self, Values};
use super::BrandingError;
use crate::domain::{Outcome, Role, Tenant};
use crate::repo::branding as repo;
use crate::repo::members::{self as members_repo, MemberRow};
use crate::services::access::TenantAdmin;
use crate::services::audit::AuditRecorder;
use crate::upstream::smtp::{Mailer, OutgoingMail};
use crate::{Ctx, Db};

/// Sends the console's messages; without a mailer (`SMTP_URL` unset) nothing is sent and a
/// welcome message is refused as `mail_disabled`.
#[derive(Clone)]
pub struct Notices {
    db: Db,
    audit: AuditRecorder,
    mailer: Option<Mailer>,
    /// The console's public URL, without a trailing slash.
    console_url: String,
}

impl Notices {
    pub fn new(db: Db, audit: AuditRecorder, mailer: Option<Mailer>, console_url: &str) -> Self {
        Self {
            db,
            audit,
            mailer,
            console_url: console_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn console_url(&self) -> &str {
        &self.console_url
    }

    pub fn sign_in_url(&self) -> String {
        format!("{}/login", self.console_url)
    }

    async fn source(
        &self,
        tenant_id: &str,
        kind: EmailKind,
    ) -> Result<(String, String), BrandingError> {
        Ok(repo::template(&self.db, tenant_id, kind)
            .await?
            .unwrap_or_else(|| {
                let (s, b) = templates::default_template(kind);
                (s.to_string(), b.to_string())
            }))
    }

    async fn common(&self, tenant: &Tenant) -> Result<Values, BrandingError> {
        let row = repo::get(&self.db, &tenant.id).await?;
        let mut values = Values::new();
        values.insert(
            "product_name",
            row.product_name.unwrap_or_else(|| "Dezky".into()),
        );
        values.insert("workspace_name", tenant.name.clone());
        values.insert("console_url", self.console_url.clone());
        Ok(values)
    }

    /// Renders and sends the welcome message of one member to `to`; returns the member's
    /// address and what was sent.
    pub(super) async fn welcome(
        &self,
        admin: &TenantAdmin,
        member_id: &str,
        to: &str,
    ) -> Result<(String, WelcomeSent), BrandingError> {
        let to = to.trim();
        if to.parse::<lettre::Address>().is_err() {
            return Err(BrandingError::Invalid {
                field: "to",
                message: format!("{to:?} is not an email address: write it as name@example.com."),
            });
        }
        let by_id = members_repo::by_id(&self.db, &admin.tenant().id, member_id).await?;
        let member = match by_id {
            Some(m) => Some(m),
            None => members_repo::by_address(&self.db, &admin.tenant().id, member_id).await?,
        };
        let member = member
            .filter(|m| m.status != MemberStatus::Removing)
            .ok_or_else(|| BrandingError::NotFound(member_id.to_string()))?;
        let mailer = self.mailer.as_ref().ok_or(BrandingError::MailDisabled)?;
        let mut values = self.common(admin.tenant()).await?;
        values.insert("member_name", full_name(&member));
        values.insert("member_email", member.address.clone());
        values.insert("admin_name", admin.user().name.clone());
        values.insert("sign_in_url", self.sign_in_url());
        let (subject, body) = self.source(&admin.tenant().id, EmailKind::Welcome).await?;
        let (subject, html, text) = templates::render(&subject, &body, &values)?;
        mailer
            .send(OutgoingMail {
                to,
                subject: &subject,
                html,
                text,
            })
            .await
            .map_err(|e| BrandingError::Mail(e.to_string()))?;
        Ok((
            member.address,
            WelcomeSent {
                to: to.to_string(),
                subject,
            },
        ))
    }

    /// Tells the workspace's other active owners and admins (at their workspace addresses)
    /// that `member` was suspended. Never fails the suspension: each recipient's outcome is
    /// audited as `email.suspended_notice`; without a mailer nothing is sent or recorded.
    pub async fn suspended(&self, ctx: &Ctx, admin: &TenantAdmin, member: &MemberRow) {
        let mut values = Values::new();
        values.insert("member_name", full_name(member));
        values.insert("member_email", member.address.clone());
        values.insert("suspended_by", admin.user().email.clone());
        let notice = Notice {
            kind: EmailKind::Suspended,
            action: "email.suspended_notice",
            target: &member.address,
            except_member: Some(&member.id),
        };
        self.to_admins(ctx, admin.tenant(), notice, values).await;
    }

    /// Tells the workspace's active owners and admins that a verified domain lost a record
    /// (`failing`: "SPF mismatch, DKIM missing"). Audited per recipient as
    /// `email.domain_attention`; without a mailer nothing is sent.
    pub async fn domain_attention(&self, ctx: &Ctx, tenant: &Tenant, domain: &str, failing: &str) {
        let mut values = Values::new();
        values.insert("domain", domain.to_string());
        values.insert("failing", failing.to_string());
        values.insert(
            "domain_url",
            format!(
                "{}/admin/{}/domains/{domain}",
                self.console_url, tenant.slug
            ),
        );
        let notice = Notice {
            kind: EmailKind::DomainAttention,
            action: "email.domain_attention",
            target: domain,
            except_member: None,
        };
        self.to_admins(ctx, tenant, notice, values).await;
    }

    /// Renders `notice` with the tenant's names and `values`, and sends it to every active
    /// owner and admin of the tenant (but `except_member`), auditing each recipient.
    async fn to_admins(&self, ctx: &Ctx, tenant: &Tenant, notice: Notice<'_>, values: Values) {
        let Some(mailer) = &self.mailer else {
            return;
        };
        let rendered = async {
            let mut all = self.common(tenant).await?;
            all.extend(values);
            let (subject, body) = self.source(&tenant.id, notice.kind).await?;
            let recipients: Vec<String> = members_repo::of_tenant(&self.db, &tenant.id)
                .await?
                .into_iter()
                .filter(|m| {
                    Some(m.id.as_str()) != notice.except_member
                        && m.status == MemberStatus::Active
                        && matches!(m.role, Role::Owner | Role::Admin)
                })
                .map(|m| m.address)
                .collect();
            Ok::<_, BrandingError>((templates::render(&subject, &body, &all)?, recipients))
        }
        .await;
        let record = |outcome, details| {
            self.audit.record_in(
                ctx,
                &tenant.id,
                notice.action,
                notice.target,
                outcome,
                details,
            )
        };
        let ((subject, html, text), recipients) = match rendered {
            Ok(r) => r,
            Err(e) => {
                record(Outcome::Failure, json!({ "error": e.to_string() })).await;
                return;
            }
        };
        for to in recipients {
            let sent = mailer
                .send(OutgoingMail {
                    to: &to,
                    subject: &subject,
                    html: html.clone(),
                    text: text.clone(),
                })
                .await;
            let (outcome, details) = match sent {
                Ok(()) => (Outcome::Success, json!({ "to": to })),
                Err(e) => (
                    Outcome::Failure,
                    json!({ "to": to, "error": e.to_string() }),
                ),
            };
            record(outcome, details).await;
        }
    }
}

/// One notice to a workspace's admins: its template, its audit action and target.
struct Notice<'a> {
    kind: EmailKind,
    action: &'static str,
    target: &'a str,
    except_member: Option<&'a str>,
}

fn full_name(m: &MemberRow) -> String {
    format!("{} {}", m.first_name, m.last_name)
        .trim()
        .to_string()
}

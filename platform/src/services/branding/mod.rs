//! Branding: the tenant's product name, accent colour and logo (the theme its pages are drawn
//! in), its email templates, and the messages sent with them.
//!
//! - `mod.rs`: the theme and logo, read and changed (owners and admins, audited);
//! - `templates.rs`: defaults, placeholders, validation and rendering (minijinja);
//! - `notices.rs`: sending (the welcome message, the suspension notice) through SMTP.

mod notices;
pub mod templates;

pub use notices::Notices;

use serde_json::json;
use wire::branding::{
    AccentCheck, BrandingUpdate, BrandingView, EmailKind, EmailTemplateUpdate, EmailTemplateView,
    LogoInfo, RenderedEmail, ThemeView, WelcomeRequest, WelcomeSent,
};

use crate::domain::branding::{AccentColour, Logo, LogoError, ProductName};
use crate::domain::{Outcome, Tenant};
use crate::repo::branding::{self as repo, BrandingRow};
use crate::services::access::{TenantAdmin, TenantMember};
use crate::services::audit::AuditRecorder;
use crate::{Ctx, Db};

#[derive(Debug, thiserror::Error)]
pub enum BrandingError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("No member {0} in this workspace.")]
    NotFound(String),
    /// Outgoing mail is not configured (`SMTP_URL`).
    #[error("Outgoing mail is not configured on this console (SMTP_URL), so nothing can be sent.")]
    MailDisabled,
    #[error("The mail server did not take the message: {0}")]
    Mail(String),
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

impl crate::error::Classify for BrandingError {
    fn class(&self) -> wire::ErrorClass {
        use wire::ErrorClass;
        match self {
            BrandingError::Invalid { .. } => ErrorClass::Invalid,
            BrandingError::NotFound(_) => ErrorClass::NotFound,
            BrandingError::MailDisabled => ErrorClass::Conflict,
            BrandingError::Mail(_) => ErrorClass::Upstream,
            BrandingError::Store(_) => ErrorClass::Internal,
        }
    }
    fn code(&self) -> &'static str {
        match self {
            BrandingError::Invalid { .. } => "invalid",
            BrandingError::NotFound(_) => "not_found",
            BrandingError::MailDisabled => "mail_disabled",
            BrandingError::Mail(_) => "upstream",
            BrandingError::Store(_) => "internal",
        }
    }
    fn field(&self) -> Option<&str> {
        match self {
            BrandingError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> BrandingError {
    BrandingError::Invalid {
        field,
        message: message.into(),
    }
}

impl From<templates::TemplateProblem> for BrandingError {
    fn from(p: templates::TemplateProblem) -> Self {
        invalid(p.field, p.message)
    }
}

#[derive(Clone)]
pub struct BrandingService {
    db: Db,
    audit: AuditRecorder,
    notices: Notices,
}

impl BrandingService {
    pub fn new(db: Db, audit: AuditRecorder, notices: Notices) -> Self {
        Self { db, audit, notices }
    }

    /// Audits one action on this tenant's branding, refusals too.
    async fn record(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        action: &str,
        target: &str,
        ok: bool,
        details: serde_json::Value,
    ) {
        let outcome = if ok {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        self.audit
            .record_in(ctx, &admin.tenant().id, action, target, outcome, details)
            .await;
    }

    // ---- the theme ---------------------------------------------------------------------------

    /// The theme of a tenant's admin pages (the partner's view of it included).
    /// Read once per request: the layout and the sidebar both ask for it.
    pub async fn theme_for_admin(&self, admin: &TenantAdmin) -> Result<ThemeView, BrandingError> {
        admin
            .memo()
            .get_or_try_init(format!("theme:{}", admin.tenant().id), || {
                self.theme_of(admin.tenant())
            })
            .await
    }

    /// The theme of a member's own pages (their start page).
    pub async fn theme_for_member(
        &self,
        member: &TenantMember,
    ) -> Result<ThemeView, BrandingError> {
        // The logo's URL is an admin endpoint: the start page shows the name and colour.
        Ok(ThemeView {
            logo_url: None,
            ..self.theme_of(member.tenant()).await?
        })
    }

    pub(crate) async fn theme_of(&self, tenant: &Tenant) -> Result<ThemeView, BrandingError> {
        let row = repo::get(&self.db, &tenant.id).await?;
        Ok(theme(&tenant.slug, &row))
    }

    /// The Branding page: what is set, the resulting theme, its contrast, the logo's size.
    pub async fn view(&self, admin: &TenantAdmin) -> Result<BrandingView, BrandingError> {
        let row = repo::get(&self.db, &admin.tenant().id).await?;
        Ok(view(&admin.tenant().slug, row))
    }

    /// The WCAG check of a colour as typed (the page's live preview); nothing is stored.
    pub fn check_accent(&self, typed: &str) -> Result<AccentCheck, BrandingError> {
        AccentColour::parse(typed)
            .map(AccentColour::check)
            .map_err(|e| invalid("accent", e.to_string()))
    }

    /// Sets the product name and accent (an absent field unchanged, an empty one back to the
    /// default). A colour that fails the contrast check is refused on `accent` with its ratio
    /// and the nearest colour that passes. Audited with before and after, refusals too.
    pub async fn update(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        update: &BrandingUpdate,
    ) -> Result<BrandingView, BrandingError> {
        let before = repo::get(&self.db, &admin.tenant().id).await?;
        let result = self.update_inner(admin, &before, update).await;
        let details = match &result {
            Ok(after) => json!({
                "product_name": { "before": before.product_name, "after": after.product_name },
                "accent": { "before": before.accent, "after": after.accent },
            }),
            Err(e) => json!({
                "error": e.to_string(), "field": crate::error::Classify::field(e),
                "product_name": update.product_name, "accent": update.accent,
            }),
        };
        self.record(
            ctx,
            admin,
            "branding.update",
            &admin.tenant().slug,
            result.is_ok(),
            details,
        )
        .await;
        result?;
        self.view(admin).await
    }

    async fn update_inner(
        &self,
        admin: &TenantAdmin,
        before: &BrandingRow,
        update: &BrandingUpdate,
    ) -> Result<BrandingRow, BrandingError> {
        let product_name = match &update.product_name {
            None => before.product_name.clone(),
            Some(typed) => ProductName::parse(typed)
                .map_err(|m| invalid("product_name", m))?
                .map(|n| n.as_str().to_string()),
        };
        let accent = match update.accent.as_deref().map(str::trim) {
            None => before.accent.clone(),
            Some("") => None,
            Some(typed) => {
                let colour =
                    AccentColour::parse(typed).map_err(|e| invalid("accent", e.to_string()))?;
                let check = colour.check();
                if !check.passes {
                    return Err(invalid("accent", refusal(&check)));
                }
                Some(colour.hex())
            }
        };
        repo::set_theme(
            &self.db,
            &admin.tenant().id,
            product_name.as_deref(),
            accent.as_deref(),
        )
        .await?;
        Ok(BrandingRow {
            product_name,
            accent,
            ..before.clone()
        })
    }

    // ---- the logo ----------------------------------------------------------------------------

    /// Stores a logo: PNG, JPEG or WebP up to 256 KiB and 1024 px a side, re-encoded as PNG
    /// (`Logo::from_upload`). Refused on `logo` with the reason. Audited.
    pub async fn set_logo(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        upload: &[u8],
    ) -> Result<BrandingView, BrandingError> {
        let result = Logo::from_upload(upload);
        let details = match &result {
            Ok(logo) => json!({ "uploaded_bytes": upload.len(), "stored_bytes": logo.png.len(),
                                "width": logo.width, "height": logo.height }),
            Err(e) => json!({ "uploaded_bytes": upload.len(), "error": e.to_string() }),
        };
        let stored = match &result {
            Ok(logo) => repo::set_logo(
                &self.db,
                &admin.tenant().id,
                Some((&logo.png, logo.width, logo.height)),
            )
            .await
            .map_err(BrandingError::from),
            Err(e) => Err(logo_error(e)),
        };
        self.record(
            ctx,
            admin,
            "branding.logo",
            &admin.tenant().slug,
            stored.is_ok(),
            details,
        )
        .await;
        stored?;
        self.view(admin).await
    }

    /// Removes the logo (the product name shows alone). Audited.
    pub async fn remove_logo(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
    ) -> Result<BrandingView, BrandingError> {
        repo::set_logo(&self.db, &admin.tenant().id, None).await?;
        self.record(
            ctx,
            admin,
            "branding.logo_remove",
            &admin.tenant().slug,
            true,
            json!({}),
        )
        .await;
        self.view(admin).await
    }

    /// The logo's PNG bytes for someone who may see the tenant's pages.
    pub async fn logo_for_admin(
        &self,
        admin: &TenantAdmin,
    ) -> Result<Option<Vec<u8>>, BrandingError> {
        Ok(repo::logo(&self.db, &admin.tenant().id).await?)
    }

    /// The same, for a member of the tenant (their start page).
    pub async fn logo_for_member(
        &self,
        member: &TenantMember,
    ) -> Result<Option<Vec<u8>>, BrandingError> {
        Ok(repo::logo(&self.db, &member.tenant().id).await?)
    }

    // ---- email templates ---------------------------------------------------------------------

    /// Every template, the workspace's own or the default, with its placeholders.
    pub async fn templates(
        &self,
        admin: &TenantAdmin,
    ) -> Result<Vec<EmailTemplateView>, BrandingError> {
        let mut out = Vec::new();
        for kind in EmailKind::ALL {
            out.push(self.template(admin, kind).await?);
        }
        Ok(out)
    }

    async fn template(
        &self,
        admin: &TenantAdmin,
        kind: EmailKind,
    ) -> Result<EmailTemplateView, BrandingError> {
        let own = repo::template(&self.db, &admin.tenant().id, kind).await?;
        let customised = own.is_some();
        let (subject, body) = own.unwrap_or_else(|| {
            let (s, b) = templates::default_template(kind);
            (s.to_string(), b.to_string())
        });
        Ok(EmailTemplateView {
            kind,
            label: kind.label().into(),
            subject,
            body,
            customised,
            placeholders: templates::placeholders(kind),
        })
    }

    /// Saves the workspace's own template after validation (syntax error or unknown
    /// placeholder refused on its field with the line). Audited.
    pub async fn save_template(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        kind: EmailKind,
        update: &EmailTemplateUpdate,
    ) -> Result<EmailTemplateView, BrandingError> {
        let result = match templates::validate(kind, &update.subject, &update.body) {
            Ok(()) => repo::save_template(
                &self.db,
                &admin.tenant().id,
                kind,
                update.subject.trim(),
                &update.body,
            )
            .await
            .map_err(BrandingError::from),
            Err(p) => Err(p.into()),
        };
        let details = match &result {
            Ok(()) => {
                json!({ "subject": update.subject.trim(), "body_chars": update.body.chars().count() })
            }
            Err(e) => json!({ "error": e.to_string(), "field": crate::error::Classify::field(e) }),
        };
        self.record(
            ctx,
            admin,
            "email_template.save",
            kind.as_str(),
            result.is_ok(),
            details,
        )
        .await;
        result?;
        self.template(admin, kind).await
    }

    /// Back to the console's default. Audited.
    pub async fn reset_template(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        kind: EmailKind,
    ) -> Result<EmailTemplateView, BrandingError> {
        let had = repo::reset_template(&self.db, &admin.tenant().id, kind).await?;
        self.record(
            ctx,
            admin,
            "email_template.reset",
            kind.as_str(),
            true,
            json!({ "had_own": had }),
        )
        .await;
        self.template(admin, kind).await
    }

    /// A template as typed, rendered with sample data and this workspace's names (validated
    /// first, so the page shows the same message a save would). Nothing is stored or sent.
    pub async fn preview(
        &self,
        admin: &TenantAdmin,
        kind: EmailKind,
        update: &EmailTemplateUpdate,
    ) -> Result<RenderedEmail, BrandingError> {
        templates::validate(kind, &update.subject, &update.body)?;
        let theme = self.theme_of(admin.tenant()).await?;
        let mut values = templates::samples(kind);
        values.insert("product_name", theme.product_name);
        values.insert("workspace_name", admin.tenant().name.clone());
        values.insert("console_url", self.notices.console_url().to_string());
        if kind == EmailKind::Welcome {
            values.insert("sign_in_url", self.notices.sign_in_url());
            values.insert("admin_name", admin.user().name.clone());
        }
        let (subject, body, _) = templates::render(&update.subject, &update.body, &values)?;
        Ok(RenderedEmail { subject, body })
    }

    /// Sends a member's welcome message (the workspace's template, or the default) to an
    /// address the admin gives (`to`, outside the workspace usually). No password is ever in
    /// it: the templates have no placeholder for one. Audited with the address.
    pub async fn send_welcome(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        member_id: &str,
        request: &WelcomeRequest,
    ) -> Result<WelcomeSent, BrandingError> {
        let result = self.notices.welcome(admin, member_id, &request.to).await;
        let (target, details) = match &result {
            Ok((address, sent)) => (
                address.clone(),
                json!({ "to": sent.to, "subject": sent.subject }),
            ),
            Err(e) => (
                member_id.to_string(),
                json!({ "to": request.to, "error": e.to_string(),
                        "field": crate::error::Classify::field(e) }),
            ),
        };
        self.record(
            ctx,
            admin,
            "member.welcome_email",
            &target,
            result.is_ok(),
            details,
        )
        .await;
        result.map(|(_, sent)| sent)
    }
}

fn logo_error(e: &LogoError) -> BrandingError {
    invalid("logo", e.to_string())
}

/// "… reaches 4.47:1 … nearest colour that passes is #767676."
fn refusal(check: &AccentCheck) -> String {
    format!(
        "{} as text and links on the white page reaches {:.2}:1; WCAG 2.x asks at least 4.5:1. \
         The nearest colour that passes is {}.",
        check.accent,
        check.on_page_ratio,
        check.suggestion.as_deref().unwrap_or("#000000")
    )
}

fn theme(slug: &str, row: &BrandingRow) -> ThemeView {
    let accent = row
        .accent
        .as_deref()
        .and_then(|a| AccentColour::parse(a).ok())
        .unwrap_or(AccentColour::DEFAULT);
    ThemeView {
        product_name: row.product_name.clone().unwrap_or_else(|| "Dezky".into()),
        accent: accent.hex(),
        on_accent: accent.text_colour().0.hex().into(),
        logo_url: row
            .logo_version
            .map(|v| format!("/api/tenants/{slug}/branding/logo?v={v}")),
    }
}

fn view(slug: &str, row: BrandingRow) -> BrandingView {
    let theme = theme(slug, &row);
    let check = AccentColour::parse(&theme.accent)
        .unwrap_or(AccentColour::DEFAULT)
        .check();
    BrandingView {
        logo: row.logo_size.map(|(width, height)| LogoInfo {
            width,
            height,
            bytes: row.logo_bytes.unwrap_or(0),
        }),
        product_name: row.product_name,
        accent: row.accent,
        theme,
        check,
    }
}

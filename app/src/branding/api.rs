//! The Branding page's server functions: check, call one service method, answer.

use leptos::prelude::*;
use wire::branding::{AccentCheck, BrandingView, EmailTemplateView, RenderedEmail};
#[cfg(feature = "ssr")]
use wire::branding::{BrandingUpdate, EmailKind, EmailTemplateUpdate};

#[cfg(feature = "ssr")]
use crate::call::call;
use crate::error::AppError;

/// What is set, the resulting theme and its contrast, the logo's size.
#[server(prefix = "/api/fn", endpoint = "branding", client = crate::resilient::Resilient)]
pub async fn get_branding(tenant: String) -> Result<BrandingView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.branding.view(&admin).await?)
}

/// The WCAG check of a colour as typed (the live preview); nothing is stored.
#[server(prefix = "/api/fn", endpoint = "check_accent", client = crate::resilient::Resilient)]
pub async fn check_accent(tenant: String, accent: String) -> Result<AccentCheck, AppError> {
    let call = call()?;
    call.tenant_admin(&tenant).await?;
    Ok(call.platform.branding.check_accent(&accent)?)
}

/// Saves the product name and accent (empty: back to the default).
#[server(prefix = "/api/fn", endpoint = "update_branding", client = crate::resilient::Resilient)]
pub async fn update_branding(
    tenant: String,
    product_name: String,
    accent: String,
) -> Result<BrandingView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let update = BrandingUpdate {
        product_name: Some(product_name),
        accent: Some(accent),
    };
    Ok(call
        .platform
        .branding
        .update(&call.ctx, &admin, &update)
        .await?)
}

/// Uploads a logo given as a `data:` URL (what the browser's `FileReader` reads); the service
/// decodes and re-encodes the image.
#[server(prefix = "/api/fn", endpoint = "upload_logo", client = crate::resilient::Resilient)]
pub async fn upload_logo(tenant: String, data_url: String) -> Result<BrandingView, AppError> {
    use base64::Engine;
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let bytes = data_url
        .split_once(";base64,")
        .and_then(|(_, b64)| base64::engine::general_purpose::STANDARD.decode(b64).ok())
        .ok_or_else(|| AppError::invalid("logo", "The file could not be read: choose it again."))?;
    Ok(call
        .platform
        .branding
        .set_logo(&call.ctx, &admin, &bytes)
        .await?)
}

#[server(prefix = "/api/fn", endpoint = "remove_logo", client = crate::resilient::Resilient)]
pub async fn remove_logo(tenant: String) -> Result<BrandingView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call
        .platform
        .branding
        .remove_logo(&call.ctx, &admin)
        .await?)
}

/// Every email template (the workspace's own or the default) with its placeholders.
#[server(prefix = "/api/fn", endpoint = "email_templates", client = crate::resilient::Resilient)]
pub async fn get_email_templates(tenant: String) -> Result<Vec<EmailTemplateView>, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    Ok(call.platform.branding.templates(&admin).await?)
}

/// Validates and saves a template.
#[server(prefix = "/api/fn", endpoint = "save_email_template", client = crate::resilient::Resilient)]
pub async fn save_email_template(
    tenant: String,
    kind: String,
    subject: String,
    body: String,
) -> Result<EmailTemplateView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let kind = email_kind(&kind)?;
    let update = EmailTemplateUpdate { subject, body };
    Ok(call
        .platform
        .branding
        .save_template(&call.ctx, &admin, kind, &update)
        .await?)
}

/// Back to the console's default.
#[server(prefix = "/api/fn", endpoint = "reset_email_template", client = crate::resilient::Resilient)]
pub async fn reset_email_template(
    tenant: String,
    kind: String,
) -> Result<EmailTemplateView, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let kind = email_kind(&kind)?;
    Ok(call
        .platform
        .branding
        .reset_template(&call.ctx, &admin, kind)
        .await?)
}

/// A template as typed, rendered with sample data.
#[server(prefix = "/api/fn", endpoint = "preview_email_template", client = crate::resilient::Resilient)]
pub async fn preview_email_template(
    tenant: String,
    kind: String,
    subject: String,
    body: String,
) -> Result<RenderedEmail, AppError> {
    let call = call()?;
    let admin = call.tenant_admin(&tenant).await?;
    let kind = email_kind(&kind)?;
    let update = EmailTemplateUpdate { subject, body };
    Ok(call
        .platform
        .branding
        .preview(&admin, kind, &update)
        .await?)
}

/// The message's kind, read after the access check (`welcome`, `suspended`).
#[cfg(feature = "ssr")]
fn email_kind(kind: &str) -> Result<EmailKind, AppError> {
    EmailKind::parse(kind).ok_or_else(|| {
        AppError::invalid(
            "kind",
            "There is no such message: the messages are welcome, suspended and domain_attention.",
        )
    })
}

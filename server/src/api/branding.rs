//! `/api/tenants/{slug}/branding` (product name, accent colour, logo) and
//! `/api/tenants/{slug}/email-templates` (the workspace's messages), and the welcome message
//! of a member. Owners and admins of the tenant (and its partner's staff) only.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use wire::branding::{
    AccentCheck, BrandingUpdate, BrandingView, EmailKind, EmailTemplateUpdate, EmailTemplateView,
    RenderedEmail, WelcomeRequest, WelcomeSent,
};

use super::{Admin, Api, Json, Query};
use crate::error::{ApiError, ErrorClass};

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/branding", get(view).put(update))
        .route("/api/tenants/{slug}/branding/check", get(check))
        .route(
            "/api/tenants/{slug}/branding/logo",
            get(logo).put(set_logo).delete(remove_logo),
        )
        .route("/api/tenants/{slug}/email-templates", get(templates))
        .route(
            "/api/tenants/{slug}/email-templates/{kind}",
            put(save_template).delete(reset_template),
        )
        .route(
            "/api/tenants/{slug}/email-templates/{kind}/preview",
            post(preview),
        )
        .route("/api/tenants/{slug}/members/{id}/welcome", post(welcome))
}

/// `GET …/branding`: what is set (`product_name`, `accent`: `null` for the defaults), the
/// resulting `theme`, the accent's contrast `check`, and the logo's size.
async fn view(a: Admin) -> Api<BrandingView> {
    Ok(Json(a.platform.branding.view(&a.admin).await?))
}

/// `PUT …/branding` `{"product_name"?, "accent"?}`: an absent field unchanged, `""` back to
/// the default. 400 on `accent` for a colour that is not `#rgb`/`#rrggbb` or that reaches
/// less than 4.5:1 (the message gives the ratio and the nearest colour that passes); 400 on
/// `product_name` over 40 characters.
async fn update(a: Admin, body: Result<Json<BrandingUpdate>, ApiError>) -> Api<BrandingView> {
    let Json(b) = body?;
    Ok(Json(
        a.platform.branding.update(&a.ctx, &a.admin, &b).await?,
    ))
}

#[derive(Deserialize)]
struct CheckQuery {
    accent: String,
}

/// `GET …/branding/check?accent=%23777777`: the WCAG check of a colour, nothing stored.
async fn check(a: Admin, Query(q): Query<CheckQuery>) -> Api<AccentCheck> {
    Ok(Json(a.platform.branding.check_accent(&q.accent)?))
}

/// `GET …/branding/logo`: the logo as `image/png` (re-encoded at upload), 404 without one.
async fn logo(a: Admin) -> Result<Response, ApiError> {
    match a.platform.branding.logo_for_admin(&a.admin).await? {
        Some(png) => Ok((
            [
                (header::CONTENT_TYPE, "image/png"),
                // The URL carries the logo's version: a new logo has a new URL.
                (header::CACHE_CONTROL, "private, max-age=86400"),
            ],
            png,
        )
            .into_response()),
        None => Err(ApiError::new(
            ErrorClass::NotFound,
            "not_found",
            "This workspace has no logo.",
        )),
    }
}

/// `PUT …/branding/logo` with the image as the body (PNG, JPEG or WebP, at most 256 KiB and
/// 1024 px a side; the type is read from the content): 200 with the branding; 400 on `logo`
/// for SVG, anything else, a damaged image or one with data after its end; 413 over the
/// console's body limit.
async fn set_logo(a: Admin, body: Bytes) -> Api<BrandingView> {
    Ok(Json(
        a.platform
            .branding
            .set_logo(&a.ctx, &a.admin, &body)
            .await?,
    ))
}

/// `DELETE …/branding/logo`: back to the product name alone.
async fn remove_logo(a: Admin) -> Api<BrandingView> {
    Ok(Json(
        a.platform.branding.remove_logo(&a.ctx, &a.admin).await?,
    ))
}

/// `GET …/email-templates`: every message with its subject, body, placeholders and whether
/// it is the workspace's own.
async fn templates(a: Admin) -> Api<Vec<EmailTemplateView>> {
    Ok(Json(a.platform.branding.templates(&a.admin).await?))
}

#[derive(Deserialize)]
struct KindPath {
    kind: String,
}

fn kind(p: &KindPath) -> Result<EmailKind, ApiError> {
    EmailKind::parse(&p.kind).ok_or_else(|| {
        ApiError::new(
            ErrorClass::NotFound,
            "not_found",
            "There is no such message: the messages are welcome, suspended and domain_attention.",
        )
    })
}

/// `PUT …/email-templates/{welcome|suspended|domain_attention}` `{"subject", "body"}`: 400 on the field for a
/// syntax error or an unknown placeholder, with the line.
async fn save_template(
    a: Admin,
    Path(p): Path<KindPath>,
    body: Result<Json<EmailTemplateUpdate>, ApiError>,
) -> Api<EmailTemplateView> {
    let kind = kind(&p)?;
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .branding
            .save_template(&a.ctx, &a.admin, kind, &b)
            .await?,
    ))
}

/// `DELETE …/email-templates/{kind}`: back to the console's default.
async fn reset_template(a: Admin, Path(p): Path<KindPath>) -> Api<EmailTemplateView> {
    let kind = kind(&p)?;
    Ok(Json(
        a.platform
            .branding
            .reset_template(&a.ctx, &a.admin, kind)
            .await?,
    ))
}

/// `POST …/email-templates/{kind}/preview` `{"subject", "body"}`: rendered with sample data
/// (values escaped in the HTML body); nothing stored or sent.
async fn preview(
    a: Admin,
    Path(p): Path<KindPath>,
    body: Result<Json<EmailTemplateUpdate>, ApiError>,
) -> Api<RenderedEmail> {
    let kind = kind(&p)?;
    let Json(b) = body?;
    Ok(Json(a.platform.branding.preview(&a.admin, kind, &b).await?))
}

#[derive(Deserialize)]
struct MemberPath {
    id: String,
}

/// `POST …/members/{id}/welcome` `{"to"}`: sends the member's welcome message (no password
/// in it) to `to`. 400 on `to`; 404 for another workspace's member; 409 `mail_disabled`
/// without `SMTP_URL`; 502 when the mail server refuses.
async fn welcome(
    a: Admin,
    Path(p): Path<MemberPath>,
    body: Result<Json<WelcomeRequest>, ApiError>,
) -> Api<WelcomeSent> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .branding
            .send_welcome(&a.ctx, &a.admin, &p.id, &b)
            .await?,
    ))
}

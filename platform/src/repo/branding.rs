//! `tenant_branding` (product name, accent, logo) and `email_templates` (a workspace's own
//! versions of the console's messages).

use sqlx::Row;
use wire::branding::EmailKind;

use super::RepoResult;
use crate::{now_ms, Db};

/// One tenant's branding row, without the logo's bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrandingRow {
    pub product_name: Option<String>,
    /// `#rrggbb`.
    pub accent: Option<String>,
    /// Pixels, when there is a logo.
    pub logo_size: Option<(u32, u32)>,
    pub logo_bytes: Option<u64>,
    pub logo_version: Option<i64>,
}

pub async fn get(db: &Db, tenant_id: &str) -> RepoResult<BrandingRow> {
    let row = sqlx::query(
        "SELECT product_name, accent, logo_width, logo_height, logo_version,
                CASE WHEN logo_png IS NULL THEN NULL ELSE LENGTH(logo_png) END AS logo_bytes
           FROM tenant_branding WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else {
        return Ok(BrandingRow::default());
    };
    let width: Option<i64> = row.try_get("logo_width")?;
    let height: Option<i64> = row.try_get("logo_height")?;
    let bytes: Option<i64> = row.try_get("logo_bytes")?;
    Ok(BrandingRow {
        product_name: row.try_get("product_name")?,
        accent: row.try_get("accent")?,
        logo_size: width
            .zip(height)
            .map(|(w, h)| (w.max(0) as u32, h.max(0) as u32)),
        logo_bytes: bytes.map(|b| b.max(0) as u64),
        logo_version: row.try_get("logo_version")?,
    })
}

/// Sets the product name and accent (`None`: the default).
pub async fn set_theme(
    db: &Db,
    tenant_id: &str,
    product_name: Option<&str>,
    accent: Option<&str>,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO tenant_branding (tenant_id, product_name, accent, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id) DO UPDATE SET product_name = excluded.product_name,
                                               accent = excluded.accent,
                                               updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(product_name)
    .bind(accent)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Stores a logo (a PNG) with its size, or removes it (`None`). The version is the time in
/// milliseconds, so each new logo has a new URL.
pub async fn set_logo(db: &Db, tenant_id: &str, logo: Option<(&[u8], u32, u32)>) -> RepoResult<()> {
    let now = now_ms();
    let (png, w, h, version) = match logo {
        Some((png, w, h)) => (
            Some(png.to_vec()),
            Some(w as i64),
            Some(h as i64),
            Some(now),
        ),
        None => (None, None, None, None),
    };
    sqlx::query(
        "INSERT INTO tenant_branding (tenant_id, logo_png, logo_width, logo_height, logo_version, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (tenant_id) DO UPDATE SET logo_png = excluded.logo_png,
                                               logo_width = excluded.logo_width,
                                               logo_height = excluded.logo_height,
                                               logo_version = excluded.logo_version,
                                               updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(png)
    .bind(w)
    .bind(h)
    .bind(version)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The logo's PNG bytes, if any.
pub async fn logo(db: &Db, tenant_id: &str) -> RepoResult<Option<Vec<u8>>> {
    let row = sqlx::query("SELECT logo_png FROM tenant_branding WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(db.pool())
        .await?;
    match row {
        Some(row) => row.try_get::<Option<Vec<u8>>, _>("logo_png"),
        None => Ok(None),
    }
}

/// A workspace's own template: (subject, body).
pub async fn template(
    db: &Db,
    tenant_id: &str,
    kind: EmailKind,
) -> RepoResult<Option<(String, String)>> {
    let row =
        sqlx::query("SELECT subject, body FROM email_templates WHERE tenant_id = $1 AND kind = $2")
            .bind(tenant_id)
            .bind(kind.as_str())
            .fetch_optional(db.pool())
            .await?;
    row.map(|r| Ok((r.try_get("subject")?, r.try_get("body")?)))
        .transpose()
}

pub async fn save_template(
    db: &Db,
    tenant_id: &str,
    kind: EmailKind,
    subject: &str,
    body: &str,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO email_templates (tenant_id, kind, subject, body, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, kind) DO UPDATE SET subject = excluded.subject,
                                                     body = excluded.body,
                                                     updated_at = excluded.updated_at",
    )
    .bind(tenant_id)
    .bind(kind.as_str())
    .bind(subject)
    .bind(body)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Back to the default; whether there was a template of the workspace's own.
pub async fn reset_template(db: &Db, tenant_id: &str, kind: EmailKind) -> RepoResult<bool> {
    let done = sqlx::query("DELETE FROM email_templates WHERE tenant_id = $1 AND kind = $2")
        .bind(tenant_id)
        .bind(kind.as_str())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

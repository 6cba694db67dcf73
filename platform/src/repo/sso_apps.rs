//! Tenant SSO apps (`sso_apps`): the record of what Dezky made in Authentik for each app, one
//! id per upstream object, written the moment the object exists. Never a client secret.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use wire::sso_apps::{RedirectUri, SsoAppState};

use super::RepoResult;
use crate::{now_ms, Db};

/// One row of `sso_apps`.
#[derive(Clone, Debug)]
pub struct SsoAppRow {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub slug: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub launch_url: Option<String>,
    pub client_id: Option<String>,
    pub provider_pk: Option<i64>,
    pub application_pk: Option<String>,
    pub binding_pk: Option<String>,
    pub state: SsoAppState,
    pub message: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

impl SsoAppRow {
    /// The provider's name upstream (unique across every provider type).
    pub fn provider_name(&self) -> String {
        provider_name(&self.slug)
    }
}

/// `dezky-<slug>`: the Authentik provider name of the app with this slug.
pub fn provider_name(slug: &str) -> String {
    format!("dezky-{slug}")
}

const COLUMNS: &str =
    "id, tenant_id, name, slug, redirect_uris, launch_url, client_id, provider_pk, \
     application_pk, binding_pk, state, message, created_by, created_at";

impl FromRow<'_, AnyRow> for SsoAppRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        let decode = |column: &str, e: String| sqlx::Error::ColumnDecode {
            index: column.into(),
            source: e.into(),
        };
        let uris: String = row.try_get("redirect_uris")?;
        let state: String = row.try_get("state")?;
        Ok(Self {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            name: row.try_get("name")?,
            slug: row.try_get("slug")?,
            redirect_uris: serde_json::from_str(&uris)
                .map_err(|e| decode("redirect_uris", e.to_string()))?,
            launch_url: row.try_get("launch_url")?,
            client_id: row.try_get("client_id")?,
            provider_pk: row.try_get("provider_pk")?,
            application_pk: row.try_get("application_pk")?,
            binding_pk: row.try_get("binding_pk")?,
            state: SsoAppState::parse(&state)
                .ok_or_else(|| decode("state", format!("unknown state {state}")))?,
            message: row.try_get("message")?,
            created_by: row.try_get("created_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

/// What a new row holds: it is written `creating`, before anything upstream exists.
pub struct NewSsoAppRow<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub name: &'a str,
    pub slug: &'a str,
    pub redirect_uris: &'a [RedirectUri],
    pub launch_url: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

fn uris_json(uris: &[RedirectUri]) -> String {
    serde_json::to_string(uris).unwrap_or_else(|_| "[]".into())
}

/// Inserts the row (`creating`); false when the slug is taken (by this tenant's app of a
/// similar name: slugs carry the tenant).
pub async fn insert(db: &Db, r: &NewSsoAppRow<'_>) -> RepoResult<bool> {
    let now = now_ms();
    let done = sqlx::query(
        "INSERT INTO sso_apps (id, tenant_id, name, slug, redirect_uris, launch_url, state, message,
                               created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'creating', 'Creating in Authentik.', $7, $8, $8)
         ON CONFLICT (slug) DO NOTHING",
    )
    .bind(r.id)
    .bind(r.tenant_id)
    .bind(r.name)
    .bind(r.slug)
    .bind(uris_json(r.redirect_uris))
    .bind(r.launch_url)
    .bind(r.created_by)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The tenant's apps, oldest first.
pub async fn of_tenant(db: &Db, tenant_id: &str) -> RepoResult<Vec<SsoAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sso_apps WHERE tenant_id = $1 ORDER BY created_at, id"
    ))
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await
}

/// The app `id` of `tenant_id` (another tenant's id reads as none).
pub async fn get(db: &Db, tenant_id: &str, id: &str) -> RepoResult<Option<SsoAppRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM sso_apps WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// The app `id`, whichever tenant it belongs to (the service's own bookkeeping only).
pub async fn get_any(db: &Db, id: &str) -> RepoResult<Option<SsoAppRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM sso_apps WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Which upstream id a step records.
pub enum UpstreamId<'a> {
    /// The provider's pk and the client id Authentik generated.
    Provider(Option<(i64, &'a str)>),
    Application(Option<&'a str>),
    Binding(Option<&'a str>),
}

/// Records (or, with `None`, forgets) one upstream object's id.
pub async fn set_upstream_id(db: &Db, id: &str, which: UpstreamId<'_>) -> RepoResult<()> {
    let q = match which {
        UpstreamId::Provider(p) => sqlx::query(
            "UPDATE sso_apps SET provider_pk = $2, client_id = COALESCE($3, client_id), updated_at = $4
              WHERE id = $1",
        )
        .bind(id)
        .bind(p.map(|(pk, _)| pk))
        .bind(p.map(|(_, c)| c.to_string())),
        UpstreamId::Application(a) => {
            sqlx::query("UPDATE sso_apps SET application_pk = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(a.map(String::from))
        }
        UpstreamId::Binding(b) => {
            sqlx::query("UPDATE sso_apps SET binding_pk = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(b.map(String::from))
        }
    };
    q.bind(now_ms()).execute(db.pool()).await?;
    Ok(())
}

pub async fn set_state(db: &Db, id: &str, state: SsoAppState, message: &str) -> RepoResult<()> {
    sqlx::query("UPDATE sso_apps SET state = $2, message = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(state.as_str())
        .bind(message)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Writes what an admin changed (after Authentik took it).
pub async fn update(
    db: &Db,
    id: &str,
    name: &str,
    redirect_uris: &[RedirectUri],
    launch_url: Option<&str>,
) -> RepoResult<()> {
    sqlx::query(
        "UPDATE sso_apps SET name = $2, redirect_uris = $3, launch_url = $4, updated_at = $5
          WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(uris_json(redirect_uris))
    .bind(launch_url)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM sso_apps WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

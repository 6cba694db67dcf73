//! Create, update, rotate the secret, delete; and the removal of what an app has in Authentik,
//! shared by a failed creation's rollback and by Delete.

use secrecy::ExposeSecret;
use serde_json::json;
use wire::sso_apps::{MatchingMode, RedirectUri, SsoAppDetail, SsoAppState};

use super::{NewSsoApp, SsoAppError, SsoAppPatch, SsoAppSecret, SsoAppService};
use crate::crypto::client_secret;
use crate::domain::{
    app_slug, parse_app_name, parse_launch_url, parse_redirect_uris, Outcome, TenantSlug,
};
use crate::repo::sso_apps::{self as repo, NewSsoAppRow, SsoAppRow, UpstreamId};
use crate::services::access::TenantAdmin;
use crate::upstream::authentik::apps::NewProvider;
use crate::upstream::UpstreamError;
use crate::{new_id, Ctx};

/// The parsed input of a new app.
struct Input {
    name: String,
    slug: String,
    uris: Vec<RedirectUri>,
    launch_url: Option<String>,
}

/// Whether a failed create call may still have made its object: no answer came back, the
/// answer was unreadable, or a server-side failure (a gateway's 502/504 can come after
/// Authentik acted). A 4xx is a refusal: nothing was made.
fn outcome_unknown(e: &UpstreamError) -> bool {
    match e {
        UpstreamError::Timeout { .. }
        | UpstreamError::Unreachable { .. }
        | UpstreamError::Protocol { .. } => true,
        UpstreamError::Status { status, .. } => *status >= 500,
    }
}

impl SsoAppService {
    /// Registers an app: the row first, then the provider (Authentik generates the client id
    /// and secret), the application under the tenant-namespaced slug and the binding of the
    /// tenant's group, each id stored as soon as it exists. Any failure rolls back; the secret
    /// is returned once and kept nowhere.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn create(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        new: &NewSsoApp,
    ) -> Result<SsoAppSecret, SsoAppError> {
        let target = new.name.trim().to_string();
        let result = self.create_inner(admin, new).await;
        match &result {
            Ok(s) => {
                let a = &s.detail.app;
                self.audit
                    .record_in(
                        ctx,
                        &admin.tenant().id,
                        "sso_app.create",
                        &a.name,
                        Outcome::Success,
                        json!({
                            "id": a.id, "slug": a.slug, "client_id": a.client_id,
                            "redirect_uris": a.redirect_uris, "launch_url": a.launch_url,
                        }),
                    )
                    .await
            }
            Err(e) => {
                self.audit
                    .record_in(
                        ctx,
                        &admin.tenant().id,
                        "sso_app.create",
                        &target,
                        Outcome::Failure,
                        json!({ "error": e.to_string(), "field": e.field() }),
                    )
                    .await
            }
        }
        result
    }

    async fn create_inner(
        &self,
        admin: &TenantAdmin,
        new: &NewSsoApp,
    ) -> Result<SsoAppSecret, SsoAppError> {
        let input = self.parse_new(admin, new)?;
        let group = self
            .tenant_group(&admin.tenant().id)
            .await?
            .ok_or_else(|| SsoAppError::Conflict("This workspace's Authentik group is not provisioned yet; reconcile the workspace first.".into()))?;
        let needs = self.discover().await?;
        let id = new_id();
        let inserted = repo::insert(
            &self.db,
            &NewSsoAppRow {
                id: &id,
                tenant_id: &admin.tenant().id,
                name: &input.name,
                slug: &input.slug,
                redirect_uris: &input.uris,
                launch_url: input.launch_url.as_deref(),
                created_by: Some(&admin.user().email),
            },
        )
        .await?;
        if !inserted {
            return Err(SsoAppError::Conflict(format!(
                "An app of this workspace already uses the address {} (a name that differs only in case or punctuation); choose another name.",
                input.slug
            )));
        }
        let api = &self.authentik;
        let provider_name = repo::provider_name(&input.slug);
        // 1. The provider.
        let created = match api
            .create_oauth2_provider(&NewProvider {
                name: &provider_name,
                authorization_flow: &needs.authorization_flow,
                invalidation_flow: &needs.invalidation_flow,
                signing_key: &needs.signing_key,
                property_mappings: &needs.property_mappings,
                redirect_uris: &input.uris,
            })
            .await
        {
            Ok(c) => c,
            Err(e) => {
                let look = outcome_unknown(&e);
                return Err(self
                    .roll_back(&id, "create the OAuth2 provider", e, look)
                    .await);
            }
        };
        let pk = created.provider.pk;
        repo::set_upstream_id(
            &self.db,
            &id,
            UpstreamId::Provider(Some((pk, &created.provider.client_id))),
        )
        .await?;
        // 2. The application.
        let app = match api
            .create_application(
                &input.name,
                &input.slug,
                pk,
                input.launch_url.as_deref(),
                &admin.tenant().name,
            )
            .await
        {
            Ok(a) => a,
            Err(e) => {
                let look = outcome_unknown(&e);
                return Err(self.roll_back(&id, "create the application", e, look).await);
            }
        };
        repo::set_upstream_id(&self.db, &id, UpstreamId::Application(Some(&app.pk))).await?;
        // 3. The binding: from now on only the tenant's members may use it.
        match api.bind_group(&app.pk, &group).await {
            Ok(b) => repo::set_upstream_id(&self.db, &id, UpstreamId::Binding(Some(&b.pk))).await?,
            Err(e) => {
                return Err(self
                    .roll_back(&id, "bind the workspace group to the application", e, false)
                    .await)
            }
        }
        repo::set_state(&self.db, &id, SsoAppState::Active, "Created in Authentik.").await?;
        let detail = self.get(admin, &id).await?;
        Ok(SsoAppSecret {
            client_id: created.provider.client_id.clone(),
            client_secret: created.client_secret.expose_secret().to_string(),
            detail,
        })
    }

    fn parse_new(&self, admin: &TenantAdmin, new: &NewSsoApp) -> Result<Input, SsoAppError> {
        let name = parse_app_name(&new.name)?;
        let tenant = TenantSlug::parse(&admin.tenant().slug).map_err(|e| {
            SsoAppError::Conflict(format!("The workspace's slug cannot name an app: {e}"))
        })?;
        let slug = app_slug(&tenant, &name)?;
        let uris = parse_redirect_uris(&new.redirect_uris, new.matching_mode)?;
        let launch_url = parse_launch_url(new.launch_url.as_deref())?;
        Ok(Input {
            name,
            slug,
            uris,
            launch_url,
        })
    }

    /// Undoes a creation that failed at `step` with `cause`: removes what exists upstream, then
    /// the row. When the removal fails too, the row stays `failed` with what is left, and
    /// Delete retries. `look`: the failed call may have made its object (no answer), so it is
    /// searched for by name.
    async fn roll_back(
        &self,
        id: &str,
        step: &str,
        cause: UpstreamError,
        look: bool,
    ) -> SsoAppError {
        let failed = format!("Authentik: could not {step}: {cause}");
        let row = match repo::get_any(&self.db, id).await {
            Ok(Some(row)) => row,
            Ok(None) => {
                return SsoAppError::Upstream {
                    message: failed,
                    source: cause,
                }
            }
            Err(e) => return e.into(),
        };
        match self.remove_upstream(&row, look).await {
            Ok(()) => {
                if let Err(e) = repo::delete(&self.db, id).await {
                    return e.into();
                }
                SsoAppError::Upstream {
                    message: format!("{failed}. Nothing was left in Authentik; try again."),
                    source: cause,
                }
            }
            Err(left) => {
                let message = format!(
                    "{failed}. Undoing it failed too: {left} The app is kept as failed; Delete retries the cleanup."
                );
                let _ = repo::set_state(&self.db, id, SsoAppState::Failed, &message).await;
                SsoAppError::Upstream {
                    message,
                    source: cause,
                }
            }
        }
    }

    /// Deletes the app's binding, application and provider (in that order, each "not found"
    /// counting as done), forgetting each id once its object is gone. `look`: also find objects
    /// whose id was never recorded (a create call that got no answer), by the names Dezky
    /// gives them, and only when they are this app's. On failure: what is left, as a sentence.
    async fn remove_upstream(&self, row: &SsoAppRow, look: bool) -> Result<(), String> {
        let api = &self.authentik;
        let db = &self.db;
        let store = |e: sqlx::Error| format!("The database failed: {e}.");
        if let Some(b) = &row.binding_pk {
            api.delete_binding(b)
                .await
                .map_err(|e| format!("Authentik: could not delete the binding: {e}."))?;
            repo::set_upstream_id(db, &row.id, UpstreamId::Binding(None))
                .await
                .map_err(store)?;
        }
        let mut provider = row.provider_pk;
        if provider.is_none() && look {
            provider = match api.find_oauth2_provider(&row.provider_name()).await {
                Ok(p) => p
                    .filter(|p| {
                        p.assigned_application_slug
                            .as_deref()
                            .is_none_or(|s| s == row.slug)
                    })
                    .map(|p| p.pk),
                Err(e) => return Err(format!("Authentik: could not look for the provider: {e}.")),
            };
        }
        let ours_app = match &row.application_pk {
            Some(_) => true,
            // Made by a call that got no answer: it is ours if it uses our provider.
            None if look || provider.is_some() => match api.get_application(&row.slug).await {
                Ok(Some(a)) => provider.is_some() && a.provider == provider,
                Ok(None) => false,
                Err(e) => {
                    return Err(format!(
                        "Authentik: could not look for the application: {e}."
                    ))
                }
            },
            None => false,
        };
        if ours_app {
            api.delete_application(&row.slug)
                .await
                .map_err(|e| format!("Authentik: could not delete the application: {e}."))?;
            repo::set_upstream_id(db, &row.id, UpstreamId::Application(None))
                .await
                .map_err(store)?;
        }
        if let Some(pk) = provider {
            api.delete_oauth2_provider(pk)
                .await
                .map_err(|e| format!("Authentik: could not delete the OAuth2 provider: {e}."))?;
            repo::set_upstream_id(db, &row.id, UpstreamId::Provider(None))
                .await
                .map_err(store)?;
        }
        Ok(())
    }

    /// Changes the name, redirect URIs (and their matching) or launch URL of an active app, in
    /// Authentik first, then here. Audited with before and after.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, app = %id))]
    pub async fn update(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
        patch: &SsoAppPatch,
    ) -> Result<SsoAppDetail, SsoAppError> {
        let row = self.row(admin, id).await?;
        let result = self.update_inner(&row, patch).await;
        let (outcome, details) = match &result {
            Ok(after) => (
                Outcome::Success,
                json!({
                    "id": row.id,
                    "before": { "name": row.name, "redirect_uris": row.redirect_uris, "launch_url": row.launch_url },
                    "after": { "name": after.0, "redirect_uris": after.1, "launch_url": after.2 },
                }),
            ),
            Err(e) => (
                Outcome::Failure,
                json!({ "id": row.id, "error": e.to_string(), "field": e.field() }),
            ),
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "sso_app.update",
                &row.name,
                outcome,
                details,
            )
            .await;
        result?;
        self.get(admin, id).await
    }

    async fn update_inner(
        &self,
        row: &SsoAppRow,
        patch: &SsoAppPatch,
    ) -> Result<(String, Vec<RedirectUri>, Option<String>), SsoAppError> {
        self.active(row)?;
        let name = match &patch.name {
            Some(n) => parse_app_name(n)?,
            None => row.name.clone(),
        };
        let mode = patch.matching_mode.unwrap_or_else(|| {
            row.redirect_uris
                .first()
                .map(|r| r.matching_mode)
                .unwrap_or(MatchingMode::Strict)
        });
        let uris = match (&patch.redirect_uris, patch.matching_mode) {
            (Some(values), _) => parse_redirect_uris(values, mode)?,
            (None, Some(_)) => {
                let values: Vec<String> = row.redirect_uris.iter().map(|r| r.url.clone()).collect();
                parse_redirect_uris(&values, mode)?
            }
            (None, None) => row.redirect_uris.clone(),
        };
        let launch_url = match &patch.launch_url {
            Some(l) => parse_launch_url(Some(l))?,
            None => row.launch_url.clone(),
        };
        let api = &self.authentik;
        if uris != row.redirect_uris {
            let pk = row.provider_pk.ok_or_else(|| missing(row))?;
            api.set_redirect_uris(pk, &uris)
                .await
                .map_err(|e| upstream("change the redirect URIs", e))?;
        }
        if name != row.name || launch_url != row.launch_url {
            api.update_application(&row.slug, &name, launch_url.as_deref())
                .await
                .map_err(|e| upstream("change the application", e))?;
        }
        repo::update(&self.db, &row.id, &name, &uris, launch_url.as_deref()).await?;
        Ok((name, uris, launch_url))
    }

    /// Gives the app a new client secret (the old one stops working at once) and returns it
    /// once.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, app = %id))]
    pub async fn rotate_secret(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<SsoAppSecret, SsoAppError> {
        let row = self.row(admin, id).await?;
        let secret = client_secret();
        let result = match (self.active(&row), row.provider_pk, &row.client_id) {
            (Err(e), _, _) => Err(e),
            (Ok(()), Some(pk), Some(client_id)) => self
                .authentik
                .set_client_secret(pk, &secret)
                .await
                .map(|()| client_id.clone())
                .map_err(|e| upstream("set the new client secret", e)),
            _ => Err(missing(&row)),
        };
        let outcome = if result.is_ok() {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        let error = result.as_ref().err().map(|e| e.to_string());
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "sso_app.rotate_secret",
                &row.name,
                outcome,
                json!({ "id": row.id, "client_id": row.client_id, "error": error }),
            )
            .await;
        let client_id = result?;
        let detail = self.get(admin, id).await?;
        Ok(SsoAppSecret {
            detail,
            client_id,
            client_secret: secret.expose_secret().to_string(),
        })
    }

    /// Deletes the app from Authentik (binding, application, provider) and then its row.
    /// Retrying after a failure continues where it stopped; an app that is already gone
    /// upstream is simply forgotten.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug, app = %id))]
    pub async fn delete(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        id: &str,
    ) -> Result<(), SsoAppError> {
        let row = self.row(admin, id).await?;
        let look = row.state != SsoAppState::Active;
        repo::set_state(
            &self.db,
            id,
            SsoAppState::Deleting,
            "Deleting from Authentik.",
        )
        .await?;
        let result = self.remove_upstream(&row, look).await;
        let error = match &result {
            Ok(()) => {
                repo::delete(&self.db, id).await?;
                None
            }
            Err(left) => {
                let message = format!("{left} Delete again to retry.");
                repo::set_state(&self.db, id, SsoAppState::Deleting, &message).await?;
                Some(message)
            }
        };
        let outcome = match error {
            None => Outcome::Success,
            Some(_) => Outcome::Failure,
        };
        self.audit
            .record_in(
                ctx,
                &admin.tenant().id,
                "sso_app.delete",
                &row.name,
                outcome,
                json!({ "id": row.id, "slug": row.slug, "client_id": row.client_id, "error": error }),
            )
            .await;
        error.map_or(Ok(()), |message| {
            Err(SsoAppError::RemovalIncomplete(message))
        })
    }

    fn active(&self, row: &SsoAppRow) -> Result<(), SsoAppError> {
        if row.state == SsoAppState::Active {
            Ok(())
        } else {
            Err(SsoAppError::Conflict(format!(
                "{} is not active ({}); delete it and register it again.",
                row.name,
                row.state.as_str()
            )))
        }
    }
}

fn upstream(step: &str, e: UpstreamError) -> SsoAppError {
    SsoAppError::Upstream {
        message: format!("Authentik: could not {step}: {e}"),
        source: e,
    }
}

fn missing(row: &SsoAppRow) -> SsoAppError {
    SsoAppError::Conflict(format!(
        "{} has no OAuth2 provider on record; delete it and register it again.",
        row.name
    ))
}

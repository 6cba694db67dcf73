//! The Authentik admin API for tenant SSO apps (`shared/reference/authentik.md` §7; spec
//! `shared/specs/authentik-schema.yml`): discovery of the flows, signing key and scope
//! mappings a provider needs (§7.1), OAuth2 providers (§7.2), applications (§7.3) and policy
//! bindings (§7.4). Deletes treat "not found" as done, so every removal is idempotent.
//!
//! A provider's `client_secret` is read into a [`SecretString`] and never kept in a type
//! whose `Debug` would print it.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

pub use wire::sso_apps::RedirectUri;

use super::admin::{AuthentikAdmin, UPSTREAM};
use crate::upstream::{json as read_json, send, success, UpstreamError};

/// `goauthentik.io/providers/oauth2/scope-<name>`: the managed scope mappings every tenant
/// app gets (openid, email, profile, offline_access), never `goauthentik.io/api`.
pub const SCOPE_MAPPINGS: [&str; 4] = [
    "goauthentik.io/providers/oauth2/scope-openid",
    "goauthentik.io/providers/oauth2/scope-email",
    "goauthentik.io/providers/oauth2/scope-profile",
    "goauthentik.io/providers/oauth2/scope-offline_access",
];

/// A flow (`FlowSet` item): `pk` is a UUID.
#[derive(Clone, Debug, Deserialize)]
pub struct Flow {
    pub pk: String,
    pub slug: String,
    #[serde(default)]
    pub designation: String,
}

/// A certificate key pair (`CertificateKeyPair`): `pk` is a UUID.
#[derive(Clone, Debug, Deserialize)]
pub struct KeyPair {
    pub pk: String,
    pub name: String,
}

/// A scope property mapping (`ScopeMapping`).
#[derive(Clone, Debug, Deserialize)]
pub struct ScopeMapping {
    pub pk: String,
    #[serde(default)]
    pub managed: Option<String>,
    #[serde(default)]
    pub scope_name: String,
}

/// An OAuth2 provider (`OAuth2Provider`), without its secret: `pk` is an integer.
#[derive(Clone, Debug, Deserialize)]
pub struct OAuth2Provider {
    pub pk: i64,
    pub name: String,
    pub client_id: String,
    #[serde(default)]
    pub redirect_uris: Vec<RedirectUri>,
    #[serde(default)]
    pub assigned_application_slug: Option<String>,
    /// How `sub` is made (`hashed_user_id`, `user_uuid`, …).
    #[serde(default)]
    pub sub_mode: String,
    /// Scope mapping pks.
    #[serde(default)]
    pub property_mappings: Vec<String>,
    /// The invalidation flow's pk.
    #[serde(default)]
    pub invalidation_flow: Option<String>,
}

/// A provider as created: the provider and the client secret Authentik generated, which the
/// caller shows once and drops.
pub struct CreatedProvider {
    pub provider: OAuth2Provider,
    pub client_secret: SecretString,
}

#[derive(Deserialize)]
struct SecretOnly {
    client_secret: String,
}

/// What a new provider is made of (§7.2).
pub struct NewProvider<'a> {
    /// Unique across every provider type upstream.
    pub name: &'a str,
    pub authorization_flow: &'a str,
    pub invalidation_flow: &'a str,
    pub signing_key: &'a str,
    pub property_mappings: &'a [String],
    pub redirect_uris: &'a [RedirectUri],
}

/// An application (`Application`): `pk` is the policy-binding target (a UUID).
#[derive(Clone, Debug, Deserialize)]
pub struct Application {
    pub pk: String,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub provider: Option<i64>,
    #[serde(default)]
    pub meta_launch_url: Option<String>,
}

/// A policy binding (`PolicyBinding`): `pk` is a UUID; exactly one of policy, group, user.
#[derive(Clone, Debug, Deserialize)]
pub struct PolicyBinding {
    pub pk: String,
    pub target: String,
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub user: Option<i64>,
    #[serde(default)]
    pub policy: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub negate: bool,
}

fn yes() -> bool {
    true
}

/// `GET /providers/oauth2/{pk}/setup_urls/` (`OAuth2ProviderSetupURLs`): absolute URLs.
#[derive(Clone, Debug, Deserialize)]
pub struct SetupUrls {
    pub issuer: String,
    pub authorize: String,
    pub token: String,
    pub user_info: String,
    /// The OpenID discovery document (`…/.well-known/openid-configuration`).
    pub provider_info: String,
    pub logout: String,
    pub jwks: String,
}

impl AuthentikAdmin {
    /// The flow with this designation (`authorization`, `invalidation`) and slug, if any:
    /// `?designation=invalidation` answers more than one built-in, so the slug decides.
    pub async fn flow(&self, designation: &str, slug: &str) -> Result<Option<Flow>, UpstreamError> {
        let flows: Vec<Flow> = self
            .list_all(
                "/flows/instances/",
                &[("designation", designation), ("slug", slug)],
            )
            .await?;
        Ok(flows
            .into_iter()
            .find(|f| f.slug == slug && f.designation == designation))
    }

    /// The certificate key pair with a private key and exactly this name, if any.
    pub async fn signing_key(&self, name: &str) -> Result<Option<KeyPair>, UpstreamError> {
        let pairs: Vec<KeyPair> = self
            .list_all(
                "/crypto/certificatekeypairs/",
                &[("has_key", "true"), ("name", name)],
            )
            .await?;
        Ok(pairs.into_iter().find(|k| k.name == name))
    }

    /// The scope mappings with these `managed` identifiers (the path of 2024.8 and later),
    /// re-checked item by item.
    pub async fn scope_mappings(
        &self,
        managed: &[&str],
    ) -> Result<Vec<ScopeMapping>, UpstreamError> {
        let filters: Vec<(&str, &str)> = managed.iter().map(|m| ("managed", *m)).collect();
        let mappings: Vec<ScopeMapping> = self
            .list_all("/propertymappings/provider/scope/", &filters)
            .await?;
        Ok(mappings
            .into_iter()
            .filter(|m| m.managed.as_deref().is_some_and(|id| managed.contains(&id)))
            .collect())
    }

    /// `POST /providers/oauth2/`: a confidential client whose id and secret Authentik
    /// generates, `sub_mode` `hashed_user_id` (stable per member and provider), refresh
    /// tokens through `offline_access`.
    pub async fn create_oauth2_provider(
        &self,
        p: &NewProvider<'_>,
    ) -> Result<CreatedProvider, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url("/providers/oauth2/"))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({
                    "name": p.name,
                    "authorization_flow": p.authorization_flow,
                    "invalidation_flow": p.invalidation_flow,
                    "client_type": "confidential",
                    "redirect_uris": p.redirect_uris,
                    "signing_key": p.signing_key,
                    "property_mappings": p.property_mappings,
                    "sub_mode": "hashed_user_id",
                    "include_claims_in_id_token": true,
                    "issuer_mode": "per_provider",
                    "access_token_validity": "minutes=10",
                    "refresh_token_validity": "days=30",
                })),
        )
        .await?;
        let body: Value = read_json(UPSTREAM, response).await?;
        Self::with_secret(body)
    }

    fn with_secret(body: Value) -> Result<CreatedProvider, UpstreamError> {
        let protocol = |e: serde_json::Error| UpstreamError::Protocol {
            upstream: UPSTREAM,
            detail: e.to_string(),
        };
        let secret: SecretOnly = serde_json::from_value(body.clone()).map_err(protocol)?;
        let provider: OAuth2Provider = serde_json::from_value(body).map_err(protocol)?;
        Ok(CreatedProvider {
            provider,
            client_secret: SecretString::from(secret.client_secret),
        })
    }

    pub async fn get_oauth2_provider(
        &self,
        pk: i64,
    ) -> Result<Option<OAuth2Provider>, UpstreamError> {
        let response = send(UPSTREAM, self.get(&format!("/providers/oauth2/{pk}/"))).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// The provider of an OAuth client (`?client_id=`), if any.
    pub async fn oauth2_provider_of_client(
        &self,
        client_id: &str,
    ) -> Result<Option<OAuth2Provider>, UpstreamError> {
        let found: Vec<OAuth2Provider> = self
            .list_all("/providers/oauth2/", &[("client_id", client_id)])
            .await?;
        Ok(found.into_iter().find(|p| p.client_id == client_id))
    }

    /// The provider with exactly this name (names are unique upstream), if any.
    pub async fn find_oauth2_provider(
        &self,
        name: &str,
    ) -> Result<Option<OAuth2Provider>, UpstreamError> {
        let found: Vec<OAuth2Provider> = self
            .list_all("/providers/oauth2/", &[("name", name)])
            .await?;
        Ok(found.into_iter().find(|p| p.name == name))
    }

    /// `PATCH /providers/oauth2/{pk}/` with the redirect URIs.
    pub async fn set_redirect_uris(
        &self,
        pk: i64,
        uris: &[RedirectUri],
    ) -> Result<(), UpstreamError> {
        self.patch(
            &format!("/providers/oauth2/{pk}/"),
            json!({ "redirect_uris": uris }),
        )
        .await
    }

    /// Sets a new client secret: from then on the token endpoint refuses the old one.
    pub async fn set_client_secret(
        &self,
        pk: i64,
        secret: &SecretString,
    ) -> Result<(), UpstreamError> {
        self.patch(
            &format!("/providers/oauth2/{pk}/"),
            json!({ "client_secret": secret.expose_secret() }),
        )
        .await
    }

    /// Deletes a provider and the tokens it issued; gone already is fine.
    pub async fn delete_oauth2_provider(&self, pk: i64) -> Result<(), UpstreamError> {
        self.delete(&format!("/providers/oauth2/{pk}/")).await
    }

    /// 404 until an application uses the provider.
    pub async fn setup_urls(&self, pk: i64) -> Result<Option<SetupUrls>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.get(&format!("/providers/oauth2/{pk}/setup_urls/")),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// `POST /core/applications/` using `provider`; `group` is only a UI label upstream.
    pub async fn create_application(
        &self,
        name: &str,
        slug: &str,
        provider: i64,
        launch_url: Option<&str>,
        label: &str,
    ) -> Result<Application, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url("/core/applications/"))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({
                    "name": name,
                    "slug": slug,
                    "provider": provider,
                    "meta_launch_url": launch_url.unwrap_or(""),
                    "open_in_new_tab": true,
                    "policy_engine_mode": "any",
                    "group": label,
                })),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }

    /// By slug, through the detail route (the list is filtered by the caller's own access).
    pub async fn get_application(&self, slug: &str) -> Result<Option<Application>, UpstreamError> {
        let response = send(UPSTREAM, self.get(&format!("/core/applications/{slug}/"))).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// `PATCH /core/applications/{slug}/` with the name and launch URL.
    pub async fn update_application(
        &self,
        slug: &str,
        name: &str,
        launch_url: Option<&str>,
    ) -> Result<(), UpstreamError> {
        self.patch(
            &format!("/core/applications/{slug}/"),
            json!({ "name": name, "meta_launch_url": launch_url.unwrap_or("") }),
        )
        .await
    }

    /// Deletes an application (its bindings go with it); gone already is fine.
    pub async fn delete_application(&self, slug: &str) -> Result<(), UpstreamError> {
        self.delete(&format!("/core/applications/{slug}/")).await
    }

    /// Binds `group` to the application `target` (its `pk`): only the group's members may
    /// then use it (§7.4).
    pub async fn bind_group(
        &self,
        target: &str,
        group: &str,
    ) -> Result<PolicyBinding, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url("/policies/bindings/"))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({
                    "target": target, "group": group, "order": 0,
                    "enabled": true, "negate": false, "timeout": 30,
                })),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }

    /// The bindings whose target is `target`, re-checked item by item (an ignored filter
    /// would answer every binding).
    pub async fn bindings_of(&self, target: &str) -> Result<Vec<PolicyBinding>, UpstreamError> {
        let found: Vec<PolicyBinding> = self
            .list_all("/policies/bindings/", &[("target", target)])
            .await?;
        Ok(found.into_iter().filter(|b| b.target == target).collect())
    }

    pub async fn delete_binding(&self, pk: &str) -> Result<(), UpstreamError> {
        self.delete(&format!("/policies/bindings/{pk}/")).await
    }

    async fn patch(&self, path: &str, body: Value) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .patch(self.url(path))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&body),
        )
        .await?;
        success(UPSTREAM, response).await.map(|_| ())
    }
}

//! ownCloud Infinite Scale's LibreGraph API (`/graph/v1.0`), per `shared/reference/ocis.md`:
//! strict JSON bodies, `{"value": […]}` lists that may come back as `{}`, OData errors.
//! Group lookup by name is unreliable upstream, so the group id is stored and used. Users are
//! created with the login name (the member's address) as `onPremisesSamAccountName`, found
//! again by that name after a 409, and deleted with their personal drive.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::upstream::{http_client, json as read_json, send, success, UpstreamError};

const UPSTREAM: &str = "OCIS";

#[derive(Clone, Debug)]
pub struct OcisConfig {
    pub base_url: String,
    /// The service user and its app token (Basic authentication at the proxy).
    pub user: String,
    pub token: SecretString,
    pub timeout: std::time::Duration,
}

#[derive(Clone, Debug, Deserialize)]
pub struct OcisGroup {
    pub id: String,
    #[serde(rename = "displayName")]
    pub display_name: String,
}

#[derive(Deserialize)]
struct List<T> {
    /// Missing when the list is empty (`omitempty` upstream).
    value: Option<Vec<T>>,
}

#[derive(Serialize)]
struct NewGroup<'a> {
    #[serde(rename = "displayName")]
    display_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

pub struct OcisClient {
    cfg: OcisConfig,
    http: reqwest::Client,
}

impl OcisClient {
    pub fn new(cfg: OcisConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self { cfg, http }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(
                method,
                format!(
                    "{}/graph/v1.0{path}",
                    self.cfg.base_url.trim_end_matches('/')
                ),
            )
            .basic_auth(&self.cfg.user, Some(self.cfg.token.expose_secret()))
    }

    /// Creates a group; `Ok(None)` when the name already exists (409 `nameAlreadyExists`).
    pub async fn create_group(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::POST, "/groups").json(&NewGroup {
                display_name: name,
                description: Some(description),
            }),
        )
        .await?;
        if response.status() == reqwest::StatusCode::CONFLICT {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    pub async fn get_group(&self, id: &str) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::GET, &format!("/groups/{id}")),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Finds a group by exact display name through `$search` (used only to recover an id
    /// that was lost between create and store).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::GET, "/groups")
                .query(&[("$search", format!("\"{name}\""))]),
        )
        .await?;
        let list: List<OcisGroup> = read_json(UPSTREAM, response).await?;
        Ok(list
            .value
            .unwrap_or_default()
            .into_iter()
            .find(|g| g.display_name == name))
    }

    pub async fn delete_group(&self, id: &str) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::DELETE, &format!("/groups/{id}")),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }

    /// Creates a user; `Ok(None)` when the username is taken (409 `nameAlreadyExists`).
    pub async fn create_user(
        &self,
        user: &NewOcisUser<'_>,
    ) -> Result<Option<OcisUser>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::POST, "/users").json(user),
        )
        .await?;
        if response.status() == reqwest::StatusCode::CONFLICT {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// A user by id or username (`mail` may be missing from this answer upstream).
    pub async fn get_user(&self, id_or_username: &str) -> Result<Option<OcisUser>, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(
                reqwest::Method::GET,
                &format!("/users/{}", urlencoding::encode(id_or_username)),
            ),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Deletes a user and purges their personal drive upstream; gone already is fine.
    pub async fn delete_user(&self, id: &str) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.req(reqwest::Method::DELETE, &format!("/users/{id}")),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct OcisUser {
    pub id: String,
    #[serde(rename = "onPremisesSamAccountName", default)]
    pub username: String,
}

/// The body of `POST /users`: strict upstream, so only these fields, none of them empty.
#[derive(Serialize)]
pub struct NewOcisUser<'a> {
    #[serde(rename = "displayName")]
    pub display_name: &'a str,
    #[serde(rename = "onPremisesSamAccountName")]
    pub username: &'a str,
    pub mail: &'a str,
    #[serde(rename = "givenName")]
    pub given_name: &'a str,
    pub surname: &'a str,
}

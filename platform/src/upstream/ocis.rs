//! ownCloud Infinite Scale's LibreGraph API (`/graph/v1.0`), per `shared/reference/ocis.md`:
//! strict JSON bodies, `{"value": […]}` lists that may come back as `{}`, OData errors.
//! Group lookup by name is unreliable upstream, so the group id is stored and used. Users are
//! created with the login name (the member's address) as `onPremisesSamAccountName`, found
//! again by that name after a 409, and deleted with their personal drive.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::upstream::authentik::service_account::{ServiceAccountConfig, ServiceAccountTokens};
use crate::upstream::{http_client, json as read_json, send, success, UpstreamError};

const UPSTREAM: &str = "OCIS";

#[derive(Clone, Debug)]
pub struct OcisConfig {
    pub base_url: String,
    pub auth: OcisAuth,
    pub timeout: std::time::Duration,
}

/// How the console proves itself to the OCIS proxy (`shared/reference/ocis.md` §2.1).
#[derive(Clone, Debug)]
pub enum OcisAuth {
    /// The recommended path (§2.5): a short-lived OIDC bearer token of an Authentik service
    /// account from the `client_credentials` grant, issued by the provider OCIS trusts; the
    /// account resolves (by `preferred_username`) to an OCIS user holding the Admin role.
    ServiceAccount(ServiceAccountConfig),
    /// The fallback (§2.3): HTTP Basic with an OCIS user's app token (the `auth-app`
    /// service), `user` being its `onPremisesSamAccountName`.
    AppToken { user: String, token: SecretString },
}

enum Credentials {
    Bearer(ServiceAccountTokens),
    Basic { user: String, token: SecretString },
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
    base_url: String,
    credentials: Credentials,
    http: reqwest::Client,
}

impl OcisClient {
    pub fn new(cfg: OcisConfig) -> Self {
        let http = http_client(cfg.timeout);
        let credentials = match cfg.auth {
            OcisAuth::ServiceAccount(sa) => Credentials::Bearer(ServiceAccountTokens::new(sa)),
            OcisAuth::AppToken { user, token } => Credentials::Basic { user, token },
        };
        Self {
            base_url: cfg.base_url,
            credentials,
            http,
        }
    }

    /// What the client signs in with, for messages: never the secret.
    pub fn credentials_name(&self) -> String {
        match &self.credentials {
            Credentials::Bearer(tokens) => format!(
                "bearer token of service account {} (Authentik client_credentials)",
                tokens.username()
            ),
            Credentials::Basic { user, .. } => format!("app token of {user}"),
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(
            method,
            format!("{}/graph/v1.0{path}", self.base_url.trim_end_matches('/')),
        )
    }

    /// Sends `request` with the console's credentials. With a service account's bearer
    /// token, a 401 (the token was revoked, or OCIS no longer trusts its key) drops the token
    /// and sends once more with a fresh one; a second 401 is the answer.
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, UpstreamError> {
        match &self.credentials {
            Credentials::Basic { user, token } => {
                send(
                    UPSTREAM,
                    request.basic_auth(user, Some(token.expose_secret())),
                )
                .await
            }
            Credentials::Bearer(tokens) => {
                let again = request.try_clone();
                let bearer = tokens.bearer().await?;
                let response = send(UPSTREAM, request.bearer_auth(bearer.expose_secret())).await?;
                match again {
                    Some(again) if response.status() == reqwest::StatusCode::UNAUTHORIZED => {
                        tokens.forget(&bearer).await;
                        let fresh = tokens.bearer().await?;
                        send(UPSTREAM, again.bearer_auth(fresh.expose_secret())).await
                    }
                    _ => Ok(response),
                }
            }
        }
    }

    /// Creates a group; `Ok(None)` when the name already exists (409 `nameAlreadyExists`).
    pub async fn create_group(
        &self,
        name: &str,
        description: &str,
    ) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = self
            .send(self.req(reqwest::Method::POST, "/groups").json(&NewGroup {
                display_name: name,
                description: Some(description),
            }))
            .await?;
        if response.status() == reqwest::StatusCode::CONFLICT {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    pub async fn get_group(&self, id: &str) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = self
            .send(self.req(reqwest::Method::GET, &format!("/groups/{id}")))
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Finds a group by exact display name through `$search` (used only to recover an id
    /// that was lost between create and store).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<OcisGroup>, UpstreamError> {
        let response = self
            .send(
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
        let response = self
            .send(self.req(reqwest::Method::DELETE, &format!("/groups/{id}")))
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }

    /// Adds a user to a group (`POST /groups/{id}/members/$ref` with the user's `@odata.id`,
    /// `shared/reference/ocis.md` §6): 204, and a member already there is skipped upstream, so
    /// this is idempotent. `Ok(false)` when the group or the user does not exist (404).
    pub async fn add_group_member(&self, group: &str, user: &str) -> Result<bool, UpstreamError> {
        let member = format!(
            "{}/graph/v1.0/users/{user}",
            self.base_url.trim_end_matches('/')
        );
        let response = self
            .send(
                self.req(
                    reqwest::Method::POST,
                    &format!("/groups/{group}/members/$ref"),
                )
                .json(&serde_json::json!({ "@odata.id": member })),
            )
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(false);
        }
        success(UPSTREAM, response).await.map(|_| true)
    }

    /// Removes a user from a group (`DELETE /groups/{id}/members/{user}/$ref`); a group or
    /// user already gone is fine.
    pub async fn remove_group_member(&self, group: &str, user: &str) -> Result<(), UpstreamError> {
        let response = self
            .send(self.req(
                reqwest::Method::DELETE,
                &format!("/groups/{group}/members/{user}/$ref"),
            ))
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
        let response = self
            .send(self.req(reqwest::Method::POST, "/users").json(user))
            .await?;
        if response.status() == reqwest::StatusCode::CONFLICT {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// A user by id or username (`mail` may be missing from this answer upstream).
    pub async fn get_user(&self, id_or_username: &str) -> Result<Option<OcisUser>, UpstreamError> {
        let response = self
            .send(self.req(
                reqwest::Method::GET,
                &format!("/users/{}", urlencoding::encode(id_or_username)),
            ))
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Deletes a user and purges their personal drive upstream; gone already is fine.
    pub async fn delete_user(&self, id: &str) -> Result<(), UpstreamError> {
        let response = self
            .send(self.req(reqwest::Method::DELETE, &format!("/users/{id}")))
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }
}

/// A personal drive's owner and live quota (`shared/reference/ocis.md` §5.1–5.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalDrive {
    /// `<storage-provider-id>$<space-id>`.
    pub id: String,
    /// The owner's OCIS user id.
    pub owner: String,
    /// Bytes used.
    pub used: u64,
    /// The quota in bytes; `None`: no limit (`total` 0 or absent).
    pub total: Option<u64>,
    /// Bytes left: of the quota, or of the disk when there is no limit.
    pub remaining: Option<u64>,
    /// `normal`, `nearing`, `critical` or `exceeded`, as OCIS computes it.
    pub state: Option<String>,
}

#[derive(Deserialize)]
struct DriveJson {
    id: String,
    owner: Option<DriveOwner>,
    quota: Option<DriveQuota>,
    root: Option<DriveRoot>,
}

#[derive(Deserialize)]
struct DriveOwner {
    user: Option<DriveUser>,
}

#[derive(Deserialize)]
struct DriveUser {
    id: String,
}

#[derive(Deserialize)]
struct DriveQuota {
    used: Option<u64>,
    total: Option<u64>,
    remaining: Option<u64>,
    state: Option<String>,
}

#[derive(Deserialize)]
struct DriveRoot {
    deleted: Option<serde_json::Value>,
}

impl OcisClient {
    /// Every personal drive that is not in the trash (`GET /drives?$filter=driveType eq
    /// 'personal'`, one call; the service user lists all drives as an Admin, §5.3).
    pub async fn personal_drives(&self) -> Result<Vec<PersonalDrive>, UpstreamError> {
        let response = self
            .send(
                self.req(reqwest::Method::GET, "/drives")
                    .query(&[("$filter", "driveType eq 'personal'")]),
            )
            .await?;
        let list: List<DriveJson> = read_json(UPSTREAM, response).await?;
        Ok(list
            .value
            .unwrap_or_default()
            .into_iter()
            .filter(|d| {
                d.root
                    .as_ref()
                    .and_then(|r| r.deleted.as_ref())
                    .is_none_or(|del| del["state"] != "trashed")
            })
            .filter_map(|d| {
                let owner = d.owner?.user?.id;
                let q = d.quota.unwrap_or(DriveQuota {
                    used: None,
                    total: None,
                    remaining: None,
                    state: None,
                });
                Some(PersonalDrive {
                    id: d.id,
                    owner,
                    used: q.used.unwrap_or(0),
                    total: q.total.filter(|t| *t > 0),
                    remaining: q.remaining,
                    state: q.state,
                })
            })
            .collect())
    }

    /// Sets a drive's quota in bytes (`None`: no limit, sent as 0) with `PATCH /drives/{id}`
    /// (§5.7; personal drives need the Admin role). `Ok(false)` when the drive is unknown.
    pub async fn set_drive_quota(
        &self,
        id: &str,
        total: Option<u64>,
    ) -> Result<bool, UpstreamError> {
        let response = self
            .send(
                self.req(
                    reqwest::Method::PATCH,
                    &format!("/drives/{}", urlencoding::encode(id)),
                )
                .json(&serde_json::json!({ "quota": { "total": total.unwrap_or(0) } })),
            )
            .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(false);
        }
        success(UPSTREAM, response).await.map(|_| true)
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

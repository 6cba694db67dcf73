//! The Authentik admin API (`/api/v3`, bearer API token), as described in
//! `shared/reference/authentik.md`: groups (§3), users (§4), authenticated sessions (§5) and
//! OAuth refresh tokens. Lists are paginated by page number (`next` is 0 on the last page)
//! and unknown filters are silently ignored upstream (a misspelled filter returns everyone),
//! so every lookup re-checks its results here, item by item, before anything acts on them.

use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::upstream::{http_client, json as read_json, send, success, UpstreamError};

pub(super) const UPSTREAM: &str = "Authentik";

#[derive(Clone, Debug)]
pub struct AuthentikAdminConfig {
    /// `https://<host>` (the API is under `/api/v3`).
    pub base_url: String,
    pub token: SecretString,
    pub timeout: std::time::Duration,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Group {
    pub pk: String,
    pub name: String,
    #[serde(default)]
    pub attributes: Value,
    /// Member pks (present whatever `include_users` says).
    #[serde(default)]
    pub users: Vec<i64>,
}

#[derive(Deserialize)]
struct Pagination {
    next: u64,
}

#[derive(Deserialize)]
struct Page<T> {
    pagination: Pagination,
    results: Vec<T>,
}

pub struct AuthentikAdmin {
    pub(super) cfg: AuthentikAdminConfig,
    pub(super) http: reqwest::Client,
}

impl AuthentikAdmin {
    pub fn new(cfg: AuthentikAdminConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self { cfg, http }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}/api/v3{path}", self.cfg.base_url.trim_end_matches('/'))
    }

    pub(super) fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(self.url(path))
            .bearer_auth(self.cfg.token.expose_secret())
    }

    /// Every item of a paginated list (all pages), with the given filters.
    pub(super) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>, UpstreamError> {
        let mut items = Vec::new();
        let mut page = 1u64;
        loop {
            let page_s = page.to_string();
            let mut query: Vec<(&str, &str)> = filters.to_vec();
            query.extend([("page", page_s.as_str()), ("page_size", "100")]);
            let response = send(UPSTREAM, self.get(path).query(&query)).await?;
            let body: Page<T> = read_json(UPSTREAM, response).await?;
            items.extend(body.results);
            if body.pagination.next == 0 || body.pagination.next <= page {
                return Ok(items);
            }
            page = body.pagination.next;
        }
    }

    /// The group with exactly this name, if any (all pages are read).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>, UpstreamError> {
        let groups: Vec<Group> = self
            .list_all(
                "/core/groups/",
                &[("name", name), ("include_users", "false")],
            )
            .await?;
        Ok(groups.into_iter().find(|g| g.name == name))
    }

    pub async fn get_group(&self, pk: &str) -> Result<Option<Group>, UpstreamError> {
        let response = send(UPSTREAM, self.get(&format!("/core/groups/{pk}/"))).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Creates a flat (no parents) group with the given attributes.
    pub async fn create_group(
        &self,
        name: &str,
        attributes: Value,
    ) -> Result<Group, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url("/core/groups/"))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({ "name": name, "is_superuser": false, "attributes": attributes })),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }

    /// Adds a user (by numeric pk) to a group; idempotent upstream (204).
    pub async fn add_user_to_group(&self, group: &str, user: i64) -> Result<(), UpstreamError> {
        self.membership(group, user, "add_user").await
    }

    /// Removes a user from a group; idempotent upstream (204).
    pub async fn remove_user_from_group(
        &self,
        group: &str,
        user: i64,
    ) -> Result<(), UpstreamError> {
        self.membership(group, user, "remove_user").await
    }

    async fn membership(&self, group: &str, user: i64, action: &str) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url(&format!("/core/groups/{group}/{action}/")))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({ "pk": user })),
        )
        .await?;
        success(UPSTREAM, response).await.map(|_| ())
    }

    pub async fn delete_group(&self, pk: &str) -> Result<(), UpstreamError> {
        self.delete(&format!("/core/groups/{pk}/")).await
    }

    /// The user with exactly this username (the filter is exact upstream, and re-checked).
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<AuthentikUser>, UpstreamError> {
        let users: Vec<AuthentikUser> = self
            .list_all(
                "/core/users/",
                &[("username", username), ("include_groups", "false")],
            )
            .await?;
        Ok(users.into_iter().find(|u| u.username == username))
    }

    pub async fn get_user(&self, pk: i64) -> Result<Option<AuthentikUser>, UpstreamError> {
        let response = send(UPSTREAM, self.get(&format!("/core/users/{pk}/"))).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        read_json(UPSTREAM, response).await.map(Some)
    }

    /// Creates an active internal user in the given groups (no password yet: §4.5).
    pub async fn create_user(
        &self,
        user: &NewAuthentikUser<'_>,
    ) -> Result<AuthentikUser, UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url("/core/users/"))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({
                    "username": user.username,
                    "name": user.name,
                    "email": user.email,
                    "is_active": true,
                    "groups": user.groups,
                    "path": user.path,
                    "type": "internal",
                    "attributes": user.attributes,
                })),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }

    /// `PATCH is_active`: deactivating ends the user's Authentik sessions and deletes their
    /// OAuth tokens upstream (§4.4).
    pub async fn set_user_active(&self, pk: i64, active: bool) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .patch(self.url(&format!("/core/users/{pk}/")))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({ "is_active": active })),
        )
        .await?;
        success(UPSTREAM, response).await.map(|_| ())
    }

    /// Sets the password (204). A rejected password is a 400 with an empty body upstream.
    pub async fn set_password(
        &self,
        pk: i64,
        password: &SecretString,
    ) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .post(self.url(&format!("/core/users/{pk}/set_password/")))
                .bearer_auth(self.cfg.token.expose_secret())
                .json(&json!({ "password": password.expose_secret() })),
        )
        .await?;
        if response.status() == reqwest::StatusCode::BAD_REQUEST {
            // Never echo what was sent back into an error message.
            return Err(UpstreamError::Status {
                upstream: UPSTREAM,
                status: 400,
                detail: "the password was rejected".into(),
            });
        }
        success(UPSTREAM, response).await.map(|_| ())
    }

    /// Deletes a user (their sessions, tokens and devices go with it); gone already is fine.
    pub async fn delete_user(&self, pk: i64) -> Result<(), UpstreamError> {
        self.delete(&format!("/core/users/{pk}/")).await
    }

    /// The uuids of one user's authenticated sessions. The list is narrowed by the real
    /// `user__username` filter and then kept item by item to `user == pk`: upstream ignores
    /// an unknown filter and would answer with everyone's sessions (§5.1).
    pub async fn sessions_of(&self, pk: i64, username: &str) -> Result<Vec<String>, UpstreamError> {
        let sessions: Vec<AuthenticatedSession> = self
            .list_all(
                "/core/authenticated_sessions/",
                &[("user__username", username)],
            )
            .await?;
        Ok(sessions
            .into_iter()
            .filter(|s| s.user == pk)
            .map(|s| s.uuid)
            .collect())
    }

    pub async fn delete_session(&self, uuid: &str) -> Result<(), UpstreamError> {
        self.delete(&format!("/core/authenticated_sessions/{uuid}/"))
            .await
    }

    /// The ids of one user's OAuth refresh tokens (they survive session deletion, §5.2),
    /// re-checked by the user's pk.
    pub async fn refresh_tokens_of(&self, pk: i64) -> Result<Vec<i64>, UpstreamError> {
        let pk_s = pk.to_string();
        let tokens: Vec<RefreshTokenItem> = self
            .list_all("/oauth2/refresh_tokens/", &[("user", pk_s.as_str())])
            .await?;
        Ok(tokens
            .into_iter()
            .filter(|t| t.user.pk == pk)
            .map(|t| t.pk)
            .collect())
    }

    pub async fn delete_refresh_token(&self, id: i64) -> Result<(), UpstreamError> {
        self.delete(&format!("/oauth2/refresh_tokens/{id}/")).await
    }

    /// The authenticator devices of one user, confirmed or not:
    /// `GET /api/v3/authenticators/admin/all/?user=<pk>`, a bare JSON array of `Device`
    /// (`../shared/reference/authentik.md` §6.1; spec `Device`). Items carry no user, so the
    /// `user` parameter is always sent. An unknown pk answers 400.
    pub async fn authenticators_of(&self, pk: i64) -> Result<Vec<Device>, UpstreamError> {
        let pk_s = pk.to_string();
        let response = send(
            UPSTREAM,
            self.get("/authenticators/admin/all/")
                .query(&[("user", pk_s.as_str())]),
        )
        .await?;
        read_json(UPSTREAM, response).await
    }

    /// DELETE, where "not found" means the work is already done.
    pub(super) async fn delete(&self, path: &str) -> Result<(), UpstreamError> {
        let response = send(
            UPSTREAM,
            self.http
                .delete(self.url(path))
                .bearer_auth(self.cfg.token.expose_secret()),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Device {
    /// A string: some device kinds use UUIDs.
    pub pk: String,
    /// The name the person gave it.
    pub name: String,
    /// The model, e.g. `authentik_stages_authenticator_totp.TOTPDevice`.
    #[serde(rename = "type")]
    pub kind: String,
    /// False for an enrollment that was never finished (not a second factor).
    pub confirmed: bool,
    /// RFC 3339; none when never used.
    pub last_used: Option<String>,
}

impl Device {
    /// The factor's short name (`totp`, `webauthn`, `static`, `duo`, `sms`, `email`), or
    /// `None` for a device that is not a known second factor (the enterprise
    /// `EndpointDevice`, or a model this console does not know: not counted, so the overview
    /// errs towards "not enrolled").
    pub fn factor(&self) -> Option<String> {
        let model = self.kind.rsplit('.').next().unwrap_or(&self.kind);
        let short = match model {
            "TOTPDevice" => "totp",
            "WebAuthnDevice" => "webauthn",
            "StaticDevice" => "static",
            "DuoDevice" => "duo",
            "SMSDevice" => "sms",
            "EmailDevice" => "email",
            _ => return None,
        };
        Some(short.to_string())
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct AuthentikUser {
    pub pk: i64,
    pub uuid: String,
    pub username: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    pub is_active: bool,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub attributes: Value,
}

pub struct NewAuthentikUser<'a> {
    pub username: &'a str,
    pub name: &'a str,
    pub email: &'a str,
    /// Group UUIDs.
    pub groups: Vec<String>,
    pub path: String,
    pub attributes: Value,
}

#[derive(Deserialize)]
struct AuthenticatedSession {
    uuid: String,
    user: i64,
}

#[derive(Deserialize)]
struct TokenUser {
    pk: i64,
}

#[derive(Deserialize)]
struct RefreshTokenItem {
    pk: i64,
    user: TokenUser,
}

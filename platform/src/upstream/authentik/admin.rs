//! The Authentik admin API (`/api/v3`, bearer API token), as described in
//! `shared/reference/authentik.md`: groups for now. Lists are paginated by page number
//! (`next` is 0 on the last page) and unknown filters are silently ignored upstream, so every
//! lookup re-checks its results here.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::upstream::{http_client, json as read_json, send, success, UpstreamError};

const UPSTREAM: &str = "Authentik";

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
    cfg: AuthentikAdminConfig,
    http: reqwest::Client,
}

impl AuthentikAdmin {
    pub fn new(cfg: AuthentikAdminConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self { cfg, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v3{path}", self.cfg.base_url.trim_end_matches('/'))
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(self.url(path))
            .bearer_auth(self.cfg.token.expose_secret())
    }

    /// The group with exactly this name, if any (all pages are read).
    pub async fn find_group_by_name(&self, name: &str) -> Result<Option<Group>, UpstreamError> {
        let mut page = 1u64;
        loop {
            let response = send(
                UPSTREAM,
                self.get("/core/groups/").query(&[
                    ("name", name),
                    ("include_users", "false"),
                    ("page", &page.to_string()),
                    ("page_size", "100"),
                ]),
            )
            .await?;
            let body: Page<Group> = read_json(UPSTREAM, response).await?;
            if let Some(g) = body.results.into_iter().find(|g| g.name == name) {
                return Ok(Some(g));
            }
            if body.pagination.next == 0 || body.pagination.next <= page {
                return Ok(None);
            }
            page = body.pagination.next;
        }
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
        let response = send(
            UPSTREAM,
            self.http
                .delete(self.url(&format!("/core/groups/{pk}/")))
                .bearer_auth(self.cfg.token.expose_secret()),
        )
        .await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(());
        }
        success(UPSTREAM, response).await.map(|_| ())
    }
}

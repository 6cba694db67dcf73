//! Stalwart 0.16 management over JMAP (`POST /jmap`, capability `urn:stalwart:jmap`), per
//! `shared/reference/stalwart.md`: domains (`x:Domain`), their DKIM keys
//! (`x:DkimSignature`), mailboxes (`x:Account` of type User: password credential, login
//! frozen through `disabledPermissions.authenticate`, usage), and `SetError`s mapped to typed
//! errors — `objectIsLinked` keeps the linked objects so the page can name what blocks a
//! removal. Passwords travel only in request bodies; no error message carries one.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::upstream::{http_client, json as read_json, send, UpstreamError};

const UPSTREAM: &str = "Stalwart";

#[derive(Clone, Debug)]
pub struct StalwartConfig {
    pub base_url: String,
    pub auth: StalwartAuth,
    pub timeout: std::time::Duration,
}

/// How the console authenticates to Stalwart (`shared/reference/stalwart.md` §3).
#[derive(Clone, Debug)]
pub enum StalwartAuth {
    /// `Authorization: Bearer API_…`: an API key of a dedicated admin account with a
    /// `Replace` permission list (the least-privilege production setup, §3 "Recommended").
    ApiKey(SecretString),
    /// HTTP Basic with an administrator's name and password.
    Basic {
        user: String,
        password: SecretString,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedObject {
    pub object: String,
    pub id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StalwartError {
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// A method-level error (`forbidden`, `invalidArguments`, …).
    #[error("Stalwart refused the request ({kind}): {description}")]
    Method { kind: String, description: String },
    /// A per-object `SetError`.
    #[error("Stalwart refused the change ({kind}){}", .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default())]
    Set {
        kind: String,
        description: Option<String>,
        properties: Vec<String>,
        linked: Vec<LinkedObject>,
    },
}

impl StalwartError {
    pub fn is(&self, kind: &str) -> bool {
        matches!(self, StalwartError::Set { kind: k, .. } if k == kind)
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct DomainRecord {
    pub id: String,
    pub name: String,
    #[serde(rename = "dnsZoneFile", default)]
    pub dns_zone_file: String,
    /// Who created it, in Dezky's words ("Dezky tenant <slug> [<tenant id>]").
    #[serde(default)]
    pub description: Option<String>,
}

pub struct StalwartClient {
    cfg: StalwartConfig,
    http: reqwest::Client,
}

fn set_error(v: &Value) -> StalwartError {
    StalwartError::Set {
        kind: v["type"].as_str().unwrap_or("unknown").to_string(),
        description: v["description"].as_str().map(String::from),
        properties: v["properties"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        linked: serde_json::from_value(v["linkedObjects"].clone()).unwrap_or_default(),
    }
}

impl StalwartClient {
    pub fn new(cfg: StalwartConfig) -> Self {
        let http = http_client(cfg.timeout);
        Self { cfg, http }
    }

    /// One method call; returns its arguments, or the method-level error.
    async fn call(&self, method: &str, args: Value) -> Result<Value, StalwartError> {
        let response = send(
            UPSTREAM,
            authorized(
                self.http
                    .post(format!("{}/jmap", self.cfg.base_url.trim_end_matches('/'))),
                &self.cfg.auth,
            )
            .json(&json!({
                "using": ["urn:ietf:params:jmap:core", "urn:stalwart:jmap"],
                "methodCalls": [[method, args, "0"]],
            })),
        )
        .await?;
        let body: Value = read_json(UPSTREAM, response).await?;
        let reply = &body["methodResponses"][0];
        match reply[0].as_str() {
            Some("error") => Err(StalwartError::Method {
                kind: reply[1]["type"].as_str().unwrap_or("unknown").into(),
                description: reply[1]["description"].as_str().unwrap_or_default().into(),
            }),
            Some(_) => Ok(reply[1].clone()),
            None => Err(UpstreamError::Protocol {
                upstream: UPSTREAM,
                detail: "no method response".into(),
            }
            .into()),
        }
    }

    pub async fn find_domain(&self, name: &str) -> Result<Option<String>, StalwartError> {
        let r = self
            .call("x:Domain/query", json!({ "filter": { "name": name } }))
            .await?;
        Ok(r["ids"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
            .map(String::from))
    }

    /// Creates a domain (DKIM keys follow shortly, generated by Stalwart).
    pub async fn create_domain(
        &self,
        name: &str,
        description: &str,
    ) -> Result<String, StalwartError> {
        let r = self
            .call(
                "x:Domain/set",
                json!({ "create": { "d1": { "name": name, "description": description } } }),
            )
            .await?;
        if let Some(id) = r["created"]["d1"]["id"].as_str() {
            return Ok(id.to_string());
        }
        Err(set_error(&r["notCreated"]["d1"]))
    }

    pub async fn get_domain(&self, id: &str) -> Result<Option<DomainRecord>, StalwartError> {
        let r = self
            .call(
                "x:Domain/get",
                json!({ "ids": [id], "properties": ["name", "dnsZoneFile", "description"] }),
            )
            .await?;
        Ok(r["list"]
            .as_array()
            .and_then(|l| l.first())
            .and_then(|d| serde_json::from_value(d.clone()).ok()))
    }

    /// Destroys a domain. `objectIsLinked` comes back as `StalwartError::Set` with the
    /// linked objects.
    pub async fn destroy_domain(&self, id: &str) -> Result<(), StalwartError> {
        let r = self
            .call("x:Domain/set", json!({ "destroy": [id] }))
            .await?;
        if r["destroyed"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == id))
        {
            return Ok(());
        }
        let e = &r["notDestroyed"][id];
        if e["type"] == "notFound" {
            return Ok(());
        }
        Err(set_error(e))
    }

    /// The email addresses of accounts or mailing lists (`object` = "Account" or
    /// "MailingList"), to name what blocks a removal.
    pub async fn addresses(
        &self,
        object: &str,
        ids: &[String],
    ) -> Result<Vec<String>, StalwartError> {
        let r = self
            .call(
                &format!("x:{object}/get"),
                json!({ "ids": ids, "properties": ["name", "emailAddress"] }),
            )
            .await?;
        Ok(r["list"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| {
                o["emailAddress"]
                    .as_str()
                    .or(o["name"].as_str())
                    .map(String::from)
            })
            .collect())
    }

    pub async fn destroy_dkim(&self, ids: &[String]) -> Result<(), StalwartError> {
        let r = self
            .call("x:DkimSignature/set", json!({ "destroy": ids }))
            .await?;
        match r["notDestroyed"]
            .as_object()
            .and_then(|m| m.values().find(|e| e["type"] != "notFound"))
        {
            Some(e) => Err(set_error(e)),
            None => Ok(()),
        }
    }

    /// The mailbox (User account) with this local part on a domain, if any.
    pub async fn find_account(
        &self,
        name: &str,
        domain_id: &str,
    ) -> Result<Option<String>, StalwartError> {
        let r = self
            .call(
                "x:Account/query",
                json!({ "filter": { "@type": "User", "name": name, "domainId": domain_id } }),
            )
            .await?;
        Ok(r["ids"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
            .map(String::from))
    }

    /// Whether an account with this id exists.
    pub async fn account_exists(&self, id: &str) -> Result<bool, StalwartError> {
        let r = self
            .call(
                "x:Account/get",
                json!({ "ids": [id], "properties": ["name"] }),
            )
            .await?;
        Ok(r["list"].as_array().is_some_and(|l| !l.is_empty()))
    }

    /// Creates a mailbox with its password (checked by Stalwart's strength rules).
    pub async fn create_account(&self, mailbox: &NewMailbox<'_>) -> Result<String, StalwartError> {
        let r = self
            .call(
                "x:Account/set",
                json!({ "create": { "u1": {
                    "@type": "User",
                    "name": mailbox.name,
                    "domainId": mailbox.domain_id,
                    "description": mailbox.description,
                    "credentials": { "0": { "@type": "Password", "secret": mailbox.password.expose_secret() } },
                } } }),
            )
            .await?;
        if let Some(id) = r["created"]["u1"]["id"].as_str() {
            return Ok(id.to_string());
        }
        Err(set_error(&r["notCreated"]["u1"]))
    }

    /// Replaces the password of the account's Password credential (§7.4): the credential's
    /// key is read first; an account without one gets one.
    pub async fn set_account_password(
        &self,
        id: &str,
        password: &SecretString,
    ) -> Result<(), StalwartError> {
        let r = self
            .call(
                "x:Account/get",
                json!({ "ids": [id], "properties": ["credentials"] }),
            )
            .await?;
        let key = r["list"][0]["credentials"].as_object().and_then(|c| {
            c.iter()
                .find(|(_, v)| v["@type"] == "Password")
                .map(|(k, _)| k.clone())
        });
        let patch = match key {
            Some(k) => json!({ format!("credentials/{k}/secret"): password.expose_secret() }),
            None => {
                json!({ "credentials": { "0": { "@type": "Password", "secret": password.expose_secret() } } })
            }
        };
        self.update_account(id, patch).await
    }

    /// Freezes or unfreezes logins (mail is still delivered; the password is kept): §7.5.
    pub async fn set_login_frozen(&self, id: &str, frozen: bool) -> Result<(), StalwartError> {
        let permissions = if frozen {
            json!({ "@type": "Merge", "enabledPermissions": {}, "disabledPermissions": { "authenticate": true } })
        } else {
            json!({ "@type": "Inherit" })
        };
        self.update_account(id, json!({ "permissions": permissions }))
            .await
    }

    async fn update_account(&self, id: &str, patch: Value) -> Result<(), StalwartError> {
        let r = self
            .call("x:Account/set", json!({ "update": { id: patch } }))
            .await?;
        if r["updated"].as_object().is_some_and(|u| u.contains_key(id)) {
            return Ok(());
        }
        Err(set_error(&r["notUpdated"][id]))
    }

    /// Destroys a mailbox (its mail is purged by Stalwart in the background); gone already is
    /// fine.
    pub async fn destroy_account(&self, id: &str) -> Result<(), StalwartError> {
        let r = self
            .call("x:Account/set", json!({ "destroy": [id] }))
            .await?;
        let e = &r["notDestroyed"][id];
        if e.is_null() || e["type"] == "notFound" {
            return Ok(());
        }
        Err(set_error(e))
    }

    /// Used bytes of each mailbox (`usedDiskQuota`), by account id.
    pub async fn usage(&self, ids: &[String]) -> Result<Vec<(String, i64)>, StalwartError> {
        Ok(self
            .disk_quotas(ids)
            .await?
            .into_iter()
            .map(|q| (q.id, i64::try_from(q.used).unwrap_or(i64::MAX)))
            .collect())
    }

    /// Used bytes and disk quota of each mailbox (`usedDiskQuota`, `quotas.maxDiskQuota`;
    /// `shared/reference/stalwart.md` §7.1, §7.7), asked in batches of at most
    /// [`MAX_OBJECTS_IN_GET`] ids (the server's `maxObjectsInGet`). Unknown ids are left out.
    pub async fn disk_quotas(&self, ids: &[String]) -> Result<Vec<MailboxQuota>, StalwartError> {
        let mut out = Vec::new();
        for batch in ids.chunks(MAX_OBJECTS_IN_GET) {
            let r = self
                .call(
                    "x:Account/get",
                    json!({ "ids": batch, "properties": ["usedDiskQuota", "quotas"] }),
                )
                .await?;
            out.extend(r["list"].as_array().into_iter().flatten().filter_map(|a| {
                Some(MailboxQuota {
                    id: a["id"].as_str()?.to_string(),
                    used: a["usedDiskQuota"].as_u64().unwrap_or(0),
                    max: a["quotas"]["maxDiskQuota"].as_u64().filter(|m| *m > 0),
                })
            }));
        }
        Ok(out)
    }

    /// Sets a mailbox's disk quota in bytes (`quotas/maxDiskQuota`); `None` removes the key
    /// (no per-account limit, §7.1).
    pub async fn set_disk_quota(&self, id: &str, max: Option<u64>) -> Result<(), StalwartError> {
        self.update_account(id, json!({ "quotas/maxDiskQuota": max }))
            .await
    }
}

/// The most ids one `…/get` may ask for (`maxObjectsInGet`, §4.2's default).
pub const MAX_OBJECTS_IN_GET: usize = 500;

/// A mailbox's disk use and quota.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxQuota {
    pub id: String,
    /// Bytes used (`usedDiskQuota`).
    pub used: u64,
    /// `quotas.maxDiskQuota` in bytes; `None`: no limit.
    pub max: Option<u64>,
}

/// A mailbox to create: `name` is the local part, on the Stalwart domain `domain_id`.
pub struct NewMailbox<'a> {
    pub name: &'a str,
    pub domain_id: &'a str,
    pub description: &'a str,
    pub password: &'a SecretString,
}

/// Adds Stalwart's credentials to a request.
fn authorized(request: reqwest::RequestBuilder, auth: &StalwartAuth) -> reqwest::RequestBuilder {
    match auth {
        StalwartAuth::ApiKey(key) => request.bearer_auth(key.expose_secret()),
        StalwartAuth::Basic { user, password } => {
            request.basic_auth(user, Some(password.expose_secret()))
        }
    }
}

//! Tenant SSO apps: OpenID Connect clients a tenant admin registers on Dezky's Authentik
//! (`shared/reference/authentik.md` §7). The same views for the page and the JSON API
//! (`/api/tenants/:slug/sso-apps`). The client secret crosses the wire only in
//! [`SsoAppSecret`], once, at creation and at rotation; `Debug` never prints it.

use serde::{Deserialize, Serialize};

/// How Authentik compares a redirect URI the client sends with a registered one
/// (`MatchingModeEnum`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchingMode {
    /// Exactly equal.
    #[default]
    Strict,
    /// The registered value is a regular expression that must match the whole URI.
    Regex,
}

impl MatchingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchingMode::Strict => "strict",
            MatchingMode::Regex => "regex",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "strict" => Some(MatchingMode::Strict),
            "regex" => Some(MatchingMode::Regex),
            _ => None,
        }
    }
}

/// A registered redirect URI (Authentik's `RedirectURI`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUri {
    pub matching_mode: MatchingMode,
    pub url: String,
}

/// Where an app is in its life. Stored as `as_str`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SsoAppState {
    /// Being created in Authentik (or the creation was cut off: Delete removes what exists).
    Creating,
    /// Provider, application and binding exist.
    Active,
    /// A creation failed and its rollback did not finish; `message` says what is left in
    /// Authentik. Delete retries the cleanup.
    Failed,
    /// A deletion did not finish; Delete retries it.
    Deleting,
}

impl SsoAppState {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoAppState::Creating => "creating",
            SsoAppState::Active => "active",
            SsoAppState::Failed => "failed",
            SsoAppState::Deleting => "deleting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "creating" => SsoAppState::Creating,
            "active" => SsoAppState::Active,
            "failed" => SsoAppState::Failed,
            "deleting" => SsoAppState::Deleting,
            _ => return None,
        })
    }
}

/// Whether only the tenant's members may sign in to the app, as read from Authentik's policy
/// bindings when the list was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Fence {
    /// An enabled binding of the tenant's group, and no other binding.
    TenantOnly,
    /// Something else: no binding (Authentik then lets everyone in), a disabled or negated
    /// one, or a binding of someone else. The text says which.
    Broken(String),
    /// Not checked (not active, or Authentik did not answer); the text says why.
    Unknown(String),
}

/// One app as listed (no secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoApp {
    pub id: String,
    pub name: String,
    /// Authentik's application slug: `<tenant>_<name as slug>`; the issuer path uses it.
    pub slug: String,
    pub client_id: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub launch_url: Option<String>,
    pub state: SsoAppState,
    /// What happened last (the step that failed, what is left); never a secret.
    pub message: String,
    pub fence: Fence,
    pub created_by: Option<String>,
    /// ms since the epoch.
    pub created_at: i64,
}

/// The endpoints a developer configures in the app (`setup_urls`, absolute URLs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoEndpoints {
    pub issuer: String,
    /// `<issuer>.well-known/openid-configuration`.
    pub discovery: String,
    pub authorize: String,
    pub token: String,
    pub userinfo: String,
    pub jwks: String,
    pub logout: String,
}

/// One app with its endpoints (none until Authentik serves it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAppDetail {
    pub app: SsoApp,
    pub endpoints: Option<SsoEndpoints>,
}

/// The answer to a creation or a rotation: the app, its endpoints and the client secret,
/// shown once (sent with `Cache-Control: no-store`). Dezky keeps no copy.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAppSecret {
    pub detail: SsoAppDetail,
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for SsoAppSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoAppSecret")
            .field("detail", &self.detail)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// `POST /api/tenants/:slug/sso-apps`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSsoApp {
    pub name: String,
    /// Absolute https URLs (http only for loopback), at most 10.
    pub redirect_uris: Vec<String>,
    /// `regex` only when the admin chose it explicitly: the values are then regular
    /// expressions (a warning is shown).
    #[serde(default)]
    pub matching_mode: MatchingMode,
    #[serde(default)]
    pub launch_url: Option<String>,
}

/// `PATCH /api/tenants/:slug/sso-apps/:id`: what is present changes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAppPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub matching_mode: Option<MatchingMode>,
    /// `Some("")` removes the launch URL.
    #[serde(default)]
    pub launch_url: Option<String>,
}

/// A tile in a member's app launcher: an active app of their workspace with a launch URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchTile {
    pub name: String,
    pub url: String,
}

/// Splits the text of a redirect-URI box into its values: one per line (commas too), blanks
/// dropped.
pub fn split_uris(text: &str) -> Vec<String> {
    text.split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let s = SsoAppSecret {
            detail: SsoAppDetail {
                app: SsoApp {
                    id: "a".into(),
                    name: "Wiki".into(),
                    slug: "acme_wiki".into(),
                    client_id: Some("cid".into()),
                    redirect_uris: vec![],
                    launch_url: None,
                    state: SsoAppState::Active,
                    message: String::new(),
                    fence: Fence::TenantOnly,
                    created_by: None,
                    created_at: 0,
                },
                endpoints: None,
            },
            client_id: "cid".into(),
            client_secret: "s3cr3t-value-123".into(),
        };
        let printed = format!("{s:?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        assert!(printed.contains("redacted"));
    }

    #[test]
    fn states_round_trip() {
        for s in [
            SsoAppState::Creating,
            SsoAppState::Active,
            SsoAppState::Failed,
            SsoAppState::Deleting,
        ] {
            assert_eq!(SsoAppState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(SsoAppState::parse("gone"), None);
    }

    #[test]
    fn uris_split_on_lines_and_commas() {
        assert_eq!(
            split_uris(" https://a.example/cb \n\nhttps://b.example/cb,https://c.example/x "),
            vec![
                "https://a.example/cb",
                "https://b.example/cb",
                "https://c.example/x"
            ]
        );
    }
}

//! A relying party of the Authentik stand-in, for tests (feature `testing`): signs a person
//! in at the stand-in's flow form and runs the authorization-code flow for a registered
//! client, as a tenant's app would (`shared/reference/authentik.md` §8.1).

use reqwest::{header, redirect::Policy, Client, StatusCode};
use serde_json::Value;

pub struct RelyingParty {
    base: String,
    redirect_uri: String,
    http: Client,
}

impl RelyingParty {
    /// A client of the stand-in at `base` whose redirect URI is `redirect_uri` (never
    /// followed: the code is read from the redirect).
    pub fn new(base: &str, redirect_uri: &str) -> Self {
        let http = Client::builder()
            .redirect(Policy::none())
            .build()
            .expect("a reqwest client");
        Self {
            base: base.trim_end_matches('/').to_string(),
            redirect_uri: redirect_uri.to_string(),
            http,
        }
    }

    /// Signs `username` in at the flow form and asks for a code for `client_id`, with
    /// `redirect_uri` (the registered one when `None`): the code, or the authorize answer's
    /// status and text (or the redirect without a code) when there is none.
    pub async fn code_with(
        &self,
        (username, password): (&str, &str),
        client_id: &str,
        redirect_uri: Option<&str>,
    ) -> Result<String, (StatusCode, String)> {
        let r = self
            .http
            .post(format!(
                "{}/if/flow/default-authentication-flow/",
                self.base
            ))
            .form(&[
                ("uid_field", username),
                ("password", password),
                ("next", ""),
            ])
            .send()
            .await
            .expect("the flow form answers");
        assert!(
            r.status().is_redirection(),
            "{username} signed in at the IdP"
        );
        let cookie = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let r = self
            .http
            .get(format!("{}/application/o/authorize/", self.base))
            .query(&[
                ("client_id", client_id),
                ("redirect_uri", redirect_uri.unwrap_or(&self.redirect_uri)),
                ("response_type", "code"),
                ("scope", "openid email profile"),
                ("state", "st"),
            ])
            .header(header::COOKIE, cookie)
            .send()
            .await
            .expect("authorize answers");
        let location = r
            .headers()
            .get(header::LOCATION)
            .and_then(|l| url::Url::parse(l.to_str().ok()?).ok());
        match location {
            Some(u) => u
                .query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
                .ok_or((StatusCode::FOUND, u.to_string())),
            None => {
                let s = r.status();
                Err((s, r.text().await.unwrap_or_default()))
            }
        }
    }

    /// [`Self::code_with`] with the registered redirect URI.
    pub async fn code(
        &self,
        who: (&str, &str),
        client_id: &str,
    ) -> Result<String, (StatusCode, String)> {
        self.code_with(who, client_id, None).await
    }

    /// The token endpoint's answer to the code, with the client's credentials.
    pub async fn token(&self, code: &str, client_id: &str, secret: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/application/o/token/", self.base))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", self.redirect_uri.as_str()),
                ("client_id", client_id),
                ("client_secret", secret),
            ])
            .send()
            .await
            .expect("the token endpoint answers");
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// The userinfo endpoint's claims for an access token.
    pub async fn userinfo(&self, access_token: &str) -> Value {
        self.http
            .get(format!("{}/application/o/userinfo/", self.base))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo answers")
            .json()
            .await
            .unwrap_or(Value::Null)
    }
}

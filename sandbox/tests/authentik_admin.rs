//! The Authentik admin API stand-in: users, authenticated sessions and refresh tokens, with
//! the side effects the reference documents (§4, §5, §8.2).

use std::net::SocketAddr;

use reqwest::{header, redirect::Policy, Client, StatusCode};
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token";
const CLIENT_ID: &str = "console";
const CLIENT_SECRET: &str = "console-secret";
const REDIRECT: &str = "http://127.0.0.1:9/callback";
const MIA: (&str, &str) = ("mia@acme.example", "demo-member-2026");
const ADAM: (&str, &str) = ("adam@acme.example", "demo-admin-2026");

struct Idp {
    sandbox: AuthentikSandbox,
    base: String,
    http: Client,
}

async fn idp() -> Idp {
    let (sandbox, base) = AuthentikSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        OAuthClientRegistration {
            slug: "dezky".into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
        },
        ADMIN_TOKEN.into(),
    )
    .await
    .expect("the sandbox starts");
    let http = Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    Idp {
        sandbox,
        base,
        http,
    }
}

impl Idp {
    async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, String) {
        let mut req = self
            .http
            .request(method, format!("{}/api/v3{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        (status, resp.text().await.expect("body"))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, b) = self.api(reqwest::Method::GET, path, None).await;
        (s, serde_json::from_str(&b).unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, b) = self.api(reqwest::Method::POST, path, Some(body)).await;
        (s, serde_json::from_str(&b).unwrap_or(Value::Null))
    }

    async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let (s, b) = self.api(reqwest::Method::PATCH, path, Some(body)).await;
        (s, serde_json::from_str(&b).unwrap_or(Value::Null))
    }

    async fn delete(&self, path: &str) -> StatusCode {
        self.api(reqwest::Method::DELETE, path, None).await.0
    }

    /// Signs in at the flow form; the session cookie value, or None when refused.
    async fn sign_in(&self, username: &str, password: &str, user_agent: &str) -> Option<String> {
        let resp = self
            .http
            .post(format!(
                "{}/if/flow/default-authentication-flow/",
                self.base
            ))
            .header(header::USER_AGENT, user_agent)
            .form(&[
                ("uid_field", username),
                ("password", password),
                ("next", ""),
            ])
            .send()
            .await
            .expect("flow");
        if !resp.status().is_redirection() {
            return None;
        }
        let cookie = resp.headers().get(header::SET_COOKIE)?.to_str().ok()?;
        let value = cookie
            .split(';')
            .next()?
            .strip_prefix("authentik_session=")?;
        Some(value.to_string())
    }

    /// The authorization endpoint with a session cookie: the code, or None when the browser
    /// is sent to the sign-in form.
    async fn authorize(&self, cookie: &str) -> Option<String> {
        let resp = self
            .http
            .get(format!("{}/application/o/authorize/", self.base))
            .query(&[
                ("client_id", CLIENT_ID),
                ("redirect_uri", REDIRECT),
                ("response_type", "code"),
                ("scope", "openid email profile offline_access"),
                ("state", "st"),
            ])
            .header(header::COOKIE, format!("authentik_session={cookie}"))
            .send()
            .await
            .expect("authorize");
        let location = resp
            .headers()
            .get(header::LOCATION)?
            .to_str()
            .ok()?
            .to_string();
        let url = url::Url::parse(&location).ok()?;
        url.query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut form = form.to_vec();
        form.push(("client_id", CLIENT_ID));
        form.push(("client_secret", CLIENT_SECRET));
        let resp = self
            .http
            .post(format!("{}/application/o/token/", self.base))
            .form(&form)
            .send()
            .await
            .expect("token");
        let status = resp.status();
        (status, resp.json().await.expect("token JSON"))
    }

    /// Sign-in, authorization and code exchange: (cookie, token response).
    async fn login(&self, (username, password): (&str, &str)) -> (String, Value) {
        let cookie = self
            .sign_in(
                username,
                password,
                "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
            )
            .await
            .expect("signed in");
        let code = self.authorize(&cookie).await.expect("a code");
        let (status, tokens) = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ])
            .await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        (cookie, tokens)
    }

    async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    async fn userinfo(&self, access_token: &str) -> StatusCode {
        self.http
            .get(format!("{}/application/o/userinfo/", self.base))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("userinfo")
            .status()
    }
}

fn results(page: &Value) -> Vec<Value> {
    page["results"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn users_are_created_with_the_real_shape_and_unique_usernames() {
    let idp = idp().await;
    let (status, group) = idp
        .post("/core/groups/", json!({ "name": "dezky-tenant-acme" }))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let group_pk = group["pk"].as_str().unwrap().to_string();

    let (status, user) = idp
        .post(
            "/core/users/",
            json!({
                "username": "alice.acme", "name": "Alice Example", "email": "alice@acme.example",
                "groups": [group_pk], "path": "dezky/acme", "attributes": { "dezky_tenant_id": 42 }
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let pk = user["pk"].as_i64().expect("integer pk");
    assert_eq!(user["username"], "alice.acme");
    assert_eq!(user["is_active"], true);
    assert_eq!(user["is_superuser"], false);
    assert_eq!(user["type"], "internal");
    assert_eq!(user["path"], "dezky/acme");
    assert_eq!(user["last_login"], Value::Null);
    assert_eq!(user["roles"], json!([]));
    assert_eq!(user["groups"], json!([group_pk]));
    assert_eq!(user["groups_obj"][0]["name"], "dezky-tenant-acme");
    assert_eq!(user["groups_obj"][0]["num_pk"], group["num_pk"]);
    let uid = user["uid"].as_str().unwrap();
    assert_eq!(uid.len(), 64);
    assert!(uid.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(user["uuid"]
        .as_str()
        .unwrap()
        .parse::<uuid_like::Uuid>()
        .is_ok());
    assert!(user["avatar"]
        .as_str()
        .unwrap()
        .starts_with("data:image/svg+xml;base64,"));
    for field in ["date_joined", "last_updated", "password_change_date"] {
        assert!(user[field].as_str().unwrap().ends_with('Z'), "{field}");
    }
    // Membership is the group's too.
    let (_, g) = idp.get(&format!("/core/groups/{group_pk}/")).await;
    assert_eq!(g["users"], json!([pk]));
    assert_eq!(idp.sandbox.user("alice.acme").unwrap().pk, pk);
    assert!(idp.sandbox.user("alice.acme").unwrap().password.is_none());

    let (status, body) = idp
        .post(
            "/core/users/",
            json!({ "username": "alice.acme", "name": "" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({ "username": ["This field must be unique."] }));

    let (status, body) = idp.post("/core/users/", json!({ "name": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({ "username": ["This field is required."] }));

    for (path, message) in [
        ("/leading", "No leading or trailing slashes allowed."),
        ("trailing/", "No leading or trailing slashes allowed."),
        ("a//b", "No empty segments in user path allowed."),
    ] {
        let (status, body) = idp
            .post(
                "/core/users/",
                json!({ "username": "p", "name": "", "path": path }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body, json!({ "path": [message] }));
    }

    let missing = "3f1c2a9e-7b7d-4a52-9d0e-5a1c3b2d4e6f";
    let (status, body) = idp
        .post(
            "/core/users/",
            json!({ "username": "g", "name": "", "groups": [missing] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        json!({ "groups": [format!("Invalid pk \"{missing}\" - object does not exist.")] })
    );

    let (status, body) = idp
        .post(
            "/core/users/",
            json!({ "username": "svc", "name": "", "type": "internal_service_account" }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["type"].is_array());

    let (status, _) = idp.get(&format!("/core/users/{pk}/")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = idp.get("/core/users/999999/").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({ "detail": "Not found." }));

    // Without the admin token: 403 with a detail.
    let resp = idp
        .http
        .get(format!("{}/api/v3/core/users/", idp.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.json::<Value>().await.unwrap()["detail"].is_string());
}

/// Tiny UUID syntax check without another dependency.
mod uuid_like {
    pub struct Uuid;
    impl std::str::FromStr for Uuid {
        type Err = ();
        fn from_str(s: &str) -> Result<Self, ()> {
            let parts: Vec<&str> = s.split('-').collect();
            let ok = parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
                && parts
                    .iter()
                    .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()));
            ok.then_some(Uuid).ok_or(())
        }
    }
}

#[tokio::test]
async fn user_filters_are_exact_and_unknown_ones_are_ignored() {
    let idp = idp().await;
    let total = idp.sandbox.user_count();
    assert!(total >= 5);

    let (_, page) = idp.get("/core/users/?username=mia@acme.example").await;
    assert_eq!(page["pagination"]["count"], 1);
    assert_eq!(results(&page)[0]["username"], "mia@acme.example");

    // Exact and case-sensitive.
    let (_, page) = idp.get("/core/users/?username=MIA@acme.example").await;
    assert_eq!(page["pagination"]["count"], 0);
    let (_, page) = idp.get("/core/users/?email=mia@acme").await;
    assert_eq!(page["pagination"]["count"], 0);

    // Not a declared filter: ignored, everyone comes back.
    let (status, page) = idp
        .get("/core/users/?user=7&usernme=mia@acme.example")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["count"], total);

    let mia = idp.sandbox.user(MIA.0).unwrap();
    let (_, page) = idp.get(&format!("/core/users/?uuid={}", mia.uuid)).await;
    assert_eq!(page["pagination"]["count"], 1);
    let (status, body) = idp.get("/core/users/?uuid=not-a-uuid").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({ "uuid": ["Enter a valid UUID."] }));

    let (_, page) = idp.get("/core/users/?is_active=false").await;
    assert_eq!(page["pagination"]["count"], 0);
    let (_, page) = idp.get("/core/users/?path=users&name=Mia%20Member").await;
    assert_eq!(page["pagination"]["count"], 1);

    let (_, page) = idp
        .get("/core/users/?include_groups=false&username=mia@acme.example")
        .await;
    assert_eq!(results(&page)[0]["groups_obj"], Value::Null);
    let (_, page) = idp.get("/core/users/?username=mia@acme.example").await;
    assert_eq!(results(&page)[0]["groups_obj"], json!([]));

    let (_, page) = idp.get("/core/users/?page_size=2&page=2").await;
    assert_eq!(page["pagination"]["current"], 2);
    assert_eq!(results(&page).len(), 2);
}

#[tokio::test]
async fn a_new_user_signs_in_only_after_set_password() {
    let idp = idp().await;
    let (_, user) = idp
        .post(
            "/core/users/",
            json!({ "username": "bob", "name": "Bob", "email": "bob@acme.example" }),
        )
        .await;
    let pk = user["pk"].as_i64().unwrap();
    let before = user["password_change_date"].clone();
    assert!(
        idp.sign_in("bob", "", "test").await.is_none(),
        "no usable password"
    );

    let path = format!("/core/users/{pk}/set_password/");
    let (status, body) = idp
        .api(
            reqwest::Method::POST,
            &path,
            Some(json!({ "password": "short" })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, "", "a rejected password is a 400 with an empty body");

    let (status, body) = idp.post(&path, json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body, json!({ "password": ["This field is required."] }));

    let (status, _) = idp
        .api(
            reqwest::Method::POST,
            &path,
            Some(json!({ "password": "long enough pass" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, user) = idp.get(&format!("/core/users/{pk}/")).await;
    assert_ne!(user["password_change_date"], before);
    assert!(idp
        .sign_in("bob", "long enough pass", "test")
        .await
        .is_some());
    assert!(idp
        .sign_in("bob@acme.example", "wrong password", "test")
        .await
        .is_none());

    let (status, _) = idp
        .post(
            "/core/users/424242/set_password/",
            json!({ "password": "long enough pass" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deactivation_deletes_sessions_and_all_oauth_tokens() {
    let idp = idp().await;
    let pk = idp.sandbox.user_pk(MIA.0).unwrap();
    let (cookie, tokens) = idp.login(MIA).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(idp.sandbox.session_count(pk), 1);
    assert_eq!(idp.sandbox.refresh_token_count(pk), 1);
    assert_eq!(idp.userinfo(&access).await, StatusCode::OK);

    let (status, user) = idp
        .patch(&format!("/core/users/{pk}/"), json!({ "is_active": false }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["is_active"], false);
    assert_eq!(idp.sandbox.session_count(pk), 0);
    assert_eq!(idp.sandbox.refresh_token_count(pk), 0);
    assert_eq!(idp.sandbox.access_token_count(pk), 0);
    assert_eq!(idp.userinfo(&access).await, StatusCode::UNAUTHORIZED);
    let (status, body) = idp.refresh(&refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert!(
        idp.authorize(&cookie).await.is_none(),
        "the browser session is gone"
    );
    assert!(
        idp.sign_in(MIA.0, MIA.1, "test").await.is_none(),
        "inactive users cannot sign in"
    );

    // Re-activating restores nothing: the user signs in again.
    let (status, _) = idp
        .patch(&format!("/core/users/{pk}/"), json!({ "is_active": true }))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(idp.sandbox.refresh_token_count(pk), 0);
    assert_eq!(idp.refresh(&refresh).await.0, StatusCode::BAD_REQUEST);
    assert!(idp.sign_in(MIA.0, MIA.1, "test").await.is_some());
}

#[tokio::test]
async fn patch_replaces_attributes_and_groups_whole() {
    let idp = idp().await;
    let (_, g1) = idp.post("/core/groups/", json!({ "name": "one" })).await;
    let (_, g2) = idp.post("/core/groups/", json!({ "name": "two" })).await;
    let (_, user) = idp
        .post(
            "/core/users/",
            json!({ "username": "carol", "name": "Carol", "groups": [g1["pk"]], "attributes": { "a": 1, "b": 2 } }),
        )
        .await;
    let pk = user["pk"].as_i64().unwrap();
    let (status, user) = idp
        .patch(
            &format!("/core/users/{pk}/"),
            json!({ "attributes": { "c": 3 }, "groups": [g2["pk"]], "name": "Carol C" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["attributes"], json!({ "c": 3 }));
    assert_eq!(user["groups"], json!([g2["pk"]]));
    assert_eq!(user["name"], "Carol C");
    let groups = idp.sandbox.groups();
    assert!(!groups
        .iter()
        .find(|g| g.name == "one")
        .unwrap()
        .users
        .contains(&pk));
    assert!(groups
        .iter()
        .find(|g| g.name == "two")
        .unwrap()
        .users
        .contains(&pk));

    let (status, body) = idp
        .patch(&format!("/core/users/{pk}/"), json!({ "path": "/bad" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["path"].is_array());

    // Delete cascades to memberships.
    assert_eq!(
        idp.delete(&format!("/core/users/{pk}/")).await,
        StatusCode::NO_CONTENT
    );
    assert!(idp.sandbox.groups().iter().all(|g| !g.users.contains(&pk)));
    assert_eq!(
        idp.delete(&format!("/core/users/{pk}/")).await,
        StatusCode::NOT_FOUND
    );
    assert!(idp.sandbox.user("carol").is_none());
}

#[tokio::test]
async fn sessions_list_ignores_user_but_honours_the_username_filter() {
    let idp = idp().await;
    let mia = idp.sandbox.user_pk(MIA.0).unwrap();
    idp.login(MIA).await;
    idp.login(ADAM).await;

    // `user` is not a declared filter: everyone's sessions come back.
    let (status, page) = idp
        .get(&format!("/core/authenticated_sessions/?user={mia}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["pagination"]["count"], 2);

    let (_, page) = idp
        .get(&format!(
            "/core/authenticated_sessions/?user__username={}",
            MIA.0
        ))
        .await;
    let items = results(&page);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["user"], mia);
    assert_eq!(item["current"], false);
    assert_eq!(item["last_ip"], "127.0.0.1");
    assert!(item["last_user_agent"]
        .as_str()
        .unwrap()
        .contains("Firefox/130.0"));
    assert_eq!(item["user_agent"]["user_agent"]["family"], "Firefox");
    assert_eq!(item["user_agent"]["user_agent"]["major"], "130");
    assert_eq!(item["geo_ip"], Value::Null);
    assert_eq!(item["asn"], Value::Null);
    assert!(item["uuid"].as_str().unwrap().len() == 36);
    assert!(item["expires"].as_str().unwrap() > item["last_used"].as_str().unwrap());

    // Exact match: a prefix finds nothing.
    let (_, page) = idp
        .get("/core/authenticated_sessions/?user__username=mia")
        .await;
    assert_eq!(page["pagination"]["count"], 0);

    // The sandbox can simulate a dropped filter.
    let resp = idp
        .http
        .post(format!("{}/_sandbox/authentik/settings", idp.base))
        .json(&json!({ "ignore_session_user_filter": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let (_, page) = idp
        .get(&format!(
            "/core/authenticated_sessions/?user__username={}",
            MIA.0
        ))
        .await;
    assert_eq!(page["pagination"]["count"], 2);
    idp.sandbox.set_ignore_session_user_filter(false);
    let (_, page) = idp
        .get(&format!(
            "/core/authenticated_sessions/?user__username={}",
            MIA.0
        ))
        .await;
    assert_eq!(page["pagination"]["count"], 1);
}

#[tokio::test]
async fn deleting_a_session_ends_it_and_its_access_tokens_but_not_refresh_tokens() {
    let idp = idp().await;
    let pk = idp.sandbox.user_pk(MIA.0).unwrap();
    let (cookie, tokens) = idp.login(MIA).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (_, page) = idp
        .get(&format!(
            "/core/authenticated_sessions/?user__username={}",
            MIA.0
        ))
        .await;
    let uuid = results(&page)[0]["uuid"].as_str().unwrap().to_string();

    let path = format!("/core/authenticated_sessions/{uuid}/");
    assert_eq!(idp.get(&path).await.0, StatusCode::OK);
    assert_eq!(idp.delete(&path).await, StatusCode::NO_CONTENT);
    assert_eq!(idp.sandbox.session_count(pk), 0);
    assert!(
        idp.authorize(&cookie).await.is_none(),
        "the cookie no longer authenticates"
    );
    assert_eq!(idp.userinfo(access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        idp.sandbox.refresh_token_count(pk),
        1,
        "refresh tokens survive"
    );
    let (status, fresh) = idp.refresh(refresh).await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(
        idp.userinfo(fresh["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );
    assert_eq!(idp.delete(&path).await, StatusCode::NOT_FOUND);
    assert_eq!(
        idp.delete("/core/authenticated_sessions/not-a-uuid/").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn refresh_tokens_are_listed_by_user_and_deleted_tokens_stop_working() {
    let idp = idp().await;
    let mia = idp.sandbox.user_pk(MIA.0).unwrap();
    let (_, tokens) = idp.login(MIA).await;
    idp.login(ADAM).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (status, page) = idp
        .get(&format!("/oauth2/refresh_tokens/?user={mia}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = results(&page);
    assert_eq!(items.len(), 1);
    let item = &items[0];
    let id = item["pk"].as_i64().expect("integer pk");
    assert_eq!(item["user"]["pk"], mia);
    assert_eq!(item["user"]["username"], MIA.0);
    assert_eq!(item["provider"]["pk"], 1);
    assert!(item["provider"]["name"].is_string());
    assert_eq!(item["revoked"], false);
    assert_eq!(item["is_expired"], false);
    assert!(item["scope"]
        .as_array()
        .unwrap()
        .contains(&json!("offline_access")));
    let id_token: Value = serde_json::from_str(item["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id_token["sub"], idp.sandbox.user(MIA.0).unwrap().uuid);

    // Both users' tokens without the filter; `provider` is the other declared filter.
    let (_, page) = idp.get("/oauth2/refresh_tokens/").await;
    assert_eq!(page["pagination"]["count"], 2);
    let (_, page) = idp.get("/oauth2/refresh_tokens/?provider=1").await;
    assert_eq!(page["pagination"]["count"], 2);
    let (status, body) = idp.get("/oauth2/refresh_tokens/?user=999999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["user"].is_array());

    let path = format!("/oauth2/refresh_tokens/{id}/");
    assert_eq!(idp.delete(&path).await, StatusCode::NO_CONTENT);
    assert_eq!(idp.sandbox.refresh_token_count(mia), 0);
    let (status, body) = idp.refresh(refresh).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(idp.delete(&path).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rotated_refresh_tokens_are_listed_as_revoked() {
    let idp = idp().await;
    let mia = idp.sandbox.user_pk(MIA.0).unwrap();
    let (_, tokens) = idp.login(MIA).await;
    let (status, _) = idp.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = idp
        .get(&format!("/oauth2/refresh_tokens/?user={mia}"))
        .await;
    let revoked: Vec<bool> = results(&page)
        .iter()
        .map(|t| t["revoked"].as_bool().unwrap())
        .collect();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked.iter().filter(|r| **r).count(), 1);
    assert_eq!(idp.sandbox.refresh_token_count(mia), 1);
}

/// `/authenticators/admin/all/?user=` (§6.1): a bare array of one user's devices, confirmed or
/// not, without a user field; an unknown or malformed pk is a 400 naming `user`. The per-type
/// lists (§6.2) are paginated, carry the user, and ignore `user`. A deleted user's devices go.
#[tokio::test]
async fn authenticator_devices_have_the_admin_api_shapes() {
    let idp = idp().await;
    let mia = idp.sandbox.user_pk(MIA.0).unwrap();
    let adam = idp.sandbox.user_pk(ADAM.0).unwrap();
    for (user, body) in [
        (
            MIA.0,
            json!({ "kind": "totp", "name": "Phone", "used": true }),
        ),
        (
            MIA.0,
            json!({ "kind": "webauthn", "name": "YubiKey", "confirmed": false }),
        ),
        (ADAM.0, json!({ "kind": "totp", "name": "Adam's phone" })),
    ] {
        let r = idp
            .http
            .post(format!(
                "{}/_sandbox/authentik/users/{user}/devices",
                idp.base
            ))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let (s, all) = idp
        .get(&format!("/authenticators/admin/all/?user={mia}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let all = all.as_array().expect("a bare array, not a page");
    assert_eq!(all.len(), 2);
    let totp = &all[0];
    assert_eq!(
        totp["type"],
        "authentik_stages_authenticator_totp.TOTPDevice"
    );
    assert_eq!(
        totp["meta_model_name"],
        "authentik_stages_authenticator_totp.totpdevice"
    );
    assert!(totp["pk"].is_string(), "pk is a string: {totp}");
    assert_eq!(totp["confirmed"], true);
    assert!(totp["last_used"].is_string());
    assert!(totp.get("user").is_none(), "no user field");
    assert_eq!(all[1]["confirmed"], false);
    for (q, msg) in [
        ("999999", "object does not exist"),
        ("abc", "Incorrect type"),
    ] {
        let (s, e) = idp
            .get(&format!("/authenticators/admin/all/?user={q}"))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(e["user"][0].as_str().unwrap().contains(msg), "{e}");
    }
    let (_, everyone) = idp.get("/authenticators/admin/all/").await;
    assert_eq!(everyone.as_array().unwrap().len(), 3);
    // The per-type list ignores `user` and names each device's user.
    let (s, page) = idp
        .get(&format!("/authenticators/admin/totp/?user={mia}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["pagination"]["count"], 2, "{page}");
    let users: Vec<i64> = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["user"]["pk"].as_i64().unwrap())
        .collect();
    assert!(users.contains(&mia) && users.contains(&adam));
    assert!(page["results"][0].get("confirmed").is_none());
    // Deleting a user deletes their devices.
    assert_eq!(
        idp.delete(&format!("/core/users/{adam}/")).await,
        StatusCode::NO_CONTENT
    );
    let (_, everyone) = idp.get("/authenticators/admin/all/").await;
    assert_eq!(everyone.as_array().unwrap().len(), 2);
}

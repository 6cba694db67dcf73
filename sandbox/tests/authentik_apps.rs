//! The Authentik stand-in's SSO app objects (`shared/reference/authentik.md` §7): discovery
//! lists, an OAuth2 provider with generated credentials, an application under a slug, a
//! group binding; the application is then a real OIDC client of the stand-in whose binding
//! decides who gets a code, whose rotated secret replaces the old one, and whose deletion
//! takes discovery away.

use std::net::SocketAddr;

use reqwest::{redirect::Policy, Client, StatusCode};
use sandbox::relying_party::RelyingParty;
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use serde_json::{json, Value};

const ADMIN_TOKEN: &str = "admin-token";
const MIA: (&str, &str) = ("mia@acme.example", "demo-member-2026");
const GINA: (&str, &str) = ("gina@globex.example", "demo-globex-2026");
const WIKI: &str = "https://wiki.acme.example/oauth/callback";

struct Idp {
    sandbox: AuthentikSandbox,
    base: String,
    http: Client,
    /// The tenant app's side of the code flow.
    rp: RelyingParty,
}

async fn idp() -> Idp {
    let (sandbox, base) = AuthentikSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        OAuthClientRegistration {
            slug: "dezky".into(),
            client_id: "console".into(),
            client_secret: "console-secret".into(),
            redirect_uris: vec!["http://127.0.0.1:9/callback".into()],
            post_logout_redirect_uris: vec![],
        },
        ADMIN_TOKEN.into(),
    )
    .await
    .expect("the sandbox starts");
    let http = Client::builder().redirect(Policy::none()).build().unwrap();
    let rp = RelyingParty::new(&base, WIKI);
    Idp {
        sandbox,
        base,
        http,
        rp,
    }
}

impl Idp {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/api/v3{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let s = r.status();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn first(&self, path: &str) -> Value {
        let (s, page) = self.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        page["results"][0].clone()
    }
}

#[tokio::test]
async fn an_application_is_an_oidc_client_fenced_by_its_binding() {
    let idp = idp().await;
    // Discovery, as Dezky will do it.
    let auth_flow = idp
        .first("/flows/instances/?slug=default-provider-authorization-implicit-consent")
        .await;
    assert_eq!(auth_flow["designation"], "authorization");
    let (_, invalidation) = idp.get("/flows/instances/?designation=invalidation").await;
    assert_eq!(
        invalidation["pagination"]["count"], 2,
        "two invalidation flows: pick by slug"
    );
    let inv_flow = idp
        .first("/flows/instances/?slug=default-provider-invalidation-flow")
        .await;
    let key = idp
        .first(
            "/crypto/certificatekeypairs/?has_key=true&name=authentik%20Self-signed%20Certificate",
        )
        .await;
    let (_, scopes) = idp
        .get("/propertymappings/provider/scope/?managed=goauthentik.io/providers/oauth2/scope-openid&managed=goauthentik.io/providers/oauth2/scope-email&managed=goauthentik.io/providers/oauth2/scope-profile")
        .await;
    assert_eq!(scopes["pagination"]["count"], 3);
    let mappings: Vec<Value> = scopes["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["pk"].clone())
        .collect();

    // Validation as upstream: required fields, unknown flows, bad regexes.
    let (s, e) = idp.post("/providers/oauth2/", json!({ "name": "x" })).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    for field in ["authorization_flow", "invalidation_flow", "redirect_uris"] {
        assert_eq!(e[field][0], "This field is required.", "{e}");
    }
    let (s, e) = idp
        .post("/providers/oauth2/", json!({ "name": "x", "authorization_flow": "nope", "invalidation_flow": inv_flow["pk"], "redirect_uris": [{ "matching_mode": "regex", "url": "(" }] }))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["authorization_flow"][0]
        .as_str()
        .unwrap()
        .contains("does not exist"));
    assert!(e["redirect_uris"].is_array(), "{e}");

    let (s, provider) = idp
        .post(
            "/providers/oauth2/",
            json!({
                "name": "dezky-acme-wiki", "authorization_flow": auth_flow["pk"],
                "invalidation_flow": inv_flow["pk"], "client_type": "confidential",
                "redirect_uris": [{ "matching_mode": "strict", "url": WIKI }],
                "signing_key": key["pk"], "property_mappings": mappings, "sub_mode": "user_uuid",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{provider}");
    assert!(provider["pk"].is_i64());
    let client_id = provider["client_id"].as_str().unwrap().to_string();
    let secret = provider["client_secret"].as_str().unwrap().to_string();
    assert_eq!(
        (client_id.len(), secret.len()),
        (40, 128),
        "generated like upstream"
    );
    let (s, e) = idp
        .post("/providers/oauth2/", json!({ "name": "dezky-acme-wiki", "authorization_flow": auth_flow["pk"], "invalidation_flow": inv_flow["pk"], "redirect_uris": [] }))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["name"][0].as_str().unwrap().contains("already exists"));
    let pk = provider["pk"].as_i64().unwrap();
    let (s, _) = idp
        .get(&format!("/providers/oauth2/{pk}/setup_urls/"))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no application yet");

    // The application: reserved and taken slugs are refused.
    let (s, e) = idp
        .post(
            "/core/applications/",
            json!({ "name": "Token", "slug": "token" }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["slug"][0].as_str().unwrap().contains("reserved"));
    let (s, app) = idp
        .post("/core/applications/", json!({ "name": "Acme Wiki", "slug": "acme-wiki", "provider": pk, "meta_launch_url": "https://wiki.acme.example/" }))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{app}");
    let (s, e) = idp
        .post(
            "/core/applications/",
            json!({ "name": "Again", "slug": "acme-wiki-2", "provider": pk }),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "one provider per application: {e}"
    );
    let (_, urls) = idp
        .get(&format!("/providers/oauth2/{pk}/setup_urls/"))
        .await;
    assert_eq!(
        urls["issuer"],
        format!("{}/application/o/acme-wiki/", idp.base)
    );
    let discovery = format!(
        "{}/application/o/acme-wiki/.well-known/openid-configuration",
        idp.base
    );
    assert_eq!(
        idp.http.get(&discovery).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Without a binding everyone may use it; bound to acme's group, only acme's people.
    assert!(
        idp.rp.code(GINA, &client_id).await.is_ok(),
        "open while unbound"
    );
    let (_, group) = idp
        .post("/core/groups/", json!({ "name": "dezky-tenant-acme" }))
        .await;
    let mia_pk = idp.sandbox.user_pk(MIA.0).unwrap();
    let (s, _) = idp
        .post(
            &format!("/core/groups/{}/add_user/", group["pk"].as_str().unwrap()),
            json!({ "pk": mia_pk }),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = idp
        .post(
            "/policies/bindings/",
            json!({ "target": app["pk"], "order": 0 }),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["non_field_errors"].is_array(), "{e}");
    let (s, binding) = idp
        .post(
            "/policies/bindings/",
            json!({ "target": app["pk"], "group": group["pk"], "order": 0 }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{binding}");
    let (_, listed) = idp
        .get(&format!(
            "/policies/bindings/?target={}",
            app["pk"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed["pagination"]["count"], 1);

    let code = idp
        .rp
        .code(MIA, &client_id)
        .await
        .expect("mia is in the bound group");
    let (s, tokens) = idp.rp.token(&code, &client_id, &secret).await;
    assert_eq!(s, StatusCode::OK, "{tokens}");
    let userinfo = idp
        .rp
        .userinfo(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(userinfo["email"], MIA.0);
    let (status, page) = idp
        .rp
        .code(GINA, &client_id)
        .await
        .expect_err("gina is not");
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Access denied"), "{page}");
    assert!(
        idp.rp
            .code_with(MIA, &client_id, Some("https://evil.example/cb"))
            .await
            .is_err(),
        "unregistered redirect URI"
    );

    // Rotation: the old secret stops working at the token endpoint.
    let (s, rotated) = idp
        .call(
            reqwest::Method::PATCH,
            &format!("/providers/oauth2/{pk}/"),
            Some(json!({ "client_secret": "a-new-secret-of-enough-length-0123456789" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let new_secret = rotated["client_secret"].as_str().unwrap().to_string();
    let code = idp.rp.code(MIA, &client_id).await.unwrap();
    let (s, e) = idp.rp.token(&code, &client_id, &secret).await;
    assert_ne!(s, StatusCode::OK, "the old secret is refused: {e}");
    let code = idp.rp.code(MIA, &client_id).await.unwrap();
    assert_eq!(
        idp.rp.token(&code, &client_id, &new_secret).await.0,
        StatusCode::OK
    );

    // Deletion: the application (its binding goes with it), then the provider.
    let (s, _) = idp
        .call(
            reqwest::Method::DELETE,
            "/core/applications/acme-wiki/",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, listed) = idp
        .get(&format!(
            "/policies/bindings/?target={}",
            app["pk"].as_str().unwrap()
        ))
        .await;
    assert_eq!(listed["pagination"]["count"], 0, "bindings cascade");
    assert_eq!(
        idp.http.get(&discovery).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let (_, left) = idp.get(&format!("/providers/oauth2/{pk}/")).await;
    assert!(
        left["assigned_application_slug"].is_null(),
        "the provider outlives its application"
    );
    let (s, _) = idp
        .call(
            reqwest::Method::DELETE,
            &format!("/providers/oauth2/{pk}/"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = idp.get(&format!("/providers/oauth2/{pk}/")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

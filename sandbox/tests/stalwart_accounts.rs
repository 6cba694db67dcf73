//! The Stalwart stand-in's `x:Account` model (§7): password policy, unique addresses,
//! permissions-based freezing, pointer updates, and mailbox authentication.

use std::net::SocketAddr;
use std::time::Duration;

use reqwest::{Client, StatusCode};
use sandbox::stalwart::StalwartSandbox;
use serde_json::{json, Value};

const STRONG: &str = "correct horse battery staple 42";
const STRONGER: &str = "n3w-Correct-Horse-Battery-Zebra";

struct Mail {
    sandbox: StalwartSandbox,
    base: String,
    http: Client,
}

async fn mail() -> Mail {
    let (sandbox, base) = StalwartSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "admin".into(),
        "admin-secret".into(),
        "mail.dezky.example".into(),
    )
    .await
    .expect("the sandbox starts");
    sandbox.set_dkim_delay(Duration::ZERO);
    Mail {
        sandbox,
        base,
        http: Client::new(),
    }
}

impl Mail {
    /// `POST /jmap` as `user`; the method responses.
    async fn jmap_as(&self, user: &str, password: &str, calls: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/jmap", self.base))
            .basic_auth(user, Some(password))
            .json(&json!({ "using": ["urn:ietf:params:jmap:core", "urn:stalwart:jmap"], "methodCalls": calls }))
            .send()
            .await
            .expect("jmap");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// One method call as the admin: its response arguments (or the error).
    async fn call(&self, method: &str, args: Value) -> Value {
        let (status, body) = self
            .jmap_as("admin", "admin-secret", json!([[method, args, "0"]]))
            .await;
        assert_eq!(status, StatusCode::OK);
        body["methodResponses"][0][1].clone()
    }

    async fn create_domain(&self, name: &str) -> String {
        let r = self
            .call(
                "x:Domain/set",
                json!({ "create": { "d": { "name": name } } }),
            )
            .await;
        r["created"]["d"]["id"]
            .as_str()
            .expect("created")
            .to_string()
    }

    async fn create_account(&self, account: Value) -> Value {
        self.call("x:Account/set", json!({ "create": { "u": account } }))
            .await
    }

    async fn update(&self, id: &str, patch: Value) -> Value {
        self.call("x:Account/set", json!({ "update": { id: patch } }))
            .await
    }

    async fn session_status(&self, user: &str, password: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}/jmap/session", self.base))
            .basic_auth(user, Some(password))
            .send()
            .await
            .expect("session");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }
}

fn alice(domain: &str, secret: &str) -> Value {
    json!({
        "@type": "User", "name": "Alice", "domainId": domain, "description": "Alice Example",
        "credentials": { "0": { "@type": "Password", "secret": secret } },
        "quotas": { "maxDiskQuota": 5368709120u64 }
    })
}

#[tokio::test]
async fn accounts_need_a_type_a_domain_and_a_strong_password() {
    let m = mail().await;
    let domain = m.create_domain("acme.example").await;

    let r = m.create_account(alice(&domain, "password1")).await;
    let err = &r["notCreated"]["u"];
    assert_eq!(err["type"], "invalidProperties", "{r}");
    assert_eq!(err["properties"], json!(["secret"]));
    assert!(err["description"].as_str().is_some_and(|d| !d.is_empty()));
    let r = m.create_account(alice(&domain, "Sh0rt!")).await;
    assert_eq!(r["notCreated"]["u"]["type"], "invalidProperties");

    let mut untyped = alice(&domain, STRONG);
    untyped.as_object_mut().unwrap().remove("@type");
    let r = m.create_account(untyped).await;
    assert_eq!(r["notCreated"]["u"]["type"], "invalidPatch");
    assert_eq!(
        r["notCreated"]["u"]["description"],
        "Missing or invalid '@type' property"
    );

    let r = m
        .create_account(json!({ "@type": "User", "domainId": domain }))
        .await;
    assert_eq!(r["notCreated"]["u"]["type"], "validationFailed");
    assert_eq!(
        r["notCreated"]["u"]["validationErrors"],
        json!([{ "type": "Required", "property": "name" }])
    );

    let r = m.create_account(alice("zzz", STRONG)).await;
    assert_eq!(r["notCreated"]["u"]["type"], "invalidForeignKey");
    assert_eq!(
        r["notCreated"]["u"]["objectId"],
        json!({ "object": "Domain", "id": "zzz" })
    );

    let mut two = alice(&domain, STRONG);
    two["credentials"]["1"] = json!({ "@type": "Password", "secret": STRONGER });
    let r = m.create_account(two).await;
    assert_eq!(r["notCreated"]["u"]["type"], "invalidProperties");

    // Hashes skip the strength check.
    let mut hashed = alice(&domain, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    hashed["name"] = json!("hashed");
    let r = m.create_account(hashed).await;
    assert!(r["created"]["u"]["id"].is_string(), "{r}");

    let r = m.create_account(alice(&domain, STRONG)).await;
    let id = r["created"]["u"]["id"]
        .as_str()
        .expect("created")
        .to_string();
    assert_eq!(m.sandbox.account_count(), 2);

    let account = m
        .sandbox
        .account("alice@acme.example")
        .expect("the account");
    assert_eq!(account["id"], id);
    assert_eq!(account["name"], "alice", "lower-cased");
    assert_eq!(account["emailAddress"], "alice@acme.example");
    assert_eq!(account["credentials"]["0"]["@type"], "Password");
    assert_eq!(account["credentials"]["0"]["secret"], "****");
    assert_eq!(account["permissions"], json!({ "@type": "Inherit" }));
    assert_eq!(account["roles"], json!({ "@type": "User" }));
    assert_eq!(account["quotas"]["maxDiskQuota"], 5368709120u64);
    assert_eq!(account["usedDiskQuota"], 0);
    assert!(account["createdAt"].as_str().unwrap().ends_with('Z'));

    assert!(m.sandbox.set_used_disk("alice@acme.example", 1234));
    let got = m
        .call(
            "x:Account/get",
            json!({ "ids": [id, "nope"], "properties": ["usedDiskQuota", "emailAddress"] }),
        )
        .await;
    assert_eq!(got["list"][0]["usedDiskQuota"], 1234);
    assert_eq!(got["list"][0]["emailAddress"], "alice@acme.example");
    assert!(got["list"][0].get("credentials").is_none());
    assert_eq!(got["notFound"], json!(["nope"]));
}

#[tokio::test]
async fn addresses_are_unique_across_accounts_aliases_and_lists() {
    let m = mail().await;
    let domain = m.create_domain("acme.example").await;
    let mut first = alice(&domain, STRONG);
    first["aliases"] = json!({ "0": { "name": "sales", "domainId": domain } });
    let owner = m.create_account(first).await["created"]["u"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let r = m.create_account(alice(&domain, STRONGER)).await;
    let err = &r["notCreated"]["u"];
    assert_eq!(err["type"], "primaryKeyViolation");
    assert_eq!(err["properties"], json!(["email"]));
    assert_eq!(err["objectId"], json!({ "object": "Account", "id": owner }));

    let mut clash = alice(&domain, STRONGER);
    clash["name"] = json!("sales");
    let r = m.create_account(clash).await;
    assert_eq!(r["notCreated"]["u"]["type"], "primaryKeyViolation");

    let r = m
        .call(
            "x:MailingList/set",
            json!({ "create": { "l": { "name": "ALICE", "domainId": domain } } }),
        )
        .await;
    assert_eq!(r["notCreated"]["l"]["type"], "primaryKeyViolation");
    assert_eq!(r["notCreated"]["l"]["objectId"]["id"], owner);

    // The domain cannot go while the account references it.
    let r = m.call("x:Domain/set", json!({ "destroy": [domain] })).await;
    assert_eq!(r["notDestroyed"][&domain]["type"], "objectIsLinked");
    let linked = r["notDestroyed"][&domain]["linkedObjects"]
        .as_array()
        .unwrap();
    assert!(linked.contains(&json!({ "object": "Account", "id": owner })));

    let r = m
        .call("x:Account/set", json!({ "destroy": [owner, "nope"] }))
        .await;
    assert_eq!(r["destroyed"], json!([owner]));
    assert_eq!(r["notDestroyed"]["nope"]["type"], "notFound");
    assert_eq!(m.sandbox.account_count(), 0);
}

#[tokio::test]
async fn freezing_through_permissions_blocks_authentication_and_inherit_restores_it() {
    let m = mail().await;
    let domain = m.create_domain("acme.example").await;
    let id = m.create_account(alice(&domain, STRONG)).await["created"]["u"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let address = "alice@acme.example";

    let (status, session) = m.session_status(address, STRONG).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["username"], address);
    assert_eq!(session["primaryAccounts"]["urn:stalwart:jmap"], id);
    assert!(m.sandbox.authenticates("Alice@ACME.example", STRONG));
    let (status, body) = m.session_status(address, "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["status"], 401);
    assert_eq!(m.session_status("", "").await.0, StatusCode::UNAUTHORIZED);

    // A mailbox user may not manage the server.
    let (status, body) = m
        .jmap_as(address, STRONG, json!([["x:Account/get", {}, "0"]]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["methodResponses"][0][0], "error");
    assert_eq!(body["methodResponses"][0][1]["type"], "forbidden");

    // Freeze.
    let r = m
        .update(
            &id,
            json!({ "permissions": { "@type": "Merge", "enabledPermissions": {},
                "disabledPermissions": { "authenticate": true } } }),
        )
        .await;
    assert_eq!(r["updated"], json!({ id.clone(): null }), "{r}");
    assert_eq!(
        m.session_status(address, STRONG).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert!(!m.sandbox.authenticates(address, STRONG));
    assert_eq!(
        m.sandbox.account(address).unwrap()["permissions"]["disabledPermissions"],
        json!({ "authenticate": true })
    );

    // Unfreeze: the password was never touched.
    let r = m
        .update(&id, json!({ "permissions": { "@type": "Inherit" } }))
        .await;
    assert_eq!(r["updated"], json!({ id.clone(): null }));
    assert_eq!(m.session_status(address, STRONG).await.0, StatusCode::OK);

    // The pointer form turns Inherit into Merge; false removes the member again.
    let r = m
        .update(
            &id,
            json!({ "permissions/disabledPermissions/authenticate": true }),
        )
        .await;
    assert_eq!(r["updated"], json!({ id.clone(): null }), "{r}");
    assert_eq!(
        m.sandbox.account(address).unwrap()["permissions"]["@type"],
        "Merge"
    );
    assert!(!m.sandbox.authenticates(address, STRONG));
    m.update(
        &id,
        json!({ "permissions/disabledPermissions/authenticate": false }),
    )
    .await;
    assert!(m.sandbox.authenticates(address, STRONG));

    // Replace without `authenticate` also refuses logins.
    m.update(
        &id,
        json!({ "permissions": { "@type": "Replace", "enabledPermissions": { "emailReceive": true } } }),
    )
    .await;
    assert!(!m.sandbox.authenticates(address, STRONG));

    // The admin keeps working.
    assert_eq!(
        m.session_status("admin", "admin-secret").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_password_is_changed_through_its_pointer_path() {
    let m = mail().await;
    let domain = m.create_domain("acme.example").await;
    let id = m.create_account(alice(&domain, STRONG)).await["created"]["u"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let address = "alice@acme.example";

    let r = m
        .update(&id, json!({ "credentials/0/secret": "abc12345" }))
        .await;
    assert_eq!(r["notUpdated"][&id]["type"], "invalidProperties");
    assert_eq!(r["notUpdated"][&id]["properties"], json!(["secret"]));
    assert!(m.sandbox.authenticates(address, STRONG), "unchanged");

    let r = m
        .update(&id, json!({ "credentials/0/secret": STRONGER }))
        .await;
    assert_eq!(r["updated"], json!({ id.clone(): null }), "{r}");
    assert!(m.sandbox.authenticates(address, STRONGER));
    assert!(!m.sandbox.authenticates(address, STRONG));

    let r = m
        .update(&id, json!({ "credentials/3/secret": STRONG }))
        .await;
    assert_eq!(r["notUpdated"][&id]["type"], "invalidPatch");

    // Writing back the masked secret keeps it.
    let credentials = m.sandbox.account(address).unwrap()["credentials"].clone();
    let r = m
        .update(
            &id,
            json!({ "credentials": credentials, "description": "Alice E." }),
        )
        .await;
    assert_eq!(r["updated"], json!({ id.clone(): null }), "{r}");
    assert!(m.sandbox.authenticates(address, STRONGER));

    for server_set in ["emailAddress", "usedDiskQuota", "createdAt"] {
        let r = m.update(&id, json!({ server_set: 1 })).await;
        assert_eq!(r["notUpdated"][&id]["type"], "invalidPatch");
        assert_eq!(
            r["notUpdated"][&id]["description"],
            "Cannot modify server set property"
        );
    }
    let r = m.update("nope", json!({ "description": "x" })).await;
    assert_eq!(r["notUpdated"]["nope"]["type"], "notFound");
}

#[tokio::test]
async fn accounts_are_queried_by_indexed_properties_only() {
    let m = mail().await;
    let acme = m.create_domain("acme.example").await;
    let globex = m.create_domain("globex.example").await;
    // A domain and an account in one request, with a creation-id reference.
    let (_, body) = m
        .jmap_as(
            "admin",
            "admin-secret",
            json!([
                ["x:Domain/set", { "create": { "d1": { "name": "initech.example" } } }, "0"],
                ["x:Account/set", { "create": { "u1": {
                    "@type": "User", "name": "peter", "domainId": "#d1" } } }, "1"]
            ]),
        )
        .await;
    assert!(
        body["methodResponses"][1][1]["created"]["u1"]["id"].is_string(),
        "{body}"
    );
    m.create_account(alice(&acme, STRONG)).await;
    let mut bob = alice(&globex, STRONGER);
    bob["name"] = json!("bob");
    bob["description"] = json!("Bob Builder");
    m.create_account(bob).await;

    let q = m
        .call(
            "x:Account/query",
            json!({ "filter": { "@type": "User", "name": "alice", "domainId": acme } }),
        )
        .await;
    assert_eq!(q["ids"].as_array().unwrap().len(), 1);
    let q = m
        .call(
            "x:Account/query",
            json!({ "filter": { "domainId": globex } }),
        )
        .await;
    assert_eq!(q["ids"].as_array().unwrap().len(), 1);
    let q = m
        .call(
            "x:Account/query",
            json!({ "filter": { "text": "example" } }),
        )
        .await;
    assert_eq!(
        q["ids"].as_array().unwrap().len(),
        1,
        "the description of alice"
    );

    let (_, body) = m
        .jmap_as(
            "admin",
            "admin-secret",
            json!([["x:Account/query", { "filter": { "emailAddress": "alice@acme.example" } }, "0"]]),
        )
        .await;
    assert_eq!(body["methodResponses"][0][0], "error");
    assert_eq!(body["methodResponses"][0][1]["type"], "unsupportedFilter");

    let all = m.call("x:Account/get", json!({ "ids": null })).await;
    assert_eq!(all["list"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_account_is_destroyed_while_a_mailing_list_exists() {
    let m = mail().await;
    let domain = m.create_domain("acme.example").await;
    let list = m
        .call(
            "x:MailingList/set",
            json!({ "create": { "l": { "name": "team", "domainId": domain } } }),
        )
        .await;
    assert!(list["created"]["l"]["id"].is_string(), "{list}");
    let created = m.create_account(alice(&domain, STRONG)).await;
    let id = created["created"]["u"]["id"].as_str().expect("created");

    // Lists have no `memberGroupIds`: the link check skips them instead of failing.
    let r = m.call("x:Account/set", json!({ "destroy": [id] })).await;
    assert_eq!(r["destroyed"], json!([id]), "{r}");
    assert_eq!(m.sandbox.account_count(), 0);
}

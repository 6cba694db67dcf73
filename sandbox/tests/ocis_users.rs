//! The OCIS stand-in's LibreGraph users (§4): strict bodies, 409 on duplicates, the
//! `mail`-less single read, and personal drives purged on delete; drives with their live
//! quota (§5).

use std::net::SocketAddr;

use reqwest::{Client, StatusCode};
use sandbox::ocis::OcisSandbox;
use serde_json::{json, Value};

struct Ocis {
    sandbox: OcisSandbox,
    base: String,
    http: Client,
}

async fn ocis() -> Ocis {
    let (sandbox, base) = OcisSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "dezky".into(),
        "app-token".into(),
    )
    .await
    .expect("the sandbox starts");
    Ocis {
        sandbox,
        base,
        http: Client::new(),
    }
}

impl Ocis {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/graph/v1.0{path}", self.base))
            .basic_auth("dezky", Some("app-token"));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn create(&self, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, "/users", Some(body)).await
    }
}

fn jane() -> Value {
    json!({
        "displayName": "Jane Roe",
        "onPremisesSamAccountName": "jane.roe",
        "mail": "jane.roe@acme.example",
        "identities": [{ "issuer": "https://auth.example/application/o/ocis/", "issuerAssignedId": "7d1c" }]
    })
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn users_are_created_strictly_and_names_are_unique() {
    let o = ocis().await;
    let (status, user) = o.create(jane()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    assert_eq!(user["displayName"], "Jane Roe");
    assert_eq!(user["onPremisesSamAccountName"], "jane.roe");
    assert_eq!(user["mail"], "jane.roe@acme.example");
    assert_eq!(user["userType"], "Member");
    assert_eq!(user["accountEnabled"], true);
    assert_eq!(user["identities"][0]["issuerAssignedId"], "7d1c");
    assert_eq!(user["id"].as_str().unwrap().len(), 36);

    let (status, body) = o.create(jane()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error_code(&body), "nameAlreadyExists");
    assert_eq!(
        body["error"]["message"],
        "a user with that name already exists"
    );

    let cases = [
        (
            json!({ "displayName": "", "onPremisesSamAccountName": "a" }),
            "Empty displayname",
        ),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "a b" }),
            "Invalid username",
        ),
        // OCIS's default rule: a letter or `_` first, ASCII only.
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "2fa@example.net" }),
            "Invalid username",
        ),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "-ops@example.net" }),
            "Invalid username",
        ),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "jäne@example.net" }),
            "Invalid username",
        ),
        (json!({ "displayName": "A" }), "Invalid username"),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "a", "mail": "nope" }),
            "invalid email address",
        ),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "a", "id": "x" }),
            "user id is a read-only attribute",
        ),
        (
            json!({ "displayName": "A", "onPremisesSamAccountName": "a", "userType": "Guest" }),
            "userType is a read-only attribute",
        ),
    ];
    for (body, message) in cases {
        let (status, err) = o.create(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error_code(&err), "invalidRequest");
        assert_eq!(err["error"]["message"], message, "{body}");
    }
    let (status, err) = o
        .create(json!({ "displayName": "A", "onPremisesSamAccountName": "a", "nickname": "x" }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&err), "invalidRequest");
    assert_eq!(o.sandbox.user_count(), 1);

    // Unauthenticated: 401 without a body.
    let resp = o
        .http
        .post(format!("{}/graph/v1.0/users", o.base))
        .json(&jane())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_single_read_leaves_mail_out_and_the_list_includes_it() {
    let o = ocis().await;
    let (_, created) = o.create(jane()).await;
    let id = created["id"].as_str().unwrap();

    for key in [id, "jane.roe"] {
        let (status, user) = o
            .send(reqwest::Method::GET, &format!("/users/{key}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(user["id"], id);
        assert!(
            user.get("mail").is_none(),
            "GET /users/{{id}} has no mail in v7.0.0"
        );
    }
    let (status, err) = o.send(reqwest::Method::GET, "/users/nobody", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&err), "itemNotFound");

    let (_, list) = o.send(reqwest::Method::GET, "/users", None).await;
    assert_eq!(list["value"][0]["mail"], "jane.roe@acme.example");
    let (_, list) = o
        .send(reqwest::Method::GET, "/users?$search=%22ROE@ACME%22", None)
        .await;
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let (status, list) = o
        .send(reqwest::Method::GET, "/users?$search=zzz", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!({}), "an empty list is an empty object");
    let (status, err) = o
        .send(
            reqwest::Method::GET,
            "/users?$filter=mail%20eq%20'jane.roe@acme.example'",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    assert_eq!(error_code(&err), "generalException");
    assert_eq!(
        o.sandbox.user("jane.roe").unwrap()["mail"],
        "jane.roe@acme.example"
    );
}

#[tokio::test]
async fn users_are_patched_strictly() {
    let o = ocis().await;
    let (_, created) = o.create(jane()).await;
    let path = format!("/users/{}", created["id"].as_str().unwrap());
    let (status, user) = o
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "displayName": "Jane R.", "accountEnabled": false })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["displayName"], "Jane R.");
    assert_eq!(user["accountEnabled"], false);
    let (status, _) = o.send(reqwest::Method::PATCH, &path, Some(json!({}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, err) = o
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "memberOf": [] })),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&err), "invalidRequest");
    let (status, _) = o
        .send(
            reqwest::Method::PATCH,
            "/users/nobody",
            Some(json!({ "displayName": "x" })),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deleting_a_user_purges_the_personal_drive() {
    let o = ocis().await;
    let (_, created) = o.create(jane()).await;
    let id = created["id"].as_str().unwrap().to_string();
    assert!(
        !o.sandbox.has_personal_drive("jane.roe"),
        "none until the first sign-in"
    );

    let resp = o
        .http
        .post(format!(
            "{}/_sandbox/ocis/users/jane.roe/first-sign-in",
            o.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(o.sandbox.has_personal_drive("jane.roe"));
    assert!(o.sandbox.personal_drive_id("jane.roe").is_some());

    let (status, _) = o
        .send(reqwest::Method::DELETE, &format!("/users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(!o.sandbox.has_personal_drive("jane.roe"));
    assert!(o.sandbox.user("jane.roe").is_none());
    assert_eq!(o.sandbox.user_count(), 0);
    let (status, err) = o
        .send(reqwest::Method::DELETE, &format!("/users/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&err), "itemNotFound");

    // A re-created user with the same name starts without a drive.
    o.create(jane()).await;
    assert!(!o.sandbox.has_personal_drive("jane.roe"));
    assert!(!o.sandbox.first_sign_in("nobody"));
}

#[tokio::test]
async fn a_fault_can_be_limited_to_one_method() {
    let o = ocis().await;
    let (_, created) = o.create(jane()).await;
    let path = format!("/users/{}", created["id"].as_str().unwrap());
    let resp = o
        .http
        .post(format!("{}/_sandbox/faults", o.base))
        .json(&json!({ "path_prefix": "/graph/v1.0/users", "method": "delete", "status": 503 }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        o.send(reqwest::Method::GET, &path, None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        o.send(reqwest::Method::DELETE, &path, None).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        o.sandbox.user_count(),
        1,
        "the fault answered instead of the handler"
    );
    assert_eq!(
        o.send(reqwest::Method::DELETE, &path, None).await.0,
        StatusCode::NO_CONTENT
    );
}

/// Drives (§5.1–5.7): personal drives listed with a live quota, `$filter` with one `eq` on
/// `driveType` or `id` (`and` is 501, an `eq` on anything else is ignored), the quota set by
/// `PATCH` (strict body), and the state thresholds of `calculateQuotaState`.
#[tokio::test]
async fn drives_carry_a_live_quota_and_take_a_quota_patch() {
    let o = ocis().await;
    let (s, _) = o
        .create(
            json!({ "displayName": "Jane Roe", "onPremisesSamAccountName": "jane@acme.example",
                        "mail": "jane@acme.example" }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, list) = o.send(reqwest::Method::GET, "/drives", None).await;
    assert_eq!(
        list["value"],
        json!([]),
        "no drive before the first sign-in"
    );
    assert!(o.sandbox.first_sign_in("jane@acme.example"));
    assert!(o.sandbox.set_drive_used("jane@acme.example", 800));

    let (s, list) = o
        .send(
            reqwest::Method::GET,
            "/drives?$filter=driveType%20eq%20%27personal%27",
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let drive = &list["value"][0];
    let id = drive["id"].as_str().unwrap().to_string();
    assert!(
        id.ends_with(drive["owner"]["user"]["id"].as_str().unwrap()),
        "{drive}"
    );
    assert_eq!(drive["driveType"], "personal");
    assert_eq!(drive["quota"]["total"], 0, "no limit");
    assert_eq!(drive["quota"]["state"], "normal");
    let (_, projects) = o
        .send(
            reqwest::Method::GET,
            "/drives?$filter=driveType%20eq%20%27project%27",
            None,
        )
        .await;
    assert_eq!(projects["value"], json!([]));
    let (_, ignored) = o
        .send(
            reqwest::Method::GET,
            "/drives?$filter=name%20eq%20%27nobody%27",
            None,
        )
        .await;
    assert_eq!(
        ignored["value"].as_array().unwrap().len(),
        1,
        "an eq on another property is ignored"
    );
    let (s, e) = o
        .send(
            reqwest::Method::GET,
            "/drives?$filter=driveType%20eq%20%27personal%27%20and%20id%20eq%20%27x%27",
            None,
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::NOT_IMPLEMENTED, Some("notSupported"))
    );

    let path = format!("/drives/{}", urlencode(&id));
    for (total, state) in [
        (1000u64, "nearing"),
        (810, "critical"),
        (800, "exceeded"),
        (790, "exceeded"),
        (1100, "normal"),
    ] {
        let (s, d) = o
            .send(
                reqwest::Method::PATCH,
                &path,
                Some(json!({ "quota": { "total": total } })),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{d}");
        assert_eq!(d["quota"]["state"], state, "{total}: {d}");
        assert_eq!(d["quota"]["remaining"], total.saturating_sub(800));
    }
    let (s, e) = o
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "quota": { "total": 1 }, "owner": {} })),
        )
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalidRequest"))
    );
    let (s, _) = o
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({ "quota": { "total": -5 } })),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, e) = o.send(reqwest::Method::GET, "/drives/nope", None).await;
    assert_eq!(
        (s, e["error"]["message"].as_str()),
        (StatusCode::NOT_FOUND, Some("drive not found"))
    );
    assert_eq!(o.sandbox.drive_total("jane@acme.example"), Some(1100));
}

fn urlencode(s: &str) -> String {
    s.replace('$', "%24")
}

#[tokio::test]
async fn group_members_are_added_and_removed_by_reference() {
    let o = ocis().await;
    let (_, user) = o.create(jane()).await;
    let user = user["id"].as_str().unwrap().to_string();
    let (s, group) = o
        .send(
            reqwest::Method::POST,
            "/groups",
            Some(json!({ "displayName": "tenant-acme" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let group = group["id"].as_str().unwrap().to_string();
    let path = format!("/groups/{group}/members/$ref");
    let reference = json!({ "@odata.id": format!("{}/graph/v1.0/users/{user}", o.base) });

    for (body, message) in [
        (json!({}), "@odata.id reference is missing"),
        (
            json!({ "@odata.id": "nope" }),
            "Error parsing @odata.id url",
        ),
        (
            json!({ "@odata.id": format!("{}/graph/v1.0/groups/{group}", o.base) }),
            "Only users are allowed as group members",
        ),
    ] {
        let (s, e) = o.send(reqwest::Method::POST, &path, Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["error"]["message"], message);
    }
    // Added twice: the second is skipped, as upstream.
    for _ in 0..2 {
        let (s, _) = o
            .send(reqwest::Method::POST, &path, Some(reference.clone()))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    assert_eq!(o.sandbox.group_members(&group), vec![user.clone()]);
    let (s, _) = o
        .send(
            reqwest::Method::POST,
            "/groups/00000000-0000-0000-0000-000000000000/members/$ref",
            Some(reference.clone()),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let (s, _) = o
        .send(
            reqwest::Method::DELETE,
            &format!("/groups/{group}/members/{user}/$ref"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(o.sandbox.group_members(&group).is_empty());

    // A deleted user leaves every group.
    o.send(reqwest::Method::POST, &path, Some(reference)).await;
    let (s, _) = o
        .send(reqwest::Method::DELETE, &format!("/users/{user}"), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert!(o.sandbox.group_members(&group).is_empty());
}

//! The upstream clients against the sandbox stand-ins (same paths, bodies and errors as the
//! real APIs): Authentik groups and memberships, OCIS groups.

use std::net::SocketAddr;
use std::time::Duration;

use platform::upstream::authentik::admin::{AuthentikAdmin, AuthentikAdminConfig};
use platform::upstream::ocis::{OcisClient, OcisConfig};
use platform::upstream::UpstreamError;
use sandbox::ocis::OcisSandbox;
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use secrecy::SecretString;
use serde_json::json;

async fn authentik() -> (AuthentikSandbox, String) {
    AuthentikSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        OAuthClientRegistration {
            slug: "dezky".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
        },
        "admin-token".into(),
    )
    .await
    .unwrap()
}

fn admin(base: &str, token: &str) -> AuthentikAdmin {
    AuthentikAdmin::new(AuthentikAdminConfig {
        base_url: base.into(),
        token: SecretString::from(token),
        timeout: Duration::from_secs(5),
    })
}

#[tokio::test]
async fn authentik_groups_and_memberships() {
    let (sb, base) = authentik().await;
    let wrong = admin(&base, "nope")
        .find_group_by_name("x")
        .await
        .unwrap_err();
    assert_eq!(
        wrong.status(),
        Some(403),
        "a bad token is refused like upstream: {wrong}"
    );

    let client = admin(&base, "admin-token");
    assert!(client
        .find_group_by_name("dezky-tenant-a")
        .await
        .unwrap()
        .is_none());
    let g = client
        .create_group("dezky-tenant-a", json!({ "dezky_tenant_slug": "a" }))
        .await
        .unwrap();
    client
        .create_group("dezky-tenant-ab", json!({}))
        .await
        .unwrap();
    let found = client
        .find_group_by_name("dezky-tenant-a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.pk, g.pk);
    assert_eq!(found.attributes["dezky_tenant_slug"], "a");
    let dup = client
        .create_group("dezky-tenant-a", json!({}))
        .await
        .unwrap_err();
    assert_eq!(dup.status(), Some(400), "names are unique upstream");

    let mia = sb.user_pk("mia@acme.example").unwrap();
    client.add_user_to_group(&g.pk, mia).await.unwrap();
    client.add_user_to_group(&g.pk, mia).await.unwrap();
    assert_eq!(
        client.get_group(&g.pk).await.unwrap().unwrap().users,
        vec![mia]
    );
    client.remove_user_from_group(&g.pk, mia).await.unwrap();
    assert!(client
        .get_group(&g.pk)
        .await
        .unwrap()
        .unwrap()
        .users
        .is_empty());
    let unknown = client.add_user_to_group(&g.pk, 99_999).await.unwrap_err();
    assert_eq!(unknown.status(), Some(404));

    client.delete_group(&g.pk).await.unwrap();
    assert!(client.get_group(&g.pk).await.unwrap().is_none());
    client.delete_group(&g.pk).await.unwrap(); // already gone: fine
}

#[tokio::test]
async fn authentik_lists_are_paged_by_page_number() {
    let (_sb, base) = authentik().await;
    let client = admin(&base, "admin-token");
    for i in 0..25 {
        client
            .create_group(&format!("g-{i:02}"), json!({}))
            .await
            .unwrap();
    }
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{base}/api/v3/core/groups/?page_size=10&page=3&include_users=false"
        ))
        .bearer_auth("admin-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["pagination"]["next"], 0);
    assert_eq!(page["pagination"]["previous"], 2);
    assert_eq!(page["results"].as_array().unwrap().len(), 5);
    assert!(
        page["results"][0]["users_obj"].is_null(),
        "include_users=false leaves members out"
    );
    assert!(client.find_group_by_name("g-24").await.unwrap().is_some());
}

#[tokio::test]
async fn ocis_groups() {
    let (_sb, base) = OcisSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "svc".into(),
        "tok".into(),
    )
    .await
    .unwrap();
    let client = |token: &str| {
        OcisClient::new(OcisConfig {
            base_url: base.clone(),
            user: "svc".into(),
            token: SecretString::from(token),
            timeout: Duration::from_secs(5),
        })
    };
    let refused = client("bad").get_group("x").await.unwrap_err();
    assert!(
        matches!(refused, UpstreamError::Status { status: 401, .. }),
        "{refused}"
    );
    let c = client("tok");
    assert!(
        c.find_group_by_name("t-a").await.unwrap().is_none(),
        "an empty list may be {{}}"
    );
    let g = c
        .create_group("t-a", "Dezky tenant a")
        .await
        .unwrap()
        .unwrap();
    assert!(
        c.create_group("t-a", "again").await.unwrap().is_none(),
        "409 nameAlreadyExists"
    );
    assert_eq!(
        c.get_group(&g.id).await.unwrap().unwrap().display_name,
        "t-a"
    );
    assert!(
        c.get_group("t-a").await.unwrap().is_none(),
        "lookup by name does not find groups"
    );
    assert_eq!(c.find_group_by_name("t-a").await.unwrap().unwrap().id, g.id);
    c.delete_group(&g.id).await.unwrap();
    assert!(c.get_group(&g.id).await.unwrap().is_none());
}

#[tokio::test]
async fn stalwart_domains_and_referential_integrity() {
    use platform::dns::zonefile;
    use platform::upstream::stalwart::{StalwartClient, StalwartConfig};
    use sandbox::stalwart::StalwartSandbox;

    let (_sb, base) = StalwartSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "admin".into(),
        "pw".into(),
        "mail.dezky.example".into(),
    )
    .await
    .unwrap();
    let client = |pw: &str| {
        StalwartClient::new(StalwartConfig {
            base_url: base.clone(),
            user: "admin".into(),
            password: SecretString::from(pw),
            timeout: Duration::from_secs(5),
        })
    };
    let refused = client("wrong").find_domain("x.example").await.unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
    let c = client("pw");
    let id = c
        .create_domain("acme-corp.example", "Dezky tenant acme")
        .await
        .unwrap();
    assert_eq!(
        c.find_domain("acme-corp.example").await.unwrap(),
        Some(id.clone())
    );
    let dup = c
        .create_domain("acme-corp.example", "again")
        .await
        .unwrap_err();
    assert!(dup.is("primaryKeyViolation"), "{dup}");

    let d = c.get_domain(&id).await.unwrap().unwrap();
    let records = zonefile::parse(&d.dns_zone_file);
    assert!(records
        .iter()
        .any(|r| r.kind == "MX" && r.value == "10 mail.dezky.example"));
    assert!(records
        .iter()
        .any(|r| r.kind == "TXT" && r.value == "v=spf1 mx -all"));

    // A mailbox on the domain blocks its removal, and the error names it.
    let account: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/jmap"))
        .basic_auth("admin", Some("pw"))
        .json(&json!({ "using": ["urn:ietf:params:jmap:core", "urn:stalwart:jmap"],
            "methodCalls": [["x:Account/set", { "create": { "u1": { "@type": "User", "name": "alice", "domainId": id } } }, "0"]] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let account_id = account["methodResponses"][0][1]["created"]["u1"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let blocked = c.destroy_domain(&id).await.unwrap_err();
    match &blocked {
        platform::upstream::stalwart::StalwartError::Set { kind, linked, .. } => {
            assert_eq!(kind, "objectIsLinked");
            assert!(
                linked
                    .iter()
                    .any(|l| l.object == "Account" && l.id == account_id),
                "{linked:?}"
            );
        }
        other => panic!("{other}"),
    }
    assert_eq!(
        c.find_domain("acme-corp.example").await.unwrap(),
        Some(id.clone()),
        "nothing was deleted"
    );
    assert!(c.get_domain("nope").await.unwrap().is_none());
    assert!(
        c.destroy_domain("nope").await.is_ok(),
        "already gone is fine"
    );
}

//! The upstream clients against the sandbox stand-ins (same paths, bodies and errors as the
//! real APIs): Authentik groups, users, sessions and refresh tokens; OCIS groups and users;
//! Stalwart domains and mailboxes.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{admin, authentik};
use platform::upstream::authentik::service_account::ServiceAccountConfig;
use platform::upstream::ocis::{OcisAuth, OcisClient, OcisConfig};
use platform::upstream::UpstreamError;
use sandbox::ocis::OcisSandbox;
use secrecy::SecretString;
use serde_json::json;

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

/// The recommended production path (`shared/reference/ocis.md` §2.4–2.5): the console asks
/// Authentik for a service account's token through `client_credentials` and OCIS takes it as
/// the proxy does (issuer, signature, userinfo, the user by `preferred_username`, Admin).
#[tokio::test]
async fn ocis_takes_the_service_accounts_bearer_token() {
    let (idp, idp_base) = authentik().await;
    idp.register_client(sandbox::OAuthClientRegistration {
        slug: "ocis".into(),
        client_id: "ocis-web".into(),
        client_secret: String::new(),
        redirect_uris: vec![],
        post_logout_redirect_uris: vec![],
    });
    let app_password = idp.add_service_account("dezky-svc", "Dezky service account");
    let erin_password = idp.add_service_account("erin", "Erin, no Admin role in OCIS");
    let (ocis, base) = OcisSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "dezky-svc".into(),
        "app-token-unused-here".into(),
    )
    .await
    .unwrap();
    ocis.trust_issuer(sandbox::AuthentikSandbox::issuer(&idp_base, "ocis"));
    let client = |client_id: &str, username: &str, password: &str| {
        OcisClient::new(OcisConfig {
            base_url: base.clone(),
            auth: OcisAuth::ServiceAccount(ServiceAccountConfig {
                token_url: format!("{idp_base}/application/o/token/"),
                client_id: client_id.into(),
                username: username.into(),
                app_password: SecretString::from(password),
                scope: "openid profile email".into(),
                timeout: Duration::from_secs(5),
            }),
            timeout: Duration::from_secs(5),
        })
    };

    let svc = client("ocis-web", "dezky-svc", &app_password);
    let group = svc.create_group("t-acme", "Acme").await.unwrap().unwrap();
    assert!(svc.get_group(&group.id).await.unwrap().is_some());
    assert_eq!(
        idp.client_credentials_grants(),
        1,
        "one token serves every call until it nears its end"
    );

    // OCIS refuses the token once (revoked, or its key rotated): a fresh one, one retry.
    ocis.faults.add(sandbox::faults::Fault {
        path_prefix: "/graph/v1.0/groups".into(),
        count: 1,
        status: Some(401),
        delay_ms: 0,
        skip: 0,
        timeout: false,
        method: None,
        after: false,
    });
    assert!(svc.get_group(&group.id).await.unwrap().is_some());
    assert_eq!(idp.client_credentials_grants(), 2);

    // A wrong app password: Authentik's invalid_grant, named, and the password never shown.
    let refused = client("ocis-web", "dezky-svc", "not-the-app-password")
        .get_group(&group.id)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, UpstreamError::Status { status: 400, .. }),
        "{refused}"
    );
    let said = refused.to_string();
    assert!(
        said.contains("invalid_grant") && said.contains("dezky-svc"),
        "{said}"
    );
    assert!(!said.contains("not-the-app-password"), "{said}");

    // A token of another provider (another issuer) is not OCIS's: 401 after the one retry.
    let other_issuer = client("c", "dezky-svc", &app_password)
        .get_group(&group.id)
        .await
        .unwrap_err();
    assert_eq!(other_issuer.status(), Some(401), "{other_issuer}");

    // A person OCIS knows, but without the Admin role: 403 accessDenied from RequireAdmin.
    use platform::upstream::ocis::NewOcisUser;
    svc.create_user(&NewOcisUser {
        display_name: "Erin",
        username: "erin",
        mail: "erin@a.example",
        given_name: "Erin",
        surname: "Doe",
    })
    .await
    .unwrap();
    let not_admin = client("ocis-web", "erin", &erin_password)
        .get_group(&group.id)
        .await
        .unwrap_err();
    assert_eq!(not_admin.status(), Some(403), "{not_admin}");
    assert!(
        not_admin.to_string().contains("accessDenied"),
        "{not_admin}"
    );
}

#[tokio::test]
async fn ocis_groups() {
    let (sb, base) = OcisSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "svc".into(),
        "tok".into(),
    )
    .await
    .unwrap();
    let client = |token: &str| {
        OcisClient::new(OcisConfig {
            base_url: base.clone(),
            auth: OcisAuth::AppToken {
                user: "svc".into(),
                token: SecretString::from(token),
            },
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
    // An injected failure answers OCIS's own OData error, and the message reads it.
    sb.faults.add(sandbox::faults::Fault {
        path_prefix: "/graph/v1.0/groups".into(),
        count: 1,
        status: Some(503),
        delay_ms: 0,
        skip: 0,
        timeout: false,
        method: None,
        after: false,
    });
    let failed = c.get_group("x").await.unwrap_err();
    assert_eq!(
        failed.to_string(),
        "OCIS answered 503: serviceNotAvailable: sandbox fault injection: 503 Service Unavailable"
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
    use platform::upstream::stalwart::{StalwartAuth, StalwartClient, StalwartConfig};
    use sandbox::stalwart::StalwartSandbox;

    let (sb, base) = StalwartSandbox::start(
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
            auth: StalwartAuth::Basic {
                user: "admin".into(),
                password: SecretString::from(pw),
            },
            timeout: Duration::from_secs(5),
        })
    };
    let refused = client("wrong").find_domain("x.example").await.unwrap_err();
    assert!(refused.to_string().contains("401"), "{refused}");
    // The least-privilege setup: an API key as a Bearer token (reference §3.3).
    let with_key = |key: String| {
        StalwartClient::new(StalwartConfig {
            base_url: base.clone(),
            auth: StalwartAuth::ApiKey(SecretString::from(key)),
            timeout: Duration::from_secs(5),
        })
    };
    assert_eq!(
        with_key(sb.issue_api_key())
            .find_domain("x.example")
            .await
            .unwrap(),
        None
    );
    let refused = with_key("API_not-issued".into())
        .find_domain("x.example")
        .await
        .unwrap_err();
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

#[tokio::test]
async fn authentik_users_sessions_and_refresh_tokens() {
    use platform::upstream::authentik::admin::NewAuthentikUser;
    let (sb, base) = authentik().await;
    let client = admin(&base, "admin-token");
    let group = client
        .create_group("dezky-tenant-a", json!({}))
        .await
        .unwrap();
    let new = NewAuthentikUser {
        username: "jane@a.example",
        name: "Jane Roe",
        email: "jane@a.example",
        groups: vec![group.pk.clone()],
        path: "dezky/a".into(),
        attributes: json!({ "dezky_member_id": "m1" }),
    };
    let u = client.create_user(&new).await.unwrap();
    assert!(u.is_active && u.groups.contains(&group.pk));
    assert_eq!(u.attributes["dezky_member_id"], "m1");
    let dup = client.create_user(&new).await.unwrap_err();
    assert_eq!(dup.status(), Some(400), "usernames are unique: {dup}");
    assert_eq!(
        client
            .find_user_by_username("jane@a.example")
            .await
            .unwrap()
            .unwrap()
            .pk,
        u.pk
    );
    assert!(client
        .find_user_by_username("JANE@a.example")
        .await
        .unwrap()
        .is_none());
    // A rejected password: 400 with an empty body upstream, named without the password.
    let weak = client
        .set_password(u.pk, &SecretString::from("short"))
        .await
        .unwrap_err();
    assert!(!weak.to_string().contains("short"), "{weak}");
    client
        .set_password(u.pk, &SecretString::from("a-long-enough-one"))
        .await
        .unwrap();
    client.set_user_active(u.pk, false).await.unwrap();
    assert!(!client.get_user(u.pk).await.unwrap().unwrap().is_active);
    client.set_user_active(u.pk, true).await.unwrap();
    // Nobody signed in: no sessions, no refresh tokens (the list is re-checked by pk).
    assert!(client
        .sessions_of(u.pk, &u.username)
        .await
        .unwrap()
        .is_empty());
    assert!(client.refresh_tokens_of(u.pk).await.unwrap().is_empty());
    client.delete_user(u.pk).await.unwrap();
    client.delete_user(u.pk).await.unwrap();
    assert!(client.get_user(u.pk).await.unwrap().is_none());
    assert!(sb.user("jane@a.example").is_none());
}

#[tokio::test]
async fn stalwart_mailboxes_passwords_and_freezing() {
    use platform::upstream::stalwart::NewMailbox;
    let (sb, c) = stalwart().await;
    let domain = c.create_domain("a.example", "t").await.unwrap();
    let strong = platform::crypto::one_time_password();
    let weak = c
        .create_account(&NewMailbox {
            name: "jane",
            domain_id: &domain,
            description: "Jane Roe",
            password: &SecretString::from("password1"),
        })
        .await
        .unwrap_err();
    assert!(weak.is("invalidProperties"), "the strength check: {weak}");
    let mailbox = NewMailbox {
        name: "jane",
        domain_id: &domain,
        description: "Jane Roe",
        password: &strong,
    };
    let id = c.create_account(&mailbox).await.unwrap();
    let again = c.create_account(&mailbox).await.unwrap_err();
    assert!(again.is("primaryKeyViolation"), "{again}");
    assert_eq!(
        c.find_account("jane", &domain).await.unwrap(),
        Some(id.clone())
    );
    use secrecy::ExposeSecret;
    assert!(sb.authenticates("jane@a.example", strong.expose_secret()));
    c.set_login_frozen(&id, true).await.unwrap();
    assert!(!sb.authenticates("jane@a.example", strong.expose_secret()));
    c.set_login_frozen(&id, false).await.unwrap();
    assert!(sb.authenticates("jane@a.example", strong.expose_secret()));
    let next = platform::crypto::one_time_password();
    c.set_account_password(&id, &next).await.unwrap();
    assert!(sb.authenticates("jane@a.example", next.expose_secret()));
    assert!(!sb.authenticates("jane@a.example", strong.expose_secret()));
    assert!(sb.set_used_disk("jane@a.example", 1234));
    assert_eq!(
        c.usage(std::slice::from_ref(&id)).await.unwrap(),
        vec![(id.clone(), 1234)]
    );
    c.destroy_account(&id).await.unwrap();
    c.destroy_account(&id).await.unwrap();
    assert!(!c.account_exists(&id).await.unwrap());
}

#[tokio::test]
async fn ocis_users_are_created_once_and_deleted_with_their_drive() {
    use platform::upstream::ocis::NewOcisUser;
    let (sb, base) = OcisSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "svc".into(),
        "tok".into(),
    )
    .await
    .unwrap();
    let c = OcisClient::new(OcisConfig {
        base_url: base,
        auth: OcisAuth::AppToken {
            user: "svc".into(),
            token: SecretString::from("tok"),
        },
        timeout: Duration::from_secs(5),
    });
    let new = NewOcisUser {
        display_name: "Jane Roe",
        username: "jane@a.example",
        mail: "jane@a.example",
        given_name: "Jane",
        surname: "Roe",
    };
    let u = c.create_user(&new).await.unwrap().expect("created");
    assert!(
        c.create_user(&new).await.unwrap().is_none(),
        "409 nameAlreadyExists"
    );
    assert_eq!(
        c.get_user("jane@a.example").await.unwrap().unwrap().id,
        u.id
    );
    assert!(sb.first_sign_in("jane@a.example"));
    assert!(sb.has_personal_drive("jane@a.example"));
    c.delete_user(&u.id).await.unwrap();
    c.delete_user(&u.id).await.unwrap();
    assert!(!sb.has_personal_drive("jane@a.example"));
    assert!(c.get_user(&u.id).await.unwrap().is_none());
}

/// Mailbox disk quotas (§7.7): read in batches within `maxObjectsInGet` (the stand-in refuses
/// a larger `get` with `requestTooLarge`, as RFC 8620 §5.1 says), set and removed through
/// `quotas/maxDiskQuota`.
#[tokio::test]
async fn stalwart_disk_quotas_in_batches() {
    use platform::upstream::stalwart::NewMailbox;
    let (sb, c) = stalwart().await;
    let domain = c.create_domain("q.example", "t").await.unwrap();
    let id = c
        .create_account(&NewMailbox {
            name: "ann",
            domain_id: &domain,
            description: "Ann",
            password: &platform::crypto::one_time_password(),
        })
        .await
        .unwrap();
    assert!(sb.set_used_disk("ann@q.example", 4096));
    // 700 ids: two batches; the real one is found among the unknown.
    let mut ids: Vec<String> = (0..699).map(|i| format!("nobody{i}")).collect();
    ids.push(id.clone());
    let found = c.disk_quotas(&ids).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].used, found[0].max), (4096, None));

    c.set_disk_quota(&id, Some(1 << 30)).await.unwrap();
    assert_eq!(
        c.disk_quotas(std::slice::from_ref(&id)).await.unwrap()[0].max,
        Some(1 << 30)
    );
    c.set_disk_quota(&id, None).await.unwrap();
    assert_eq!(
        c.disk_quotas(std::slice::from_ref(&id)).await.unwrap()[0].max,
        None,
        "no limit again"
    );
}

/// The Stalwart stand-in and a client of it.
async fn stalwart() -> (
    sandbox::stalwart::StalwartSandbox,
    platform::upstream::stalwart::StalwartClient,
) {
    use platform::upstream::stalwart::{StalwartClient, StalwartConfig};
    let (sb, base) = sandbox::stalwart::StalwartSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        "admin".into(),
        "pw".into(),
        "mail.dezky.example".into(),
    )
    .await
    .unwrap();
    let c = StalwartClient::new(StalwartConfig {
        base_url: base,
        auth: platform::upstream::stalwart::StalwartAuth::Basic {
            user: "admin".into(),
            password: SecretString::from("pw"),
        },
        timeout: Duration::from_secs(5),
    });
    (sb, c)
}

/// `server doctor`'s check of the console's own provider: sub_mode, offline_access and the
/// invalidation flow, read from the admin API as Authentik answers them.
#[tokio::test]
async fn the_console_provider_is_checked_as_the_console_relies_on() {
    use platform::services::auth::provider_check;
    use platform::services::health::CheckStatus;
    let (sb, base) = authentik().await;
    let api = admin(&base, common::ADMIN_TOKEN);
    let ok = provider_check(&api, "c").await;
    assert_eq!(ok.status, CheckStatus::Ok, "{ok:?}");
    let unknown = provider_check(&api, "nobody").await;
    assert_eq!(unknown.status, CheckStatus::Failed);
    assert!(unknown.detail.contains("nobody"));

    sb.set_console_sub_mode("hashed_user_id");
    sb.drop_console_scope("offline_access");
    let bad = provider_check(&api, "c").await;
    assert_eq!(bad.status, CheckStatus::Failed);
    assert!(
        bad.detail.contains("sub_mode is hashed_user_id"),
        "{}",
        bad.detail
    );
    assert!(bad.detail.contains("offline_access"), "{}", bad.detail);
}

//! Members end to end against the sandboxes: create (with the one-time password working at
//! the IdP and the mailbox), suspend (sign-in and mailbox refused, console sessions ended),
//! resume (the old password works again), force sign-out (only that person, even when the
//! session filter is ignored upstream), reset, role rules, removal (and what another tenant
//! keeps), every upstream failing at each create step (Retry and Cancel leave no orphan),
//! concurrent creates, isolation, and the scan for one-time passwords.

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const DOMAIN: &str = "team.example";

fn address(local: &str) -> String {
    format!("{local}@{DOMAIN}")
}

fn step<'a>(member: &'a Value, upstream: &str) -> &'a Value {
    member["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["upstream"] == upstream)
        .unwrap_or_else(|| panic!("no {upstream} step in {member}"))
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// The app with acme's primary domain ready and its owner signed in.
async fn ready(backend: Backend) -> (TestApp, Browser) {
    let app = spawn_app(backend).await;
    app.stalwart().set_dkim_delay(std::time::Duration::ZERO);
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    app.primary_domain(&owner, DOMAIN).await;
    (app, owner)
}

async fn set_role(app: &TestApp, b: &Browser, id: &str, role: &str) -> reqwest::Response {
    b.client
        .patch(app.url(&format!("/api/tenants/acme/members/{id}")))
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap()
}

async fn remove(app: &TestApp, b: &Browser, id: &str) -> reqwest::Response {
    b.client
        .delete(app.url(&format!("/api/tenants/acme/members/{id}")))
        .send()
        .await
        .unwrap()
}

async fn audit_actions(app: &TestApp, action: &str) -> Vec<platform::domain::AuditEvent> {
    app.audit()
        .await
        .into_iter()
        .filter(|e| e.action == action)
        .collect()
}

async fn lifecycle_from_create_to_removal(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (status, body) = app.create_member(&owner, "jane", "member").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let member = &body["member"];
    let id = member["id"].as_str().unwrap().to_string();
    let jane = address("jane");
    assert_eq!(member["address"], jane.as_str());
    assert_eq!(member["status"], "active");
    for u in ["authentik", "stalwart", "ocis"] {
        assert_eq!(step(member, u)["state"], "ok", "{member}");
    }
    let otp = body["one_time_password"].as_str().unwrap().to_string();
    // One identity everywhere, the one-time password on the sign-in and the mailbox.
    let sso = app.authentik.user(&jane).expect("an Authentik user");
    assert!(sso.is_active);
    let group = app
        .authentik
        .groups()
        .into_iter()
        .find(|g| g.name == "dezky-tenant-acme")
        .unwrap();
    assert!(group.users.contains(&sso.pk), "in the tenant group");
    assert!(app.stalwart().authenticates(&jane, &otp));
    let ocis_user = app.ocis.user(&jane).expect("an OCIS user")["id"]
        .as_str()
        .unwrap()
        .to_string();
    // In the tenant's OCIS group too; a membership lost upstream comes back on reconcile.
    let acme = platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap();
    let ocis_group = platform::repo::provisioning::steps(&app.platform.db, &acme.id)
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.upstream == "ocis")
        .and_then(|s| s.upstream_id)
        .expect("the tenant's OCIS group");
    assert_eq!(app.ocis.group_members(&ocis_group), vec![ocis_user.clone()]);
    app.ocis.drop_group_member(&ocis_group, &ocis_user);
    let r = app
        .post_json(&owner, "/api/tenants/acme/reconcile", json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.ocis.group_members(&ocis_group), vec![ocis_user.clone()]);
    assert!(
        !app.ocis.has_personal_drive(&jane),
        "no drive before the first sign-in"
    );
    // The list shows the mailbox usage Stalwart reports.
    assert!(app.stalwart().set_used_disk(&jane, 2_340_000));
    let overview: Value = owner
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    let listed = overview["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == jane.as_str())
        .unwrap();
    assert_eq!(listed["mailbox_used_bytes"], 2_340_000);
    assert_eq!(overview["primary_domain"], DOMAIN);
    assert_eq!(overview["can_manage_owners"], true);

    // Jane signs in to the console with it.
    let jane_browser = Browser::new();
    let person = Person {
        username: leak(&jane),
        password: leak(&otp),
    };
    app.sign_in(&jane_browser, &person, "/").await;
    let me: Value = jane_browser
        .get(&app.url("/api/me"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenants"][0]["slug"], "acme");
    assert_eq!(me["tenants"][0]["role"], "member");

    // Suspend: sign-in, mailbox and console all refuse her.
    let (status, suspended) = app.member_action(&owner, &id, "suspend").await;
    assert_eq!(status, StatusCode::OK, "{suspended}");
    assert_eq!(suspended["status"], "suspended");
    assert_eq!(suspended["suspended_by"], OWNER.username);
    assert!(suspended["suspended_at"].is_i64());
    assert!(!app.authentik.user(&jane).unwrap().is_active);
    assert_eq!(app.authentik.session_count(sso.pk), 0);
    assert_eq!(app.authentik.refresh_token_count(sso.pk), 0);
    assert!(!app.idp_accepts(&jane, &otp).await, "the IdP refuses her");
    assert!(
        !app.stalwart().authenticates(&jane, &otp),
        "the mailbox refuses her"
    );
    assert_eq!(app.me_status(&jane_browser).await, StatusCode::UNAUTHORIZED);

    // Resume: the same password works again everywhere.
    let (status, resumed) = app.member_action(&owner, &id, "resume").await;
    assert_eq!(status, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["status"], "active");
    assert!(resumed["suspended_by"].is_null());
    assert!(app.idp_accepts(&jane, &otp).await);
    assert!(app.stalwart().authenticates(&jane, &otp));
    app.sign_in(&jane_browser, &person, "/").await;
    assert_eq!(app.me_status(&jane_browser).await, StatusCode::OK);

    // Reset: a new one-time password replaces the old one on both.
    let (status, reset) = app.member_action(&owner, &id, "reset-password").await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    let otp2 = reset["one_time_password"].as_str().unwrap().to_string();
    assert_ne!(otp, otp2);
    assert!(app.idp_accepts(&jane, &otp2).await && !app.idp_accepts(&jane, &otp).await);
    assert!(app.stalwart().authenticates(&jane, &otp2));
    assert!(!app.stalwart().authenticates(&jane, &otp));

    // Role: admin, which her own `me` shows.
    let r = set_role(&app, &owner, &id, "admin").await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = jane_browser
        .get(&app.url("/api/me"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["tenants"][0]["role"], "admin");

    // Remove: the confirmation names what goes; then nothing is left.
    app.ocis.first_sign_in(&jane);
    assert!(app.ocis.has_personal_drive(&jane));
    let detail: Value = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await
        .json()
        .await
        .unwrap();
    let plan: Vec<(String, String)> = detail["removal_plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["system"].as_str().unwrap().into(),
                i["action"].as_str().unwrap().into(),
            )
        })
        .collect();
    for system in ["Authentik", "Stalwart", "OCIS", "Dezky"] {
        assert!(plan.contains(&(system.into(), "delete".into())), "{plan:?}");
    }
    let r = remove(&app, &owner, &id).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(app.authentik.user(&jane).is_none());
    assert!(app.stalwart().account(&jane).is_none());
    assert!(app.ocis.user(&jane).is_none());
    assert!(!app.ocis.has_personal_drive(&jane));
    assert!(app.ocis.group_members(&ocis_group).is_empty());
    assert_eq!(app.me_status(&jane_browser).await, StatusCode::UNAUTHORIZED);
    let r = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Every action is in the audit, with its outcome per upstream.
    for action in [
        "member.create",
        "member.suspend",
        "member.resume",
        "member.reset_password",
        "member.set_role",
        "member.remove",
    ] {
        let events = audit_actions(&app, action).await;
        assert_eq!(events.len(), 1, "{action}");
        let e = &events[0];
        assert_eq!(e.outcome, Outcome::Success, "{action}: {:?}", e.details);
        assert_eq!(e.target, jane);
        assert_eq!(e.actor_email.as_deref(), Some(OWNER.username));
        assert!(e.ip.is_some());
    }
    let created = &audit_actions(&app, "member.create").await[0];
    assert_eq!(created.details["steps"].as_array().unwrap().len(), 3);
    app.cleanup().await;
}
on_both_backends!(lifecycle, lifecycle_from_create_to_removal);

async fn force_sign_out_ends_only_that_persons_sessions(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "sam", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    let sam = address("sam");
    let otp = body["one_time_password"].as_str().unwrap();
    let sam_browser = Browser::new();
    app.sign_in(
        &sam_browser,
        &Person {
            username: leak(&sam),
            password: leak(otp),
        },
        "/",
    )
    .await;
    let mia_browser = Browser::new();
    app.sign_in(&mia_browser, &MEMBER, "/").await;
    let sam_pk = app.authentik.user(&sam).unwrap().pk;
    let mia_pk = app.authentik.user(MEMBER.username).unwrap().pk;
    assert_eq!(app.authentik.session_count(sam_pk), 1);
    assert_eq!(app.authentik.session_count(mia_pk), 1);
    assert!(app.authentik.refresh_token_count(sam_pk) >= 1);
    // Upstream drops the filter and answers with everyone's sessions.
    app.authentik.set_ignore_session_user_filter(true);

    let (status, report) = app.member_action(&owner, &id, "sign-out").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["authentik_sessions"], 1, "{report}");
    assert!(report["refresh_tokens"].as_u64().unwrap() >= 1);
    assert_eq!(report["console_sessions"], 1);
    assert_eq!(app.authentik.session_count(sam_pk), 0);
    assert_eq!(app.authentik.refresh_token_count(sam_pk), 0);
    assert_eq!(app.me_status(&sam_browser).await, StatusCode::UNAUTHORIZED);
    // Mia, whose session the sandbox also listed, is untouched.
    assert_eq!(app.authentik.session_count(mia_pk), 1);
    assert!(app.authentik.refresh_token_count(mia_pk) >= 1);
    assert_eq!(app.me_status(&mia_browser).await, StatusCode::OK);
    // The password still works: a sign-out is not a suspension.
    assert!(app.idp_accepts(&sam, otp).await);
    let events = audit_actions(&app, "member.sign_out").await;
    assert_eq!(events[0].details["authentik_sessions_ended"], 1);
    app.cleanup().await;
}
on_both_backends!(
    force_sign_out,
    force_sign_out_ends_only_that_persons_sessions
);

async fn rules_on_oneself_owners_and_the_last_owner(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let overview: Value = owner
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    let id_of = |addr: &str| {
        overview["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["address"] == addr)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let olivia = id_of(OWNER.username);
    let mia = id_of(MEMBER.username);
    let me = overview["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == olivia.as_str())
        .unwrap();
    assert_eq!(me["is_self"], true);
    for action in ["suspend", "sign-out"] {
        let (status, body) = app.member_action(&owner, &olivia, action).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        assert!(body["message"].as_str().unwrap().contains("yourself"));
    }
    let r = remove(&app, &owner, &olivia).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let denied = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.outcome == Outcome::Denied && e.action.starts_with("member."))
        .count();
    assert_eq!(denied, 3, "each refusal audited as denied");
    // The last owner can be neither demoted nor removed (by another admin).
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let r = set_role(&app, &owner, &olivia, "admin").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = remove(&app, &admin, &olivia).await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "admins do not act on owners"
    );
    let partner = Browser::new();
    app.sign_in(&partner, &PARTNER, "/").await;
    let r = remove(&app, &partner, &olivia).await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "the last owner stays");
    // Only an owner makes owners.
    let r = set_role(&app, &admin, &mia, "owner").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, body) = app.create_member(&admin, "boss", "owner").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(app.authentik.user(&address("boss")).is_none());
    // With a second owner, the first may step down.
    let r = set_role(&app, &owner, &mia, "owner").await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = set_role(&app, &owner, &olivia, "admin").await;
    assert_eq!(r.status(), StatusCode::OK);
    // Bad input is a 400 naming the field.
    let r = set_role(&app, &owner, &mia, "boss").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["field"], "role");
    app.cleanup().await;
}
on_both_backends!(rules, rules_on_oneself_owners_and_the_last_owner);

/// The id of the member with this address in acme.
async fn member_id(app: &TestApp, b: &Browser, address: &str) -> String {
    let overview: Value = b
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    overview["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["address"] == address)
        .unwrap_or_else(|| panic!("{address} in {overview}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An admin cannot take over an owner: no password reset (which would hand the admin the
/// owner's one-time password), no suspension, sign-out, retry or removal of an owner. Owners
/// and the partner looking after the tenant can.
async fn admins_do_not_act_on_owners(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let olivia = member_id(&app, &owner, OWNER.username).await;
    for action in ["reset-password", "suspend", "sign-out", "retry", "resume"] {
        let (status, body) = app.member_action(&admin, &olivia, action).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        assert!(body["one_time_password"].is_null(), "{action}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("Only an owner"),
            "{action}: {body}"
        );
    }
    assert_eq!(
        remove(&app, &admin, &olivia).await.status(),
        StatusCode::FORBIDDEN
    );
    // The same through the page's server function.
    let r = app
        .server_fn(
            &admin,
            "reset_member_password",
            &[("tenant", "acme"), ("id", &olivia)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(!r.text().await.unwrap().contains("one_time_password\":\""));
    assert!(
        app.idp_accepts(OWNER.username, OWNER.password).await,
        "the owner's password is unchanged"
    );
    let denied = app
        .audit()
        .await
        .into_iter()
        .filter(|e| {
            e.action.starts_with("member.")
                && e.outcome == Outcome::Denied
                && e.target == OWNER.username
        })
        .count();
    assert_eq!(denied, 7, "every refusal is audited as denied");
    // The partner looking after acme may reset the owner's password.
    let partner = Browser::new();
    app.sign_in(&partner, &PARTNER, "/").await;
    let (status, body) = app.member_action(&partner, &olivia, "reset-password").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["one_time_password"].is_string());
    app.cleanup().await;
}
on_both_backends!(owners_protected, admins_do_not_act_on_owners);

/// A person whose SSO identity another workspace or a partner also uses cannot have their
/// sign-in changed from this workspace; they can be removed from it, and their identity stays.
async fn shared_identities_are_only_removed_from_this_workspace(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let db = &app.platform.db;
    // Pat is partner staff of Northwind and, here, also a member of acme.
    let acme = platform::repo::identity::tenant_by_slug(db, "acme")
        .await
        .unwrap()
        .unwrap();
    let pat = platform::repo::identity::ensure_user(
        db,
        app.authentik.user(PARTNER.username).unwrap().uuid.as_str(),
        PARTNER.username,
        "Pat Partner",
    )
    .await
    .unwrap();
    platform::repo::identity::set_membership(db, &acme.id, &pat.id, platform::domain::Role::Member)
        .await
        .unwrap();
    let id = member_id(&app, &owner, PARTNER.username).await;
    for action in ["reset-password", "suspend", "sign-out"] {
        let (status, body) = app.member_action(&owner, &id, action).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("partner staff") && message.contains("only be removed"),
            "{action}: {message}"
        );
    }
    let detail: Value = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await
        .json()
        .await
        .unwrap();
    let sso = detail["removal_plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["system"] == "Authentik")
        .unwrap()
        .clone();
    assert_eq!(sso["action"], "leave_group", "{detail}");
    assert_eq!(
        remove(&app, &owner, &id).await.status(),
        StatusCode::NO_CONTENT
    );
    assert!(
        app.authentik.user(PARTNER.username).is_some(),
        "the SSO identity stays"
    );
    assert!(
        app.idp_accepts(PARTNER.username, PARTNER.password).await,
        "partner staff still sign in"
    );
    assert!(
        platform::repo::identity::partner_of_staff(db, &pat.id)
            .await
            .unwrap()
            .is_some(),
        "still partner staff"
    );
    app.cleanup().await;
}
on_both_backends!(
    shared_identity,
    shared_identities_are_only_removed_from_this_workspace
);

/// Makes one create step fail, once.
async fn break_step(app: &TestApp, case: &str) {
    match case {
        "authentik-create" => {
            app.fault(
                &app.sandbox_url,
                json!({ "path_prefix": "/api/v3/core/users/", "method": "POST", "status": 503 }),
            )
            .await
        }
        // The second POST of the creation: set_password after the user was created.
        "authentik-password" => {
            app.fault(
                &app.sandbox_url,
                json!({ "path_prefix": "/api/v3/core/users/", "method": "POST", "skip": 1, "status": 503 }),
            )
            .await
        }
        "stalwart-create" => app.stalwart().fail_next("x:Account/set"),
        "ocis-create" => {
            app.fault(
                &app.ocis_url,
                json!({ "path_prefix": "/graph/v1.0/users", "method": "POST", "status": 503 }),
            )
            .await
        }
        other => panic!("unknown case {other}"),
    }
}

fn upstream_of(case: &str) -> &'static str {
    match case.split('-').next().unwrap() {
        "authentik" => "authentik",
        "stalwart" => "stalwart",
        _ => "ocis",
    }
}

async fn a_failed_step_leaves_a_member_that_retry_or_cancel_settles(backend: Backend) {
    let (app, owner) = ready(backend).await;
    for (i, case) in [
        "authentik-create",
        "authentik-password",
        "stalwart-create",
        "ocis-create",
    ]
    .into_iter()
    .enumerate()
    {
        for settle in ["retry", "cancel"] {
            let local = format!("f{i}-{settle}");
            let addr = address(&local);
            break_step(&app, case).await;
            let (status, body) = app.create_member(&owner, &local, "member").await;
            assert_eq!(status, StatusCode::CREATED, "{case}: {body}");
            let member = &body["member"];
            assert_eq!(member["status"], "creating", "{case}: {member}");
            assert_eq!(member["needs_attention"], true);
            let failed = upstream_of(case);
            assert_eq!(step(member, failed)["state"], "error", "{case}: {member}");
            let message = step(member, failed)["message"].as_str().unwrap();
            assert!(
                message.to_lowercase().starts_with(failed),
                "the message names the upstream: {message}"
            );
            let id = member["id"].as_str().unwrap().to_string();
            app.clear_faults().await;
            if settle == "retry" {
                let (status, retried) = app.member_action(&owner, &id, "retry").await;
                assert_eq!(status, StatusCode::OK, "{case}: {retried}");
                assert_eq!(retried["member"]["status"], "active", "{case}: {retried}");
                for u in ["authentik", "stalwart", "ocis"] {
                    assert_eq!(
                        step(&retried["member"], u)["state"],
                        "ok",
                        "{case}: {retried}"
                    );
                }
                // A new password was needed for the SSO/mailbox steps, and it works on both.
                let otp = retried["one_time_password"]
                    .as_str()
                    .or(body["one_time_password"].as_str())
                    .unwrap();
                assert!(app.idp_accepts(&addr, otp).await, "{case}");
                assert!(app.stalwart().authenticates(&addr, otp), "{case}");
                // A second retry changes nothing and creates nothing.
                let (status, _) = app.member_action(&owner, &id, "retry").await;
                assert_eq!(status, StatusCode::OK);
                assert!(app.authentik.user(&addr).is_some());
                assert!(app.stalwart().account(&addr).is_some());
                assert!(app.ocis.user(&addr).is_some());
            } else {
                let (status, body) = app.member_action(&owner, &id, "cancel").await;
                assert_eq!(status, StatusCode::NO_CONTENT, "{case}: {body}");
                assert!(app.authentik.user(&addr).is_none(), "{case}: SSO left");
                assert!(
                    app.stalwart().account(&addr).is_none(),
                    "{case}: mailbox left"
                );
                assert!(app.ocis.user(&addr).is_none(), "{case}: OCIS user left");
                let r = owner
                    .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
                    .await;
                assert_eq!(r.status(), StatusCode::NOT_FOUND);
            }
        }
    }
    // Exactly one object per created address in each system.
    let users = app.authentik.user_count();
    let overview: Value = owner
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        overview["members"].as_array().unwrap().len(),
        3 + 4,
        "demo people and the four retried members"
    );
    assert_eq!(app.stalwart().account_count(), 4);
    assert_eq!(app.ocis.user_count(), 4);
    assert_eq!(
        users,
        5 + 1 + 4,
        "demo people, the OCIS service account and the four retried members"
    );
    assert!(app
        .authentik
        .user(server::startup::SANDBOX_OCIS_ADMIN)
        .is_some());
    app.cleanup().await;
}
on_both_backends!(
    failures,
    a_failed_step_leaves_a_member_that_retry_or_cancel_settles
);

async fn addresses_are_checked_before_anything_is_created(backend: Backend) {
    let app = spawn_app(backend).await;
    let owner = Browser::new();
    app.sign_in(&owner, &OWNER, "/").await;
    // No primary domain yet: a pointer to the Domains page.
    let (status, body) = app.create_member(&owner, "jane", "member").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "no_primary_domain");
    assert!(body["message"].as_str().unwrap().contains("Domains page"));
    app.stalwart().set_dkim_delay(std::time::Duration::ZERO);
    app.primary_domain(&owner, DOMAIN).await;
    for (local, field) in [
        ("jane doe", "local_part"),
        ("jane@x.example", "local_part"),
        ("", "local_part"),
    ] {
        let (status, body) = app.create_member(&owner, local, "member").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{local}: {body}");
        assert_eq!(body["field"], field);
    }
    let (status, body) = app.create_member(&owner, "ok", "chief").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("role"))
    );
    // OCIS's default username rule (the address is the files username): a letter or `_`
    // first. Refused on the field before any upstream is asked.
    let before = (app.authentik.user_count(), app.stalwart().account_count());
    for local in ["2fa", "-ops"] {
        let (status, body) = app.create_member(&owner, local, "member").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{local}: {body}");
        assert_eq!(body["field"], "local_part");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("start with a letter"),
            "{body}"
        );
    }
    assert_eq!(
        (app.authentik.user_count(), app.stalwart().account_count()),
        before,
        "nothing was created"
    );
    // Someone else's mailbox on the server already has the address.
    let r = reqwest::Client::new()
        .post(format!("{}/_sandbox/stalwart/accounts", app.stalwart_url))
        .header("x-sandbox-token", &app.control_token)
        .json(&json!({ "name": "taken", "domain": DOMAIN }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let before = app.authentik.user_count();
    let (status, body) = app.create_member(&owner, "taken", "member").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "address_taken");
    assert!(
        body["message"].as_str().unwrap().contains("Stalwart"),
        "{body}"
    );
    assert_eq!(app.authentik.user_count(), before, "nothing was created");
    assert!(app.ocis.user(&address("taken")).is_none());
    // An upstream that cannot answer the check: nothing is created either.
    app.fault(
        &app.ocis_url,
        json!({ "path_prefix": "/graph/v1.0/users", "status": 500 }),
    )
    .await;
    let (status, body) = app.create_member(&owner, "later", "member").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(app.authentik.user(&address("later")).is_none());
    app.cleanup().await;
}
on_both_backends!(
    address_checks,
    addresses_are_checked_before_anything_is_created
);

async fn two_admins_creating_one_address_at_once_yield_one_member(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let (a, b) = tokio::join!(
        app.create_member(&owner, "twin", "member"),
        app.create_member(&admin, "twin", "member"),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    let overview: Value = owner
        .get(&app.url("/api/tenants/acme/members"))
        .await
        .json()
        .await
        .unwrap();
    let twins = overview["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["address"] == address("twin").as_str())
        .count();
    assert_eq!(twins, 1);
    assert!(app.authentik.user(&address("twin")).is_some());
    assert_eq!(app.stalwart().account_count(), 1);
    assert_eq!(app.ocis.user_count(), 1);
    app.cleanup().await;
}
on_both_backends!(
    concurrent_create,
    two_admins_creating_one_address_at_once_yield_one_member
);

async fn a_person_in_another_tenant_keeps_their_identity(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "shared", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    let shared = address("shared");
    // The same person (and mailbox) also works in Globex.
    let db = &app.platform.db;
    let globex = platform::repo::identity::tenant_by_slug(db, "globex")
        .await
        .unwrap()
        .unwrap();
    let sso = app.authentik.user(&shared).unwrap();
    let person = platform::repo::identity::ensure_user(db, &sso.uuid, &shared, "Shared")
        .await
        .unwrap();
    platform::repo::identity::set_membership(
        db,
        &globex.id,
        &person.id,
        platform::domain::Role::Member,
    )
    .await
    .unwrap();
    let detail: Value = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await
        .json()
        .await
        .unwrap();
    let action_of = |system: &str| {
        detail["removal_plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["system"] == system)
            .unwrap()["action"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(action_of("Authentik"), "leave_group");
    assert_eq!(action_of("Stalwart"), "keep");
    assert_eq!(action_of("OCIS"), "keep");
    let r = remove(&app, &owner, &id).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let kept = app
        .authentik
        .user(&shared)
        .expect("the SSO identity is kept");
    let acme_group = app
        .authentik
        .groups()
        .into_iter()
        .find(|g| g.name == "dezky-tenant-acme")
        .unwrap();
    assert!(!acme_group.users.contains(&kept.pk), "left acme's group");
    assert!(app.stalwart().account(&shared).is_some(), "mailbox kept");
    assert!(app.ocis.user(&shared).is_some(), "files kept");
    // Still a member of Globex.
    assert_eq!(
        platform::repo::identity::role_in_tenant(db, &globex.id, &person.id)
            .await
            .unwrap(),
        Some(platform::domain::Role::Member)
    );
    app.cleanup().await;
}
on_both_backends!(
    shared_person,
    a_person_in_another_tenant_keeps_their_identity
);

async fn member_endpoints_refuse_outsiders(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "inside", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    let outsider = Browser::new();
    app.sign_in(&outsider, &GLOBEX_ADMIN, "/").await;
    let member = Browser::new();
    app.sign_in(&member, &MEMBER, "/").await;
    let anonymous = Browser::new();
    let create =
        json!({ "first_name": "E", "last_name": "Vil", "local_part": "evil", "role": "owner" });
    let calls: Vec<(&str, String)> = vec![
        ("GET", "/api/tenants/acme/members".into()),
        ("POST", "/api/tenants/acme/members".into()),
        ("GET", format!("/api/tenants/acme/members/{id}")),
        ("PATCH", format!("/api/tenants/acme/members/{id}")),
        ("DELETE", format!("/api/tenants/acme/members/{id}")),
        ("POST", format!("/api/tenants/acme/members/{id}/suspend")),
        ("POST", format!("/api/tenants/acme/members/{id}/resume")),
        ("POST", format!("/api/tenants/acme/members/{id}/sign-out")),
        (
            "POST",
            format!("/api/tenants/acme/members/{id}/reset-password"),
        ),
        ("POST", format!("/api/tenants/acme/members/{id}/retry")),
        ("POST", format!("/api/tenants/acme/members/{id}/cancel")),
    ];
    for (who, browser, expected) in [
        ("anonymous", &anonymous, StatusCode::UNAUTHORIZED),
        ("member", &member, StatusCode::FORBIDDEN),
        ("globex admin", &outsider, StatusCode::FORBIDDEN),
    ] {
        for (method, path) in &calls {
            let url = app.url(path);
            let req = match *method {
                "GET" => browser.client.get(&url),
                "PATCH" => browser.client.patch(&url).json(&json!({ "role": "owner" })),
                "DELETE" => browser.client.delete(&url),
                _ => browser.client.post(&url).json(&create),
            };
            let r = req.send().await.unwrap();
            assert_eq!(r.status(), expected, "{who} {method} {path}");
            let body: Value = r.json().await.unwrap();
            assert!(body["error"].is_string(), "{body}");
        }
    }
    // The globex admin's own tenant does not know acme's member ids.
    let r = outsider
        .get(&app.url(&format!("/api/tenants/globex/members/{id}")))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The server functions check the same way.
    for (f, args) in [
        ("members", vec![("tenant", "acme")]),
        (
            "create_member",
            vec![
                ("tenant", "acme"),
                ("first_name", "E"),
                ("last_name", "V"),
                ("local_part", "evil"),
                ("role", "member"),
            ],
        ),
        (
            "member_progress",
            vec![("tenant", "acme"), ("address", "inside@team.example")],
        ),
        (
            "suspend_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "resume_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "set_member_role",
            vec![("tenant", "acme"), ("id", id.as_str()), ("role", "owner")],
        ),
        (
            "reset_member_password",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "retry_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "sign_out_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "member_removal_plan",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "remove_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
        (
            "cancel_member",
            vec![("tenant", "acme"), ("id", id.as_str())],
        ),
    ] {
        for browser in [&outsider, &member] {
            let r = app.server_fn(browser, f, &args).await;
            let status = r.status();
            let body = r.text().await.unwrap();
            assert_eq!(status, StatusCode::FORBIDDEN, "{f}: {body}");
            let error: Value = serde_json::from_str(&body).unwrap();
            assert_eq!(error["error"], "forbidden", "{f}: {body}");
        }
    }
    // Nothing happened to the member.
    let inside = address("inside");
    assert!(app.authentik.user(&inside).unwrap().is_active);
    assert!(app.stalwart().account(&inside).is_some());
    assert!(app.authentik.user(&address("evil")).is_none());
    app.cleanup().await;
}
on_both_backends!(member_isolation, member_endpoints_refuse_outsiders);

/// Runs every path that makes a one-time password (create, failed step and retry, reset,
/// the page's server functions), then looks for each password generated in this test
/// binary so far in this app's database (every text column of every table), in the logs
/// captured during the suite, and in the audit table.
async fn one_time_passwords_never_reach_the_database_logs_or_audit(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "secret", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    app.member_action(&owner, &id, "reset-password").await;
    app.stalwart().fail_next("x:Account/set");
    let (_, broken) = app.create_member(&owner, "secret2", "member").await;
    let id2 = broken["member"]["id"].as_str().unwrap().to_string();
    app.member_action(&owner, &id2, "retry").await;
    let r = app
        .server_fn(
            &owner,
            "create_member",
            &[
                ("tenant", "acme"),
                ("first_name", "Page"),
                ("last_name", "User"),
                ("local_part", "paged"),
                ("role", "member"),
            ],
        )
        .await;
    let page: Value = r.json().await.unwrap();
    remember_secret(page["one_time_password"].as_str().unwrap());
    let secrets = remembered_secrets();
    assert!(secrets.len() >= 4, "{secrets:?}");

    let dump = platform::testing::dump_text(&app.platform.db).await;
    assert!(
        dump.contains("secret@team.example"),
        "the dump reads the tables"
    );
    let logs = captured_logs();
    assert!(logs.contains("request"), "the logs were captured");
    let audit: String = app.audit().await.iter().map(|e| format!("{e:?}")).collect();
    assert!(audit.contains("member.reset_password"));
    for s in &secrets {
        assert!(
            !dump.contains(s.as_str()),
            "a one-time password is in the database"
        );
        assert!(
            !logs.contains(s.as_str()),
            "a one-time password is in the logs"
        );
        assert!(
            !audit.contains(s.as_str()),
            "a one-time password is in the audit"
        );
    }
    app.cleanup().await;
}
on_both_backends!(
    no_secret_leaks,
    one_time_passwords_never_reach_the_database_logs_or_audit
);

async fn a_failed_suspension_step_is_retried_without_touching_the_password(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "half", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    let otp = body["one_time_password"].as_str().unwrap().to_string();
    let half = address("half");
    app.stalwart().fail_next("x:Account/set");
    let (status, member) = app.member_action(&owner, &id, "suspend").await;
    assert_eq!(status, StatusCode::OK, "{member}");
    assert_eq!(
        member["status"], "suspended",
        "the wanted state is recorded"
    );
    assert_eq!(member["needs_attention"], true);
    assert_eq!(step(&member, "authentik")["state"], "ok");
    assert_eq!(step(&member, "stalwart")["state"], "error", "{member}");
    assert!(
        app.stalwart().authenticates(&half, &otp),
        "the freeze did not happen yet"
    );
    let event = &audit_actions(&app, "member.suspend").await[0];
    assert_eq!(
        event.outcome,
        Outcome::Failure,
        "the audit says which upstream failed"
    );
    let (status, retried) = app.member_action(&owner, &id, "retry").await;
    assert_eq!(status, StatusCode::OK, "{retried}");
    assert!(
        retried.get("one_time_password").is_none(),
        "no new password: {retried}"
    );
    assert_eq!(retried["member"]["needs_attention"], false, "{retried}");
    assert!(!app.stalwart().authenticates(&half, &otp), "frozen now");
    assert!(!app.authentik.user(&half).unwrap().is_active);
    // Resume brings back the original password everywhere.
    app.member_action(&owner, &id, "resume").await;
    assert!(app.stalwart().authenticates(&half, &otp));
    assert!(app.idp_accepts(&half, &otp).await);
    app.cleanup().await;
}
on_both_backends!(
    failed_suspension,
    a_failed_suspension_step_is_retried_without_touching_the_password
);

async fn a_removal_that_failed_in_one_system_is_finished_by_retry(backend: Backend) {
    let (app, owner) = ready(backend).await;
    let (_, body) = app.create_member(&owner, "leaving", "member").await;
    let id = body["member"]["id"].as_str().unwrap().to_string();
    let leaving = address("leaving");
    app.fault(
        &app.ocis_url,
        json!({ "path_prefix": "/graph/v1.0/users", "method": "DELETE", "status": 503 }),
    )
    .await;
    let r = remove(&app, &owner, &id).await;
    assert_eq!(r.status(), StatusCode::BAD_GATEWAY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "removal_incomplete");
    assert!(body["message"].as_str().unwrap().contains("OCIS"), "{body}");
    // Still recorded, as being removed, with the OCIS user it points to.
    let detail: Value = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["member"]["status"], "removing");
    assert_eq!(step(&detail["member"], "ocis")["state"], "error");
    assert!(app.ocis.user(&leaving).is_some());
    assert!(
        app.authentik.user(&leaving).is_none(),
        "the SSO identity went first"
    );
    let (status, _) = app.member_action(&owner, &id, "retry").await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "the retry finished the removal"
    );
    assert!(app.ocis.user(&leaving).is_none());
    assert!(app.stalwart().account(&leaving).is_none());
    let r = owner
        .get(&app.url(&format!("/api/tenants/acme/members/{id}")))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}
on_both_backends!(
    removal_retry,
    a_removal_that_failed_in_one_system_is_finished_by_retry
);

async fn list_page(app: &TestApp, b: &Browser, query: &str) -> (StatusCode, Value) {
    let r = b
        .get(&app.url(&format!("/api/tenants/acme/members?{query}")))
        .await;
    (r.status(), r.json().await.unwrap())
}

fn addresses(page: &Value) -> Vec<String> {
    page["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["address"].as_str().unwrap().to_string())
        .collect()
}

/// The list comes a bounded page at a time in name order; following the cursors visits every
/// member once (ties on the name broken by the address), search narrows it on the server, and
/// a bad limit or cursor is refused with its field.
async fn the_member_list_pages_with_a_cursor(backend: Backend) {
    let (app, owner) = ready(backend).await;
    // Five people with the same name: only the address orders them.
    for local in ["p5", "p1", "p4", "p2", "p3"] {
        let (status, body) = app.create_member(&owner, local, "member").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (_, all) = list_page(&app, &owner, "").await;
    let everyone = addresses(&all);
    assert_eq!(all["total"], 3 + 5);
    assert_eq!(everyone.len(), 3 + 5);
    assert!(all["next_cursor"].is_null(), "one page holds them: {all}");

    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let (status, page) = list_page(&app, &owner, &format!("limit=3&cursor={cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["total"], 8);
        let got = addresses(&page);
        assert!(got.len() <= 3);
        seen.extend(got);
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen, everyone,
        "the pages together are the list, in order, once each"
    );
    let jane: Vec<&String> = seen.iter().filter(|a| a.starts_with('p')).collect();
    assert_eq!(
        jane,
        ["p1", "p2", "p3", "p4", "p5"]
            .map(address)
            .iter()
            .collect::<Vec<_>>()
    );

    // Search on the server, case-insensitive, with LIKE's wildcards taken literally.
    let (_, found) = list_page(&app, &owner, "q=P3%40TEAM").await;
    assert_eq!(addresses(&found), [address("p3")]);
    assert_eq!(found["total"], 1);
    let (_, none) = list_page(&app, &owner, "q=%25").await;
    assert_eq!(none["total"], 0, "{none}");

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=many", "limit"),
        ("cursor=not-ours", "cursor"),
    ] {
        let (status, body) = list_page(&app, &owner, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["error"], "invalid", "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(body["request_id"].is_string());
    }
    app.cleanup().await;
}
on_both_backends!(pages, the_member_list_pages_with_a_cursor);

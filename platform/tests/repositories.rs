//! Repository tests, each on SQLite and on PostgreSQL.

use platform::db::Backend;
use platform::domain::{Outcome, Role, TenantStatus};
use platform::repo::{audit, identity, tokens};
use platform::services::members::MemberStatus;
use platform::services::steps::StepState;
use platform::testing::TestDatabase;
use platform::{new_id, now_ms, on_both_backends};

async fn users_are_keyed_by_subject_and_kept_current(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let first = identity::upsert_user_by_subject(&db, "sub-1", "old@x.example", "Old Name", true)
        .await
        .unwrap();
    assert!(first.email_verified, "the IdP vouched for it");
    let again = identity::upsert_user_by_subject(&db, "sub-1", "new@x.example", "New Name", false)
        .await
        .unwrap();
    assert_eq!(first.id, again.id, "same subject, same user");
    assert_eq!(again.email, "new@x.example");
    assert_eq!(again.name, "New Name");
    assert!(
        !again.email_verified,
        "a new, unasserted address is not verified"
    );
    // ensure_user never overwrites someone who already signed in.
    let kept = identity::ensure_user(&db, "sub-1", "seed@x.example", "Seed")
        .await
        .unwrap();
    assert_eq!(kept.email, "new@x.example");
    assert!(!kept.email_verified, "Dezky did not give them this address");
    // The address Dezky gave stays verified through a sign-in without the IdP's word.
    let given = identity::ensure_user(&db, "sub-2", "member@x.example", "Member")
        .await
        .unwrap();
    assert!(given.email_verified);
    let signed_in =
        identity::upsert_user_by_subject(&db, "sub-2", "member@x.example", "Member", false)
            .await
            .unwrap();
    assert!(signed_in.email_verified);
    tdb.cleanup().await;
}
on_both_backends!(
    users_keyed_by_subject,
    users_are_keyed_by_subject_and_kept_current
);

async fn memberships_and_partners(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let acme = identity::ensure_tenant(&db, "acme", "Acme", TenantStatus::Active)
        .await
        .unwrap();
    let globex = identity::ensure_tenant(&db, "globex", "Globex", TenantStatus::Active)
        .await
        .unwrap();
    let u = identity::ensure_user(&db, "s", "a@acme.example", "A")
        .await
        .unwrap();
    identity::set_membership(&db, &acme.id, &u.id, Role::Member)
        .await
        .unwrap();
    identity::set_membership(&db, &acme.id, &u.id, Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        identity::role_in_tenant(&db, &acme.id, &u.id)
            .await
            .unwrap(),
        Some(Role::Admin)
    );
    assert_eq!(
        identity::role_in_tenant(&db, &globex.id, &u.id)
            .await
            .unwrap(),
        None
    );
    let ms = identity::memberships_of(&db, &u.id).await.unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].slug, "acme");
    assert_eq!(identity::count_members(&db, &acme.id).await.unwrap(), 1);

    let p = identity::ensure_partner(&db, "nw", "Northwind")
        .await
        .unwrap();
    let staff = identity::ensure_user(&db, "p", "p@nw.example", "P")
        .await
        .unwrap();
    identity::add_partner_staff(&db, &p.id, &staff.id)
        .await
        .unwrap();
    identity::add_partner_tenant(&db, &p.id, &acme.id)
        .await
        .unwrap();
    identity::add_partner_tenant(&db, &p.id, &acme.id)
        .await
        .unwrap();
    assert_eq!(
        identity::partner_of_staff(&db, &staff.id)
            .await
            .unwrap()
            .unwrap()
            .slug,
        "nw"
    );
    assert!(identity::partner_of_staff(&db, &u.id)
        .await
        .unwrap()
        .is_none());
    assert!(identity::partner_looks_after(&db, &p.id, &acme.id)
        .await
        .unwrap());
    assert!(!identity::partner_looks_after(&db, &p.id, &globex.id)
        .await
        .unwrap());
    let all = platform::repo::partner_tenants::PartnerTenantFilter {
        search: None,
        sort: wire::tenants::PartnerSort::Name,
        after: None,
    };
    assert_eq!(
        platform::repo::partner_tenants::count(&db, &p.id, &all)
            .await
            .unwrap(),
        1
    );
    tdb.cleanup().await;
}
on_both_backends!(memberships, memberships_and_partners);

async fn token_rows_change_only_from_the_version_seen(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let u = identity::ensure_user(&db, "s", "a@x.example", "A")
        .await
        .unwrap();
    let t = |a: &'static str, r: Option<&'static str>| tokens::SealedTokens {
        access_token: a,
        refresh_token: r,
        id_token: "id",
        expires_at: 1,
    };
    tokens::insert(&db, "k1", &u.id, &t("a1", Some("r1")))
        .await
        .unwrap();
    let row = tokens::get(&db, "k1").await.unwrap().unwrap();
    assert_eq!(row.version, 1);
    assert!(
        tokens::replace_if_version(&db, "k1", 1, &t("a2", Some("r2")))
            .await
            .unwrap()
    );
    assert!(
        !tokens::replace_if_version(&db, "k1", 1, &t("a3", Some("r3")))
            .await
            .unwrap(),
        "a writer that saw version 1 loses after someone else wrote"
    );
    // No refresh token in the answer keeps the current one.
    assert!(tokens::replace_if_version(&db, "k1", 2, &t("a4", None))
        .await
        .unwrap());
    let row = tokens::get(&db, "k1").await.unwrap().unwrap();
    assert_eq!(
        (
            row.access_token.as_str(),
            row.refresh_token.as_deref(),
            row.version
        ),
        ("a4", Some("r2"), 3)
    );
    tokens::insert(&db, "k2", &u.id, &t("b", None))
        .await
        .unwrap();
    assert_eq!(tokens::delete_for_user(&db, &u.id).await.unwrap(), 2);
    assert!(tokens::get(&db, "k1").await.unwrap().is_none());
    tdb.cleanup().await;
}
on_both_backends!(token_versions, token_rows_change_only_from_the_version_seen);

async fn audit_events_read_back_newest_first_per_tenant(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let now = now_ms();
    for (i, tenant) in [(0, "t1"), (1, "t1"), (2, "t2")] {
        let id = new_id();
        audit::insert(
            &db,
            &audit::NewAuditRow {
                id: &id,
                tenant_id: Some(tenant),
                actor_user_id: None,
                actor_email: Some("a@x.example"),
                actor_partner_staff: i == 1,
                action: "tenant.test",
                target: &format!("target-{i}"),
                outcome: Outcome::Success,
                ip: Some("127.0.0.1"),
                user_agent: None,
                request_id: Some("r"),
                details: r#"{"n":1}"#,
                created_at: now + i,
            },
        )
        .await
        .unwrap();
    }
    let t1 = audit::for_tenant(&db, "t1", 10).await.unwrap();
    assert_eq!(t1.len(), 2);
    assert_eq!(t1[0].target, "target-1");
    assert_eq!(t1[0].outcome, Outcome::Success);
    assert!(t1[0].actor_partner_staff);
    assert_eq!(t1[0].details["n"], 1);
    assert_eq!(audit::for_tenant(&db, "t1", 1).await.unwrap().len(), 1);
    assert_eq!(audit::all(&db, 10).await.unwrap().len(), 3);
    tdb.cleanup().await;
}
on_both_backends!(audit_order, audit_events_read_back_newest_first_per_tenant);

/// The free-text search answers the same whichever way the backend finds the rows: a word in
/// more events than SQLite's rare-word cap (2,000) is scanned through the tenant's covering
/// index, a rare one comes from the trigram table; PostgreSQL reads its tenant-first GIN
/// index. Every answer is checked against the events themselves, newest first, across pages.
async fn text_search_is_exact_for_common_and_rare_words(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let now = now_ms();
    let mut expected: Vec<(String, String)> = Vec::new(); // (target, word) of t1's events
    for i in 0..2_600i64 {
        // Mostly t2's: the common word is common in the log, not only in t1.
        let tenant = if i % 10 == 0 { "t1" } else { "t2" };
        let word = if i % 7 == 0 { "quokka" } else { "zephyr" };
        let target = format!("{word}-{i}");
        audit::insert(
            &db,
            &audit::NewAuditRow {
                id: &new_id(),
                tenant_id: Some(tenant),
                actor_user_id: None,
                actor_email: Some("a@x.example"),
                actor_partner_staff: false,
                action: "tenant.test",
                target: &target,
                outcome: Outcome::Success,
                ip: None,
                user_agent: None,
                request_id: None,
                details: "{}",
                created_at: now + i,
            },
        )
        .await
        .unwrap();
        if tenant == "t1" {
            expected.push((target, word.to_string()));
        }
    }
    expected.reverse(); // newest first
    for word in ["zephyr", "quokka", "ephy", "-22", "nowhere"] {
        let filter = audit::AuditFilter {
            text: Some(word.to_string()),
            ..Default::default()
        };
        let want: Vec<&str> = expected
            .iter()
            .filter(|(t, _)| t.contains(word))
            .map(|(t, _)| t.as_str())
            .collect();
        let mut got: Vec<String> = Vec::new();
        let mut from: Option<audit::Position> = None;
        loop {
            let page = audit::search(&db, "t1", &filter, from.as_ref(), 40)
                .await
                .unwrap();
            got.extend(page.iter().map(|e| e.target.clone()));
            match page.last() {
                Some(last) if page.len() == 40 => {
                    from = Some(audit::Position {
                        created_at: last.created_at,
                        id: last.id.clone(),
                        older: true,
                    })
                }
                _ => break,
            }
        }
        assert_eq!(
            got, want,
            "{word}: t1's matches, newest first, nothing of t2's"
        );
    }
    tdb.cleanup().await;
}
on_both_backends!(
    audit_text_search,
    text_search_is_exact_for_common_and_rare_words
);

async fn members_are_claimed_once_and_suspension_closes_the_tenant(backend: Backend) {
    use platform::repo::members::{self, NewMemberRow};
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let acme = identity::ensure_tenant(&db, "acme", "Acme", TenantStatus::Active)
        .await
        .unwrap();
    let globex = identity::ensure_tenant(&db, "globex", "Globex", TenantStatus::Active)
        .await
        .unwrap();
    let row = |id: &'static str, tenant: &'static str| NewMemberRow {
        id,
        tenant_id: tenant,
        address: "jane@acme.example",
        first_name: "Jane",
        last_name: "Roe",
        role: Role::Member,
        created_by: Some("olivia@acme.example"),
    };
    let steps = ["authentik", "stalwart", "ocis"];
    let (a, b) = (acme.id.clone(), globex.id.clone());
    let a: &'static str = Box::leak(a.into_boxed_str());
    let b: &'static str = Box::leak(b.into_boxed_str());
    assert!(members::insert(&db, &row("m1", a), &steps).await.unwrap());
    assert!(
        !members::insert(&db, &row("m2", a), &steps).await.unwrap(),
        "one member per address in a tenant"
    );
    assert!(members::insert(&db, &row("m3", b), &steps).await.unwrap());
    assert!(members::address_in_use(&db, "jane@acme.example")
        .await
        .unwrap());
    assert_eq!(
        members::count_address_elsewhere(&db, "jane@acme.example", a)
            .await
            .unwrap(),
        1
    );
    let s = members::steps(&db, &["m1".to_string()]).await.unwrap();
    assert_eq!(s.len(), 3);
    assert!(s.iter().all(|s| s.state == StepState::Pending));
    // An upstream id is kept through a later failure and forgotten once the object is gone.
    members::record_step(
        &db,
        "m1",
        "ocis",
        StepState::Ok,
        "Created.",
        Some("u-1"),
        false,
    )
    .await
    .unwrap();
    members::record_step(
        &db,
        "m1",
        "ocis",
        StepState::Error,
        "OCIS: down",
        None,
        false,
    )
    .await
    .unwrap();
    let id_of = |steps: Vec<members::MemberStepRow>| {
        steps
            .into_iter()
            .find(|s| s.upstream == "ocis")
            .unwrap()
            .upstream_id
    };
    assert_eq!(
        id_of(members::steps(&db, &["m1".into()]).await.unwrap()),
        Some("u-1".into())
    );
    members::record_step(&db, "m1", "ocis", StepState::Ok, "Deleted.", None, true)
        .await
        .unwrap();
    assert_eq!(
        id_of(members::steps(&db, &["m1".into()]).await.unwrap()),
        None
    );

    // The person behind the member: access follows the member's status.
    let u = identity::ensure_user(&db, "sub-jane", "jane@acme.example", "Jane Roe")
        .await
        .unwrap();
    members::set_user(&db, "m1", &u.id).await.unwrap();
    members::set_status(&db, "m1", MemberStatus::Active, None)
        .await
        .unwrap();
    assert_eq!(
        identity::role_in_tenant(&db, a, &u.id).await.unwrap(),
        Some(Role::Member)
    );
    members::set_status(
        &db,
        "m1",
        MemberStatus::Suspended,
        Some("olivia@acme.example"),
    )
    .await
    .unwrap();
    assert_eq!(identity::role_in_tenant(&db, a, &u.id).await.unwrap(), None);
    assert!(identity::memberships_of(&db, &u.id)
        .await
        .unwrap()
        .is_empty());
    let m = members::by_id(&db, a, "m1").await.unwrap().unwrap();
    assert_eq!(m.suspended_by.as_deref(), Some("olivia@acme.example"));
    assert_eq!((m.status, m.role), (MemberStatus::Suspended, Role::Member));
    assert!(m.suspended_at.is_some());
    assert!(
        members::by_id(&db, b, "m1").await.unwrap().is_none(),
        "a member id is only found in its own tenant"
    );
    assert_eq!(members::count_owners(&db, a).await.unwrap(), 0);
    members::set_role(&db, "m1", Role::Owner).await.unwrap();
    let m = members::by_id(&db, a, "m1").await.unwrap().unwrap();
    assert_eq!(m.role, Role::Owner);
    assert_eq!(members::count_owners(&db, a).await.unwrap(), 1);
    members::delete(&db, "m1").await.unwrap();
    assert!(members::steps(&db, &["m1".into()])
        .await
        .unwrap()
        .is_empty());
    tdb.cleanup().await;
}
on_both_backends!(
    members_repo,
    members_are_claimed_once_and_suspension_closes_the_tenant
);

/// A domain's states as read back.
async fn domain_states(
    db: &platform::Db,
    name: &str,
) -> (
    platform::services::domains::DomainStatus,
    platform::services::domains::DmarcPolicy,
    StepState,
) {
    let d = platform::repo::mail_domains::by_name(db, name)
        .await
        .unwrap()
        .unwrap();
    (d.status, d.dmarc_policy, d.stalwart_state)
}

async fn states_are_typed_at_the_edge(backend: Backend) {
    use platform::repo::mail_domains::{self, NewDomain};
    use platform::services::domains::{DmarcPolicy, DomainStatus};
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let acme = identity::ensure_tenant(&db, "acme", "Acme", TenantStatus::Pending)
        .await
        .unwrap();
    assert_eq!(acme.status, TenantStatus::Pending);
    identity::set_tenant_status(&db, &acme.id, TenantStatus::Active)
        .await
        .unwrap();
    let acme = identity::tenant_by_slug(&db, "acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acme.status, TenantStatus::Active);

    let id = new_id();
    let domain = NewDomain {
        id: &id,
        tenant_id: &acme.id,
        name: "acme.example",
        unicode_name: "acme.example",
        ownership_token: "t",
    };
    assert!(mail_domains::insert(&db, &domain).await.unwrap());
    assert_eq!(
        domain_states(&db, "acme.example").await,
        (
            DomainStatus::Pending,
            DmarcPolicy::Quarantine,
            StepState::Pending
        ),
        "a new domain's defaults, as the schema writes them"
    );
    mail_domains::set_checks(&db, &id, DomainStatus::NeedsAttention, "[]")
        .await
        .unwrap();
    mail_domains::set_dmarc(&db, &id, DmarcPolicy::Reject, None)
        .await
        .unwrap();
    mail_domains::set_stalwart(&db, &id, StepState::Skipped, "Off.", None)
        .await
        .unwrap();
    assert_eq!(
        domain_states(&db, "acme.example").await,
        (
            DomainStatus::NeedsAttention,
            DmarcPolicy::Reject,
            StepState::Skipped
        )
    );
    tdb.cleanup().await;
}
on_both_backends!(typed_states, states_are_typed_at_the_edge);

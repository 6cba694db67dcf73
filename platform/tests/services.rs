//! The services end to end against the Authentik sandbox (Stalwart, OCIS and Stripe off): a
//! partner creates and provisions a workspace, opens its dashboard, sets up a domain with
//! patches, and removes a member while Authentik fails. The states are enums, and the views
//! send the same JSON strings as before.

mod common;

use platform::services::billing::SeatSync;
use std::net::SocketAddr;
use std::time::Duration;

use common::{admin, authentik, ADMIN_TOKEN};

use platform::db::Backend;
use platform::dns::resolver::DnsResolver;
use platform::domain::{Outcome, TenantStatus};
use platform::error::{public, Classify, ErrorClass};
use platform::repo::{identity, mail_domains};
use platform::services::access::AccessService;
use platform::services::audit::AuditRecorder;
use platform::services::domains::{
    DmarcPolicy, DomainError, DomainPatch, DomainService, DomainStatus, DomainUpstreams,
};
use platform::services::members::{MemberError, MemberService, MemberStatus, MemberUpstreams};
use platform::services::provisioning::{ProvisioningService, StepState, Upstreams};
use platform::services::tenants::TenantService;
use platform::testing::TestDatabase;
use platform::{on_both_backends, Ctx, RequestMeta};
use sandbox::faults::Fault;
use sandbox::AuthentikSandbox;
use serde_json::json;

/// The next Authentik admin API request on users (with `method`, if given) fails with 500.
fn fail_users_once(sb: &AuthentikSandbox, method: Option<&str>) {
    sb.faults.add(Fault {
        path_prefix: "/api/v3/core/users/".into(),
        count: 1,
        status: Some(500),
        delay_ms: 0,
        skip: 0,
        timeout: false,
        method: method.map(String::from),
        after: false,
    });
}

async fn a_workspace_from_creation_to_a_failed_removal(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let (sb, base) = authentik().await;
    let authentik = || admin(&base, ADMIN_TOKEN);
    let audit = AuditRecorder::new(db.clone());
    let access = AccessService::new(
        db.clone(),
        audit.clone(),
        platform::services::security::SecurityGate::new(db.clone(), None),
    );
    let provisioning = ProvisioningService::new(
        db.clone(),
        audit.clone(),
        Upstreams {
            authentik: authentik(),
            ocis: None,
            stalwart_enabled: false,
            stripe: None,
            seats: SeatSync::new(db.clone(), None, 14, Vec::new()),
        },
    );
    let tenants = TenantService::new(db.clone(), provisioning.clone());
    let domains = DomainService::new(
        db.clone(),
        audit.clone(),
        DomainUpstreams {
            stalwart: None,
            dns: DnsResolver::new(
                &[SocketAddr::from(([127, 0, 0, 1], 9))],
                Duration::from_millis(100),
            ),
            mail_host: "mail.dezky.example".into(),
            sandbox_dns: None,
            notices: None,
        },
    );
    let members = MemberService::new(
        db.clone(),
        audit.clone(),
        MemberUpstreams {
            authentik: authentik(),
            stalwart: None,
            ocis: None,
            seats: SeatSync::new(db.clone(), None, 14, Vec::new()),
            notices: platform::services::branding::Notices::new(
                db.clone(),
                audit.clone(),
                None,
                "http://127.0.0.1:3000",
            ),
        },
    );

    // Partner staff, in partner mode; and nobody.
    let partner = identity::ensure_partner(&db, "nw", "Northwind")
        .await
        .unwrap();
    let pat = identity::ensure_user(&db, "sub-pat", "pat@nw.example", "Pat")
        .await
        .unwrap();
    identity::add_partner_staff(&db, &partner.id, &pat.id)
        .await
        .unwrap();
    let ctx = Ctx {
        user_id: Some(pat.id.clone()),
        partner_mode: true,
        meta: RequestMeta {
            request_id: "req-1".into(),
            ..Default::default()
        },
        session: None,
        memo: Default::default(),
    };
    let info = access.session_info(&ctx, true).await.unwrap();
    assert!(info.sandbox && info.partner_mode);
    assert_eq!(info.me.unwrap().partner.unwrap().slug, "nw");
    let nobody = access
        .session_info(&Ctx::system("req-2"), false)
        .await
        .unwrap();
    assert!(nobody.me.is_none() && !nobody.partner_mode);

    // Creation provisions at once; progress reads the same back.
    let staff = access.partner_staff(&ctx).await.unwrap();
    let created = provisioning
        .create_and_provision(&ctx, &staff, "acme", "Acme", None)
        .await
        .unwrap();
    assert_eq!(created.tenant.status, TenantStatus::Active);
    let state_of = |u: &str| {
        created
            .steps
            .iter()
            .find(|s| s.upstream == u)
            .unwrap()
            .state
    };
    assert_eq!(state_of("authentik"), StepState::Ok);
    assert_eq!(state_of("ocis"), StepState::Skipped);
    let json = serde_json::to_value(&created).unwrap();
    assert_eq!(json["tenant"]["status"], "active");
    assert_eq!(json["steps"][0]["state"], "ok", "{json}");
    let progress = provisioning.progress(&created.tenant).await.unwrap();
    assert_eq!(progress, created);

    let view = tenants
        .partner_view(&staff, &Default::default())
        .await
        .unwrap();
    assert_eq!(view.partner_name, "Northwind");
    assert_eq!(view.tenants.len(), 1);
    assert_eq!(view.tenants[0].attention, 0);

    let admin = access.tenant_admin(&ctx, "acme").await.unwrap();
    let dash = tenants.dashboard(&admin).await.unwrap();
    assert_eq!(
        (
            dash.viewer_name.as_str(),
            dash.viewer_role,
            dash.via_partner
        ),
        ("Pat", None, true)
    );
    assert_eq!(dash.seats_used, 0);
    assert_eq!(dash.steps, created.steps);
    assert_eq!(dash.recent_audit[0].action, "tenant.provision");
    assert_eq!(dash.recent_audit[0].outcome, Outcome::Success);
    assert!(dash.recent_audit.len() <= 10);

    // A domain: nothing to change, a DMARC policy (parsed), primary only once verified.
    let d = domains.add(&ctx, &admin, "acme.example").await.unwrap();
    assert_eq!(
        (d.status, d.dmarc_policy, d.stalwart_state),
        (
            DomainStatus::Pending,
            DmarcPolicy::Quarantine,
            StepState::Skipped
        )
    );
    let patch = |policy: Option<&str>, primary: Option<bool>| DomainPatch {
        dmarc_policy: policy.map(String::from),
        dmarc_rua: Some("dmarc@acme.example".into()),
        primary,
    };
    let e = domains
        .patch(&ctx, &admin, "acme.example", patch(None, Some(false)))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("dmarc_policy"));
    assert!(e.to_string().starts_with("Nothing to change"), "{e}");
    let e = domains
        .patch(&ctx, &admin, "acme.example", patch(Some("block"), None))
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        DomainError::Invalid {
            field: "dmarc_policy",
            ..
        }
    ));
    let d = domains
        .patch(&ctx, &admin, "acme.example", patch(Some("Reject"), None))
        .await
        .unwrap();
    assert_eq!(d.dmarc_policy, DmarcPolicy::Reject);
    let dmarc = d.records.iter().find(|r| r.kind == "DMARC").unwrap();
    assert_eq!(
        dmarc.value,
        "v=DMARC1; p=reject; rua=mailto:dmarc@acme.example"
    );
    let e = domains
        .patch(&ctx, &admin, "acme.example", patch(None, Some(true)))
        .await
        .unwrap_err();
    assert!(matches!(e, DomainError::NotVerified(_)), "{e}");
    let row = mail_domains::by_name(&db, "acme.example")
        .await
        .unwrap()
        .unwrap();
    mail_domains::set_checks(&db, &row.id, DomainStatus::Verified, "[]")
        .await
        .unwrap();
    let d = domains
        .patch(&ctx, &admin, "acme.example", patch(None, Some(true)))
        .await
        .unwrap();
    assert!(d.is_primary);
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        (
            &json["status"],
            &json["dmarc_policy"],
            &json["stalwart_state"]
        ),
        (&json!("verified"), &json!("reject"), &json!("skipped"))
    );

    // A member: the role is parsed; the check that the address is free keeps its cause.
    let e = members
        .create(&ctx, &admin, "Jane", "Roe", "jane", "boss")
        .await
        .err()
        .unwrap();
    assert_eq!(e.field(), Some("role"));
    fail_users_once(&sb, Some("GET"));
    let e = members
        .create(&ctx, &admin, "Jane", "Roe", "jane", "member")
        .await
        .err()
        .unwrap();
    assert!(matches!(e, MemberError::Upstream { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            "Could not check that jane@acme.example is free, so nothing was created: "
        ),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some(), "the cause is kept");
    assert_eq!((e.class(), e.code()), (ErrorClass::Upstream, "upstream"));

    let jane = members
        .create(&ctx, &admin, "Jane", "Roe", "jane", "Member")
        .await
        .unwrap()
        .reveal();
    assert!(jane.one_time_password.is_some());
    assert_eq!(jane.member.status, MemberStatus::Active);
    let json = serde_json::to_value(&jane).unwrap();
    assert_eq!(
        (&json["member"]["status"], &json["member"]["role"]),
        (&json!("active"), &json!("member"))
    );
    let plan = members.removal_plan(&admin, &jane.member.id).await.unwrap();
    assert_eq!(serde_json::to_value(&plan).unwrap()[0]["action"], "delete");

    // Authentik refuses the deletion: the removal says what is left; Retry finishes it.
    fail_users_once(&sb, Some("DELETE"));
    let e = members
        .remove(&ctx, &admin, &jane.member.id)
        .await
        .unwrap_err();
    let MemberError::RemovalIncomplete { address, left } = &e else {
        panic!("{e:?}");
    };
    assert_eq!(address, "jane@acme.example");
    assert_eq!(left.len(), 1);
    assert!(
        left[0].starts_with("Authentik: could not delete jane@acme.example"),
        "{left:?}"
    );
    assert!(
        e.to_string().starts_with(
            "jane@acme.example could not be removed completely; retry later. Authentik: "
        ),
        "{e}"
    );
    let p = public(&e);
    assert_eq!((p.status(), p.error.as_str()), (502, "removal_incomplete"));
    let left_behind = members.get(&admin, &jane.member.id).await.unwrap();
    assert_eq!(left_behind.status, MemberStatus::Removing);
    assert!(left_behind.needs_attention);
    assert!(members
        .retry(&ctx, &admin, &jane.member.id)
        .await
        .unwrap()
        .is_none());
    assert!(matches!(
        members.get(&admin, &jane.member.id).await,
        Err(MemberError::NotFound(_))
    ));

    // The grant is kept for the rest of the request only under what it depended on: the same
    // request's context out of partner mode is refused (pat is no member of acme).
    let outside = Ctx {
        partner_mode: false,
        ..ctx.clone()
    };
    let refused = access.tenant_admin(&outside, "acme").await;
    assert!(
        matches!(
            refused,
            Err(platform::services::access::AccessError::NotMember(_))
        ),
        "{refused:?}"
    );
    assert!(access.tenant_admin(&ctx, "acme").await.is_ok());
    tdb.cleanup().await;
}
on_both_backends!(
    workspace_end_to_end,
    a_workspace_from_creation_to_a_failed_removal
);

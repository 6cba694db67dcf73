//! The background recheck: two instances (two services on one database) running at once
//! check every due domain exactly once.

use std::time::Duration;

use platform::db::Backend;
use platform::dns::resolver::DnsResolver;
use platform::repo::{audit, identity, mail_domains};
use platform::services::audit::AuditRecorder;
use platform::services::domains::{DomainService, DomainUpstreams};
use platform::testing::TestDatabase;
use platform::{new_id, on_both_backends, Ctx};
use sandbox::dns::DnsSandbox;

async fn two_instances_check_each_domain_once(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let dns = DnsSandbox::start().await.unwrap();
    let tenant =
        identity::ensure_tenant(&db, "acme", "Acme", platform::domain::TenantStatus::Active)
            .await
            .unwrap();
    for i in 0..12 {
        let id = new_id();
        let name = format!("d{i}.example");
        assert!(mail_domains::insert(
            &db,
            &mail_domains::NewDomain {
                id: &id,
                tenant_id: &tenant.id,
                name: &name,
                unicode_name: &name,
                ownership_token: "t"
            },
        )
        .await
        .unwrap());
    }
    let service = || {
        DomainService::new(
            db.clone(),
            AuditRecorder::new(db.clone()),
            DomainUpstreams {
                stalwart: None,
                dns: DnsResolver::new(&[dns.addr], Duration::from_millis(500)),
                mail_host: "mail.dezky.example".into(),
                sandbox_dns: None,
                notices: None,
            },
        )
    };
    let (a, b) = (service(), service());
    let ctx = Ctx::system("recheck");
    let (na, nb) = tokio::join!(
        a.recheck_due(&ctx, Duration::from_secs(3600), 100),
        b.recheck_due(&ctx, Duration::from_secs(3600), 100),
    );
    assert_eq!(
        na.unwrap() + nb.unwrap(),
        12,
        "every due domain once, between both instances"
    );
    let events = audit::for_tenant(&db, &tenant.id, 100).await.unwrap();
    for i in 0..12 {
        let n = events
            .iter()
            .filter(|e| e.target == format!("d{i}.example"))
            .count();
        assert_eq!(n, 1, "d{i}.example checked once");
    }
    // Just checked: nothing is due any more.
    assert_eq!(
        a.recheck_due(&ctx, Duration::from_secs(3600), 100)
            .await
            .unwrap(),
        0
    );
    tdb.cleanup().await;
}
on_both_backends!(recheck, two_instances_check_each_domain_once);

//! Benchmark (not a test): the wall time of creating a member (pre-checks, then the
//! Authentik, Stalwart and OCIS steps) with every sandbox upstream answering each request
//! 100 ms late, compared with no delay. The steps of the three upstreams run concurrently,
//! so the wall time follows the longest chain of calls (Authentik's), not the sum.
//!
//! `cargo run --release -p server --example member_create_bench`

use std::time::{Duration, Instant};

use platform::{Ctx, CurrentUser, RequestMeta};
use sandbox::faults::Fault;
use server::config::Settings;
use server::Application;

const RUNS: usize = 10;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("dezky-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/bench.db", dir.display());
    let secret = platform::crypto::random_token(32);
    let settings = Settings::from_source(&move |k| match k {
        "DATABASE_URL" => Some(url.clone()),
        "LEPTOS_SITE_ADDR" => Some("127.0.0.1:0".into()),
        "LOG_FORMAT" => Some("json".into()),
        "DEZKY_SANDBOX" => Some("true".into()),
        "SESSION_SECRET" => Some(secret.clone()),
        "SANDBOX_AUTHENTIK_PORT" | "SANDBOX_STALWART_PORT" | "SANDBOX_DNS_CONTROL_PORT" => {
            Some("0".into())
        }
        _ => None,
    })
    .expect("settings");
    let app = Application::build(settings).await.expect("the app builds");
    let platform = app.platform.clone();
    let (authentik, _) = app.authentik_sandbox.clone().expect("sandbox mode");
    let (ocis, _) = app.ocis_sandbox.clone().expect("sandbox mode");
    let (stalwart, _) = app.stalwart_sandbox.clone().expect("sandbox mode");
    stalwart.set_dkim_delay(Duration::ZERO);

    // The demo owner of acme, acting through the same services as the pages.
    let owner = platform::repo::identity::ensure_user(
        &platform.db,
        sandbox::demo::DEMO_USERS[0].uuid,
        sandbox::demo::DEMO_USERS[0].email,
        sandbox::demo::DEMO_USERS[0].name,
    )
    .await
    .unwrap();
    let ctx = Ctx::new(
        Some(&CurrentUser {
            user_id: owner.id.clone(),
            auth_key: String::new(),
            signed_in_at: 0,
            last_seen_at: 0,
        }),
        false,
        RequestMeta {
            request_id: "bench".into(),
            ..Default::default()
        },
    );
    let admin = platform.access.tenant_admin(&ctx, "acme").await.unwrap();
    platform.provisioning.reconcile(&ctx, &admin).await.unwrap();
    platform
        .domains
        .add(&ctx, &admin, "bench.example")
        .await
        .unwrap();
    let row = platform::repo::mail_domains::by_name(&platform.db, "bench.example")
        .await
        .unwrap()
        .unwrap();
    platform::repo::mail_domains::set_checks(
        &platform.db,
        &row.id,
        platform::services::domains::DomainStatus::Verified,
        "[]",
    )
    .await
    .unwrap();
    platform
        .domains
        .set_primary(&ctx, &admin, "bench.example")
        .await
        .unwrap();

    let mut report = Vec::new();
    for delay_ms in [0u64, 100] {
        for faults in [&authentik.faults, &ocis.faults, &stalwart.faults] {
            faults.clear();
            if delay_ms > 0 {
                faults.add(Fault {
                    path_prefix: "/".into(),
                    count: 0,
                    status: None,
                    delay_ms,
                    timeout: false,
                    method: None,
                    skip: 0,
                    after: false,
                });
            }
        }
        let mut times = Vec::new();
        for i in 0..RUNS {
            let local = format!("bench{delay_ms}x{i}");
            let started = Instant::now();
            let created = platform
                .members
                .create(&ctx, &admin, "Bench", "Person", &local, "member")
                .await
                .expect("created");
            times.push(started.elapsed());
            assert!(
                !created.member.needs_attention,
                "{:?}",
                created.member.steps
            );
        }
        times.sort();
        report.push(format!(
            "upstream delay {delay_ms:>3} ms per request: median {:>7.1} ms, min {:>7.1} ms, max {:>7.1} ms over {RUNS} creates",
            ms(times[RUNS / 2]),
            ms(times[0]),
            ms(times[RUNS - 1]),
        ));
    }
    for line in report {
        println!("{line}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

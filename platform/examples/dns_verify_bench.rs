//! Benchmark (not a test): the wall time of verifying one domain's five records against a
//! loopback DNS server whose slowest answer takes 300 ms and the others 50 ms. With the
//! queries concurrent, the wall time stays near the slowest single query.
//!
//! `cargo run --release -p platform --example dns_verify_bench`

use std::time::{Duration, Instant};

use platform::dns::resolver::DnsResolver;
use platform::dns::{verify, Expectation};
use sandbox::dns::DnsSandbox;

const ED: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

#[tokio::main]
async fn main() {
    let d = "bench.example";
    let dns = DnsSandbox::start().await.expect("dns sandbox");
    dns.mx(d, 10, "mail.dezky.example");
    dns.txt(d, &["v=spf1 mx -all"]);
    // An Ed25519 key (RFC 8463 §A.2); the mail host's address for SPF.
    dns.txt(
        &format!("sel._domainkey.{d}"),
        &[&format!("v=DKIM1; k=ed25519; p={ED}")],
    );
    dns.address(
        "mail.dezky.example",
        std::net::IpAddr::from([192, 0, 2, 25]),
    );
    dns.txt(&format!("_dmarc.{d}"), &["v=DMARC1; p=reject"]);
    dns.txt(&format!("_dezky.{d}"), &["dezky-verification=t"]);
    for n in [
        d.to_string(),
        format!("sel._domainkey.{d}"),
        format!("_dmarc.{d}"),
    ] {
        dns.delay(&n, Duration::from_millis(50));
    }
    dns.delay(&format!("_dezky.{d}"), Duration::from_millis(300));
    let expectations = vec![
        Expectation::Mx {
            name: d.into(),
            host: "mail.dezky.example".into(),
            preference: 10,
        },
        Expectation::Spf {
            name: d.into(),
            mail_host: "mail.dezky.example".into(),
        },
        Expectation::Dkim {
            name: format!("sel._domainkey.{d}"),
            record: format!("v=DKIM1; k=ed25519; p={ED}"),
        },
        Expectation::Dmarc {
            name: format!("_dmarc.{d}"),
            policy: wire::domains::DmarcPolicy::Reject,
        },
        Expectation::Txt {
            name: format!("_dezky.{d}"),
            value: "dezky-verification=t".into(),
        },
    ];
    let resolver = DnsResolver::new(&[dns.addr], Duration::from_secs(2));
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let checks = verify(&resolver, &expectations).await;
        times.push(started.elapsed());
        assert!(checks
            .iter()
            .all(|c| c.verdict.outcome == platform::dns::checks::Outcome::Ok));
    }
    times.sort();
    println!(
        "verify one domain (5 records, slowest query 300 ms, others 50 ms), 20 runs: min {:?}, median {:?}, max {:?}",
        times[0], times[10], times[19]
    );
}

//! DNS verification over real queries to a loopback DNS server whose zone each test sets:
//! correct, missing, wrong value, two SPF records, MX elsewhere, and a resolver timeout.

use std::time::Duration;

use platform::dns::checks::Outcome;
use platform::dns::resolver::{DnsResolver, LookupError};
use platform::dns::{verify, Expectation};
use sandbox::dns::DnsSandbox;

const D: &str = "acme-corp.example";

fn expectations() -> Vec<Expectation> {
    vec![
        Expectation::Mx {
            name: D.into(),
            host: "mail.dezky.example".into(),
            preference: 10,
        },
        Expectation::Spf {
            name: D.into(),
            mechanism: "mx".into(),
        },
        Expectation::Dkim {
            name: format!("v1-rsa._domainkey.{D}"),
            key: "MIIBIjANBgkq".into(),
        },
        Expectation::Dmarc {
            name: format!("_dmarc.{D}"),
            policy: wire::domains::DmarcPolicy::Reject,
        },
        Expectation::Txt {
            name: format!("_dezky.{D}"),
            value: "dezky-verification=tok123".into(),
        },
    ]
}

fn outcome_of(checks: &[platform::dns::Check], i: usize) -> Outcome {
    checks[i].verdict.outcome.clone()
}

async fn setup() -> (DnsSandbox, DnsResolver) {
    let dns = DnsSandbox::start().await.unwrap();
    let resolver = DnsResolver::new(&[dns.addr], Duration::from_millis(500));
    (dns, resolver)
}

#[tokio::test]
async fn a_correct_zone_verifies() {
    let (dns, resolver) = setup().await;
    dns.mx(D, 10, "mail.dezky.example");
    dns.txt(D, &["v=spf1 include:_spf.other.example mx ~all"]);
    dns.txt(D, &["google-site-verification=abc"]);
    // A long DKIM record split into several strings, as published.
    dns.txt(
        &format!("v1-rsa._domainkey.{D}"),
        &["v=DKIM1; k=rsa; p=MIIBIj", "ANBgkq"],
    );
    dns.txt(
        &format!("_dmarc.{D}"),
        &["v=DMARC1; p=reject; rua=mailto:postmaster@acme-corp.example"],
    );
    dns.txt(&format!("_dezky.{D}"), &["dezky-verification=tok123"]);
    let checks = verify(&resolver, &expectations()).await;
    for c in &checks {
        assert_eq!(c.verdict.outcome, Outcome::Ok, "{:?}", c.expectation);
    }
}

#[tokio::test]
async fn missing_wrong_and_conflicting_records_are_named() {
    let (dns, resolver) = setup().await;
    dns.mx(D, 10, "mx.elsewhere.example");
    dns.txt(D, &["v=spf1 mx -all"]);
    dns.txt(D, &["v=spf1 include:old.example -all"]);
    dns.txt(
        &format!("v1-rsa._domainkey.{D}"),
        &["v=DKIM1; k=rsa; p=SOMETHINGELSE"],
    );
    dns.txt(&format!("_dmarc.{D}"), &["v=DMARC1; p=none"]);
    let checks = verify(&resolver, &expectations()).await;
    assert_eq!(
        outcome_of(&checks, 0),
        Outcome::Mismatch {
            found: vec!["10 mx.elsewhere.example".into()]
        }
    );
    assert_eq!(checks[0].verdict.to_remove, vec!["10 mx.elsewhere.example"]);
    assert!(matches!(outcome_of(&checks, 1), Outcome::Duplicate { found } if found.len() == 2));
    assert_eq!(
        outcome_of(&checks, 2),
        Outcome::Mismatch {
            found: vec!["v=DKIM1; k=rsa; p=SOMETHINGELSE".into()]
        }
    );
    assert!(matches!(outcome_of(&checks, 3), Outcome::Mismatch { .. }));
    assert_eq!(
        outcome_of(&checks, 4),
        Outcome::Missing,
        "NXDOMAIN is missing, not an error"
    );
}

#[tokio::test]
async fn a_silent_resolver_is_an_error_not_a_missing_record() {
    let (dns, resolver) = setup().await;
    for name in [
        D.to_string(),
        format!("v1-rsa._domainkey.{D}"),
        format!("_dmarc.{D}"),
        format!("_dezky.{D}"),
    ] {
        dns.silence(&name);
    }
    let checks = verify(&resolver, &expectations()).await;
    for c in &checks {
        assert!(
            matches!(&c.verdict.outcome, Outcome::Error { message } if message.contains("in time")),
            "{:?}",
            c.verdict
        );
    }
    assert_eq!(
        resolver.txt(&format!("_dmarc.{D}")).await,
        Err(LookupError::Timeout)
    );
}

//! DNS verification over real queries to a loopback DNS server whose zone each test sets:
//! correct, missing, wrong value, two SPF records, MX elsewhere, a resolver timeout; and the
//! verdicts mail servers reach, by mail-auth: SPF `a:`, `redirect=`, `include` chains, the
//! 10-lookup limit and a TXT split mid-token; DKIM and DMARC behind CNAMEs, a CNAME loop; a
//! DMARC version in the wrong case.

use std::time::Duration;

use platform::dns::checks::Outcome;
use platform::dns::resolver::{DnsResolver, LookupError};
use platform::dns::{verify, Expectation};
use sandbox::dns::DnsSandbox;

const D: &str = "acme-corp.example";
const MAIL: &str = "mail.dezky.example";
/// The mail host's address (TEST-NET-1).
const MAIL_IP: &str = "192.0.2.25";
/// An Ed25519 public key (RFC 8463 §A.2).
const ED: &str = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

fn expectations() -> Vec<Expectation> {
    vec![
        Expectation::Mx {
            name: D.into(),
            host: "mail.dezky.example".into(),
            preference: 10,
        },
        Expectation::Spf {
            name: D.into(),
            mail_host: MAIL.into(),
        },
        Expectation::Dkim {
            name: format!("v1-ed25519._domainkey.{D}"),
            record: format!("v=DKIM1; k=ed25519; p={ED}"),
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
    dns.address(MAIL, MAIL_IP.parse().unwrap());
    let resolver = DnsResolver::new(&[dns.addr], Duration::from_millis(500));
    (dns, resolver)
}

#[tokio::test]
async fn a_correct_zone_verifies() {
    let (dns, resolver) = setup().await;
    dns.mx(D, 10, "mail.dezky.example");
    dns.txt(D, &["v=spf1 include:_spf.other.example mx ~all"]);
    dns.txt("_spf.other.example", &["v=spf1 ip4:203.0.113.0/24 -all"]);
    dns.txt(D, &["google-site-verification=abc"]);
    // A DKIM record split into several strings, mid-key, as long records are published.
    dns.txt(
        &format!("v1-ed25519._domainkey.{D}"),
        &[
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQ",
            "HOg7hcvPapiMlrwIaaPcHURo=",
        ],
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
        &format!("v1-ed25519._domainkey.{D}"),
        &["v=DKIM1; k=ed25519; p=SOMETHINGELSE"],
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
            found: vec!["v=DKIM1; k=ed25519; p=SOMETHINGELSE".into()]
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
        format!("v1-ed25519._domainkey.{D}"),
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

/// The SPF verdict for `D` with the given zone.
async fn spf_of(dns: &DnsSandbox, resolver: &DnsResolver) -> platform::dns::checks::Verdict {
    let _ = dns;
    platform::dns::check(
        resolver,
        &Expectation::Spf {
            name: D.into(),
            mail_host: MAIL.into(),
        },
    )
    .await
}

#[tokio::test]
async fn spf_passes_as_receivers_evaluate_it() {
    // The mail host named by `a:`: the same server, so it passes.
    let (dns, resolver) = setup().await;
    dns.txt(D, &["v=spf1 a:mail.dezky.example -all"]);
    let v = spf_of(&dns, &resolver).await;
    assert_eq!(v.outcome, Outcome::Ok, "{v:?}");
    assert!(v.note.unwrap().contains("192.0.2.25"));

    // `redirect=` to a record that authorises it.
    let (dns, resolver) = setup().await;
    dns.txt(D, &["v=spf1 redirect=_spf.acme-corp.example"]);
    dns.txt(
        "_spf.acme-corp.example",
        &["v=spf1 a:mail.dezky.example -all"],
    );
    assert_eq!(spf_of(&dns, &resolver).await.outcome, Outcome::Ok);

    // An include chain two deep, the last one by `ip4`; `~all` passes with a note.
    let (dns, resolver) = setup().await;
    dns.txt(D, &["v=spf1 include:_a.example ~all"]);
    dns.txt("_a.example", &["v=spf1 include:_b.example -all"]);
    dns.txt("_b.example", &["v=spf1 ip4:192.0.2.0/24 -all"]);
    let v = spf_of(&dns, &resolver).await;
    assert_eq!(v.outcome, Outcome::Ok, "{v:?}");
    assert!(v.note.unwrap().contains("softfail"));

    // A record split into two strings mid-token is one record once joined (RFC 7208 §3.3).
    let (dns, resolver) = setup().await;
    dns.txt(D, &["v=spf1 a:mail.dez", "ky.example -all"]);
    assert_eq!(spf_of(&dns, &resolver).await.outcome, Outcome::Ok);
}

#[tokio::test]
async fn spf_that_does_not_authorise_the_mail_host_fails_with_the_rule() {
    // Another server only.
    let (dns, resolver) = setup().await;
    dns.txt(D, &["v=spf1 ip4:198.51.100.7 -all"]);
    let v = spf_of(&dns, &resolver).await;
    assert!(
        matches!(&v.outcome, Outcome::Mismatch { found } if found == &vec!["v=spf1 ip4:198.51.100.7 -all".to_string()])
    );
    assert!(
        v.note.unwrap().contains("gets fail"),
        "the rule that decided"
    );

    // Eleven lookups: past the limit of 10 (RFC 7208 §4.6.4), a permerror.
    let (dns, resolver) = setup().await;
    let includes: Vec<String> = (0..11).map(|i| format!("include:_n{i}.example")).collect();
    let record = format!("v=spf1 {} a:mail.dezky.example -all", includes.join(" "));
    dns.txt(D, &[&record]);
    for i in 0..11 {
        dns.txt(&format!("_n{i}.example"), &["v=spf1 -all"]);
    }
    let v = spf_of(&dns, &resolver).await;
    assert!(matches!(v.outcome, Outcome::Mismatch { .. }), "{v:?}");
    assert!(v.note.unwrap().starts_with("permerror"));

    // A mail host without an address cannot be evaluated: said so.
    let (dns, resolver) = setup().await;
    dns.clear(MAIL);
    dns.txt(D, &["v=spf1 mx -all"]);
    let v = spf_of(&dns, &resolver).await;
    assert!(
        matches!(&v.outcome, Outcome::Error { message } if message.contains("no A or AAAA")),
        "{v:?}"
    );
}

#[tokio::test]
async fn dkim_and_dmarc_are_read_behind_cnames_and_a_loop_is_an_error() {
    let (dns, resolver) = setup().await;
    let selector = format!("v1-ed25519._domainkey.{D}");
    dns.cname(&selector, "keys.provider.example");
    dns.txt(
        "keys.provider.example",
        &[&format!("v=DKIM1; k=ed25519; p={ED}")],
    );
    let dmarc = format!("_dmarc.{D}");
    dns.cname(&dmarc, "dmarc.provider.example");
    dns.txt(
        "dmarc.provider.example",
        &["v=DMARC1; p=reject; pct=100; rua=mailto:r@provider.example"],
    );
    let dkim_exp = Expectation::Dkim {
        name: selector.clone(),
        record: format!("v=DKIM1; k=ed25519; p={ED}"),
    };
    let dmarc_exp = Expectation::Dmarc {
        name: dmarc.clone(),
        policy: wire::domains::DmarcPolicy::Reject,
    };
    assert_eq!(
        platform::dns::check(&resolver, &dkim_exp).await.outcome,
        Outcome::Ok
    );
    let v = platform::dns::check(&resolver, &dmarc_exp).await;
    assert_eq!(v.outcome, Outcome::Ok);
    assert_eq!(
        v.note.unwrap(),
        "p=reject, pct=100, rua=mailto:r@provider.example"
    );

    // A CNAME loop: a clear error, at once.
    dns.clear(&dmarc);
    dns.cname(&dmarc, "loop-a.example");
    dns.cname("loop-a.example", "loop-b.example");
    dns.cname("loop-b.example", "loop-a.example");
    let started = std::time::Instant::now();
    let v = platform::dns::check(&resolver, &dmarc_exp).await;
    assert!(matches!(v.outcome, Outcome::Error { .. }), "{v:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "no hang");

    // The version in the wrong case: not a DMARC record.
    dns.clear(&dmarc);
    dns.txt(&dmarc, &["v=dmarc1; p=reject"]);
    let v = platform::dns::check(&resolver, &dmarc_exp).await;
    assert!(matches!(v.outcome, Outcome::Mismatch { .. }), "{v:?}");
    assert!(v.note.unwrap().contains("case-sensitive"));
}

/// The domain's own name servers are asked first: a record just published there shows at
/// once, while the configured resolver still has nothing (as if it had cached the absence);
/// the verdict says which answered. When they are silent, the resolvers answer.
#[tokio::test]
async fn the_domains_own_name_servers_answer_first() {
    let (dns, _) = setup().await;
    let authoritative = DnsSandbox::start().await.unwrap();
    dns.ns(D, "ns1.dns.example");
    dns.address("ns1.dns.example", "127.0.0.1".parse().unwrap());
    let resolver = DnsResolver::new(&[dns.addr], Duration::from_millis(500))
        .with_authoritative_port(authoritative.addr.port());
    authoritative.txt(&format!("_dmarc.{D}"), &["v=DMARC1; p=reject"]);
    let exp = vec![Expectation::Dmarc {
        name: format!("_dmarc.{D}"),
        policy: wire::domains::DmarcPolicy::Reject,
    }];
    let checks = platform::dns::verify_domain(&resolver, D, &exp).await;
    assert_eq!(
        checks[0].verdict.outcome,
        Outcome::Ok,
        "{:?}",
        checks[0].verdict
    );
    assert!(
        checks[0]
            .verdict
            .note
            .as_deref()
            .unwrap()
            .ends_with("Answered by the domain's name servers (ns1.dns.example)."),
        "{:?}",
        checks[0].verdict.note
    );

    // Silent name servers: the configured resolvers answer (nothing there: missing).
    authoritative.silence(&format!("_dmarc.{D}"));
    let checks = platform::dns::verify_domain(&resolver, D, &exp).await;
    assert_eq!(checks[0].verdict.outcome, Outcome::Missing);
    assert!(checks[0]
        .verdict
        .note
        .as_deref()
        .unwrap()
        .contains("Answered by the configured resolvers."));
}

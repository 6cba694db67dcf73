//! DNS verification: what a domain must publish, what resolvers answer, and the comparison by
//! meaning (not text) of the two.
//!
//! - `zonefile`: the records Stalwart asks for, parsed from its BIND-style `dnsZoneFile`.
//! - `checks`: expected against found as mail servers judge it (SPF evaluated by mail-auth for
//!   the mail host's addresses, DKIM key and DMARC records parsed by mail-auth, MX by host),
//!   including records that conflict and must go, and the rule that decided.
//! - `resolver`: hickory-resolver against the configured resolvers, no cache, one timeout per
//!   query; lookups run concurrently.

pub mod checks;
pub mod resolver;
pub mod zonefile;

use serde::{Deserialize, Serialize};
use wire::domains::DmarcPolicy;

use checks::{Outcome, Verdict};
use resolver::{DnsResolver, LookupError};

/// One record a domain must publish, and how it is compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expectation {
    Mx {
        name: String,
        host: String,
        preference: u16,
    },
    /// The domain's SPF policy must give `pass` for every address of the mail host.
    Spf {
        name: String,
        mail_host: String,
    },
    /// The key record Stalwart published (`v=DKIM1; k=…; p=…`).
    Dkim {
        name: String,
        record: String,
    },
    Dmarc {
        name: String,
        policy: DmarcPolicy,
    },
    /// An exact TXT value (the ownership token).
    Txt {
        name: String,
        value: String,
    },
}

impl Expectation {
    pub fn name(&self) -> &str {
        match self {
            Expectation::Mx { name, .. }
            | Expectation::Spf { name, .. }
            | Expectation::Dkim { name, .. }
            | Expectation::Dmarc { name, .. }
            | Expectation::Txt { name, .. } => name,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub expectation: Expectation,
    pub verdict: Verdict,
}

fn failed(e: LookupError) -> Verdict {
    Verdict::of(Outcome::Error {
        message: e.to_string(),
    })
}

/// SPF as a receiving mail server evaluates it: the one SPF record at the domain (parsed by
/// mail-auth), then mail-auth's `check_host()` (RFC 7208 §4: `include`, `redirect`, `a`, `mx`,
/// `ip4`/`ip6`, the 10-lookup limit) for each A and AAAA address of the mail host, with the
/// domain's postmaster as the sender.
async fn spf(resolver: &DnsResolver, name: &str, mail_host: &str) -> Verdict {
    let found = match resolver.txt(name).await {
        Ok(found) => found,
        Err(e) => return failed(e),
    };
    let record = match checks::spf_record(&found) {
        Ok(r) => r,
        Err(verdict) => return verdict,
    };
    let parsed = match checks::spf_syntax(&record) {
        Ok(p) => p,
        Err(reason) => {
            return Verdict::noted(
                Outcome::Mismatch {
                    found: vec![record],
                },
                reason,
            )
        }
    };
    let ips = match resolver.ips(mail_host).await {
        Ok(ips) if ips.is_empty() => {
            return Verdict::of(Outcome::Error {
                message: format!(
                    "The mail host {mail_host} has no A or AAAA record, so SPF cannot be evaluated for it."
                ),
            })
        }
        Ok(ips) => ips,
        Err(e) => return failed(e),
    };
    let sender = format!("postmaster@{name}");
    let mut results = Vec::new();
    for ip in ips {
        let out = resolver
            .authenticator()
            .verify_spf(mail_auth::spf::verify::SpfParameters::verify_mail_from(
                ip, mail_host, mail_host, &sender,
            ))
            .await;
        results.push((ip, out.result()));
    }
    checks::spf_verdict(&record, &parsed, mail_host, &results)
}

/// Checks one expectation against live DNS, asking the domain's own name servers first (a
/// record just published shows at once) and the configured resolvers when they cannot
/// answer; the verdict says which answered. SPF's evaluation (`include`, `a`, `mx` of other
/// names) always runs through the configured resolvers.
pub async fn check_with(
    resolver: &DnsResolver,
    authoritative: Option<&resolver::Authoritative>,
    expectation: &Expectation,
) -> Verdict {
    if let Some(auth) = authoritative {
        let spf_record_only = matches!(expectation, Expectation::Spf { .. });
        let verdict = if spf_record_only {
            // The domain's own record from its servers; evaluated as receivers do.
            match auth.resolver.txt(expectation.name()).await {
                Ok(_) => Some(check(resolver, expectation).await),
                Err(_) => None,
            }
        } else {
            Some(check(&auth.resolver, expectation).await)
        };
        if let Some(v) = verdict.filter(|v| !matches!(v.outcome, Outcome::Error { .. })) {
            return answered_by(
                v,
                &format!("the domain's name servers ({})", auth.servers.join(", ")),
            );
        }
    }
    answered_by(
        check(resolver, expectation).await,
        "the configured resolvers",
    )
}

fn answered_by(mut v: Verdict, who: &str) -> Verdict {
    let said = format!("Answered by {who}.");
    v.note = Some(match v.note.take() {
        Some(n) => format!("{n} {said}"),
        None => said,
    });
    v
}

/// Checks one expectation against live DNS through `resolver`.
pub async fn check(resolver: &DnsResolver, expectation: &Expectation) -> Verdict {
    let name = expectation.name();
    let txt = || async {
        match resolver.txt(name).await {
            Ok(found) => Ok(found),
            Err(e) => Err(failed(e)),
        }
    };
    let verdict = match expectation {
        Expectation::Mx { host, .. } => match resolver.mx(name).await {
            Ok(found) => Ok(checks::mx(&found, host)),
            Err(e) => Err(failed(e)),
        },
        Expectation::Spf { mail_host, .. } => Ok(spf(resolver, name, mail_host).await),
        Expectation::Dkim { record, .. } => txt().await.map(|f| checks::dkim(&f, record)),
        Expectation::Dmarc { policy, .. } => txt().await.map(|f| checks::dmarc(&f, *policy)),
        Expectation::Txt { value, .. } => txt().await.map(|f| checks::exact_txt(&f, value)),
    };
    verdict.unwrap_or_else(|failure| failure)
}

/// Checks every expectation, all queries at once: the wall time is that of the slowest query.
pub async fn verify(resolver: &DnsResolver, expectations: &[Expectation]) -> Vec<Check> {
    futures::future::join_all(expectations.iter().map(|e| async move {
        Check {
            expectation: e.clone(),
            verdict: check(resolver, e).await,
        }
    }))
    .await
}

/// As [`verify`], asking `domain`'s own name servers first (see [`check_with`]).
pub async fn verify_domain(
    resolver: &DnsResolver,
    domain: &str,
    expectations: &[Expectation],
) -> Vec<Check> {
    let authoritative = resolver.authoritative(domain).await;
    let auth = authoritative.as_ref();
    futures::future::join_all(expectations.iter().map(|e| async move {
        Check {
            expectation: e.clone(),
            verdict: check_with(resolver, auth, e).await,
        }
    }))
    .await
}

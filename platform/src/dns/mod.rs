//! DNS verification: what a domain must publish, what resolvers answer, and the comparison by
//! meaning (not text) of the two.
//!
//! - `zonefile`: the records Stalwart asks for, parsed from its BIND-style `dnsZoneFile`.
//! - `checks`: pure comparisons of expected against found values (SPF by mechanism, DKIM by
//!   key, DMARC by policy, MX by host), including records that conflict and must go.
//! - `resolver`: hickory-resolver against the configured resolvers, no cache, one timeout per
//!   query; lookups run concurrently.

pub mod checks;
pub mod resolver;
pub mod zonefile;

use serde::{Deserialize, Serialize};

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
    Spf {
        name: String,
        mechanism: String,
    },
    Dkim {
        name: String,
        key: String,
    },
    Dmarc {
        name: String,
        policy: String,
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
    Verdict {
        outcome: Outcome::Error {
            message: e.to_string(),
        },
        to_remove: Vec::new(),
    }
}

/// Checks one expectation against live DNS.
pub async fn check(resolver: &DnsResolver, expectation: &Expectation) -> Verdict {
    let name = expectation.name();
    match expectation {
        Expectation::Mx { host, .. } => match resolver.mx(name).await {
            Ok(found) => checks::mx(&found, host),
            Err(e) => failed(e),
        },
        other => match resolver.txt(name).await {
            Ok(found) => match other {
                Expectation::Spf { mechanism, .. } => checks::spf(&found, mechanism),
                Expectation::Dkim { key, .. } => checks::dkim(&found, key),
                Expectation::Dmarc { policy, .. } => checks::dmarc(&found, policy),
                Expectation::Txt { value, .. } => checks::exact_txt(&found, value),
                Expectation::Mx { .. } => unreachable!("handled above"),
            },
            Err(e) => failed(e),
        },
    }
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

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
        Expectation::Spf { mechanism, .. } => txt().await.map(|f| checks::spf(&f, mechanism)),
        Expectation::Dkim { key, .. } => txt().await.map(|f| checks::dkim(&f, key)),
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

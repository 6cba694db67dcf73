//! Lookups through hickory-resolver against the configured resolvers (default 1.1.1.1 and
//! 8.8.8.8; tests point them at a loopback server). No cache: a recheck must see what DNS
//! says now. "No such name" and "no records" are empty answers, not errors; a timeout or a
//! server failure is an error, so the page can say the resolvers had trouble.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("the DNS resolvers did not answer in time")]
    Timeout,
    #[error("the DNS resolvers failed: {0}")]
    Failed(String),
}

#[derive(Clone)]
pub struct DnsResolver {
    resolver: TokioResolver,
    timeout: Duration,
}

impl DnsResolver {
    pub fn new(servers: &[SocketAddr], timeout: Duration) -> Self {
        let group: NameServerConfigGroup = servers
            .iter()
            .flat_map(|s| {
                [
                    NameServerConfig::new(*s, Protocol::Udp),
                    NameServerConfig::new(*s, Protocol::Tcp),
                ]
            })
            .collect::<Vec<_>>()
            .into();
        let mut opts = ResolverOpts::default();
        opts.timeout = timeout;
        opts.attempts = 1;
        opts.cache_size = 0;
        opts.use_hosts_file = hickory_resolver::config::ResolveHosts::Never;
        opts.edns0 = true;
        let resolver = hickory_resolver::Resolver::builder_with_config(
            ResolverConfig::from_parts(None, vec![], group),
            TokioConnectionProvider::default(),
        )
        .with_options(opts)
        .build();
        Self { resolver, timeout }
    }

    fn fqdn(name: &str) -> String {
        format!("{}.", name.trim_end_matches('.'))
    }

    /// Every TXT record at `name`, each one's strings joined.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let lookup = self
            .bounded(self.resolver.txt_lookup(Self::fqdn(name)))
            .await?;
        Ok(lookup
            .map(|l| {
                l.iter()
                    .map(|txt| {
                        txt.txt_data()
                            .iter()
                            .map(|part| String::from_utf8_lossy(part).into_owned())
                            .collect::<String>()
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Every MX record at `name` as (preference, host without the trailing dot).
    pub async fn mx(&self, name: &str) -> Result<Vec<(u16, String)>, LookupError> {
        let lookup = self
            .bounded(self.resolver.mx_lookup(Self::fqdn(name)))
            .await?;
        Ok(lookup
            .map(|l| {
                l.iter()
                    .map(|mx| {
                        (
                            mx.preference(),
                            mx.exchange().to_ascii().trim_end_matches('.').to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// CNAME targets at `name`.
    pub async fn cname(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let lookup = self
            .bounded(self.resolver.lookup(
                Self::fqdn(name),
                hickory_resolver::proto::rr::RecordType::CNAME,
            ))
            .await?;
        Ok(lookup
            .map(|l| {
                l.iter()
                    .filter_map(|r| match r {
                        RData::CNAME(c) => Some(c.0.to_ascii().trim_end_matches('.').to_string()),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Runs a lookup with the per-query timeout; `Ok(None)` for "no such records".
    async fn bounded<T>(
        &self,
        lookup: impl std::future::Future<Output = Result<T, ResolveError>>,
    ) -> Result<Option<T>, LookupError> {
        match tokio::time::timeout(self.timeout + Duration::from_millis(200), lookup).await {
            Err(_) => Err(LookupError::Timeout),
            Ok(Ok(v)) => Ok(Some(v)),
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => Ok(None),
            Ok(Err(e)) => {
                let text = e.to_string();
                if text.to_ascii_lowercase().contains("timed out")
                    || text.to_ascii_lowercase().contains("timeout")
                {
                    Err(LookupError::Timeout)
                } else {
                    Err(LookupError::Failed(text))
                }
            }
        }
    }
}

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
use hickory_resolver::proto::op::ResponseCode;
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
    /// mail-auth's SPF evaluator, asking the same servers (its own hickory resolver).
    auth: std::sync::Arc<mail_auth::MessageAuthenticator>,
    /// The port a domain's own name servers are asked on (53; tests use another).
    authoritative_port: u16,
}

/// A domain's own name servers, asked directly: what was just published shows at once, not
/// after a resolver's cache expires.
#[derive(Clone)]
pub struct Authoritative {
    /// Their names (the domain's NS records).
    pub servers: Vec<String>,
    pub resolver: DnsResolver,
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
        Self {
            resolver,
            timeout,
            auth: std::sync::Arc::new(authenticator(servers, timeout)),
            authoritative_port: 53,
        }
    }

    /// Asks a domain's own name servers on `port` instead of 53 (tests).
    pub fn with_authoritative_port(mut self, port: u16) -> Self {
        self.authoritative_port = port;
        self
    }

    /// The domain's name servers (its NS records), without the trailing dot.
    pub async fn ns(&self, name: &str) -> Result<Vec<String>, LookupError> {
        let lookup = self
            .bounded(self.resolver.ns_lookup(Self::fqdn(name)))
            .await?;
        Ok(lookup
            .map(|l| {
                l.iter()
                    .map(|ns| ns.0.to_ascii().trim_end_matches('.').to_string())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The domain's own name servers, found through the configured resolvers (NS, then their
    /// addresses); `None` when they cannot be found.
    pub async fn authoritative(&self, domain: &str) -> Option<Authoritative> {
        let servers = self.ns(domain).await.ok().filter(|s| !s.is_empty())?;
        let mut addrs = Vec::new();
        for server in &servers {
            if let Ok(ips) = self.ips(server).await {
                addrs.extend(
                    ips.into_iter()
                        .map(|ip| SocketAddr::new(ip, self.authoritative_port)),
                );
            }
        }
        if addrs.is_empty() {
            return None;
        }
        Some(Authoritative {
            servers,
            resolver: DnsResolver::new(&addrs, self.timeout),
        })
    }

    /// mail-auth's evaluator over the same servers.
    pub fn authenticator(&self) -> &mail_auth::MessageAuthenticator {
        &self.auth
    }

    /// Every A and AAAA address of `host`.
    pub async fn ips(&self, host: &str) -> Result<Vec<std::net::IpAddr>, LookupError> {
        let v4 = self
            .bounded(self.resolver.ipv4_lookup(Self::fqdn(host)))
            .await?;
        let v6 = self
            .bounded(self.resolver.ipv6_lookup(Self::fqdn(host)))
            .await?;
        let mut out: Vec<std::net::IpAddr> = v4
            .map(|l| l.iter().map(|a| std::net::IpAddr::V4(a.0)).collect())
            .unwrap_or_default();
        out.extend(
            v6.map(|l| {
                l.iter()
                    .map(|a| std::net::IpAddr::V6(a.0))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default(),
        );
        Ok(out)
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
            Ok(Err(e)) if e.is_no_records_found() || e.is_nx_domain() => {
                match negative_code(&e) {
                    // The name exists without such records, or does not exist.
                    None | Some(ResponseCode::NoError | ResponseCode::NXDomain) => Ok(None),
                    // SERVFAIL and the like: nothing is known (a CNAME loop answers so).
                    Some(code) => Err(LookupError::Failed(format!(
                        "the resolvers answered {code} (a CNAME loop, or a zone its servers cannot serve)"
                    ))),
                }
            }
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

/// The response code of a negative answer.
fn negative_code(e: &ResolveError) -> Option<ResponseCode> {
    match e.proto()?.kind() {
        hickory_resolver::proto::ProtoErrorKind::NoRecordsFound { response_code, .. } => {
            Some(*response_code)
        }
        _ => None,
    }
}

/// mail-auth's authenticator asking `servers` (hickory 0.26, its own), with the same per-query
/// timeout and no cache.
fn authenticator(servers: &[SocketAddr], timeout: Duration) -> mail_auth::MessageAuthenticator {
    use mail_auth::hickory_resolver::config::{
        ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts,
    };
    let name_servers = servers
        .iter()
        .map(|s| {
            let mut ns = NameServerConfig::udp_and_tcp(s.ip());
            ns.connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
                .into_iter()
                .map(|mut c| {
                    c.port = s.port();
                    c
                })
                .collect();
            ns
        })
        .collect();
    let mut opts = ResolverOpts::default();
    opts.timeout = timeout;
    opts.attempts = 1;
    opts.cache_size = 0;
    opts.use_hosts_file = mail_auth::hickory_resolver::config::ResolveHosts::Never;
    mail_auth::MessageAuthenticator::new(ResolverConfig::from_name_servers(name_servers), opts)
        // Building fails only on a TLS setup, and this resolver has no encrypted transport.
        .expect("a resolver over plain UDP/TCP name servers builds")
}

//! The console's configuration: one typed `Settings`, read once at start from the environment
//! (and `.env`). A missing or malformed value stops the start with a message that names the
//! variable and what is expected. `.env.example` lists every variable.

use std::net::SocketAddr;
use std::time::Duration;

use platform::services::sso_apps::SsoSettings;
use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

#[derive(Clone, Debug)]
pub struct AuthentikSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// API token (intent `api`, non-expiring) for the admin API.
    pub admin_token: SecretString,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct StalwartSettings {
    pub enabled: bool,
    pub url: Option<String>,
    /// `STALWART_API_KEY` (`API_…`): the recommended credential (an API key of a dedicated
    /// admin account with a `Replace` permission list); used instead of the admin's password.
    pub api_key: Option<SecretString>,
    pub admin_user: Option<String>,
    pub admin_password: Option<SecretString>,
    pub timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct OcisSettings {
    pub enabled: bool,
    pub url: Option<String>,
    /// `OCIS_AUTH`: how the console proves itself to the OCIS proxy.
    pub auth: OcisAuthMode,
    /// `OCIS_ADMIN_USER` (app tokens): the OCIS user name of the token's owner.
    pub admin_user: Option<String>,
    /// `OCIS_ADMIN_PASSWORD` (app tokens): its app token.
    pub admin_password: Option<SecretString>,
    /// `OCIS_OIDC_CLIENT_ID` (service account): the client id of the Authentik provider
    /// `OCIS_OIDC_ISSUER` points to.
    pub oidc_client_id: Option<String>,
    /// `OCIS_SERVICE_ACCOUNT` (service account): the Authentik username.
    pub service_account: Option<String>,
    /// `OCIS_SERVICE_ACCOUNT_APP_PASSWORD` (service account): one of its app passwords.
    pub service_account_app_password: Option<SecretString>,
    pub timeout: Duration,
}

/// `OCIS_AUTH` (`shared/reference/ocis.md` §2.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcisAuthMode {
    /// `service_account` (the default, recommended): short-lived bearer tokens of an Authentik
    /// service account through the `client_credentials` grant.
    ServiceAccount,
    /// `app_token`: HTTP Basic with an OCIS user's app token (auth-app).
    AppToken,
}

#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub enabled: bool,
    pub secret_key: Option<SecretString>,
    /// `pk_…`: public by design; with it the billing page can change the card.
    pub publishable_key: Option<String>,
    pub api_base: String,
    pub timeout: Duration,
    /// `STRIPE_DIALECT`: `stripe` (default) or `localstripe`.
    pub dialect: platform::upstream::stripe::StripeDialect,
    /// `STRIPE_JS_URL`: where the billing page loads Stripe.js from (Stripe's own by default).
    pub js_url: String,
    /// `STRIPE_PLANS`: comma-separated Stripe plan or price ids, the plan catalogue.
    pub plans: Vec<String>,
    /// `STRIPE_TRIAL_DAYS` (default 14): the trial of a subscription started without a card.
    pub trial_days: u32,
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_…`): without it `/webhooks/stripe` is refused.
    pub webhook_secret: Option<SecretString>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub database_max_connections: u32,
    /// Where the console listens.
    pub bind_addr: SocketAddr,
    /// The URL people reach the console at; `None` means "http://<bound address>".
    pub public_url: Option<url::Url>,
    pub session_secret: SecretString,
    pub session_cookie_name: String,
    pub session_idle_timeout: Duration,
    /// The longest a request may take before it is answered 503 (`REQUEST_TIMEOUT_SECS`,
    /// default 30 s): a render or upstream call that hangs cannot hold a connection forever.
    pub request_timeout: Duration,
    /// The largest request body accepted, in bytes (`MAX_BODY_BYTES`, default 1 MiB); a
    /// larger one is answered 413 before it is read.
    pub max_body_bytes: usize,
    pub token_refresh_margin: Duration,
    /// The absolute lifetime of a console session from its sign-in (`SESSION_LIFETIME_HOURS`,
    /// default 12); activity and token refreshes do not extend it.
    pub session_lifetime: Duration,
    /// Run against the embedded sandbox upstreams (and seed the demo workspace).
    pub sandbox: bool,
    /// The token the sandbox's control routes (DNS records, faults, ID-token tampering, …)
    /// require in `x-sandbox-token` (`SANDBOX_CONTROL_TOKEN`; a random one, printed at start,
    /// when unset).
    pub sandbox_control_token: String,
    /// Port for the embedded Authentik stand-in (0: any free port).
    pub sandbox_authentik_port: u16,
    /// Port for the embedded OCIS stand-in (0: any free port).
    pub sandbox_ocis_port: u16,
    /// `None` in sandbox mode: derived from the embedded sandbox.
    pub authentik: Option<AuthentikSettings>,
    pub stalwart: StalwartSettings,
    pub ocis: OcisSettings,
    pub stripe: StripeSettings,
    pub dns_resolvers: Vec<SocketAddr>,
    /// In sandbox mode without `DNS_RESOLVERS`, a loopback DNS server whose records the
    /// sandbox's control API sets answers instead (nothing on the internet is asked).
    pub sandbox_dns: bool,
    /// Port of the sandbox DNS server's HTTP control API (0: any free port).
    pub sandbox_dns_control_port: u16,
    /// How often every domain's DNS is checked again in the background.
    pub domain_recheck_interval: Duration,
    /// The mail server's host name (MX target of every domain).
    pub mail_host: String,
    /// Port for the embedded Stalwart stand-in (0: any free port).
    pub sandbox_stalwart_port: u16,
    pub dns_timeout: Duration,
    /// The port domains' own name servers are asked on (`DNS_AUTHORITATIVE_PORT`, default 53;
    /// tests point it at a loopback server).
    pub dns_authoritative_port: u16,
    pub log_format: LogFormat,
    /// Audit events older than this are purged by a background job (`AUDIT_RETENTION_DAYS`,
    /// default 400).
    pub audit_retention: Duration,
    /// The MaxMind DB country file for the tenants' country rules (`GEOIP_DB`: GeoLite2
    /// Country or DB-IP Lite Country); none: country rules are stored, not enforced.
    pub geoip_db: Option<std::path::PathBuf>,
    /// What tenant SSO apps' providers are made with: the authorization and invalidation flow
    /// slugs (`AUTHENTIK_AUTHORIZATION_FLOW`, default
    /// `default-provider-authorization-implicit-consent`; `AUTHENTIK_INVALIDATION_FLOW`,
    /// default `default-provider-invalidation-flow`) and the signing key pair's name
    /// (`AUTHENTIK_SIGNING_KEY`, default `authentik Self-signed Certificate`).
    pub sso: SsoSettings,
    /// Outgoing mail (`SMTP_URL`: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// or `smtps://user:pass@host:465`; a secret, it may hold a password). Unset: the console
    /// sends nothing (in sandbox mode a local SMTP sink receives everything instead).
    pub smtp_url: Option<SecretString>,
    /// The sender of the console's messages (`SMTP_FROM`, default
    /// `Dezky <no-reply@dezky.example>`).
    pub smtp_from: String,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`, comma-separated CIDRs;
    /// default none: the TCP peer is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Reads variables through `get`, so tests can pass a map instead of the process environment.
struct Source<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Source<'_> {
    fn opt(&self, var: &'static str) -> Option<String> {
        (self.0)(var)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn string(&self, var: &'static str, default: &str) -> String {
        self.opt(var).unwrap_or_else(|| default.to_string())
    }

    fn bool(&self, var: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.opt(var).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(err(var, format!("must be true or false (got {other:?})"))),
        }
    }

    fn number<T: std::str::FromStr>(
        &self,
        var: &'static str,
        default: T,
    ) -> Result<T, ConfigError> {
        match self.opt(var) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| err(var, format!("must be a whole number (got {v:?})"))),
        }
    }

    fn secs(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        let n: u64 = self.number(var, default)?;
        if n == 0 {
            return Err(err(var, "must be at least 1"));
        }
        Ok(Duration::from_secs(n))
    }

    fn url(&self, var: &'static str) -> Result<Option<String>, ConfigError> {
        match self.opt(var) {
            None => Ok(None),
            Some(v) => match url::Url::parse(&v) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(v)),
                _ => Err(err(var, format!("must be an http(s) URL (got {v:?})"))),
            },
        }
    }

    fn required(&self, var: &'static str, why: &str) -> Result<String, ConfigError> {
        self.opt(var)
            .ok_or_else(|| err(var, format!("is required {why}")))
    }
}

/// On https the session cookie carries the `__Host-` prefix (RFC 6265bis §4.1.3.2): the
/// browser then takes it only with `Secure`, `Path=/` and no `Domain`, so no other host of
/// the domain can set or shadow it.
fn cookie_name(name: String, public_url: Option<&url::Url>) -> String {
    let https = public_url.is_some_and(|u| u.scheme() == "https");
    if https && !name.starts_with("__Host-") {
        format!("__Host-{name}")
    } else {
        name
    }
}

/// Production talks to upstreams over https; plain http only to this machine.
fn https_unless_loopback(var: &'static str, url: &str) -> Result<(), ConfigError> {
    let parsed = url::Url::parse(url).map_err(|e| err(var, e.to_string()))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if parsed.scheme() == "https" || loopback {
        Ok(())
    } else {
        Err(err(
            var,
            format!(
                "must be https:// (plain http is accepted only for a loopback host; got {url:?})"
            ),
        ))
    }
}

impl Settings {
    /// Reads `.env` (if present) and the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_source(&|k| std::env::var(k).ok())
    }

    pub fn from_source(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let s = Source(get);
        // Off unless asked for: a forgotten variable must not start a console whose sign-in
        // accepts the published demo passwords.
        let sandbox = s.bool("DEZKY_SANDBOX", false)?;
        let database_url = s.string("DATABASE_URL", "sqlite://data/dezky.db");
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                "DATABASE_URL",
                format!("must start with sqlite: or postgres:// (got {database_url:?})"),
            ));
        }
        let bind = s.string("LEPTOS_SITE_ADDR", "127.0.0.1:3000");
        let bind_addr = bind.parse().map_err(|_| {
            err(
                "LEPTOS_SITE_ADDR",
                format!("must be host:port (got {bind:?})"),
            )
        })?;
        let public_url = match s.url("PUBLIC_URL")? {
            Some(u) => Some(url::Url::parse(&u).map_err(|e| err("PUBLIC_URL", e.to_string()))?),
            None => None,
        };
        if sandbox {
            sandbox_is_local(&s, bind_addr, public_url.as_ref())?;
        } else {
            let https = public_url.as_ref().is_some_and(|u| u.scheme() == "https");
            if !https && !s.bool("ALLOW_INSECURE_PUBLIC_URL", false)? {
                return Err(err(
                    "PUBLIC_URL",
                    "must be the console's https:// address when DEZKY_SANDBOX=false \
                     (set ALLOW_INSECURE_PUBLIC_URL=true only for a local setup)",
                ));
            }
        }
        let session_secret = match s.opt("SESSION_SECRET") {
            Some(v) if v.len() >= 32 => SecretString::from(v),
            Some(_) => return Err(err("SESSION_SECRET", "must be at least 32 characters long")),
            None if sandbox => sandbox_session_secret(&s.string("DATA_DIR", "data"))?,
            None => {
                return Err(err(
                    "SESSION_SECRET",
                    "is required (32+ random characters, e.g. `openssl rand -base64 48`)",
                ))
            }
        };
        let authentik = if sandbox {
            None
        } else {
            let issuer = s.url("AUTHENTIK_ISSUER")?.ok_or_else(|| {
                err(
                    "AUTHENTIK_ISSUER",
                    "is required when DEZKY_SANDBOX=false (https://<host>/application/o/<slug>/)",
                )
            })?;
            Some(AuthentikSettings {
                issuer,
                client_id: s.required("AUTHENTIK_CLIENT_ID", "when DEZKY_SANDBOX=false")?,
                client_secret: SecretString::from(
                    s.required("AUTHENTIK_CLIENT_SECRET", "when DEZKY_SANDBOX=false")?,
                ),
                admin_token: SecretString::from(s.required(
                    "AUTHENTIK_ADMIN_TOKEN",
                    "when DEZKY_SANDBOX=false (an API token for the admin API)",
                )?),
                timeout: s.secs("AUTHENTIK_TIMEOUT_SECS", 10)?,
            })
        };
        // The sandbox has a Stalwart stand-in, so provisioning is on there by default.
        let stalwart_enabled = s.bool("STALWART_PROVISIONING_ENABLED", sandbox)?;
        let stalwart = StalwartSettings {
            enabled: stalwart_enabled,
            url: s.url("STALWART_URL")?,
            api_key: match s.opt("STALWART_API_KEY") {
                Some(k) if k.starts_with("API_") => Some(SecretString::from(k)),
                Some(_) => return Err(err(
                    "STALWART_API_KEY",
                    "must be a Stalwart API key (it starts with API_); see docs/configuration.md",
                )),
                None => None,
            },
            admin_user: s.opt("STALWART_ADMIN_USER"),
            admin_password: s.opt("STALWART_ADMIN_PASSWORD").map(SecretString::from),
            timeout: s.secs("STALWART_TIMEOUT_SECS", 10)?,
        };
        if stalwart.enabled && !sandbox && stalwart.url.is_none() {
            return Err(err(
                "STALWART_URL",
                "is required when STALWART_PROVISIONING_ENABLED=true",
            ));
        }
        if stalwart.enabled
            && !sandbox
            && stalwart.api_key.is_none()
            && (stalwart.admin_user.is_none() || stalwart.admin_password.is_none())
        {
            return Err(err(
                "STALWART_API_KEY",
                "is required when STALWART_PROVISIONING_ENABLED=true (or STALWART_ADMIN_USER and STALWART_ADMIN_PASSWORD)",
            ));
        }
        let ocis = OcisSettings {
            enabled: s.bool("OCIS_PROVISIONING_ENABLED", false)?,
            url: s.url("OCIS_URL")?,
            auth: match s.string("OCIS_AUTH", "service_account").as_str() {
                "service_account" => OcisAuthMode::ServiceAccount,
                "app_token" => OcisAuthMode::AppToken,
                _ => return Err(err("OCIS_AUTH", "must be service_account or app_token")),
            },
            admin_user: s.opt("OCIS_ADMIN_USER"),
            admin_password: s.opt("OCIS_ADMIN_PASSWORD").map(SecretString::from),
            oidc_client_id: s.opt("OCIS_OIDC_CLIENT_ID"),
            service_account: s.opt("OCIS_SERVICE_ACCOUNT"),
            service_account_app_password: s
                .opt("OCIS_SERVICE_ACCOUNT_APP_PASSWORD")
                .map(SecretString::from),
            timeout: s.secs("OCIS_TIMEOUT_SECS", 10)?,
        };
        if ocis.enabled && !sandbox {
            let service_account = ocis.auth == OcisAuthMode::ServiceAccount;
            let required = [
                ("OCIS_URL", ocis.url.is_none()),
                (
                    "OCIS_OIDC_CLIENT_ID",
                    service_account && ocis.oidc_client_id.is_none(),
                ),
                (
                    "OCIS_SERVICE_ACCOUNT",
                    service_account && ocis.service_account.is_none(),
                ),
                (
                    "OCIS_SERVICE_ACCOUNT_APP_PASSWORD",
                    service_account && ocis.service_account_app_password.is_none(),
                ),
                (
                    "OCIS_ADMIN_USER",
                    !service_account && ocis.admin_user.is_none(),
                ),
                (
                    "OCIS_ADMIN_PASSWORD",
                    !service_account && ocis.admin_password.is_none(),
                ),
            ];
            if let Some((var, _)) = required.into_iter().find(|(_, missing)| *missing) {
                return Err(err(var, "is required when OCIS_PROVISIONING_ENABLED=true"));
            }
        }
        let stripe = StripeSettings {
            enabled: s.bool("STRIPE_ENABLED", false)?,
            secret_key: s.opt("STRIPE_SECRET_KEY").map(SecretString::from),
            publishable_key: s.opt("STRIPE_PUBLISHABLE_KEY"),
            api_base: s
                .url("STRIPE_API_BASE")?
                .unwrap_or_else(|| "https://api.stripe.com".into()),
            timeout: s.secs("STRIPE_TIMEOUT_SECS", 20)?,
            dialect: match s.string("STRIPE_DIALECT", "stripe").as_str() {
                "stripe" => platform::upstream::stripe::StripeDialect::Stripe,
                "localstripe" => platform::upstream::stripe::StripeDialect::Localstripe,
                _ => return Err(err("STRIPE_DIALECT", "must be stripe or localstripe")),
            },
            js_url: s
                .url("STRIPE_JS_URL")?
                .unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
            plans: match s.opt("STRIPE_PLANS") {
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect(),
                // The sandbox seeds its demo catalogue in localstripe.
                None if sandbox => platform::services::billing::DEMO_PLANS
                    .iter()
                    .map(|p| p.to_string())
                    .collect(),
                None => Vec::new(),
            },
            trial_days: s.number("STRIPE_TRIAL_DAYS", 14)?,
            webhook_secret: s.opt("STRIPE_WEBHOOK_SECRET").map(SecretString::from),
        };
        // The sandbox banner says nothing real is charged: no live Stripe key there.
        if sandbox
            && s.opt("STRIPE_SECRET_KEY")
                .is_some_and(|k| k.starts_with("sk_live_") || k.starts_with("rk_live_"))
        {
            return Err(err(
                "STRIPE_SECRET_KEY",
                "must be a test key (sk_test_…) or localstripe's in sandbox mode: a live key charges real cards",
            ));
        }
        if stripe.enabled && stripe.secret_key.is_none() {
            return Err(err(
                "STRIPE_SECRET_KEY",
                "is required when STRIPE_ENABLED=true",
            ));
        }
        if !sandbox {
            let upstreams = [
                (
                    "AUTHENTIK_ISSUER",
                    authentik.as_ref().map(|a| a.issuer.clone()),
                ),
                (
                    "STALWART_URL",
                    stalwart.url.clone().filter(|_| stalwart.enabled),
                ),
                ("OCIS_URL", ocis.url.clone().filter(|_| ocis.enabled)),
                (
                    "STRIPE_API_BASE",
                    Some(stripe.api_base.clone()).filter(|_| stripe.enabled),
                ),
            ];
            for (var, url) in upstreams {
                if let Some(url) = url {
                    https_unless_loopback(var, &url)?;
                }
            }
        }
        let dns_explicit = s.opt("DNS_RESOLVERS").is_some();
        let resolvers = s.string("DNS_RESOLVERS", "1.1.1.1:53,8.8.8.8:53");
        let dns_resolvers = resolvers
            .split(',')
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.parse::<SocketAddr>()
                    .or_else(|_| format!("{r}:53").parse())
                    .map_err(|_| {
                        err(
                            "DNS_RESOLVERS",
                            format!("must be a comma-separated list of IP[:port] (got {r:?})"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if dns_resolvers.is_empty() {
            return Err(err("DNS_RESOLVERS", "must name at least one resolver"));
        }
        let log_format = match s.string("LOG_FORMAT", "json").as_str() {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(err(
                    "LOG_FORMAT",
                    format!("must be json or pretty (got {other:?})"),
                ))
            }
        };
        let geoip_db = match s.opt("GEOIP_DB") {
            None => None,
            Some(p) => {
                let path = std::path::PathBuf::from(&p);
                if !path.is_file() {
                    return Err(err(
                        "GEOIP_DB",
                        format!("must name a readable MaxMind DB file (got {p:?})"),
                    ));
                }
                Some(path)
            }
        };
        let trusted_proxies = s
            .string("TRUSTED_PROXIES", "")
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        err(
                            "TRUSTED_PROXIES",
                            format!("must be a comma-separated list of CIDRs (got {p:?})"),
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let smtp_url = match s.opt("SMTP_URL") {
            None => None,
            Some(v) => match url::Url::parse(&v) {
                Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some() => {
                    Some(SecretString::from(v))
                }
                _ => {
                    return Err(err(
                        "SMTP_URL",
                        "must be an smtp:// or smtps:// URL with a host (like smtps://user:password@mail.example.com:465)",
                    ))
                }
            },
        };
        let smtp_from = s.string("SMTP_FROM", "Dezky <no-reply@dezky.example>");
        if !platform::upstream::smtp::is_mailbox(&smtp_from) {
            return Err(err(
                "SMTP_FROM",
                format!("must be an address, optionally with a name: Dezky <no-reply@example.com> (got {smtp_from:?})"),
            ));
        }
        let audit_retention_days: u64 = s.number("AUDIT_RETENTION_DAYS", 400)?;
        if !(1..=36_500).contains(&audit_retention_days) {
            return Err(err(
                "AUDIT_RETENTION_DAYS",
                format!("must be between 1 and 36500 days (got {audit_retention_days})"),
            ));
        }
        let session_cookie_name = cookie_name(
            s.string("SESSION_COOKIE_NAME", "dezky_session"),
            public_url.as_ref(),
        );
        Ok(Self {
            database_url,
            database_max_connections: s.number("DATABASE_MAX_CONNECTIONS", 10)?,
            bind_addr,
            public_url,
            session_secret,
            session_cookie_name,
            session_idle_timeout: Duration::from_secs(
                60 * s.number::<u64>("SESSION_IDLE_MINUTES", 480)?,
            ),
            token_refresh_margin: Duration::from_secs(s.number("TOKEN_REFRESH_MARGIN_SECS", 60)?),
            session_lifetime: Duration::from_secs(
                3600 * s.number::<u64>("SESSION_LIFETIME_HOURS", 12)?.max(1),
            ),
            request_timeout: s.secs("REQUEST_TIMEOUT_SECS", 30)?,
            max_body_bytes: s.number("MAX_BODY_BYTES", 1024 * 1024)?,
            sandbox,
            sandbox_control_token: s
                .opt("SANDBOX_CONTROL_TOKEN")
                .unwrap_or_else(|| platform::crypto::random_token(24)),
            sandbox_authentik_port: s.number("SANDBOX_AUTHENTIK_PORT", 0)?,
            sandbox_ocis_port: s.number("SANDBOX_OCIS_PORT", 0)?,
            authentik,
            stalwart,
            ocis,
            stripe,
            dns_resolvers,
            sandbox_dns: sandbox && !dns_explicit,
            sandbox_dns_control_port: s.number("SANDBOX_DNS_CONTROL_PORT", 0)?,
            mail_host: s.string("MAIL_HOST", "mail.dezky.example"),
            domain_recheck_interval: s.secs("DOMAIN_RECHECK_INTERVAL_SECS", 3600)?,
            sandbox_stalwart_port: s.number("SANDBOX_STALWART_PORT", 0)?,
            dns_timeout: Duration::from_millis(s.number("DNS_TIMEOUT_MS", 2000)?),
            dns_authoritative_port: s.number("DNS_AUTHORITATIVE_PORT", 53)?,
            log_format,
            audit_retention: Duration::from_secs(86_400 * audit_retention_days),
            geoip_db,
            trusted_proxies,
            smtp_url,
            smtp_from,
            sso: SsoSettings {
                authorization_flow: s.string(
                    "AUTHENTIK_AUTHORIZATION_FLOW",
                    &SsoSettings::default().authorization_flow,
                ),
                invalidation_flow: s.string(
                    "AUTHENTIK_INVALIDATION_FLOW",
                    &SsoSettings::default().invalidation_flow,
                ),
                signing_key: s.string("AUTHENTIK_SIGNING_KEY", &SsoSettings::default().signing_key),
            },
        })
    }
}

mod sandbox;
use sandbox::{sandbox_is_local, sandbox_session_secret};

#[cfg(test)]
mod tests;

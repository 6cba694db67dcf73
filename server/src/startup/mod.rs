//! Wiring: database, upstreams (real, or the embedded sandbox), platform services, sessions,
//! the router, background jobs. `Application::build` binds first (port 0 works), so tests
//! spawn the real app on a random port.

mod jobs;
mod router;
mod seed;
mod upstreams;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use app::call::ConsoleFlags;
use axum::extract::FromRef;
use axum::Router;
use leptos::config::LeptosOptions;
use platform::seed as demo;
use platform::services::health::UpstreamProbe;
use platform::services::PlatformConfig;
use platform::upstream::authentik::oidc::OidcConfig;
use platform::upstream::stripe::StripeConfig;
use platform::{Db, Platform};
use sandbox::demo::{DEMO_PARTNER, DEMO_USERS};
use sandbox::dns::DnsSandbox;
use sandbox::ocis::OcisSandbox;
use sandbox::stalwart::StalwartSandbox;
use sandbox::AuthentikSandbox;
use tokio::net::TcpListener;

use crate::config::Settings;

pub use router::page_paths;
pub use seed::demo_seed;
use upstreams::{derived_public_url, join};
pub use upstreams::{
    resolve_upstreams, ResolvedUpstreams, SANDBOX_APP_SLUG, SANDBOX_CLIENT_ID, SANDBOX_OCIS_ADMIN,
};

/// The sandbox DNS server as the domain service writes to it (sandbox mode only).
struct SandboxDnsWriter(DnsSandbox);

impl platform::services::domains::SandboxDns for SandboxDnsWriter {
    fn replace(&self, name: &str, records: &[(String, String)]) -> bool {
        self.0.clear(name);
        records.iter().fold(true, |ok, (kind, value)| {
            self.0.publish(name, kind, value) && ok
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub platform: Arc<Platform>,
    pub leptos: LeptosOptions,
    pub flags: ConsoleFlags,
    pub probes: Arc<Vec<UpstreamProbe>>,
    pub readiness: Arc<crate::health::Readiness>,
    /// The console is reached over https (`PUBLIC_URL`): cookies are `Secure` and `__Host-`.
    pub https: bool,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos.clone()
    }
}

impl FromRef<AppState> for Arc<Platform> {
    fn from_ref(s: &AppState) -> Self {
        s.platform.clone()
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub public_url: url::Url,
    pub platform: Arc<Platform>,
    /// The embedded Authentik stand-in and its base URL, in sandbox mode.
    pub authentik_sandbox: Option<(AuthentikSandbox, String)>,
    /// The sandbox DNS server and its control API, in sandbox mode without `DNS_RESOLVERS`.
    pub dns_sandbox: Option<(DnsSandbox, String)>,
    /// The embedded Stalwart stand-in and its base URL, in sandbox mode.
    pub stalwart_sandbox: Option<(StalwartSandbox, String)>,
    /// The embedded OCIS stand-in and its base URL, in sandbox mode.
    pub ocis_sandbox: Option<(OcisSandbox, String)>,
    /// The sandbox's SMTP sink (every message the console sends), in sandbox mode without
    /// `SMTP_URL`.
    pub smtp_sink: Option<sandbox::smtp::SmtpSink>,
    /// What the sandbox's control routes require in `x-sandbox-token`.
    pub sandbox_control_token: String,
    sandbox: bool,
    /// localstripe's base URL when billing runs on it (printed at start).
    localstripe: Option<String>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind_addr)
            .await
            .with_context(|| format!("binding {}", settings.bind_addr))?;
        let bound = listener.local_addr()?;
        let public_url = derived_public_url(&settings, bound);
        let db = Db::connect(&settings.database_url, settings.database_max_connections)
            .await
            .context("opening the database")?;
        let upstreams = resolve_upstreams(&settings, Some(&public_url)).await?;
        // Outgoing mail: SMTP_URL, or in sandbox mode a local sink that keeps every message.
        let smtp_sink = match (&settings.smtp_url, settings.sandbox) {
            (None, true) => Some(
                sandbox::smtp::SmtpSink::start()
                    .await
                    .context("starting the sandbox SMTP sink")?,
            ),
            _ => None,
        };
        let smtp_url = settings.smtp_url.clone().or_else(|| {
            smtp_sink
                .as_ref()
                .map(|s| secrecy::SecretString::from(s.url()))
        });
        let mailer = match smtp_url {
            None => None,
            Some(url) => Some(
                platform::upstream::smtp::Mailer::new(&platform::upstream::smtp::SmtpConfig {
                    url,
                    from: settings.smtp_from.clone(),
                    timeout: std::time::Duration::from_secs(20),
                })
                .context("SMTP_URL")?,
            ),
        };
        let platform = Platform::new(
            db,
            PlatformConfig {
                oidc: OidcConfig {
                    issuer: upstreams.oidc_issuer.clone(),
                    client_id: upstreams.oidc_client_id.clone(),
                    client_secret: upstreams.oidc_client_secret.clone(),
                    redirect_url: join(&public_url, "/auth/callback"),
                    post_logout_redirect_url: join(&public_url, "/signed-out"),
                    timeout: upstreams.oidc_timeout,
                },
                authentik_admin: upstreams.authentik_admin.clone(),
                ocis: upstreams.ocis.clone(),
                stalwart: upstreams.stalwart.clone(),
                dns_resolvers: match &upstreams.dns_sandbox {
                    Some((dns, _)) => vec![dns.addr],
                    None => settings.dns_resolvers.clone(),
                },
                dns_timeout: settings.dns_timeout,
                dns_authoritative_port: settings.dns_authoritative_port,
                mail_host: settings.mail_host.clone(),
                stripe: settings
                    .stripe
                    .secret_key
                    .clone()
                    .filter(|_| settings.stripe.enabled)
                    .map(|secret_key| StripeConfig {
                        api_base: settings.stripe.api_base.clone(),
                        secret_key,
                        timeout: settings.stripe.timeout,
                        dialect: settings.stripe.dialect,
                    }),
                billing: platform::services::billing::BillingSettings {
                    plans: settings.stripe.plans.clone(),
                    trial_days: settings.stripe.trial_days,
                    stripe_js: settings
                        .stripe
                        .publishable_key
                        .clone()
                        .map(|publishable_key| wire::billing::StripeJs {
                            url: settings.stripe.js_url.clone(),
                            publishable_key,
                        }),
                    webhook_secret: settings.stripe.webhook_secret.clone(),
                },
                session_secret: settings.session_secret.clone(),
                refresh_margin: settings.token_refresh_margin,
                session_lifetime: settings.session_lifetime,
                sso: settings.sso.clone(),
                mailer,
                public_url: public_url.as_str().to_string(),
                sandbox_dns: upstreams.dns_sandbox.as_ref().map(|(dns, _)| {
                    Arc::new(SandboxDnsWriter(dns.clone()))
                        as Arc<dyn platform::services::domains::SandboxDns>
                }),
                geoip: match &settings.geoip_db {
                    None => None,
                    Some(path) => Some(
                        platform::services::security::network::GeoIp::open(path)
                            .with_context(|| format!("GEOIP_DB: reading {}", path.display()))?,
                    ),
                },
            },
        );
        if settings.sandbox {
            let seed = demo_seed();
            let tenants = demo::apply(&platform.db, &seed)
                .await
                .context("seeding the demo workspace")?;
            // The sandbox upstreams start empty: provision the demo tenants in them.
            let ctx = platform::Ctx::system("seed");
            for tenant in &tenants {
                platform
                    .provisioning
                    .run(&ctx, tenant, "tenant.provision")
                    .await
                    .context("provisioning the demo tenants in the sandbox")?;
            }
            // Against localstripe: a demo plan, subscription and paid invoice for the demo
            // workspace (nothing real is charged; the banner says so).
            if let Some(demo) = tenants
                .iter()
                .find(|t| t.slug == sandbox::demo::DEMO_TENANT.0)
            {
                if let Err(e) = platform.billing.seed_sandbox(demo).await {
                    tracing::warn!(error = %e, "the demo billing could not be seeded");
                }
            }
        }
        let leptos = router::leptos_options(bound);
        let flags = ConsoleFlags {
            sandbox: settings.sandbox,
        };
        let state = AppState {
            platform: platform.clone(),
            leptos: leptos.clone(),
            flags,
            probes: Arc::new(upstreams.probes),
            readiness: Arc::default(),
            https: public_url.scheme() == "https",
        };
        let router = router::router(state, &settings, &public_url);
        jobs::spawn_jobs(
            platform.clone(),
            settings.domain_recheck_interval,
            settings.audit_retention,
        );
        Ok(Self {
            listener,
            router,
            public_url,
            platform,
            authentik_sandbox: upstreams.authentik_sandbox,
            ocis_sandbox: upstreams.ocis_sandbox,
            stalwart_sandbox: upstreams.stalwart_sandbox,
            dns_sandbox: upstreams.dns_sandbox,
            smtp_sink,
            sandbox_control_token: settings.sandbox_control_token.clone(),
            sandbox: settings.sandbox,
            localstripe: (settings.stripe.enabled
                && settings.stripe.dialect
                    == platform::upstream::stripe::StripeDialect::Localstripe)
                .then(|| settings.stripe.api_base.clone()),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn print_welcome(&self) {
        println!("\nDezky console listening on {}", self.public_url);
        if self.sandbox {
            if let (Some((_, a)), Some((_, o))) = (&self.authentik_sandbox, &self.ocis_sandbox) {
                println!("Sandbox upstreams (nothing real is provisioned): Authentik at {a}, OCIS at {o}");
            }
            if let Some(stripe) = &self.localstripe {
                println!(
                    "Billing on localstripe at {stripe} (test cards only, nothing real is charged; \
                     card 4242 4242 4242 4242 succeeds, 4000 0000 0000 0002 is declined)"
                );
            }
            if let Some(sink) = &self.smtp_sink {
                println!(
                    "Outgoing mail is kept by the sandbox SMTP sink at {} (nothing is delivered)",
                    sink.addr
                );
            }
            if let Some((dns, control)) = &self.dns_sandbox {
                println!(
                    "Sandbox DNS at {} (records: POST {control}/_sandbox/dns/records)",
                    dns.addr
                );
            }
            println!(
                "Sandbox control routes (/_sandbox/…) need the header x-sandbox-token: {}",
                self.sandbox_control_token
            );
            println!("Demo sign-ins (username / password):");
            for u in DEMO_USERS {
                let role = if u.console_role == "partner" {
                    format!("partner staff of {}", DEMO_PARTNER.1)
                } else {
                    format!("{} of {}", u.console_role, u.tenant)
                };
                println!("  {:<24} {:<20} {role}", u.username, u.password);
            }
            println!();
        }
    }

    /// Serves until SIGINT or SIGTERM. Every connection has `TCP_NODELAY`: a page streams in
    /// several writes, and with Nagle's algorithm on, each write after the first waited for
    /// the client's delayed ACK (about 40 ms on Linux), which capped a page at about 1,500
    /// requests per second with the CPU half idle (`bench/throughput.sh`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        use axum::serve::ListenerExt;
        let listener = self.listener.tap_io(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::warn!(error = %e, "TCP_NODELAY could not be set on a connection");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

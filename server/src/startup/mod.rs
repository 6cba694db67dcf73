//! Wiring: database, upstreams (real, or the embedded sandbox), platform services, sessions,
//! the router, background jobs. `Application::build` binds first (port 0 works), so tests
//! spawn the real app on a random port.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use app::api::ssr::ConsoleFlags;
use app::{shell, App};
use axum::extract::FromRef;
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use platform::domain::Role;
use platform::seed::{self, DemoSeed, SeedPartner, SeedPerson, SeedTenant};
use platform::services::health::UpstreamProbe;
use platform::services::PlatformConfig;
use platform::upstream::authentik::admin::AuthentikAdminConfig;
use platform::upstream::authentik::oidc::OidcConfig;
use platform::upstream::ocis::OcisConfig;
use platform::upstream::stalwart::StalwartConfig;
use platform::upstream::stripe::StripeConfig;
use platform::{Db, Platform};
use sandbox::demo::{DEMO_PARTNER, DEMO_TENANT, DEMO_USERS, OTHER_TENANT};
use sandbox::dns::DnsSandbox;
use sandbox::ocis::OcisSandbox;
use sandbox::stalwart::StalwartSandbox;
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use secrecy::SecretString;
use tokio::net::TcpListener;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::config::Settings;
use crate::{auth, health, json_api, middleware};

#[derive(Clone)]
pub struct AppState {
    pub platform: Arc<Platform>,
    pub leptos: LeptosOptions,
    pub flags: ConsoleFlags,
    pub probes: Arc<Vec<UpstreamProbe>>,
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

/// The upstreams the console talks to, after the embedded sandbox (if any) has started.
pub struct ResolvedUpstreams {
    /// The loopback DNS server and its control API's base URL, in sandbox mode.
    pub dns_sandbox: Option<(DnsSandbox, String)>,
    pub stalwart: Option<StalwartConfig>,
    pub stalwart_sandbox: Option<(StalwartSandbox, String)>,
    pub authentik_admin: AuthentikAdminConfig,
    pub ocis: Option<OcisConfig>,
    pub ocis_sandbox: Option<(OcisSandbox, String)>,
    pub oidc_issuer: String,
    pub oidc_client_id: String,
    pub oidc_client_secret: SecretString,
    pub oidc_timeout: std::time::Duration,
    pub probes: Vec<UpstreamProbe>,
    pub authentik_sandbox: Option<(AuthentikSandbox, String)>,
}

pub const SANDBOX_CLIENT_ID: &str = "dezky-console";
pub const SANDBOX_APP_SLUG: &str = "dezky";

fn derived_public_url(settings: &Settings, bound: SocketAddr) -> url::Url {
    settings.public_url.clone().unwrap_or_else(|| {
        url::Url::parse(&format!("http://{bound}")).expect("a socket address forms a URL")
    })
}

fn join(base: &url::Url, path: &str) -> String {
    format!("{}{path}", base.as_str().trim_end_matches('/'))
}

/// Starts the embedded sandbox when configured, and lists what `/readyz` and `doctor` probe.
pub async fn resolve_upstreams(
    settings: &Settings,
    public_url: Option<&url::Url>,
) -> anyhow::Result<ResolvedUpstreams> {
    let public_url = public_url
        .cloned()
        .unwrap_or_else(|| derived_public_url(settings, settings.bind_addr));
    let (issuer, client_id, secret, timeout, sandbox, admin_token) = match &settings.authentik {
        Some(a) => (
            a.issuer.clone(),
            a.client_id.clone(),
            a.client_secret.clone(),
            a.timeout,
            None,
            a.admin_token.clone(),
        ),
        None => {
            let secret = platform::crypto::random_token(32);
            let admin_token = platform::crypto::random_token(32);
            let (sb, base) = AuthentikSandbox::start(
                SocketAddr::from(([127, 0, 0, 1], settings.sandbox_authentik_port)),
                OAuthClientRegistration {
                    slug: SANDBOX_APP_SLUG.into(),
                    client_id: SANDBOX_CLIENT_ID.into(),
                    client_secret: secret.clone(),
                    redirect_uris: vec![join(&public_url, "/auth/callback")],
                    post_logout_redirect_uris: vec![join(&public_url, "/signed-out")],
                },
                admin_token.clone(),
            )
            .await
            .context("starting the embedded Authentik sandbox")?;
            (
                AuthentikSandbox::issuer(&base, SANDBOX_APP_SLUG),
                SANDBOX_CLIENT_ID.to_string(),
                SecretString::from(secret),
                std::time::Duration::from_secs(10),
                Some((sb, base)),
                SecretString::from(admin_token),
            )
        }
    };
    let issuer_slash = if issuer.ends_with('/') {
        issuer.clone()
    } else {
        format!("{issuer}/")
    };
    let authentik_admin = AuthentikAdminConfig {
        base_url: url::Url::parse(&issuer)
            .map(|u| u.origin().ascii_serialization())
            .context("AUTHENTIK_ISSUER is not a URL")?,
        token: admin_token,
        timeout,
    };
    // In sandbox mode OCIS is the embedded stand-in; otherwise the configured one, if enabled.
    let (ocis, ocis_sandbox) = if settings.sandbox {
        let token = platform::crypto::random_token(24);
        let (sb, base) = OcisSandbox::start(
            SocketAddr::from(([127, 0, 0, 1], settings.sandbox_ocis_port)),
            "dezky-svc".into(),
            token.clone(),
        )
        .await
        .context("starting the embedded OCIS sandbox")?;
        (
            Some(OcisConfig {
                base_url: base.clone(),
                user: "dezky-svc".into(),
                token: SecretString::from(token),
                timeout: settings.ocis.timeout,
            }),
            Some((sb, base)),
        )
    } else if settings.ocis.enabled {
        (
            Some(OcisConfig {
                base_url: settings.ocis.url.clone().unwrap_or_default(),
                user: settings.ocis.admin_user.clone().unwrap_or_default(),
                token: settings
                    .ocis
                    .admin_password
                    .clone()
                    .unwrap_or_else(|| SecretString::from("")),
                timeout: settings.ocis.timeout,
            }),
            None,
        )
    } else {
        (None, None)
    };
    let (stalwart, stalwart_sandbox) = if !settings.stalwart.enabled {
        (None, None)
    } else if settings.sandbox {
        let password = platform::crypto::random_token(24);
        let (sb, base) = StalwartSandbox::start(
            SocketAddr::from(([127, 0, 0, 1], settings.sandbox_stalwart_port)),
            "admin".into(),
            password.clone(),
            settings.mail_host.clone(),
        )
        .await
        .context("starting the embedded Stalwart sandbox")?;
        (
            Some(StalwartConfig {
                base_url: base.clone(),
                user: "admin".into(),
                password: SecretString::from(password),
                timeout: settings.stalwart.timeout,
            }),
            Some((sb, base)),
        )
    } else {
        (
            Some(StalwartConfig {
                base_url: settings.stalwart.url.clone().unwrap_or_default(),
                user: settings.stalwart.admin_user.clone().unwrap_or_default(),
                password: settings
                    .stalwart
                    .admin_password
                    .clone()
                    .unwrap_or_else(|| SecretString::from("")),
                timeout: settings.stalwart.timeout,
            }),
            None,
        )
    };
    let probes = vec![
        UpstreamProbe {
            name: "authentik",
            enabled: true,
            url: Some(format!("{issuer_slash}.well-known/openid-configuration")),
            hint: "check AUTHENTIK_ISSUER (https://<host>/application/o/<slug>/) and that Authentik runs",
        },
        UpstreamProbe {
            name: "stalwart",
            enabled: stalwart.is_some(),
            url: stalwart.as_ref().map(|s| format!("{}/healthz/live", s.base_url)),
            hint: "check STALWART_URL, or set STALWART_PROVISIONING_ENABLED=false",
        },
        UpstreamProbe {
            name: "ocis",
            enabled: ocis.is_some(),
            url: ocis.as_ref().map(|o| format!("{}/graph/v1.0/groups", o.base_url)),
            hint: "check OCIS_URL, or set OCIS_PROVISIONING_ENABLED=false",
        },
        UpstreamProbe {
            name: "stripe",
            enabled: settings.stripe.enabled,
            url: Some(settings.stripe.api_base.clone()),
            hint: "check STRIPE_API_BASE and the network path to Stripe, or set STRIPE_ENABLED=false",
        },
    ];
    let dns_sandbox = if settings.sandbox_dns {
        let dns = DnsSandbox::start()
            .await
            .context("starting the sandbox DNS server")?;
        let control = dns
            .serve_control(SocketAddr::from((
                [127, 0, 0, 1],
                settings.sandbox_dns_control_port,
            )))
            .await
            .context("starting the sandbox DNS control API")?;
        Some((dns, format!("http://{control}")))
    } else {
        None
    };
    Ok(ResolvedUpstreams {
        dns_sandbox,
        stalwart,
        stalwart_sandbox,
        authentik_admin,
        ocis,
        ocis_sandbox,
        oidc_issuer: issuer,
        oidc_client_id: client_id,
        oidc_client_secret: secret,
        oidc_timeout: timeout,
        probes,
        authentik_sandbox: sandbox,
    })
}

/// The seeded demo workspace: the sandbox's demo people with their roles.
pub fn demo_seed() -> DemoSeed {
    DemoSeed {
        tenants: [DEMO_TENANT, OTHER_TENANT]
            .iter()
            .map(|(slug, name)| SeedTenant {
                slug: slug.to_string(),
                name: name.to_string(),
            })
            .collect(),
        partner: SeedPartner {
            slug: DEMO_PARTNER.0.into(),
            name: DEMO_PARTNER.1.into(),
            tenants: vec![DEMO_TENANT.0.into()],
        },
        people: DEMO_USERS
            .iter()
            .map(|u| SeedPerson {
                subject: u.uuid.into(),
                email: u.email.into(),
                name: u.name.into(),
                roles: Role::parse(u.console_role)
                    .map(|r| vec![(u.tenant.to_string(), r)])
                    .unwrap_or_default(),
                partner_staff: u.console_role == "partner",
            })
            .collect(),
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
    sandbox: bool,
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
                    }),
                session_secret: settings.session_secret.clone(),
                refresh_margin: settings.token_refresh_margin,
            },
        );
        if settings.sandbox {
            let seed = demo_seed();
            let tenants = seed::apply(&platform.db, &seed)
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
        }
        let leptos = leptos_options(bound);
        let flags = ConsoleFlags {
            sandbox: settings.sandbox,
        };
        let state = AppState {
            platform: platform.clone(),
            leptos: leptos.clone(),
            flags,
            probes: Arc::new(upstreams.probes),
        };
        let router = router(state, &settings, &public_url);
        spawn_jobs(platform.clone(), settings.domain_recheck_interval);
        Ok(Self {
            listener,
            router,
            public_url,
            platform,
            authentik_sandbox: upstreams.authentik_sandbox,
            ocis_sandbox: upstreams.ocis_sandbox,
            stalwart_sandbox: upstreams.stalwart_sandbox,
            dns_sandbox: upstreams.dns_sandbox,
            sandbox: settings.sandbox,
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
            if let Some((dns, control)) = &self.dns_sandbox {
                println!(
                    "Sandbox DNS at {} (records: POST {control}/_sandbox/dns/records)",
                    dns.addr
                );
            }
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

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
}

fn leptos_options(bound: SocketAddr) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD" | "prod" | "production") => Env::PROD,
        _ => Env::DEV,
    };
    LeptosOptions::builder()
        .output_name(std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "dezky".into()))
        .site_root(std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into()))
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(bound)
        .env(env)
        .build()
}

fn router(state: AppState, settings: &Settings, public_url: &url::Url) -> Router {
    let platform = state.platform.clone();
    let flags = state.flags;
    let app_context = move || {
        provide_context(platform.clone());
        provide_context(flags);
    };
    let sessions = SessionManagerLayer::new(state.platform.session_store())
        .with_name(settings.session_cookie_name.clone())
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(public_url.scheme() == "https")
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            settings.session_idle_timeout.as_secs() as i64,
        )));
    let routes = generate_route_list(App);
    let leptos = state.leptos.clone();
    Router::new()
        .merge(auth::routes())
        .merge(json_api::routes())
        .merge(health::routes())
        .leptos_routes_with_context(&state, routes, app_context.clone(), move || {
            shell(leptos.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(app_context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::identity,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn(middleware::request_context))
        .with_state(state)
}

/// Background jobs: expired sessions are deleted every ten minutes; domains not checked for
/// the recheck interval are checked again (under a lease, so instances never overlap).
fn spawn_jobs(platform: Arc<Platform>, recheck_interval: std::time::Duration) {
    let domains = platform.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval((recheck_interval / 4).clamp(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs(300),
        ));
        let ctx = platform::Ctx::system("domain-recheck");
        loop {
            every.tick().await;
            match domains
                .domains
                .recheck_due(&ctx, recheck_interval, 50)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(domains = n, "background DNS recheck"),
                Err(e) => {
                    tracing::warn!(error = %e, "background DNS recheck failed; retrying later")
                }
            }
        }
    });
    use tower_sessions::ExpiredDeletion;
    let store = platform.session_store();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            every.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired-session cleanup failed; retrying later");
            }
        }
    });
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

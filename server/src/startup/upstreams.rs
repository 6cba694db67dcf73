//! The upstreams the console talks to: the configured ones, or the embedded sandbox
//! stand-ins (Authentik, OCIS, Stalwart, DNS) started on loopback in sandbox mode, and what
//! `/readyz` and `server doctor` probe.

use std::net::SocketAddr;

use anyhow::Context;
use platform::services::health::UpstreamProbe;
use platform::upstream::authentik::admin::AuthentikAdminConfig;
use platform::upstream::authentik::service_account::ServiceAccountConfig;
use platform::upstream::ocis::{OcisAuth, OcisConfig};
use platform::upstream::stalwart::{StalwartAuth, StalwartConfig};
use sandbox::dns::DnsSandbox;
use sandbox::ocis::OcisSandbox;
use sandbox::stalwart::StalwartSandbox;
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use secrecy::SecretString;

use crate::config::{OcisAuthMode, Settings};

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
/// The sandbox's OCIS web client in the Authentik stand-in: its issuer is the one the OCIS
/// stand-in trusts, and the console's service account asks it for tokens.
pub const SANDBOX_OCIS_CLIENT_ID: &str = "ocis-web";
pub const SANDBOX_OCIS_APP_SLUG: &str = "ocis";
/// The service identity: an Authentik service account and the OCIS user with the Admin role.
pub const SANDBOX_OCIS_ADMIN: &str = "dezky-svc";
/// The scopes the service account asks for: `profile` carries the `preferred_username`
/// OCIS resolves the user by (`PROXY_USER_OIDC_CLAIM`).
const OCIS_SERVICE_SCOPE: &str = "openid profile email";

pub(super) fn derived_public_url(settings: &Settings, bound: SocketAddr) -> url::Url {
    settings.public_url.clone().unwrap_or_else(|| {
        url::Url::parse(&format!("http://{bound}")).expect("a socket address forms a URL")
    })
}

pub(super) fn join(base: &url::Url, path: &str) -> String {
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
            sb.faults.require_token(&settings.sandbox_control_token);
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
    // In sandbox mode OCIS is the embedded stand-in, reached as production reaches it: with a
    // service account's bearer token from the Authentik stand-in (which OCIS trusts), or with
    // an app token when Authentik is a real one. Otherwise the configured OCIS, if enabled.
    let (ocis, ocis_sandbox) = if settings.sandbox {
        let token = platform::crypto::random_token(24);
        let (sb, base) = OcisSandbox::start(
            SocketAddr::from(([127, 0, 0, 1], settings.sandbox_ocis_port)),
            SANDBOX_OCIS_ADMIN.into(),
            token.clone(),
        )
        .await
        .context("starting the embedded OCIS sandbox")?;
        sb.faults.require_token(&settings.sandbox_control_token);
        let auth = match &sandbox {
            Some((authentik, authentik_base)) => {
                authentik.register_client(OAuthClientRegistration {
                    slug: SANDBOX_OCIS_APP_SLUG.into(),
                    client_id: SANDBOX_OCIS_CLIENT_ID.into(),
                    client_secret: String::new(),
                    redirect_uris: Vec::new(),
                    post_logout_redirect_uris: Vec::new(),
                });
                let app_password =
                    authentik.add_service_account(SANDBOX_OCIS_ADMIN, "Dezky service account");
                sb.trust_issuer(AuthentikSandbox::issuer(
                    authentik_base,
                    SANDBOX_OCIS_APP_SLUG,
                ));
                OcisAuth::ServiceAccount(ServiceAccountConfig {
                    token_url: format!("{authentik_base}/application/o/token/"),
                    client_id: SANDBOX_OCIS_CLIENT_ID.into(),
                    username: SANDBOX_OCIS_ADMIN.into(),
                    app_password: SecretString::from(app_password),
                    scope: OCIS_SERVICE_SCOPE.into(),
                    timeout: settings.ocis.timeout,
                })
            }
            None => OcisAuth::AppToken {
                user: SANDBOX_OCIS_ADMIN.into(),
                token: SecretString::from(token),
            },
        };
        (
            Some(OcisConfig {
                base_url: base.clone(),
                auth,
                timeout: settings.ocis.timeout,
            }),
            Some((sb, base)),
        )
    } else if settings.ocis.enabled {
        (
            Some(OcisConfig {
                base_url: settings.ocis.url.clone().unwrap_or_default(),
                auth: match settings.ocis.auth {
                    OcisAuthMode::ServiceAccount => {
                        OcisAuth::ServiceAccount(ServiceAccountConfig {
                            token_url: format!("{}/application/o/token/", authentik_admin.base_url),
                            client_id: settings.ocis.oidc_client_id.clone().unwrap_or_default(),
                            username: settings.ocis.service_account.clone().unwrap_or_default(),
                            app_password: settings
                                .ocis
                                .service_account_app_password
                                .clone()
                                .unwrap_or_else(|| SecretString::from("")),
                            scope: OCIS_SERVICE_SCOPE.into(),
                            timeout: settings.ocis.timeout,
                        })
                    }
                    OcisAuthMode::AppToken => OcisAuth::AppToken {
                        user: settings.ocis.admin_user.clone().unwrap_or_default(),
                        token: settings
                            .ocis
                            .admin_password
                            .clone()
                            .unwrap_or_else(|| SecretString::from("")),
                    },
                },
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
            password,
            settings.mail_host.clone(),
        )
        .await
        .context("starting the embedded Stalwart sandbox")?;
        sb.faults.require_token(&settings.sandbox_control_token);
        // As in production: an API key of the admin account, not the admin's password.
        let key = sb.issue_api_key();
        (
            Some(StalwartConfig {
                base_url: base.clone(),
                auth: StalwartAuth::ApiKey(SecretString::from(key)),
                timeout: settings.stalwart.timeout,
            }),
            Some((sb, base)),
        )
    } else {
        (
            Some(StalwartConfig {
                base_url: settings.stalwart.url.clone().unwrap_or_default(),
                auth: match &settings.stalwart.api_key {
                    Some(key) => StalwartAuth::ApiKey(key.clone()),
                    None => StalwartAuth::Basic {
                        user: settings.stalwart.admin_user.clone().unwrap_or_default(),
                        password: settings
                            .stalwart
                            .admin_password
                            .clone()
                            .unwrap_or_else(|| SecretString::from("")),
                    },
                },
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
        // The mail host's address, so SPF can be evaluated for it (the stand-ins run on
        // loopback).
        dns.address(&settings.mail_host, std::net::IpAddr::from([127, 0, 0, 1]));
        let control = dns
            .serve_control(
                SocketAddr::from(([127, 0, 0, 1], settings.sandbox_dns_control_port)),
                Some(settings.sandbox_control_token.clone()),
            )
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

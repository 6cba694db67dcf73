//! Services: the operations the pages (server functions) and the JSON API both call.

pub mod access;
pub mod audit;
pub mod auth;
pub mod billing;
pub mod branding;
pub mod domains;
pub mod health;
pub mod members;
pub mod provisioning;
pub mod security;
pub mod sso_apps;
pub mod steps;
pub mod storage;
pub mod tenants;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::crypto::{SealPurpose, SecretBox};
use crate::repo::sessions::DbSessionStore;
use crate::upstream::authentik::admin::{AuthentikAdmin, AuthentikAdminConfig};
use crate::upstream::authentik::oidc::{OidcClient, OidcConfig};
use crate::upstream::ocis::{OcisClient, OcisConfig};
use crate::upstream::stalwart::{StalwartClient, StalwartConfig};
use crate::upstream::stripe::{StripeClient, StripeConfig};
use crate::Db;

/// What the platform needs from the configuration.
#[derive(Clone, Debug)]
pub struct PlatformConfig {
    pub oidc: OidcConfig,
    pub authentik_admin: AuthentikAdminConfig,
    /// `None`: OCIS provisioning is disabled.
    pub ocis: Option<OcisConfig>,
    /// `None`: Stripe is disabled.
    pub stripe: Option<StripeConfig>,
    /// Plans, trial, Stripe.js and the webhook secret.
    pub billing: billing::BillingSettings,
    /// `None`: Stalwart provisioning is disabled (domains are kept and verified here only).
    pub stalwart: Option<StalwartConfig>,
    pub dns_resolvers: Vec<std::net::SocketAddr>,
    pub dns_timeout: Duration,
    /// The port domains' own name servers are asked on (53; `DNS_AUTHORITATIVE_PORT`).
    pub dns_authoritative_port: u16,
    /// The MX host expected when Stalwart provisioning is disabled.
    pub mail_host: String,
    pub session_secret: SecretString,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
    /// A console session ends this long after its sign-in, whatever its activity; token
    /// refreshes do not extend it (OWASP ASVS 4.0 V3.3.2).
    pub session_lifetime: Duration,
    /// The country database for the tenants' country rules (`GEOIP_DB`); none: country rules
    /// are stored and labelled not enforced.
    pub geoip: Option<security::network::GeoIp>,
    /// The Authentik objects a tenant SSO app's provider is made with.
    pub sso: sso_apps::SsoSettings,
    /// Outgoing mail (`SMTP_URL`); `None`: nothing is sent, welcome messages are refused.
    pub mailer: Option<crate::upstream::smtp::Mailer>,
    /// The console's public URL (links in the messages it sends).
    pub public_url: String,
    /// The sandbox's DNS server, in sandbox mode only (`domains::SandboxDns`).
    pub sandbox_dns: Option<Arc<dyn domains::SandboxDns>>,
}

/// Every service, built once at start and shared (behind an `Arc`) by pages and API.
pub struct Platform {
    pub db: Db,
    pub audit: audit::AuditRecorder,
    pub access: access::AccessService,
    pub auth: auth::AuthService,
    pub tenants: tenants::TenantService,
    pub provisioning: provisioning::ProvisioningService,
    pub domains: domains::DomainService,
    pub members: members::MemberService,
    pub audit_log: audit::AuditService,
    pub security: security::SecurityService,
    pub sso_apps: sso_apps::SsoAppService,
    pub billing: billing::BillingService,
    pub storage: storage::StorageService,
    pub branding: branding::BrandingService,
    pub oidc: Arc<OidcClient>,
    sealer: SecretBox,
}

impl Platform {
    pub fn new(db: Db, cfg: PlatformConfig) -> Arc<Self> {
        let sealer = SecretBox::new(&cfg.session_secret, SealPurpose::SessionRecords);
        let token_sealer = SecretBox::new(&cfg.session_secret, SealPurpose::IdpTokens);
        let sign_in_sealer = SecretBox::new(&cfg.session_secret, SealPurpose::SignInState);
        let oidc = Arc::new(OidcClient::new(cfg.oidc));
        let audit = audit::AuditRecorder::new(db.clone());
        let security = security::SecurityService::new(
            db.clone(),
            audit.clone(),
            cfg.geoip.clone(),
            AuthentikAdmin::new(cfg.authentik_admin.clone()),
        );
        let access = access::AccessService::new(db.clone(), audit.clone(), security.gate());
        let audit_log = audit::AuditService::new(db.clone(), audit.clone());
        let auth = auth::AuthService::new(
            db.clone(),
            token_sealer,
            sign_in_sealer,
            oidc.clone(),
            audit.clone(),
            cfg.refresh_margin,
            cfg.session_lifetime,
        );
        let seats = billing::SeatSync::new(
            db.clone(),
            cfg.stripe.clone().map(StripeClient::new),
            cfg.billing.trial_days,
            cfg.billing.plans.clone(),
        );
        let provisioning = provisioning::ProvisioningService::new(
            db.clone(),
            audit.clone(),
            provisioning::Upstreams {
                authentik: AuthentikAdmin::new(cfg.authentik_admin.clone()),
                ocis: cfg.ocis.clone().map(OcisClient::new),
                stalwart_enabled: cfg.stalwart.is_some(),
                stripe: cfg.stripe.clone().map(StripeClient::new),
                seats: seats.clone(),
            },
        );
        let notices =
            branding::Notices::new(db.clone(), audit.clone(), cfg.mailer, &cfg.public_url);
        let members = members::MemberService::new(
            db.clone(),
            audit.clone(),
            members::MemberUpstreams {
                authentik: AuthentikAdmin::new(cfg.authentik_admin.clone()),
                stalwart: cfg.stalwart.clone().map(StalwartClient::new),
                ocis: cfg.ocis.clone().map(OcisClient::new),
                seats: seats.clone(),
                notices: notices.clone(),
            },
        );
        let sso_apps = sso_apps::SsoAppService::new(
            db.clone(),
            audit.clone(),
            AuthentikAdmin::new(cfg.authentik_admin.clone()),
            cfg.sso,
        );
        let billing =
            billing::BillingService::new(db.clone(), audit.clone(), seats, cfg.billing.clone());
        let storage = storage::StorageService::new(
            db.clone(),
            audit.clone(),
            cfg.stalwart.clone().map(StalwartClient::new),
            cfg.ocis.clone().map(OcisClient::new),
        );
        let notices_for_domains = notices.clone();
        let branding = branding::BrandingService::new(db.clone(), audit.clone(), notices);
        let tenants = tenants::TenantService::new(db.clone(), provisioning.clone());
        let domains = domains::DomainService::new(
            db.clone(),
            audit.clone(),
            domains::DomainUpstreams {
                stalwart: cfg.stalwart.map(StalwartClient::new),
                dns: crate::dns::resolver::DnsResolver::new(&cfg.dns_resolvers, cfg.dns_timeout)
                    .with_authoritative_port(cfg.dns_authoritative_port),
                mail_host: cfg.mail_host,
                sandbox_dns: cfg.sandbox_dns,
                notices: Some(notices_for_domains),
            },
        );
        Arc::new(Self {
            db,
            audit,
            access,
            auth,
            tenants,
            provisioning,
            domains,
            members,
            audit_log,
            security,
            sso_apps,
            billing,
            storage,
            branding,
            oidc,
            sealer,
        })
    }

    /// The tower-sessions store, in the same database, sealed with the session secret.
    pub fn session_store(&self) -> DbSessionStore {
        DbSessionStore::new(self.db.clone(), self.sealer.clone())
    }
}

//! Services: the operations the pages (server functions) and the JSON API both call.

pub mod access;
pub mod audit;
pub mod auth;
pub mod health;
pub mod provisioning;
pub mod tenants;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::crypto::SecretBox;
use crate::repo::sessions::DbSessionStore;
use crate::upstream::authentik::admin::{AuthentikAdmin, AuthentikAdminConfig};
use crate::upstream::authentik::oidc::{OidcClient, OidcConfig};
use crate::upstream::ocis::{OcisClient, OcisConfig};
use crate::upstream::stripe::{StripeClient, StripeConfig};
use crate::Db;

/// What the platform needs from the configuration.
#[derive(Clone, Debug)]
pub struct PlatformConfig {
    pub oidc: OidcConfig,
    pub authentik_admin: AuthentikAdminConfig,
    /// `None`: OCIS provisioning is disabled.
    pub ocis: Option<OcisConfig>,
    pub stalwart_enabled: bool,
    /// `None`: Stripe is disabled.
    pub stripe: Option<StripeConfig>,
    pub session_secret: SecretString,
    /// Refresh the access token when it expires within this margin.
    pub refresh_margin: Duration,
}

/// Every service, built once at start and shared (behind an `Arc`) by pages and API.
pub struct Platform {
    pub db: Db,
    pub audit: audit::AuditRecorder,
    pub access: access::AccessService,
    pub auth: auth::AuthService,
    pub tenants: tenants::TenantService,
    pub provisioning: provisioning::ProvisioningService,
    pub oidc: Arc<OidcClient>,
    sealer: SecretBox,
}

impl Platform {
    pub fn new(db: Db, cfg: PlatformConfig) -> Arc<Self> {
        let sealer = SecretBox::new(&cfg.session_secret);
        let oidc = Arc::new(OidcClient::new(cfg.oidc));
        let audit = audit::AuditRecorder::new(db.clone());
        let access = access::AccessService::new(db.clone(), audit.clone());
        let auth = auth::AuthService::new(
            db.clone(),
            sealer.clone(),
            oidc.clone(),
            audit.clone(),
            cfg.refresh_margin,
        );
        let provisioning = provisioning::ProvisioningService::new(
            db.clone(),
            audit.clone(),
            provisioning::Upstreams {
                authentik: AuthentikAdmin::new(cfg.authentik_admin),
                ocis: cfg.ocis.map(OcisClient::new),
                stalwart_enabled: cfg.stalwart_enabled,
                stripe: cfg.stripe.map(StripeClient::new),
            },
        );
        let tenants = tenants::TenantService::new(db.clone(), provisioning.clone());
        Arc::new(Self {
            db,
            audit,
            access,
            auth,
            tenants,
            provisioning,
            oidc,
            sealer,
        })
    }

    /// The tower-sessions store, in the same database, sealed with the session secret.
    pub fn session_store(&self) -> DbSessionStore {
        DbSessionStore::new(self.db.clone(), self.sealer.clone())
    }
}

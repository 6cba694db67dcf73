//! Shared by the integration tests: the Authentik sandbox and an admin client of it.

use std::net::SocketAddr;
use std::time::Duration;

use platform::upstream::authentik::admin::{AuthentikAdmin, AuthentikAdminConfig};
use sandbox::{AuthentikSandbox, OAuthClientRegistration};
use secrecy::SecretString;

/// The admin API token the sandbox accepts.
pub const ADMIN_TOKEN: &str = "admin-token";

/// An Authentik sandbox on a free loopback port, and its base URL.
pub async fn authentik() -> (AuthentikSandbox, String) {
    AuthentikSandbox::start(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        OAuthClientRegistration {
            slug: "dezky".into(),
            client_id: "c".into(),
            client_secret: "s".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
        },
        ADMIN_TOKEN.into(),
    )
    .await
    .unwrap()
}

/// An admin API client of the sandbox at `base`, with `token`.
pub fn admin(base: &str, token: &str) -> AuthentikAdmin {
    AuthentikAdmin::new(AuthentikAdminConfig {
        base_url: base.into(),
        token: SecretString::from(token),
        timeout: Duration::from_secs(5),
    })
}

//! Authentik: the console's own OIDC sign-in (`oidc`), the admin API (`admin`) and its
//! SSO-app part (`apps`: providers, applications, policy bindings).

pub mod admin;
pub mod apps;
pub mod oidc;

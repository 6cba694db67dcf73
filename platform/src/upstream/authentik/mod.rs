//! Authentik: the console's own OIDC sign-in (`oidc`), the admin API (`admin`) and its
//! SSO-app part (`apps`: providers, applications, policy bindings), and a service account's
//! short-lived bearer tokens for other services (`service_account`).

pub mod admin;
pub mod apps;
pub mod oidc;
pub mod service_account;

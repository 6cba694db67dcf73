//! Authentik: the console's own OIDC sign-in (`oidc`) and the admin API (`admin`).

pub mod admin;
pub mod oidc;

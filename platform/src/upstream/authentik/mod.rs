//! Authentik: the console's own OIDC sign-in (`oidc`); the admin API follows in later work.

pub mod oidc;

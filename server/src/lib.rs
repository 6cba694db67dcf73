//! The console's server: configuration, router, sessions, OIDC sign-in, the JSON API under
//! `/api`, health endpoints, background jobs and the wiring of the platform services.

pub mod api;
pub mod auth;
pub mod config;
pub mod doctor;
pub mod error;
pub mod health;
pub mod middleware;
pub mod startup;
pub mod telemetry;

pub use startup::Application;

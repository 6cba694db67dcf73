//! Integration tests: the real server on a random port, the sandbox upstreams on loopback,
//! a fresh database per test, on SQLite and PostgreSQL.

mod helpers;

mod access;
mod audit;
mod billing;
mod branding;
mod doctor;
mod domains;
mod errors;
mod hardening;
mod health;
mod matrix;
mod members;
mod security;
mod sign_in;
mod sso_apps;
mod storage;
mod tenants;
mod tokens;

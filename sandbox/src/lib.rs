//! Local stand-ins for the upstreams Dezky manages, speaking their real wire protocols on
//! loopback, with fault injection for tests. Nothing here is provisioned for real: the
//! console shows a banner whenever it runs against the sandbox.
//!
//! - `authentik`: OIDC provider (discovery, authorize with a sign-in form, token with
//!   refresh-token rotation, userinfo, JWKS, revocation, end-session) per
//!   `shared/reference/authentik.md`, and its admin API (`authentik::admin`, `/api/v3`):
//!   groups, users, authenticated sessions and OAuth2 refresh tokens.
//! - `stalwart`, `ocis`: the mail server's JMAP management API and OCIS's LibreGraph API.
//! - `faults`: make the next N requests to a path (optionally one HTTP method) fail, time out
//!   or be slow.
//! - `smtp`: a mail sink that keeps what the console sends (welcome messages, notices).
//! - `demo`: the seeded demo people.
//!
//! Control endpoints for tests live under `/_sandbox/` and are never part of a real API.

pub mod authentik;
mod clock;
pub mod demo;
pub mod dns;
pub mod faults;
pub mod ocis;
#[cfg(feature = "testing")]
pub mod relying_party;
pub mod smtp;
pub mod stalwart;

pub use authentik::{AuthentikSandbox, OAuthClientRegistration};

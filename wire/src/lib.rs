//! What crosses the wire between the console's server and the browser: the public error and
//! the views the pages and the JSON API show, with their states as enums. Serde only (no
//! sqlx, no reqwest, no Leptos), so the server and the wasm build compile the same types and
//! nothing is copied. `platform` builds these views; `app` shows them; `server` sends them.

pub mod audit;
pub mod billing;
pub mod branding;
pub mod domains;
pub mod error;
pub mod members;
pub mod security;
pub mod sso_apps;
pub mod steps;
pub mod storage;
pub mod tenants;

pub use error::{ErrorClass, PublicError};

//! Dezky's platform: everything that is not presentation.
//!
//! `domain` holds the types, `repo` the sqlx repositories (one portable SQL dialect for SQLite
//! and PostgreSQL), `services` the operations the console and the JSON API call, and `upstream`
//! the HTTP clients of the systems Dezky manages. Nothing here knows about Leptos or axum.

pub mod crypto;
pub mod ctx;
pub mod db;
pub mod dns;
pub mod domain;
pub mod error;
pub mod repo;
pub mod seed;
pub mod services;
pub mod upstream;

#[cfg(feature = "test-support")]
pub mod testing;

pub use ctx::{Ctx, CurrentUser, RequestMeta};
pub use db::Db;
pub use services::Platform;

/// Milliseconds since the Unix epoch, the one time unit stored in the database.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A new time-ordered identifier (UUID v7) as stored in the database.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

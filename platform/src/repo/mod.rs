//! sqlx repositories. Each function takes the `Db` and speaks the dialect shared by SQLite and
//! PostgreSQL; nothing above this module writes SQL.

pub mod audit;
pub mod identity;
pub mod mail_domains;
pub mod members;
pub mod provisioning;
pub mod sessions;
pub mod tokens;

pub type RepoResult<T> = Result<T, sqlx::Error>;

//! sqlx repositories. Each function takes the `Db` and speaks the dialect shared by SQLite and
//! PostgreSQL; nothing above this module writes SQL.
//!
//! States are typed at this edge: a row carries the wire enums (`MemberStatus`,
//! `DomainStatus`, `StepState`, …), parsed from their stored text when the row is read and
//! written with `as_str()`; the columns stay text.

pub mod audit;
pub mod billing;
pub mod branding;
pub mod identity;
pub mod leases;
pub mod mail_domains;
pub mod members;
pub mod partner_tenants;
pub mod provisioning;
pub mod security;
pub mod sessions;
pub mod sso_apps;
pub mod tokens;

use sqlx::any::AnyRow;
use sqlx::Row;

pub type RepoResult<T> = Result<T, sqlx::Error>;

/// A state column read with its type's `parse` (which decides what unknown text means).
pub(crate) fn state<T>(row: &AnyRow, column: &str, parse: impl FnOnce(&str) -> T) -> RepoResult<T> {
    Ok(parse(&row.try_get::<String, _>(column)?))
}

/// `text` with LIKE's wildcards (and the escape character) taken literally, for
/// `LIKE … ESCAPE '\'`.
/// The bind parameters `$first, $first+1, …` for `n` values of an `IN (…)` list.
pub(crate) fn bind_list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

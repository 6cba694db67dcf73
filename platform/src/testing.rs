//! Test support: a fresh database per test, on SQLite (a temporary file) or PostgreSQL (a new
//! database on the server named by `TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`), dropped when the test ends.

use sqlx::any::install_default_drivers;
use sqlx::{AnyConnection, Connection};

use crate::db::Backend;
use crate::Db;

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database URL that exists only for one test.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    name: String,
    _dir: Option<TempDir>,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        let name = format!("dezky_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}/console.db", dir.display());
                Self {
                    backend,
                    url,
                    name,
                    _dir: Some(TempDir(dir)),
                }
            }
            Backend::Postgres => {
                install_default_drivers();
                let admin = postgres_admin_url();
                let mut conn = AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for this test (set TEST_POSTGRES_URL): {e}")
                });
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                Self {
                    backend,
                    url: format!("{base}/{name}"),
                    name,
                    _dir: None,
                }
            }
        }
    }

    pub async fn connect(&self) -> Db {
        Db::connect(&self.url, 5)
            .await
            .expect("connect to the test database")
    }

    /// Drops a PostgreSQL test database (SQLite files go with the temp dir).
    pub async fn cleanup(self) {
        if self.backend == Backend::Postgres {
            if let Ok(mut conn) = AnyConnection::connect(&postgres_admin_url()).await {
                let _ = sqlx::query(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .await;
            }
        }
    }
}

/// Runs an async test body once per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::db::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::db::Backend::Postgres).await;
            }
        }
    };
}

/// Every value of every column of every table (but sqlx's own migration records), as text:
/// tests look for secrets in it.
pub async fn dump_text(db: &Db) -> String {
    use sqlx::Row;
    let columns_sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p
              WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
                AND m.name <> '_sqlx_migrations'
                -- The FTS5 index of audit_events.search (binary; that text is read there).
                AND m.name NOT LIKE 'audit\\_search%' ESCAPE '\\'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
              WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'"
        }
    };
    let columns = sqlx::query(columns_sql)
        .fetch_all(db.pool())
        .await
        .expect("list the columns");
    let mut out = String::new();
    for row in columns {
        let (table, column): (String, String) = (row.get("t"), row.get("c"));
        let values: Vec<Option<String>> = sqlx::query_scalar(&format!(
            "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\""
        ))
        .fetch_all(db.pool())
        .await
        .unwrap_or_else(|e| panic!("read {table}.{column}: {e}"));
        for v in values.into_iter().flatten() {
            out.push_str(&v);
            out.push('\n');
        }
    }
    out
}

//! The tower-sessions store, in the console's own database. Records are sealed with the
//! session secret, so nothing in the table can be read or forged without it, and rows are
//! keyed by the SHA-256 of the session id (OWASP ASVS 4.0 V3.2.3 spirit): reading the
//! table does not give anyone a cookie that takes over a session.

use async_trait::async_trait;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use crate::crypto::SecretBox;
use crate::{now_ms, Db};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
    sealer: SecretBox,
}

impl DbSessionStore {
    pub fn new(db: Db, sealer: SecretBox) -> Self {
        Self { db, sealer }
    }

    fn seal(&self, record: &Record) -> session_store::Result<String> {
        let json =
            serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        self.sealer
            .seal(&json)
            .map_err(|e| session_store::Error::Encode(e.to_string()))
    }
}

/// The row key of a session: hex SHA-256 of its id (the cookie's value), never the id.
fn key(id: &Id) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        loop {
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(key(&record.id))
            .bind(self.seal(record)?)
            .bind(expiry_ms(record))
            .execute(self.db.pool())
            .await
            .map_err(backend)?
            .rows_affected();
            if inserted == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date",
        )
        .bind(key(&record.id))
        .bind(self.seal(record)?)
        .bind(expiry_ms(record))
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let sealed: Option<String> =
            sqlx::query_scalar("SELECT data FROM sessions WHERE id = $1 AND expiry_date > $2")
                .bind(key(id))
                .bind(now_ms())
                .fetch_optional(self.db.pool())
                .await
                .map_err(backend)?;
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        // A record that does not open (secret rotated, tampering) is no session at all.
        let Ok(plain) = self.sealer.open(&sealed) else {
            return Ok(None);
        };
        let record: Record = serde_json::from_slice(&plain)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        if record.expiry_date <= OffsetDateTime::now_utc() {
            return Ok(None);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(key(id))
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE expiry_date <= $1")
            .bind(now_ms())
            .execute(self.db.pool())
            .await
            .map_err(backend)?;
        Ok(())
    }
}

//! The tower-sessions store on SQLite and PostgreSQL: records round-trip sealed, expire, and
//! cannot be read with another secret.

use platform::crypto::{SealPurpose, SecretBox};
use platform::db::Backend;
use platform::on_both_backends;
use platform::repo::sessions::DbSessionStore;
use platform::testing::TestDatabase;
use secrecy::SecretString;
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

fn record(expiry: OffsetDateTime) -> Record {
    let mut data = std::collections::HashMap::new();
    data.insert(
        "auth_key".to_string(),
        serde_json::json!("super-secret-key"),
    );
    Record {
        id: Id::default(),
        data,
        expiry_date: expiry,
    }
}

async fn sessions_round_trip_sealed_and_expire(backend: Backend) {
    let tdb = TestDatabase::new(backend).await;
    let db = tdb.connect().await;
    let store = DbSessionStore::new(
        db.clone(),
        SecretBox::new(
            &SecretString::from("a".repeat(40)),
            SealPurpose::SessionRecords,
        ),
    );
    let mut live = record(OffsetDateTime::now_utc() + time::Duration::hours(1));
    store.create(&mut live).await.unwrap();
    let loaded = store.load(&live.id).await.unwrap().expect("stored");
    assert_eq!(loaded.data["auth_key"], "super-secret-key");

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM sessions")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert!(
        !ids[0].contains(&live.id.to_string()),
        "the table holds no session id that a cookie could carry"
    );
    let raw: String = sqlx::query_scalar("SELECT data FROM sessions")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(
        !raw.contains("super-secret-key"),
        "session data is sealed at rest"
    );

    let other = DbSessionStore::new(
        db.clone(),
        SecretBox::new(
            &SecretString::from("b".repeat(40)),
            SealPurpose::SessionRecords,
        ),
    );
    assert!(
        other.load(&live.id).await.unwrap().is_none(),
        "another secret reads nothing"
    );

    let mut dead = record(OffsetDateTime::now_utc() - time::Duration::seconds(1));
    store.save(&dead).await.unwrap();
    assert!(
        store.load(&dead.id).await.unwrap().is_none(),
        "expired records are not loaded"
    );
    store.delete_expired().await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);

    store.delete(&live.id).await.unwrap();
    assert!(store.load(&live.id).await.unwrap().is_none());
    dead.id = Id::default();
    tdb.cleanup().await;
}
on_both_backends!(session_store, sessions_round_trip_sealed_and_expire);

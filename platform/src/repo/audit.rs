//! The audit-event table: append and read newest first.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{state, RepoResult};
use crate::domain::{AuditEvent, Outcome};
use crate::Db;

/// An event about to be appended (the recorder fills id and time).
#[derive(Clone, Debug)]
pub struct NewAuditRow<'a> {
    pub id: &'a str,
    pub tenant_id: Option<&'a str>,
    pub actor_user_id: Option<&'a str>,
    pub actor_email: Option<&'a str>,
    pub actor_partner_staff: bool,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: Outcome,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a str,
    pub created_at: i64,
}

pub async fn insert(db: &Db, e: &NewAuditRow<'_>) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, actor_user_id, actor_email, actor_partner_staff,
             action, target, outcome, ip, user_agent, request_id, details, created_at, search,
             action_family)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(e.id)
    .bind(e.tenant_id)
    .bind(e.actor_user_id)
    .bind(e.actor_email.map(str::to_lowercase))
    .bind(i64::from(e.actor_partner_staff))
    .bind(e.action)
    .bind(e.target)
    .bind(e.outcome.as_str())
    .bind(e.ip)
    .bind(e.user_agent)
    .bind(e.request_id)
    .bind(e.details)
    .bind(e.created_at)
    .bind(search_text(e))
    .bind(action_family(e.action))
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The lower-cased text the free-text search matches: actor, action, target, details, IP.
fn search_text(e: &NewAuditRow<'_>) -> String {
    format!(
        "{} {} {} {} {}",
        e.actor_email.unwrap_or(""),
        e.action,
        e.target,
        e.details,
        e.ip.unwrap_or("")
    )
    .to_lowercase()
}

/// The first segment of an action: `member` of `member.create`.
pub fn action_family(action: &str) -> &str {
    action.split('.').next().unwrap_or(action)
}

/// Fills `action_family` of events recorded before the column existed (one update per
/// distinct action; nothing to do on later starts).
pub async fn backfill_families(db: &Db) -> RepoResult<()> {
    let rows = sqlx::query("SELECT DISTINCT action FROM audit_events WHERE action_family = ''")
        .fetch_all(db.pool())
        .await?;
    for r in rows {
        let action: String = r.try_get("action")?;
        sqlx::query(
            "UPDATE audit_events SET action_family = $1 WHERE action = $2 AND action_family = ''",
        )
        .bind(action_family(&action))
        .bind(&action)
        .execute(db.pool())
        .await?;
    }
    Ok(())
}

/// Creates the free-text indexes of `audit_events.search` where the backend has them, after
/// the migrations (their SQL is shared by both backends, this is not); whether they exist. A
/// failure is logged and the search still works, scanning the tenant's events instead.
/// Measured with `bench/audit.sh` (1,000,000 events, 100,000 in the searched tenant):
/// - PostgreSQL: a GIN index over `(tenant_id, search gin_trgm_ops)` (`btree_gin` puts the
///   tenant in the same index), so a `LIKE '%…%'` reads only the tenant's matches; with a
///   plain trigram index the planner read every tenant's matches and dropped most. Both
///   extensions are trusted: the database owner may create them. Without `btree_gin`, the
///   plain trigram index.
/// - SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34) over the same text,
///   kept in step by triggers, for words that are rare in the whole log; and a covering index
///   `(tenant_id, created_at, id, search)`, so a scan for a common word reads the index alone
///   and stops at the page's last match (see [`sqlite_text_plan`]).
pub async fn ensure_text_index(db: &Db) -> bool {
    match db.backend() {
        crate::db::Backend::Postgres => {
            let tenant_first: &[&str] = &[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE EXTENSION IF NOT EXISTS btree_gin",
                "CREATE INDEX IF NOT EXISTS audit_events_tenant_search ON audit_events USING gin (tenant_id, search gin_trgm_ops)",
                "DROP INDEX IF EXISTS audit_events_search_trgm",
            ];
            if run_all(db, tenant_first).await.is_ok() {
                return true;
            }
            let plain: &[&str] = &[
                "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                "CREATE INDEX IF NOT EXISTS audit_events_search_trgm ON audit_events USING gin (search gin_trgm_ops)",
            ];
            run_all(db, plain).await.is_ok()
        }
        crate::db::Backend::Sqlite => ensure_sqlite_text_index(db).await,
    }
}

async fn run_all(db: &Db, statements: &[&str]) -> Result<(), ()> {
    for sql in statements {
        if let Err(e) = sqlx::query(sql).execute(db.pool()).await {
            tracing::warn!(error = %e, "the audit log's free-text index could not be created; searches scan instead");
            return Err(());
        }
    }
    Ok(())
}

async fn ensure_sqlite_text_index(db: &Db) -> bool {
    let statements: &[&str] = &[
        "CREATE INDEX IF NOT EXISTS audit_events_tenant_time_search ON audit_events (tenant_id, created_at, id, search)",
        // Its prefix: with both, SQLite without statistics may walk the narrower one and read
        // every row for the text (a later migration touching it must say IF EXISTS).
        "DROP INDEX IF EXISTS audit_events_tenant_time",
        "CREATE VIRTUAL TABLE IF NOT EXISTS audit_search USING fts5(search, content='audit_events', content_rowid='rowid', tokenize='trigram')",
        "CREATE TRIGGER IF NOT EXISTS audit_search_insert AFTER INSERT ON audit_events BEGIN
             INSERT INTO audit_search (rowid, search) VALUES (new.rowid, new.search);
         END",
        "CREATE TRIGGER IF NOT EXISTS audit_search_delete AFTER DELETE ON audit_events BEGIN
             INSERT INTO audit_search (audit_search, rowid, search) VALUES ('delete', old.rowid, old.search);
         END",
    ];
    let new = sqlx::query("SELECT 1 FROM sqlite_master WHERE name = 'audit_search'")
        .fetch_optional(db.pool())
        .await
        .map(|r| r.is_none())
        .unwrap_or(false);
    if run_all(db, statements).await.is_err() {
        return false;
    }
    if new {
        // Events recorded before the index existed.
        if let Err(e) = sqlx::query("INSERT INTO audit_search (audit_search) VALUES ('rebuild')")
            .execute(db.pool())
            .await
        {
            tracing::warn!(error = %e, "the audit log's free-text index could not be built; searches scan instead");
            let _ = sqlx::query("DROP TABLE audit_search")
                .execute(db.pool())
                .await;
            return false;
        }
    }
    true
}

/// Below this many matches in the whole log, SQLite asks the trigram table first.
const FTS_RARE: i64 = 2_000;

/// Whether a SQLite text search asks the trigram table first: only for three characters or
/// more (trigrams), and only when the text is rare in the whole log (fewer than [`FTS_RARE`]
/// matches, counted with that cap). The table knows no tenant: for a common word it would hand
/// over every tenant's matches to be read and dropped (10,000 rows, 50–90 ms, for a word in 1%
/// of a million events), where the covering index finds the tenant's newest matches in a few
/// milliseconds. For a rare word it is the other way round (a full scan of a 100,000-event
/// tenant's index is 20–30 ms; the table answers in well under one).
async fn sqlite_text_plan(db: &Db, filter: &AuditFilter) -> RepoResult<bool> {
    let Some(text) = &filter.text else {
        return Ok(false);
    };
    if !sqlite_fts(db) || text.chars().count() < 3 {
        return Ok(false);
    }
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM audit_search WHERE audit_search MATCH $1 LIMIT {FTS_RARE})"
    ))
    .bind(fts_phrase(text))
    .fetch_one(db.pool())
    .await?;
    Ok(n < FTS_RARE)
}

/// `text` as one FTS5 phrase (quotes doubled).
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Claims the right to audit a denial of `actor` in `tenant` now (ms since the epoch): true
/// when none was audited in the `window_ms` before, false otherwise. One atomic upsert, so
/// concurrent requests (and instances) get one `true` between them.
pub async fn claim_denial(
    db: &Db,
    actor: &str,
    tenant: &str,
    now: i64,
    window_ms: i64,
) -> RepoResult<bool> {
    let done = sqlx::query(
        "INSERT INTO audit_denial_marks (actor, tenant, last_at) VALUES ($1, $2, $3)
         ON CONFLICT (actor, tenant) DO UPDATE SET last_at = excluded.last_at
         WHERE audit_denial_marks.last_at <= $4",
    )
    .bind(actor)
    .bind(tenant)
    .bind(now)
    .bind(now - window_ms)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// An event as read: the wire's `AuditEvent`, its outcome parsed and its details decoded.
pub struct AuditRow(AuditEvent);

impl FromRow<'_, AnyRow> for AuditRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self(AuditEvent {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            actor_user_id: row.try_get("actor_user_id")?,
            actor_email: row.try_get("actor_email")?,
            actor_partner_staff: row.try_get::<i64, _>("actor_partner_staff")? != 0,
            action: row.try_get("action")?,
            target: row.try_get("target")?,
            outcome: state(row, "outcome", Outcome::parse)?,
            ip: row.try_get("ip")?,
            user_agent: row.try_get("user_agent")?,
            request_id: row.try_get("request_id")?,
            details: state(row, "details", |d| {
                serde_json::from_str(d).unwrap_or(serde_json::Value::Null)
            })?,
            created_at: row.try_get("created_at")?,
        }))
    }
}

const COLUMNS: &str = "id, tenant_id, actor_user_id, actor_email, actor_partner_staff, action, \
    target, outcome, ip, user_agent, request_id, details, created_at";

/// A tenant's events, newest first.
pub async fn for_tenant(db: &Db, tenant_id: &str, limit: i64) -> RepoResult<Vec<AuditEvent>> {
    search(db, tenant_id, &AuditFilter::default(), None, limit).await
}

/// Which actions an event must have: one exact action, or every action starting with a
/// prefix that ends in `.` (`member.` matches `member.create`, `member.suspend`, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionMatch {
    Exact(String),
    /// Ends with `.`.
    Prefix(String),
}

/// A typed search of one tenant's events (the service parses it from the query).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Lower-cased free text, matched anywhere in actor, action, target, details and IP.
    pub text: Option<String>,
    /// Any of these (none: every action).
    pub actions: Vec<ActionMatch>,
    /// Any of these (none: every outcome).
    pub outcomes: Vec<Outcome>,
    /// The actor's (verified, lower-case) email.
    pub actor: Option<String>,
    /// `Some(true)`: partner staff actions only; `Some(false)`: none of them.
    pub partner: Option<bool>,
    /// Inclusive lower bound, ms since the epoch.
    pub since: Option<i64>,
    /// Exclusive upper bound, ms since the epoch.
    pub before: Option<i64>,
}

/// A position in the newest-first order: the event `(created_at, id)` a page ended or began
/// with, and which way to go from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub created_at: i64,
    pub id: String,
    /// True: events older than the position (the next page); false: newer (the previous).
    pub older: bool,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// `WHERE …` for `filter` in `tenant_id`, with its values in bind order; `fts`: SQLite's
/// trigram table narrows the text search first ([`sqlite_text_plan`]).
fn conditions(tenant_id: &str, filter: &AuditFilter, fts: bool) -> (String, Vec<Bind>) {
    // With the trigram table, `+` keeps SQLite from walking the tenant's index: the rows
    // come by rowid from the table's few matches.
    let mut sql = String::from(if fts {
        "+tenant_id = $1"
    } else {
        "tenant_id = $1"
    });
    let mut binds = vec![Bind::Text(tenant_id.to_string())];
    let next = |binds: &mut Vec<Bind>, b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(text) = &filter.text {
        // The LIKE keeps the exact meaning, wildcards taken literally.
        if fts {
            let p = next(&mut binds, Bind::Text(fts_phrase(text)));
            sql.push_str(&format!(
                " AND rowid IN (SELECT rowid FROM audit_search WHERE audit_search MATCH {p})"
            ));
        }
        let pattern = format!("%{}%", super::escape_like(text));
        let p = next(&mut binds, Bind::Text(pattern));
        sql.push_str(&format!(" AND search LIKE {p} ESCAPE '\\'"));
    }
    if !filter.actions.is_empty() {
        let parts: Vec<String> = filter
            .actions
            .iter()
            .map(|a| match a {
                ActionMatch::Exact(a) => {
                    let p = next(&mut binds, Bind::Text(a.clone()));
                    format!("action = {p}")
                }
                ActionMatch::Prefix(prefix) => {
                    // The family by equality (indexed, no collation involved), then the
                    // rest of a longer prefix exactly.
                    let family = action_family(prefix);
                    let f = next(&mut binds, Bind::Text(family.to_string()));
                    if prefix.len() == family.len() + 1 {
                        format!("action_family = {f}")
                    } else {
                        let p = next(&mut binds, Bind::Text(prefix.clone()));
                        // A count we computed, written as a literal: PostgreSQL's substr
                        // takes an integer, not the bigint a bound i64 would be.
                        let n = prefix.chars().count();
                        format!("(action_family = {f} AND substr(action, 1, {n}) = {p})")
                    }
                }
            })
            .collect();
        sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
    }
    if !filter.outcomes.is_empty() {
        let parts: Vec<String> = filter
            .outcomes
            .iter()
            .map(|o| next(&mut binds, Bind::Text(o.as_str().to_string())))
            .collect();
        sql.push_str(&format!(" AND outcome IN ({})", parts.join(", ")));
    }
    if let Some(actor) = &filter.actor {
        let p = next(&mut binds, Bind::Text(actor.clone()));
        sql.push_str(&format!(" AND actor_email = {p}"));
    }
    if let Some(partner) = filter.partner {
        let p = next(&mut binds, Bind::Int(i64::from(partner)));
        sql.push_str(&format!(" AND actor_partner_staff = {p}"));
    }
    if let Some(since) = filter.since {
        let p = next(&mut binds, Bind::Int(since));
        sql.push_str(&format!(" AND created_at >= {p}"));
    }
    if let Some(before) = filter.before {
        let p = next(&mut binds, Bind::Int(before));
        sql.push_str(&format!(" AND created_at < {p}"));
    }
    (sql, binds)
}

fn sqlite_fts(db: &Db) -> bool {
    db.backend() == crate::db::Backend::Sqlite && db.audit_text_index()
}

fn bind_all<'q>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, AuditRow, sqlx::any::AnyArguments<'q>>,
    binds: Vec<Bind>,
) -> sqlx::query::QueryAs<'q, sqlx::Any, AuditRow, sqlx::any::AnyArguments<'q>> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

/// Up to `limit` events of `tenant_id` matching `filter`, newest first, starting after `from`
/// (keyset paging: events inserted meanwhile never shift a page).
pub async fn search(
    db: &Db,
    tenant_id: &str,
    filter: &AuditFilter,
    from: Option<&Position>,
    limit: i64,
) -> RepoResult<Vec<AuditEvent>> {
    let (mut sql, mut binds) = conditions(tenant_id, filter, sqlite_text_plan(db, filter).await?);
    let mut order = "DESC";
    if let Some(pos) = from {
        binds.push(Bind::Int(pos.created_at));
        let at = binds.len();
        binds.push(Bind::Text(pos.id.clone()));
        let id = binds.len();
        let cmp = if pos.older { "<" } else { ">" };
        // A row-value comparison: both backends seek the (tenant, time, id) index with it,
        // where the equivalent OR form makes PostgreSQL read every newer event and drop it.
        sql.push_str(&format!(" AND (created_at, id) {cmp} (${at}, ${id})"));
        if !pos.older {
            order = "ASC";
        }
    }
    binds.push(Bind::Int(limit));
    let query = format!(
        "SELECT {COLUMNS} FROM audit_events WHERE {sql}
          ORDER BY created_at {order}, id {order} LIMIT ${}",
        binds.len()
    );
    // Not a cached prepared statement: PostgreSQL switches a statement run five times to a
    // generic plan that cannot see the LIKE pattern, and for a word the tenant lacks that plan
    // walks all its events (300 ms in bench/audit.sh) where the planned-per-value one reads
    // the tenant's GIN entries (2 ms).
    let rows: Vec<AuditRow> = bind_all(sqlx::query_as(&query).persistent(false), binds)
        .fetch_all(db.pool())
        .await?;
    let mut events: Vec<AuditEvent> = rows.into_iter().map(|r| r.0).collect();
    if order == "ASC" {
        events.reverse();
    }
    Ok(events)
}

/// The number of events matching `filter` per UTC day: `(day number since the epoch, count)`,
/// days without events left out.
pub async fn daily_counts(
    db: &Db,
    tenant_id: &str,
    filter: &AuditFilter,
) -> RepoResult<Vec<(i64, i64)>> {
    let (sql, binds) = conditions(tenant_id, filter, sqlite_text_plan(db, filter).await?);
    let query = format!(
        "SELECT created_at / 86400000 AS day, COUNT(*) AS n FROM audit_events WHERE {sql}
          GROUP BY created_at / 86400000 ORDER BY day"
    );
    // Planned for its values each time, as `search` (above).
    let mut q = sqlx::query(&query).persistent(false);
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    let rows = q.fetch_all(db.pool()).await?;
    rows.iter()
        .map(|r| Ok((r.try_get::<i64, _>("day")?, r.try_get::<i64, _>("n")?)))
        .collect()
}

/// The distinct actions in a tenant's log.
pub async fn actions(db: &Db, tenant_id: &str) -> RepoResult<Vec<String>> {
    let rows = sqlx::query("SELECT DISTINCT action FROM audit_events WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("action"))
        .collect()
}

/// Deletes up to `batch` events recorded before `before` (ms since the epoch), oldest
/// first; the number deleted. Small batches keep each transaction (and SQLite's write lock)
/// short.
pub async fn purge_before(db: &Db, before: i64, batch: i64) -> RepoResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM audit_events WHERE id IN
           (SELECT id FROM audit_events WHERE created_at < $1 ORDER BY created_at LIMIT $2)",
    )
    .bind(before)
    .bind(batch)
    .execute(db.pool())
    .await?
    .rows_affected())
}

/// Every event, newest first (operations and tests).
pub async fn all(db: &Db, limit: i64) -> RepoResult<Vec<AuditEvent>> {
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM audit_events ORDER BY created_at DESC, id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

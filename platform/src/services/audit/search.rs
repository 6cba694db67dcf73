//! Searching a tenant's audit log: the query parsed into a typed filter (each bad value
//! refused with its parameter named), keyset pages newest first with opaque cursors, the
//! per-day summary of the chart, the CSV export (streamed in batches, audited), and the
//! retention purge.

use std::time::Duration;

use base64::Engine;
use futures::Stream;
use serde_json::json;
use wire::audit::{AuditDay, AuditPage, AuditQuery, AuditSummary};

use super::AuditRecorder;
use crate::domain::{AuditEvent, Outcome};
use crate::repo::audit::{self as repo, ActionMatch, AuditFilter, Position};
use crate::repo::leases::{self, Lease};
use crate::services::access::TenantAdmin;
use crate::{now_ms, Ctx, Db};

const DAY_MS: i64 = 86_400_000;
/// Rows per database round trip of the export.
const EXPORT_BATCH: i64 = 1_000;
/// The chart covers at most this many days (the most recent of the range).
const CHART_DAYS: i64 = 92;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("The audit log could not be read: {0}")]
    Store(#[from] sqlx::Error),
}

fn invalid(field: &'static str, message: impl Into<String>) -> AuditError {
    AuditError::Invalid {
        field,
        message: message.into(),
    }
}

/// A parsed search: the filter, the page size and where the page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditSearch {
    pub filter: AuditFilter,
    /// 1–500.
    pub limit: i64,
    pub from: Option<Position>,
}

impl AuditSearch {
    /// Parses the query as sent (see [`AuditQuery`] for the parameters). Errors name the
    /// parameter: `q`, `action`, `outcome`, `actor`, `partner`, `since`, `before`, `limit`,
    /// `cursor`.
    pub fn parse(q: &AuditQuery) -> Result<Self, AuditError> {
        let text = match q.q.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) if t.chars().count() > 200 => {
                return Err(invalid(
                    "q",
                    "The search text can be at most 200 characters.",
                ))
            }
            Some(t) => Some(t.to_lowercase()),
        };
        let actions = q
            .action
            .iter()
            .map(|a| parse_action(a))
            .collect::<Result<Vec<_>, _>>()?;
        if actions.len() > 20 {
            return Err(invalid("action", "At most 20 actions can be combined."));
        }
        let mut outcomes = Vec::new();
        for o in &q.outcome {
            let parsed = match o.as_str() {
                "success" => Outcome::Success,
                "failure" => Outcome::Failure,
                "denied" => Outcome::Denied,
                other => {
                    return Err(invalid(
                        "outcome",
                        format!("Unknown outcome {other:?}: use success, failure or denied."),
                    ))
                }
            };
            if !outcomes.contains(&parsed) {
                outcomes.push(parsed);
            }
        }
        let actor = match q.actor.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) if a.contains('@') && a.len() <= 254 && !a.contains(char::is_whitespace) => {
                Some(a.to_lowercase())
            }
            Some(a) => {
                return Err(invalid(
                    "actor",
                    format!(
                        "{a:?} is not an email address; the actor filter takes the person's email."
                    ),
                ))
            }
        };
        let partner = match q.partner.as_deref() {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(invalid(
                    "partner",
                    format!("partner must be true or false (got {other:?})."),
                ))
            }
        };
        let mut since = q
            .since
            .as_deref()
            .map(|s| parse_time("since", s))
            .transpose()?;
        if let Some(r) = q.range.as_deref() {
            let span = match r {
                "24h" => DAY_MS,
                "7d" => 7 * DAY_MS,
                "30d" => 30 * DAY_MS,
                "custom" => 0,
                other => {
                    return Err(invalid(
                        "range",
                        format!("range must be 24h, 7d, 30d or custom (got {other:?})."),
                    ))
                }
            };
            // A preset wins over `since`: the form keeps sending the custom dates it shows.
            if span > 0 {
                since = Some(now_ms() - span);
            }
        }
        let before = q
            .before
            .as_deref()
            .map(|s| parse_time("before", s))
            .transpose()?;
        if let (Some(s), Some(b)) = (since, before) {
            if s >= b {
                return Err(invalid("before", "before must be later than since."));
            }
        }
        let limit = match q.limit.as_deref() {
            None => 50,
            Some(l) => match l.parse::<i64>() {
                Ok(n) if (1..=500).contains(&n) => n,
                _ => {
                    return Err(invalid(
                        "limit",
                        format!("limit must be a whole number from 1 to 500 (got {l:?})."),
                    ))
                }
            },
        };
        let from = q.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(Self {
            filter: AuditFilter {
                text,
                actions,
                outcomes,
                actor,
                partner,
                since,
                before,
            },
            limit,
            from,
        })
    }
}

fn parse_action(a: &str) -> Result<ActionMatch, AuditError> {
    let ok = !a.is_empty()
        && a.len() <= 100
        && !a.starts_with('.')
        && a.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !ok {
        return Err(invalid(
            "action",
            format!("{a:?} is not an action: use names like member.create, or a prefix ending in a dot like member."),
        ));
    }
    Ok(if a.ends_with('.') {
        ActionMatch::Prefix(a.to_string())
    } else {
        ActionMatch::Exact(a.to_string())
    })
}

/// RFC 3339, or a bare date (`2026-11-30`: midnight UTC).
fn parse_time(field: &'static str, s: &str) -> Result<i64, AuditError> {
    let date = || {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis())
    };
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .ok()
        .or_else(date)
        .ok_or_else(|| {
            invalid(
                field,
                format!("{field} must be a date (2026-11-30) or an RFC 3339 time such as 2026-11-30T08:00:00Z (got {s:?})."),
            )
        })
}

/// The opaque cursor of a position: base64url of `o|n`, the time and the id.
fn encode_cursor(p: &Position) -> String {
    let dir = if p.older { 'o' } else { 'n' };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("{dir}|{}|{}", p.created_at, p.id))
}

fn decode_cursor(c: &str) -> Result<Position, AuditError> {
    let bad = || {
        invalid(
            "cursor",
            "The cursor is not one this audit log gave out; start again from the first page.",
        )
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .map_err(|_| bad())?;
    let raw = String::from_utf8(raw).map_err(|_| bad())?;
    let mut parts = raw.splitn(3, '|');
    let older = match parts.next() {
        Some("o") => true,
        Some("n") => false,
        _ => return Err(bad()),
    };
    let created_at = parts
        .next()
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(bad)?;
    let id = parts
        .next()
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .ok_or_else(bad)?;
    Ok(Position {
        created_at,
        id: id.to_string(),
        older,
    })
}

fn position(e: &AuditEvent, older: bool) -> Position {
    Position {
        created_at: e.created_at,
        id: e.id.clone(),
        older,
    }
}

/// `YYYY-MM-DD` of a day number since the epoch.
fn day_label(day: i64) -> String {
    chrono::DateTime::from_timestamp_millis(day * DAY_MS)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// An RFC 3339 UTC time of ms since the epoch (millisecond precision).
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A running CSV export: its file name and its body, produced as it is read.
pub struct AuditExport {
    /// `audit-<tenant>-<YYYY-MM-DD>.csv` (UTC date of the export).
    pub file_name: String,
    pub body: std::pin::Pin<Box<dyn Stream<Item = Result<Vec<u8>, std::io::Error>> + Send>>,
}

/// Searches, summarises, exports and purges audit events.
#[derive(Clone, Debug)]
pub struct AuditService {
    db: Db,
    recorder: AuditRecorder,
}

impl AuditService {
    pub fn new(db: Db, recorder: AuditRecorder) -> Self {
        Self { db, recorder }
    }

    /// One page of the tenant's events matching `q`, newest first (see [`AuditPage`]).
    /// Errors: [`AuditError::Invalid`] naming the parameter.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn search(
        &self,
        admin: &TenantAdmin,
        q: &AuditQuery,
    ) -> Result<AuditPage, AuditError> {
        let s = AuditSearch::parse(q)?;
        let tenant = &admin.tenant().id;
        // One more than asked tells whether there is a page beyond.
        let mut events =
            repo::search(&self.db, tenant, &s.filter, s.from.as_ref(), s.limit + 1).await?;
        let going_newer = s.from.as_ref().is_some_and(|p| !p.older);
        let more = events.len() as i64 > s.limit;
        if more {
            if going_newer {
                // Newest first, and the extra one is the newest: it belongs to the page before.
                events.remove(0);
            } else {
                events.truncate(s.limit as usize);
            }
        }
        let (has_older, has_newer) = if going_newer {
            (true, more)
        } else {
            (more, s.from.is_some())
        };
        Ok(AuditPage {
            next_cursor: has_older
                .then(|| events.last().map(|e| encode_cursor(&position(e, true))))
                .flatten(),
            prev_cursor: has_newer
                .then(|| events.first().map(|e| encode_cursor(&position(e, false))))
                .flatten(),
            events,
        })
    }

    /// Events per UTC day over the searched range (the last 30 days when `since` is not
    /// given; at most the last 92 days of the range), and the action families present.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub async fn summary(
        &self,
        admin: &TenantAdmin,
        q: &AuditQuery,
    ) -> Result<AuditSummary, AuditError> {
        let mut s = AuditSearch::parse(&q.without_paging())?;
        let now = now_ms();
        let end = s.filter.before.unwrap_or(now + 1);
        let start = s.filter.since.unwrap_or(end - 30 * DAY_MS);
        let (first_day, last_day) = (start.div_euclid(DAY_MS), (end - 1).div_euclid(DAY_MS));
        let first_day = first_day.max(last_day - CHART_DAYS + 1);
        s.filter.since = Some(start.max(first_day * DAY_MS));
        s.filter.before = Some(end);
        let tenant = &admin.tenant().id;
        let counts = repo::daily_counts(&self.db, tenant, &s.filter).await?;
        let days: Vec<AuditDay> = (first_day..=last_day)
            .map(|d| AuditDay {
                day: day_label(d),
                count: counts
                    .iter()
                    .find(|(day, _)| *day == d)
                    .map_or(0, |(_, n)| *n),
            })
            .collect();
        let mut families: Vec<String> = repo::actions(&self.db, tenant)
            .await?
            .iter()
            .map(|a| repo::action_family(a).to_string())
            .collect();
        families.sort();
        families.dedup();
        Ok(AuditSummary {
            total: days.iter().map(|d| d.count).sum(),
            days,
            families,
        })
    }

    /// Starts the CSV export of every event matching `q` (paging ignored), newest first.
    /// RFC 4180 (the `csv` crate); cells that a spreadsheet would run as a formula (starting
    /// with `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'` (OWASP "CSV
    /// Injection"). Rows are read and written in batches of 1,000, so memory stays flat
    /// whatever the size. When the body ends (or the client goes away) `audit.export` is
    /// recorded with the filter and the row count.
    #[tracing::instrument(skip_all, fields(tenant = %admin.tenant().slug))]
    pub fn export(
        &self,
        ctx: &Ctx,
        admin: &TenantAdmin,
        q: &AuditQuery,
    ) -> Result<AuditExport, AuditError> {
        let query = q.without_paging();
        let s = AuditSearch::parse(&query)?;
        let tenant = admin.tenant().clone();
        let file_name = format!(
            "audit-{}-{}.csv",
            tenant.slug,
            chrono::Utc::now().format("%Y-%m-%d")
        );
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
        let db = self.db.clone();
        let recorder = self.recorder.clone();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            let mut rows: u64 = 0;
            let mut from: Option<Position> = None;
            let mut header = true;
            let outcome = loop {
                let batch = match repo::search(
                    &db,
                    &tenant.id,
                    &s.filter,
                    from.as_ref(),
                    EXPORT_BATCH,
                )
                .await
                {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(error = %e, "the audit export failed reading the database");
                        let _ = tx
                            .send(Err(std::io::Error::other("the database failed")))
                            .await;
                        break Outcome::Failure;
                    }
                };
                let chunk = match csv_chunk(&batch, header) {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::error!(error = %e, "the audit export could not write CSV");
                        let _ = tx
                            .send(Err(std::io::Error::other("CSV writing failed")))
                            .await;
                        break Outcome::Failure;
                    }
                };
                header = false;
                if tx.send(Ok(chunk)).await.is_err() {
                    break Outcome::Failure; // the client went away
                }
                rows += batch.len() as u64;
                if (batch.len() as i64) < EXPORT_BATCH {
                    break Outcome::Success;
                }
                from = batch.last().map(|e| position(e, true));
            };
            recorder
                .record_in(
                    &ctx,
                    &tenant.id,
                    "audit.export",
                    &tenant.slug,
                    outcome,
                    json!({ "filter": query.to_pairs().into_iter().collect::<std::collections::BTreeMap<_, _>>(), "rows": rows }),
                )
                .await;
        });
        let body = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
        Ok(AuditExport {
            file_name,
            body: Box::pin(body),
        })
    }

    /// Deletes events older than `retention` in batches of 5,000, under the
    /// `audit-retention` job lease (10 minutes; one instance at a time) and for at most five
    /// minutes per run; the number deleted, or `None` when another instance holds the lease.
    pub async fn purge_expired(
        &self,
        retention: Duration,
        holder: &str,
    ) -> Result<Option<u64>, AuditError> {
        let lease = Lease::Job("audit-retention");
        if !leases::try_take(&self.db, lease, holder, 10 * 60_000).await? {
            return Ok(None);
        }
        let before =
            now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        // Well inside the lease: what is left waits for the next run.
        let budget = std::time::Instant::now() + Duration::from_secs(5 * 60);
        let mut total = 0;
        let result = loop {
            match repo::purge_before(&self.db, before, 5_000).await {
                Ok(0) => break Ok(Some(total)),
                Ok(n) => total += n,
                Err(e) => break Err(e.into()),
            }
            if std::time::Instant::now() > budget {
                break Ok(Some(total));
            }
        };
        if let Err(e) = leases::release(&self.db, lease, holder).await {
            tracing::warn!(error = %e, "could not give back the audit-retention lease; it expires on its own");
        }
        result
    }
}

/// One batch as CSV (with the header row first when `header`).
fn csv_chunk(events: &[AuditEvent], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(events.len() * 256));
    if header {
        w.write_record([
            "time",
            "actor",
            "partner_staff",
            "action",
            "target",
            "outcome",
            "ip",
            "user_agent",
            "request_id",
            "details",
        ])?;
    }
    for e in events {
        let details = e.details.to_string();
        w.write_record([
            rfc3339(e.created_at).as_str(),
            &neutralise(
                e.actor_email
                    .as_deref()
                    .or(e.actor_user_id.as_deref())
                    .unwrap_or("system"),
            ),
            if e.actor_partner_staff { "yes" } else { "no" },
            &neutralise(&e.action),
            &neutralise(&e.target),
            e.outcome.as_str(),
            &neutralise(e.ip.as_deref().unwrap_or("")),
            &neutralise(e.user_agent.as_deref().unwrap_or("")),
            &neutralise(e.request_id.as_deref().unwrap_or("")),
            &neutralise(&details),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A cell a spreadsheet would evaluate (`=`, `+`, `-`, `@`, tab, carriage return first) gets
/// a leading `'`, so it shows as text (OWASP, "CSV Injection").
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> AuditQuery {
        AuditQuery::from_pairs(pairs.iter().copied())
    }

    fn field_of(r: Result<AuditSearch, AuditError>) -> &'static str {
        match r {
            Err(AuditError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_parameter_is_named() {
        for (pairs, field) in [
            (vec![("limit", "0")], "limit"),
            (vec![("limit", "501")], "limit"),
            (vec![("limit", "ten")], "limit"),
            (vec![("outcome", "ok")], "outcome"),
            (vec![("since", "yesterday")], "since"),
            (vec![("before", "2026-13-01T00:00:00Z")], "before"),
            (
                vec![
                    ("since", "2026-11-30T00:00:00Z"),
                    ("before", "2026-11-29T00:00:00Z"),
                ],
                "before",
            ),
            (vec![("action", "Member.Create")], "action"),
            (vec![("action", ".member")], "action"),
            (vec![("actor", "not an email")], "actor"),
            (vec![("partner", "maybe")], "partner"),
            (vec![("range", "1y")], "range"),
            (vec![("cursor", "!!")], "cursor"),
            (vec![("cursor", "eHx5fHo")], "cursor"),
        ] {
            assert_eq!(field_of(AuditSearch::parse(&q(&pairs))), field, "{pairs:?}");
        }
    }

    #[test]
    fn a_query_parses_into_the_typed_filter() {
        let s = AuditSearch::parse(&q(&[
            ("q", "  Bob@Example.com "),
            ("action", "member.,domain.verify"),
            ("outcome", "denied,failure,denied"),
            ("actor", "Alice@Acme.example"),
            ("since", "2026-11-01T00:00:00+01:00"),
            ("limit", "500"),
        ]))
        .unwrap();
        assert_eq!(s.filter.text.as_deref(), Some("bob@example.com"));
        assert_eq!(
            s.filter.actions,
            [
                ActionMatch::Prefix("member.".into()),
                ActionMatch::Exact("domain.verify".into())
            ]
        );
        assert_eq!(s.filter.outcomes, [Outcome::Denied, Outcome::Failure]);
        assert_eq!(s.filter.actor.as_deref(), Some("alice@acme.example"));
        assert_eq!(s.filter.since, Some(1_793_487_600_000));
        assert_eq!(s.limit, 500);
        let d = AuditSearch::parse(&q(&[("before", "2026-11-30")])).unwrap();
        assert_eq!(d.filter.before, Some(1_795_996_800_000));
    }

    #[test]
    fn cursors_round_trip_and_are_opaque() {
        let p = Position {
            created_at: 1_764_000_000_123,
            id: "0193-abc".into(),
            older: false,
        };
        let c = encode_cursor(&p);
        assert!(!c.contains("0193"), "{c}");
        assert_eq!(decode_cursor(&c).unwrap(), p);
    }

    #[test]
    fn formula_cells_are_neutralised_and_quoting_is_rfc4180() {
        let e = AuditEvent {
            id: "1".into(),
            tenant_id: Some("t".into()),
            actor_user_id: None,
            actor_email: Some("=HYPERLINK(\"http://evil\")".into()),
            actor_partner_staff: false,
            action: "member.create".into(),
            target: "@SUM(1+1)".into(),
            outcome: Outcome::Success,
            ip: Some("-2+3".into()),
            user_agent: Some("\tcmd".into()),
            request_id: Some("+1".into()),
            details: serde_json::json!({"note": "a, \"quoted\"\nline"}),
            created_at: 0,
        };
        let out = String::from_utf8(csv_chunk(&[e], true).unwrap()).unwrap();
        let mut r = csv::ReaderBuilder::new().from_reader(out.as_bytes());
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(&row[0], "1970-01-01T00:00:00.000Z");
        assert_eq!(&row[1], "'=HYPERLINK(\"http://evil\")");
        assert_eq!(&row[4], "'@SUM(1+1)");
        assert_eq!(&row[6], "'-2+3");
        assert_eq!(&row[7], "'\tcmd");
        assert_eq!(&row[8], "'+1");
        assert_eq!(&row[9], r#"{"note":"a, \"quoted\"\nline"}"#);
        assert!(out.contains(r#""'=HYPERLINK(""http://evil"")""#), "{out}");
    }
}

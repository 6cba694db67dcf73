//! The audit log as searched: the filter as it travels in a URL (the page's address and the
//! API's query string are the same), a page of events with its cursors, and the summary the
//! chart and the action chips show.

use serde::{Deserialize, Serialize};

use crate::tenants::AuditEvent;

/// A search of a tenant's audit log as written in a URL query, before parsing: every value
/// is the text the person (or script) sent. `platform` parses it into a typed filter and
/// refuses bad values with the parameter named.
///
/// Parameters: `q` (free text over actor, action, target, details and IP), `action` (one
/// or several, repeated or comma-separated; a value ending in `.` is a prefix such as
/// `member.`), `outcome` (`success`, `failure`, `denied`; one or several), `actor` (email),
/// `partner` (`true`: partner staff actions only; `false`: none of them), `since` and
/// `before` (RFC 3339 or a date, UTC midnight), `range` (`24h`, `7d`, `30d`: since that long
/// before now, in place of `since`; a shared link keeps meaning "the last 7 days"; `custom`:
/// `since` and `before` as given), `limit` (1–500, default 50)
/// and `cursor` (opaque, from a page).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditQuery {
    pub q: Option<String>,
    pub action: Vec<String>,
    pub outcome: Vec<String>,
    pub actor: Option<String>,
    pub partner: Option<String>,
    pub since: Option<String>,
    pub before: Option<String>,
    pub range: Option<String>,
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

impl AuditQuery {
    /// Reads `key=value` pairs (already percent-decoded), as from `form_urlencoded::parse`.
    /// Repeated and comma-separated `action` and `outcome` values add up; empty values are
    /// ignored; unknown keys are ignored (a shared link may carry the page's own state).
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut out = Self::default();
        for (k, v) in pairs {
            let v = v.as_ref().trim();
            if v.is_empty() {
                continue;
            }
            let many = |list: &mut Vec<String>| {
                list.extend(
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                )
            };
            match k.as_ref() {
                "q" => out.q = Some(v.to_string()),
                "action" => many(&mut out.action),
                "outcome" => many(&mut out.outcome),
                "actor" => out.actor = Some(v.to_string()),
                "partner" => out.partner = Some(v.to_string()),
                "since" => out.since = Some(v.to_string()),
                "before" => out.before = Some(v.to_string()),
                "range" => out.range = Some(v.to_string()),
                "limit" => out.limit = Some(v.to_string()),
                "cursor" => out.cursor = Some(v.to_string()),
                _ => {}
            }
        }
        out
    }

    /// The `key=value` pairs of this query (not encoded), in a stable order; `from_pairs`
    /// reads them back to the same query.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut one = |k: &'static str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((k, v.clone()));
            }
        };
        one("q", &self.q);
        one("actor", &self.actor);
        one("partner", &self.partner);
        one("since", &self.since);
        one("before", &self.before);
        one("range", &self.range);
        one("limit", &self.limit);
        one("cursor", &self.cursor);
        if !self.action.is_empty() {
            out.push(("action", self.action.join(",")));
        }
        if !self.outcome.is_empty() {
            out.push(("outcome", self.outcome.join(",")));
        }
        out
    }

    /// The same search without paging: what the CSV export and the chart cover.
    pub fn without_paging(&self) -> Self {
        Self {
            cursor: None,
            limit: None,
            ..self.clone()
        }
    }
}

/// One page of a search, newest first. `next_cursor` continues with older events (none when
/// this page reaches the oldest match); `prev_cursor` goes back to newer ones (none on the
/// first page).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
    pub prev_cursor: Option<String>,
}

/// The number of matching events on one UTC day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub count: i64,
}

/// What the Audit page shows above the list: events per day over the searched range (every
/// day of the range, zeros included; at most 92 days, the most recent ones) and the action
/// families present in the tenant's log (`member`, `domain`, …) for the filter chips.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSummary {
    pub days: Vec<AuditDay>,
    pub total: i64,
    pub families: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::AuditQuery;

    #[test]
    fn pairs_round_trip_and_lists_add_up() {
        let q = AuditQuery::from_pairs([
            ("q", "alice"),
            ("action", "member.,domain.verify"),
            ("action", "security."),
            ("outcome", "denied"),
            ("limit", "20"),
            ("range", "7d"),
            ("ignored", "x"),
            ("actor", " "),
        ]);
        assert_eq!(q.action, ["member.", "domain.verify", "security."]);
        assert_eq!(q.outcome, ["denied"]);
        assert_eq!(q.actor, None);
        let back = AuditQuery::from_pairs(q.to_pairs());
        assert_eq!(back, q);
    }
}

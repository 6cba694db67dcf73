//! The audit log: filters, cursor paging that holds while events are written, partner actions
//! marked and filterable, bad parameters named, the CSV export (RFC 4180 quoting, formula
//! cells neutralised, audited with its row count), and the retention purge under two
//! instances at once.

use std::collections::BTreeSet;

use platform::db::Backend;
use platform::domain::Outcome;
use platform::on_both_backends;
use platform::repo::audit::NewAuditRow;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const DAY: i64 = 86_400_000;

async fn acme_id(app: &TestApp) -> String {
    platform::repo::identity::tenant_by_slug(&app.platform.db, "acme")
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Writes an event straight to the log (as the recorder would), `age_ms` before `base`
/// (ms since the epoch).
#[allow(clippy::too_many_arguments)]
async fn seed(
    app: &TestApp,
    tenant: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    actor: &str,
    partner: bool,
    details: &str,
    (base, age_ms): (i64, i64),
) -> String {
    let id = platform::new_id();
    platform::repo::audit::insert(
        &app.platform.db,
        &NewAuditRow {
            id: &id,
            tenant_id: Some(tenant),
            actor_user_id: None,
            actor_email: Some(actor),
            actor_partner_staff: partner,
            action,
            target,
            outcome,
            ip: Some("198.51.100.7"),
            user_agent: Some("test"),
            request_id: Some("seed"),
            details,
            created_at: base - age_ms,
        },
    )
    .await
    .unwrap();
    id
}

async fn get(app: &TestApp, b: &Browser, query: &str) -> (StatusCode, Value) {
    let r = b
        .get(&app.url(&format!("/api/tenants/acme/audit?{query}")))
        .await;
    let status = r.status();
    (status, r.json().await.unwrap())
}

fn ids(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

async fn filters_and_cursor_paging_hold_while_events_are_written(backend: Backend) {
    let app = spawn_app(backend).await;
    assert!(
        app.platform.db.audit_text_index(),
        "the free-text index (pg_trgm / FTS5 trigram) exists"
    );
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let acme = acme_id(&app).await;
    let globex = platform::repo::identity::tenant_by_slug(&app.platform.db, "globex")
        .await
        .unwrap()
        .unwrap()
        .id;
    // 12 marked events, one every ten minutes, newest first by index; and one in globex.
    let mut seeded = Vec::new();
    let base = platform::now_ms();
    for i in 0..12 {
        let (action, outcome, actor) = match i % 3 {
            0 => ("member.create", Outcome::Success, "olivia@acme.example"),
            1 => ("domain.verify", Outcome::Failure, "adam@acme.example"),
            _ => ("member.suspend", Outcome::Denied, "pat@northwind.example"),
        };
        let id = seed(
            &app,
            &acme,
            action,
            &format!("seedmark-{i}"),
            outcome,
            actor,
            i % 3 == 2,
            "{}",
            (base, (i + 1) * 600_000),
        )
        .await;
        seeded.push(id);
    }
    seed(
        &app,
        &globex,
        "member.create",
        "seedmark-globex",
        Outcome::Success,
        "gina@globex.example",
        false,
        "{}",
        (base, 1),
    )
    .await;

    // Page 1 of 5, newest first.
    let (s, p1) = get(&app, &admin, "q=seedmark&limit=5").await;
    assert_eq!(s, StatusCode::OK, "{p1}");
    assert_eq!(ids(&p1), seeded[0..5], "{p1}");
    assert!(p1["prev_cursor"].is_null());
    // Events written while the pages are read (newer ones, from another task) shift nothing.
    let writer = {
        let db = app.platform.db.clone();
        let acme = acme.clone();
        tokio::spawn(async move {
            for _ in 0..40 {
                let id = platform::new_id();
                platform::repo::audit::insert(
                    &db,
                    &NewAuditRow {
                        id: &id,
                        tenant_id: Some(&acme),
                        actor_user_id: None,
                        actor_email: Some("olivia@acme.example"),
                        actor_partner_staff: false,
                        action: "member.create",
                        target: "seedmark-new",
                        outcome: Outcome::Success,
                        ip: None,
                        user_agent: None,
                        request_id: None,
                        details: "{}",
                        created_at: platform::now_ms(),
                    },
                )
                .await
                .unwrap();
            }
        })
    };
    let next = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = get(&app, &admin, &format!("q=seedmark&limit=5&cursor={next}")).await;
    assert_eq!(ids(&p2), seeded[5..10]);
    let (_, p3) = get(
        &app,
        &admin,
        &format!(
            "q=seedmark&limit=5&cursor={}",
            p2["next_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(ids(&p3), seeded[10..12]);
    assert!(p3["next_cursor"].is_null(), "the last page has no next");
    writer.await.unwrap();
    // Back to newer: page 2 again, then page 1 as it was.
    let (_, back) = get(
        &app,
        &admin,
        &format!(
            "q=seedmark&limit=5&cursor={}",
            p3["prev_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(ids(&back), seeded[5..10]);
    let (_, first) = get(
        &app,
        &admin,
        &format!(
            "q=seedmark&limit=5&cursor={}",
            back["prev_cursor"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(ids(&first), seeded[0..5]);
    assert!(
        !first["prev_cursor"].is_null(),
        "the new events are newer still"
    );

    // Filters: family prefix, exact action, several at once, outcome, actor, partner, time.
    let count = |v: &Value| v["events"].as_array().unwrap().len();
    let (_, v) = get(&app, &admin, "q=seedmark-&action=member.&limit=500").await;
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"].as_str().unwrap().starts_with("member.")));
    assert_eq!(count(&v), 8 + 40, "{v}");
    let (_, v) = get(&app, &admin, "q=seedmark&action=domain.verify").await;
    assert_eq!(count(&v), 4);
    let (_, v) = get(
        &app,
        &admin,
        "q=seedmark&action=domain.verify&action=member.suspend",
    )
    .await;
    assert_eq!(count(&v), 8);
    let (_, v) = get(&app, &admin, "q=seedmark&outcome=denied,failure").await;
    assert_eq!(count(&v), 8);
    let (_, v) = get(&app, &admin, "q=seedmark&actor=Adam@Acme.example").await;
    assert_eq!(count(&v), 4);
    let (_, v) = get(&app, &admin, "q=seedmark&partner=true").await;
    assert_eq!(count(&v), 4);
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_partner_staff"] == true));
    let since = chrono_like(base - 35 * 60_000);
    let (_, v) = get(&app, &admin, &format!("q=seedmark-&since={since}")).await;
    assert_eq!(
        count(&v),
        3 + 40,
        "3 seeded in the 35 minutes before and the 40 new"
    );
    let (_, v) = get(&app, &admin, "q=seedmark%25").await;
    assert_eq!(count(&v), 0, "% is literal: {v}");
    let (_, v) = get(&app, &admin, "q=k-4&action=domain.verify").await;
    assert_eq!(count(&v), 1, "short searches work too (seedmark-4): {v}");
    let (_, v) = get(&app, &admin, "q=SEEDMARK-GLOBEX").await;
    assert_eq!(count(&v), 0, "another tenant's events never show");

    // The summary: the chart's days and the families present.
    let r = admin
        .get(&app.url("/api/tenants/acme/audit/summary?q=seedmark&range=7d"))
        .await;
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["total"], 12 + 40, "{summary}");
    assert_eq!(
        summary["days"].as_array().unwrap().len(),
        8,
        "7 days back and today"
    );
    let families: BTreeSet<&str> = summary["families"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        families.contains("member") && families.contains("domain"),
        "{summary}"
    );

    // Bad values: 400 naming the parameter, with the request id.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=9999", "limit"),
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        (
            "since=2026-11-30T00:00:00Z&before=2026-11-01T00:00:00Z",
            "before",
        ),
        ("cursor=not-a-cursor", "cursor"),
        ("action=DROP%20TABLE", "action"),
        ("range=1y", "range"),
    ] {
        let (s, body) = get(&app, &admin, query).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{query}: {body}");
        assert_eq!(body["error"], "invalid");
        assert!(!body["request_id"].as_str().unwrap().is_empty());
    }
    app.cleanup().await;
}
on_both_backends!(
    filters_and_cursor_paging_hold_while_events_are_written,
    filters_and_cursor_paging_hold_while_events_are_written
);

/// RFC 3339 of ms since the epoch (UTC), as a person would type it.
fn chrono_like(ms: i64) -> String {
    let secs = ms / 1000;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Days to a civil date (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

async fn partner_actions_are_marked_and_filterable(backend: Backend) {
    let app = spawn_app(backend).await;
    let pat = Browser::new();
    app.sign_in(&pat, &PARTNER, "/").await;
    let r = app
        .server_fn(&pat, "enter_partner_mode", &[("tenant", "acme")])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (s, v) = get(&app, &pat, "partner=true").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let events = v["events"].as_array().unwrap();
    assert!(
        events.iter().any(|e| e["action"] == "partner.enter_tenant"),
        "{v}"
    );
    assert!(events.iter().all(|e| e["actor_partner_staff"] == true));
    let (_, v) = get(&app, &pat, "partner=false").await;
    assert!(v["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_partner_staff"] == false));
    app.cleanup().await;
}
on_both_backends!(
    partner_actions_are_marked_and_filterable,
    partner_actions_are_marked_and_filterable
);

async fn the_csv_export_quotes_neutralises_streams_and_is_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    let admin = Browser::new();
    app.sign_in(&admin, &ADMIN, "/").await;
    let acme = acme_id(&app).await;
    let hostile = [
        (
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1+1",
            r#"{"note":"a, \"quoted\"\nsecond line"}"#,
        ),
        ("@SUM(A1)", "-2", r#"{"note":"=1+1"}"#),
        ("\tcmd", "\rcr", "{}"),
    ];
    // Enough rows to take several batches of the stream.
    let base = platform::now_ms();
    for i in 0..2_100 {
        let (actor, target, details) = hostile[i % 3];
        seed(
            &app,
            &acme,
            "member.update",
            &format!("{target}csvmark{i}"),
            Outcome::Success,
            actor,
            false,
            details,
            (base, i as i64),
        )
        .await;
    }
    let r = admin
        .get(&app.url("/api/tenants/acme/audit.csv?q=csvmark&action=member.update"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-acme-20")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let body = r.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "time",
            "actor",
            "partner_staff",
            "action",
            "target",
            "outcome",
            "ip",
            "user_agent",
            "request_id",
            "details"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 2_100);
    // Newest first: row i is seed i.
    // (actors are kept lower-case)
    assert_eq!(&rows[0][1], "'=hyperlink(\"http://evil.example\",\"x\")");
    assert_eq!(&rows[0][4], "'+1+1csvmark0");
    assert_eq!(
        &rows[0][9],
        "{\"note\":\"a, \\\"quoted\\\"\\nsecond line\"}"
    );
    assert_eq!(&rows[1][1], "'@sum(a1)");
    assert_eq!(&rows[1][4], "'-2csvmark1");
    assert_eq!(&rows[2][1], "'\tcmd");
    assert_eq!(&rows[2][4], "'\rcrcsvmark2");
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a cell a spreadsheet would run: {cell:?}"
            );
        }
    }
    // The export is audited with its filter and row count (written before the body ends).
    let export = app
        .audit()
        .await
        .into_iter()
        .find(|e| e.action == "audit.export")
        .expect("audit.export recorded");
    assert_eq!(export.outcome, Outcome::Success);
    assert_eq!(export.details["rows"], 2_100, "{:?}", export.details);
    assert_eq!(export.details["filter"]["q"], "csvmark");
    assert_eq!(export.details["filter"]["action"], "member.update");
    assert_eq!(export.actor_email.as_deref(), Some(ADMIN.username));
    // A bad filter is a 400 like the search, not a broken file.
    let r = admin
        .get(&app.url("/api/tenants/acme/audit.csv?outcome=maybe"))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.cleanup().await;
}
on_both_backends!(
    the_csv_export_quotes_neutralises_streams_and_is_audited,
    the_csv_export_quotes_neutralises_streams_and_is_audited
);

async fn retention_purges_old_events_once_with_two_instances(backend: Backend) {
    let app = spawn_app(backend).await;
    let acme = acme_id(&app).await;
    let base = platform::now_ms();
    for i in 0..30 {
        seed(
            &app,
            &acme,
            "member.create",
            "old",
            Outcome::Success,
            "olivia@acme.example",
            false,
            "{}",
            (base, 401 * DAY + i),
        )
        .await;
    }
    let kept = seed(
        &app,
        &acme,
        "member.create",
        "recent",
        Outcome::Success,
        "olivia@acme.example",
        false,
        "{}",
        (base, 399 * DAY),
    )
    .await;
    let retention = std::time::Duration::from_secs(400 * 86_400);
    // Two instances' jobs at once: the lease lets one purge; together they purge each old
    // event exactly once.
    let (a, b) = tokio::join!(
        app.platform
            .audit_log
            .purge_expired(retention, "instance-a"),
        app.platform
            .audit_log
            .purge_expired(retention, "instance-b"),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.unwrap_or(0) + b.unwrap_or(0), 30, "{a:?} {b:?}");
    let left = app.audit().await;
    assert!(left.iter().all(|e| e.target != "old"));
    assert!(left.iter().any(|e| e.id == kept));
    // Nothing left to purge; the lease was given back.
    assert_eq!(
        app.platform
            .audit_log
            .purge_expired(retention, "instance-a")
            .await
            .unwrap(),
        Some(0)
    );
    app.cleanup().await;
}
on_both_backends!(
    retention_purges_old_events_once_with_two_instances,
    retention_purges_old_events_once_with_two_instances
);

//! Authenticated sessions, `/api/v3/core/authenticated_sessions/`
//! (`shared/reference/authentik.md` §5; upstream `authentik/core/api/authenticated_sessions.py`):
//! the browser sessions started at the sign-in form. List with the declared filters only
//! (`user__username`, `session__last_ip`, `session__last_user_agent`, `search`; **`user` is
//! not a filter**, so `?user=42` lists everyone's sessions, §5.1), get, and delete (§5.2:
//! ends the browser session and deletes its access tokens; refresh tokens survive).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::drf::{paginate, parse_uuid, QueryPairs};
use super::{authorize, not_found};
use crate::authentik::state::BrowserSession;
use crate::authentik::{AuthentikSandbox, State_};
use crate::clock;

/// A small user-agent parser for the `user_agent` object (ua-parser's shape).
fn parse_user_agent(ua: &str) -> Value {
    fn version_after(ua: &str, marker: &str) -> Vec<String> {
        ua.split_once(marker)
            .map(|(_, rest)| {
                rest.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .next()
                    .unwrap_or_default()
                    .split(['.', '_'])
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
    let part = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    let (family, version) = if ua.contains("Edg/") {
        ("Edge", version_after(ua, "Edg/"))
    } else if ua.contains("Firefox/") {
        ("Firefox", version_after(ua, "Firefox/"))
    } else if ua.contains("Chrome/") {
        ("Chrome", version_after(ua, "Chrome/"))
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        ("Safari", version_after(ua, "Version/"))
    } else if let Some((name, _)) = ua.split_once('/').filter(|_| !ua.starts_with("Mozilla")) {
        (name, version_after(ua, &format!("{name}/")))
    } else {
        ("Other", Vec::new())
    };
    let (os, os_version) = if ua.contains("Windows NT") {
        ("Windows", version_after(ua, "Windows NT "))
    } else if ua.contains("iPhone OS") {
        ("iOS", version_after(ua, "iPhone OS "))
    } else if ua.contains("Mac OS X") {
        ("Mac OS X", version_after(ua, "Mac OS X "))
    } else if ua.contains("Android") {
        ("Android", version_after(ua, "Android "))
    } else if ua.contains("Linux") {
        ("Linux", Vec::new())
    } else {
        ("Other", Vec::new())
    };
    let opt = |v: &[String], i: usize| v.get(i).cloned().map(Value::String).unwrap_or(Value::Null);
    let device = if ua.contains("iPhone") {
        json!({ "brand": "Apple", "family": "iPhone", "model": "iPhone" })
    } else if ua.contains("Macintosh") {
        json!({ "brand": "Apple", "family": "Mac", "model": "Mac" })
    } else {
        json!({ "brand": null, "family": "Other", "model": null })
    };
    json!({
        "device": device,
        "os": { "family": os, "major": opt(&os_version, 0), "minor": opt(&os_version, 1),
                "patch": opt(&os_version, 2), "patch_minor": opt(&os_version, 3) },
        "user_agent": { "family": family, "major": part(&version, 0), "minor": part(&version, 1),
                        "patch": part(&version, 2) },
        "string": ua,
    })
}

fn session_json(s: &BrowserSession) -> Value {
    json!({
        "uuid": s.uuid,
        "current": false,
        "user_agent": parse_user_agent(&s.last_user_agent),
        "geo_ip": null,
        "asn": null,
        "user": s.user_pk,
        "last_ip": s.last_ip,
        "last_user_agent": s.last_user_agent,
        "last_used": clock::drf(s.last_used),
        "expires": clock::drf(s.expires),
    })
}

pub(super) async fn list_sessions(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let now = clock::now();
    let username = |pk: i64| {
        st.users
            .iter()
            .find(|u| u.pk == pk)
            .map(|u| u.username.as_str())
            .unwrap_or_default()
    };
    // Declared filters only. `user` is NOT one: `?user=42` is ignored (django-filter), so it
    // returns every session of every user, as upstream.
    let by_username = q
        .get("user__username")
        .filter(|_| !st.ignore_session_user_filter);
    let search: Vec<String> = q
        .get("search")
        .map(|v| v.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let mut sessions: Vec<&BrowserSession> = st
        .browser_sessions
        .values()
        .filter(|x| x.expires > now)
        .filter(|x| by_username.is_none_or(|v| username(x.user_pk) == v))
        .filter(|x| q.get("session__last_ip").is_none_or(|v| x.last_ip == v))
        .filter(|x| {
            q.get("session__last_user_agent")
                .is_none_or(|v| x.last_user_agent == v)
        })
        .filter(|x| {
            search.iter().all(|term| {
                [username(x.user_pk), &x.last_ip, &x.last_user_agent]
                    .iter()
                    .any(|f| f.to_lowercase().contains(term))
            })
        })
        .collect();
    sessions.sort_by(|a, b| {
        (username(a.user_pk), a.last_used, &a.uuid).cmp(&(
            username(b.user_pk),
            b.last_used,
            &b.uuid,
        ))
    });
    let items = sessions.into_iter().map(session_json).collect();
    Json(paginate(items, &q.as_map())).into_response()
}

fn session_key_by_uuid(st: &State_, uuid: &str) -> Option<String> {
    let uuid = parse_uuid(uuid)?;
    let now = clock::now();
    st.browser_sessions
        .iter()
        .find(|(_, s)| s.uuid == uuid && s.expires > now)
        .map(|(k, _)| k.clone())
}

pub(super) async fn get_session(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let st = s.lock();
    match session_key_by_uuid(&st, &uuid).and_then(|k| st.browser_sessions.get(&k)) {
        Some(x) => Json(session_json(x)).into_response(),
        None => not_found(),
    }
}

pub(super) async fn delete_session(
    State(s): State<AuthentikSandbox>,
    headers: HeaderMap,
    Path(uuid): Path<String>,
) -> Response {
    if let Some(r) = authorize(&s, &headers) {
        return r;
    }
    let mut st = s.lock();
    let Some(key) = session_key_by_uuid(&st, &uuid) else {
        return not_found();
    };
    // §5.2: the session and its OAuth access tokens go; refresh tokens survive.
    st.end_browser_session(&key);
    StatusCode::NO_CONTENT.into_response()
}

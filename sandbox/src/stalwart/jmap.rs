//! The JMAP endpoints (`shared/reference/stalwart.md` §2, §4, §5.1; upstream
//! `crates/http/src/request.rs` and `crates/jmap/src/api/`): the session resource
//! (`GET /jmap/session`, the caller's account as primary account of `urn:stalwart:jmap`) and
//! `POST /jmap` — a non-JSON body or content type is 400 `notJSON`; each method call is
//! dispatched to its object's module in order, `"#<creationId>"` references to objects
//! created by earlier calls are resolved (§4.1), and method-level errors (`unknownMethod`,
//! `forbidden` for a mailbox user calling an `x:` method, injected `serverUnavailable`) are
//! answered in place of that call only.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::auth::{caller, unauthorized, Caller};
use super::dkim::{dkim_query, dkim_set};
use super::domains::{domain_get, domain_query, domain_set};
use super::principals::{principal_get, principal_query, principal_set};
use super::StalwartSandbox;

pub(super) async fn session(State(s): State<StalwartSandbox>, headers: HeaderMap) -> Response {
    let caps = json!({ "urn:ietf:params:jmap:core": { "maxObjectsInGet": 500, "maxObjectsInSet": 500, "maxCallsInRequest": 16 } });
    let (account_id, username) = match caller(&s, &headers) {
        None => return unauthorized(),
        Some(Caller::Admin) => ("b".to_string(), s.lock().user.clone()),
        Some(Caller::Account { id, address }) => (id, address),
    };
    Json(json!({
        "capabilities": caps,
        "accounts": { account_id.clone(): { "name": username, "isPersonal": true, "isReadOnly": false,
            "accountCapabilities": { "urn:stalwart:jmap": {} } } },
        "primaryAccounts": { "urn:stalwart:jmap": account_id },
        "username": username,
        "apiUrl": "https://mail.dezky.example/jmap/",
        "state": "s1",
    }))
    .into_response()
}

pub(super) async fn jmap(
    State(s): State<StalwartSandbox>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(who) = caller(&s, &headers) else {
        return unauthorized();
    };
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        if !ct.starts_with("application/json") {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "type": "urn:ietf:params:jmap:error:notJSON", "status": 400 })),
            )
                .into_response();
        }
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "type": "urn:ietf:params:jmap:error:notJSON", "status": 400 })),
        )
            .into_response();
    };
    let calls = request["methodCalls"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut responses = Vec::new();
    // Creation ids of earlier calls, for `"#<creationId>"` in id properties (§4.1).
    let mut creation_ids: HashMap<String, String> = HashMap::new();
    for call in calls {
        let (Some(method), mut args, Some(id)) =
            (call[0].as_str(), call[1].clone(), call[2].as_str())
        else {
            continue;
        };
        resolve_creation_ids(&mut args, &creation_ids, false);
        if matches!(who, Caller::Account { .. }) && method.starts_with("x:") {
            // A mailbox user holds none of the `sys*` permissions.
            responses.push(json!(["error", { "type": "forbidden",
                "description": "You do not have enough permissions to perform this action." }, id]));
            continue;
        }
        let injected = {
            let mut st = s.lock();
            let i = st.fail_next.iter().position(|m| m == method);
            i.map(|i| st.fail_next.remove(i)).is_some()
        };
        if injected {
            responses.push(json!(["error", { "type": "serverUnavailable",
                "description": "sandbox fault injection" }, id]));
            continue;
        }
        // RFC 8620 §5.1: more ids than `maxObjectsInGet` is `requestTooLarge`.
        if method.ends_with("/get") && args["ids"].as_array().is_some_and(|ids| ids.len() > 500) {
            responses.push(json!(["error", { "type": "requestTooLarge",
                "description": "The number of ids requested exceeds maxObjectsInGet (500)" }, id]));
            continue;
        }
        let (name, result) = match method {
            "x:Domain/get" => (method, domain_get(&s, &args)),
            "x:Domain/query" => (method, domain_query(&s, &args)),
            "x:Domain/set" => (method, domain_set(&s, &args)),
            "x:DkimSignature/query" => (method, dkim_query(&s, &args)),
            "x:DkimSignature/set" => (method, dkim_set(&s, &args)),
            "x:Account/set" => (method, principal_set(&s, &args, "Account")),
            "x:Account/get" => (method, principal_get(&s, &args, "Account")),
            "x:Account/query" => principal_query(&s, &args, "Account", method),
            "x:MailingList/get" => (method, principal_get(&s, &args, "MailingList")),
            "x:MailingList/set" => (method, principal_set(&s, &args, "MailingList")),
            "x:MailingList/query" => principal_query(&s, &args, "MailingList", method),
            _ => (
                "error",
                json!({ "type": "unknownMethod", "description": format!("Unknown method {method}") }),
            ),
        };
        for (cid, created) in result["created"].as_object().into_iter().flatten() {
            if let Some(new_id) = created["id"].as_str() {
                creation_ids.insert(cid.clone(), new_id.to_string());
            }
        }
        responses.push(json!([name, result, id]));
    }
    Json(json!({ "methodResponses": responses, "sessionState": "s1" })).into_response()
}

/// Replaces `"#<creationId>"` strings in id-typed properties (names ending in `Id`, or the
/// members of `…Ids` sets) of `create`/`update` objects with the ids created earlier.
fn resolve_creation_ids(v: &mut Value, ids: &HashMap<String, String>, id_property: bool) {
    match v {
        Value::String(s) if id_property => {
            if let Some(real) = s.strip_prefix('#').and_then(|c| ids.get(c)) {
                *s = real.clone();
            }
        }
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let is_set = k.ends_with("Ids");
                if is_set {
                    // Set members are the keys.
                    if let Some(Value::Object(members)) = m.get_mut(&k) {
                        let resolved: Map<String, Value> = std::mem::take(members)
                            .into_iter()
                            .map(|(member, val)| {
                                let member = member
                                    .strip_prefix('#')
                                    .and_then(|c| ids.get(c))
                                    .cloned()
                                    .unwrap_or(member);
                                (member, val)
                            })
                            .collect();
                        *members = resolved;
                    }
                    continue;
                }
                if let Some(child) = m.get_mut(&k) {
                    resolve_creation_ids(child, ids, k.ends_with("Id"));
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| resolve_creation_ids(i, ids, false)),
        _ => {}
    }
}

//! The Django REST framework conventions every admin API resource shares, per
//! `shared/reference/authentik.md` §2: page-number pagination as `authentik/api/pagination.py`
//! writes it (§2.1), query parameters as django-filter reads them (§2.2: the last value wins,
//! empty means "no filter", repeated keys for many-valued filters), 400 bodies as DRF field
//! maps (§2.3), JSON bodies as DRF's `JSONParser` reads them (§2.4), and the `CharField` /
//! `BooleanField` validation of the serializers.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// Paginates like `authentik/api/pagination.py`.
pub(super) fn paginate(items: Vec<Value>, query: &HashMap<String, String>) -> Value {
    let page_size = query
        .get("page_size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(20)
        .min(100);
    let count = items.len();
    let total_pages = count.div_ceil(page_size).max(1);
    let current = query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(1);
    // Saturating: a huge `page` is an empty page, never an overflow.
    let start = (current - 1).saturating_mul(page_size);
    let results: Vec<Value> = items.into_iter().skip(start).take(page_size).collect();
    let next = if current < total_pages {
        current + 1
    } else {
        0
    };
    let previous = current.saturating_sub(1);
    json!({
        "pagination": {
            "next": next, "previous": previous, "count": count, "current": current,
            "total_pages": total_pages,
            "start_index": if results.is_empty() { 0 } else { start + 1 },
            "end_index": start + results.len(),
        },
        "results": results,
        "autocomplete": {},
    })
}

/// A DRF error map: field → messages.
pub(super) type Errors = Map<String, Value>;

pub(super) fn field_error(errors: &mut Errors, field: &str, message: impl Into<String>) {
    if let Value::Array(list) = errors.entry(field.to_string()).or_insert_with(|| json!([])) {
        list.push(json!(message.into()));
    }
}

pub(super) fn bad_request(body: Value) -> Response {
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Python's name for a JSON value's type, as DRF messages print it.
pub(super) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// A JSON body as DRF's `JSONParser` reads it: an empty body is an empty object, a
/// malformed one is (the body of) 400 `{"detail": "JSON parse error - …"}`.
pub(super) fn json_body(body: &Bytes) -> Result<Map<String, Value>, Value> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(json!({ "non_field_errors": [format!(
            "Invalid data. Expected a dictionary, but got {}.",
            py_type(&other)
        )] })),
        Err(e) => Err(json!({ "detail": format!("JSON parse error - {e}") })),
    }
}

/// The query string as ordered pairs (filters like `type` and `groups_by_name` repeat).
pub(super) struct QueryPairs(pub(super) Vec<(String, String)>);

impl QueryPairs {
    pub(super) fn parse(raw: Option<String>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The value django-filter uses (the last one); empty values mean "no filter".
    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub(super) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub(super) fn as_map(&self) -> HashMap<String, String> {
        self.0.iter().cloned().collect()
    }
}

/// django-filter's `BooleanWidget`: anything else means "no filter".
pub(super) fn filter_bool(v: Option<&str>) -> Option<bool> {
    match v?.to_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

pub(super) fn parse_uuid(v: &str) -> Option<String> {
    uuid::Uuid::parse_str(v).ok().map(|u| u.to_string())
}

/// A DRF `CharField` (whitespace trimmed); `None` when absent or invalid (error recorded).
pub(super) fn char_field(
    errors: &mut Errors,
    data: &Map<String, Value>,
    field: &str,
    required: bool,
    allow_blank: bool,
    max: Option<usize>,
) -> Option<String> {
    let value = match data.get(field) {
        None => {
            if required {
                field_error(errors, field, "This field is required.");
            }
            return None;
        }
        Some(Value::Null) => {
            field_error(errors, field, "This field may not be null.");
            return None;
        }
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            field_error(errors, field, "Not a valid string.");
            return None;
        }
    };
    if value.is_empty() && !allow_blank {
        field_error(errors, field, "This field may not be blank.");
        return None;
    }
    if let Some(max) = max {
        if value.chars().count() > max {
            field_error(
                errors,
                field,
                format!("Ensure this field has no more than {max} characters."),
            );
            return None;
        }
    }
    Some(value)
}

/// A DRF `BooleanField`.
pub(super) fn bool_field(
    errors: &mut Errors,
    data: &Map<String, Value>,
    field: &str,
) -> Option<bool> {
    let v = data.get(field)?;
    let parsed = match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.as_str() {
            "t" | "T" | "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on"
            | "On" | "ON" | "1" => Some(true),
            "f" | "F" | "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off"
            | "Off" | "OFF" | "0" => Some(false),
            _ => None,
        },
        Value::Null => {
            field_error(errors, field, "This field may not be null.");
            return None;
        }
        _ => None,
    };
    if parsed.is_none() {
        field_error(errors, field, "Must be a valid boolean.");
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_are_numbered_and_zero_means_none() {
        let items: Vec<Value> = (0..45).map(|i| json!(i)).collect();
        let p1 = paginate(items.clone(), &q(&[]));
        assert_eq!(p1["pagination"]["next"], 2);
        assert_eq!(p1["pagination"]["previous"], 0);
        assert_eq!(p1["results"].as_array().unwrap().len(), 20);
        let p3 = paginate(items.clone(), &q(&[("page", "3")]));
        assert_eq!(p3["pagination"]["next"], 0);
        assert_eq!(p3["results"].as_array().unwrap().len(), 5);
        let capped = paginate(
            (0..250).map(|i| json!(i)).collect(),
            &q(&[("page_size", "500")]),
        );
        assert_eq!(capped["results"].as_array().unwrap().len(), 100);
    }

    #[test]
    fn a_page_far_past_the_end_is_empty() {
        let items: Vec<Value> = (0..3).map(|i| json!(i)).collect();
        let far = paginate(items, &q(&[("page", &usize::MAX.to_string())]));
        assert_eq!(far["results"].as_array().unwrap().len(), 0);
        assert_eq!(far["pagination"]["next"], 0);
    }
}

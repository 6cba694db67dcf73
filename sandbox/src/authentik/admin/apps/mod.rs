//! What an SSO app is made of in Authentik (`shared/reference/authentik.md` §7; spec
//! `shared/specs/authentik-schema.yml`): the discovery lists (`/flows/instances/`,
//! `/crypto/certificatekeypairs/`, `/propertymappings/provider/scope/`), OAuth2 providers
//! (`/providers/oauth2/`, with `setup_urls`), applications (`/core/applications/`, by slug)
//! and policy bindings (`/policies/bindings/`).
//!
//! Semantics kept from upstream: a provider's `name` is unique; `client_id` (40 characters)
//! and `client_secret` (128) are generated when not sent and returned on every read;
//! `redirect_uris` are `{matching_mode: strict|regex, url}` objects, a regex that does not
//! compile is a 400; an application's `slug` matches `^[-a-zA-Z0-9_]+$`, is unique and not one
//! of the reserved OAuth paths; one provider per application; an application's `pk` is the
//! binding target; a binding names exactly one of `policy`, `group`, `user`; deleting an
//! application deletes its bindings, deleting a provider leaves its application without one,
//! deleting a group deletes its bindings. An application with a provider is served by the
//! stand-in's OIDC endpoints under `/application/o/<slug>/`, and its bindings decide at
//! authorize who may use it (none: everyone, as `core_default_app_access`).
//!
//! One file per resource: [`discovery`] (the lists a provider refers to), [`providers`],
//! [`applications`] (with their policy bindings).

mod applications;
mod discovery;
mod providers;

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

pub(super) use applications::*;
pub(super) use discovery::*;
pub(super) use providers::*;

use super::authorize;
use super::drf::{field_error, paginate, Errors, QueryPairs};
use crate::authentik::{AuthentikSandbox, State_};

/// A paginated list answer (§2.1): the caller authorised, then `items` from the state and
/// the query.
fn page(
    s: &AuthentikSandbox,
    headers: &HeaderMap,
    raw: Option<String>,
    items: impl FnOnce(&State_, &QueryPairs) -> Vec<Value>,
) -> Response {
    if let Some(r) = authorize(s, headers) {
        return r;
    }
    let q = QueryPairs::parse(raw);
    let st = s.lock();
    let items = items(&st, &q);
    Json(paginate(items, &q.as_map())).into_response()
}

fn does_not_exist(errors: &mut Errors, field: &str, v: &str) {
    field_error(
        errors,
        field,
        format!("Invalid pk \"{v}\" - object does not exist."),
    );
}

//! The JSON API under `/api`: the same services as the pages' server functions.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use platform::domain::Me;
use platform::{Ctx, Platform};

use crate::error::ApiError;
use crate::startup::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/me", get(me))
}

/// `GET /api/me`: profile, tenants with the role in each, partner staff or not.
async fn me(
    State(platform): State<Arc<Platform>>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<Me>, ApiError> {
    platform
        .access
        .me(&ctx)
        .await
        .map(Json)
        .map_err(|e| ApiError::access(e, &ctx.meta.request_id))
}

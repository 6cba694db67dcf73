//! `/api/tenants/{slug}/storage`: mail and files per member, with quotas.

use axum::extract::Path;
use axum::routing::{get, patch};
use serde::Deserialize;
use wire::storage::{MemberStorage, QuotaUpdate, StorageView};

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/storage", get(overview))
        .route("/api/tenants/{slug}/storage/{id}", patch(set_quota))
}

/// `GET …/storage`: every member's mail (Stalwart) and files (OCIS) use and quota in bytes
/// (with binary-unit text), totals, flagged members. A store that is off or down has
/// `available: false` and its `reason`; the other column still shows.
async fn overview(a: Admin) -> Api<StorageView> {
    Ok(Json(a.platform.storage.overview(&a.admin).await?))
}

#[derive(Deserialize)]
struct MemberPath {
    id: String,
}

/// `PATCH …/storage/:member_id` `{"mail_quota"?, "files_quota"?}` (`"5 GiB"`, `"unlimited"`):
/// 200 with the member's storage; 400 on the field for a size that is not one or out of range
/// (1 MiB – 1 PiB); 404 for another workspace's member; 409 when the store is off or the member
/// has nothing there yet; 502 naming the store that refused.
async fn set_quota(
    a: Admin,
    Path(p): Path<MemberPath>,
    body: Result<Json<QuotaUpdate>, ApiError>,
) -> Api<MemberStorage> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .storage
            .set_quota(&a.ctx, &a.admin, &p.id, &b)
            .await?,
    ))
}

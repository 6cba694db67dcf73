//! `/api/tenants/{slug}/members…`: one identity across SSO, mailbox and files.

use axum::extract::{Path, RawQuery};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use platform::services::members::{
    MemberQuery, MemberView, MemberWithPassword, MembersOverview, RemovalItem, RevealedMember,
    SignOutReport,
};
use serde::{Deserialize, Serialize};

use super::{Admin, Api, Json};
use crate::error::ApiError;

pub(super) fn routes(r: super::Routes) -> super::Routes {
    r.route("/api/tenants/{slug}/members", get(list).post(create))
        .route(
            "/api/tenants/{slug}/members/{id}",
            get(detail).patch(patch).delete(remove),
        )
        .route("/api/tenants/{slug}/members/{id}/suspend", post(suspend))
        .route("/api/tenants/{slug}/members/{id}/resume", post(resume))
        .route("/api/tenants/{slug}/members/{id}/sign-out", post(sign_out))
        .route(
            "/api/tenants/{slug}/members/{id}/reset-password",
            post(reset_password),
        )
        .route("/api/tenants/{slug}/members/{id}/retry", post(retry))
        .route("/api/tenants/{slug}/members/{id}/cancel", post(cancel))
}

/// The member id in `/members/{id}…`.
#[derive(Deserialize)]
struct MemberPath {
    id: String,
}
type Id = Path<MemberPath>;

/// `GET …/members?q=&cursor=&limit=`: a page of members with role, status, steps and mailbox
/// usage, the total matching and the next page's cursor.
async fn list(a: Admin, RawQuery(raw): RawQuery) -> Api<MembersOverview> {
    let mut query = MemberQuery::default();
    for (k, v) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match &*k {
            "q" => query.q = Some(v.into_owned()),
            "cursor" => query.cursor = Some(v.into_owned()),
            "limit" => query.limit = Some(v.into_owned()),
            _ => {}
        }
    }
    Ok(Json(a.platform.members.list(&a.admin, &query).await?))
}

#[derive(Deserialize)]
struct NewMember {
    first_name: String,
    last_name: String,
    local_part: String,
    role: String,
}

/// A member with the one-time password that was just set: shown once, never cached.
type Revealed = (
    StatusCode,
    [(HeaderName, &'static str); 1],
    Json<RevealedMember>,
);

fn reveal(status: StatusCode, m: MemberWithPassword) -> Revealed {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(m.reveal()),
    )
}

/// `POST …/members` `{"first_name", "last_name", "local_part", "role"}`: 201 with the member
/// (each step's outcome) and the one-time password.
async fn create(a: Admin, body: Result<Json<NewMember>, ApiError>) -> Result<Revealed, ApiError> {
    let Json(b) = body?;
    let created = a
        .platform
        .members
        .create(
            &a.ctx,
            &a.admin,
            &b.first_name,
            &b.last_name,
            &b.local_part,
            &b.role,
        )
        .await?;
    Ok(reveal(StatusCode::CREATED, created))
}

#[derive(Serialize)]
struct MemberDetail {
    member: MemberView,
    removal_plan: Vec<RemovalItem>,
}

/// `GET …/members/:id`: the member and what removing them would do.
async fn detail(a: Admin, Path(p): Id) -> Api<MemberDetail> {
    let members = &a.platform.members;
    Ok(Json(MemberDetail {
        member: members.get(&a.admin, &p.id).await?,
        removal_plan: members.removal_plan(&a.admin, &p.id).await?,
    }))
}

#[derive(Deserialize)]
struct MemberPatch {
    role: String,
}

/// `PATCH …/members/:id` `{"role"}`.
async fn patch(
    a: Admin,
    Path(p): Id,
    body: Result<Json<MemberPatch>, ApiError>,
) -> Api<MemberView> {
    let Json(b) = body?;
    Ok(Json(
        a.platform
            .members
            .set_role(&a.ctx, &a.admin, &p.id, &b.role)
            .await?,
    ))
}

/// `DELETE …/members/:id`: 204 when everything is gone; 502 `removal_incomplete` naming what
/// is left (Retry continues it).
async fn remove(a: Admin, Path(p): Id) -> Result<StatusCode, ApiError> {
    a.platform.members.remove(&a.ctx, &a.admin, &p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST …/members/:id/suspend`.
async fn suspend(a: Admin, Path(p): Id) -> Api<MemberView> {
    Ok(Json(
        a.platform.members.suspend(&a.ctx, &a.admin, &p.id).await?,
    ))
}

/// `POST …/members/:id/resume`.
async fn resume(a: Admin, Path(p): Id) -> Api<MemberView> {
    Ok(Json(
        a.platform.members.resume(&a.ctx, &a.admin, &p.id).await?,
    ))
}

/// `POST …/members/:id/sign-out`: what was ended in each system.
async fn sign_out(a: Admin, Path(p): Id) -> Api<SignOutReport> {
    Ok(Json(
        a.platform.members.sign_out(&a.ctx, &a.admin, &p.id).await?,
    ))
}

/// `POST …/members/:id/reset-password`: the member and the new one-time password.
async fn reset_password(a: Admin, Path(p): Id) -> Result<Revealed, ApiError> {
    let m = a
        .platform
        .members
        .reset_password(&a.ctx, &a.admin, &p.id)
        .await?;
    Ok(reveal(StatusCode::OK, m))
}

/// `POST …/members/:id/retry`: the member (with a one-time password when one was set), or 204
/// when the retry completed a removal.
async fn retry(a: Admin, Path(p): Id) -> Result<Response, ApiError> {
    Ok(
        match a.platform.members.retry(&a.ctx, &a.admin, &p.id).await? {
            Some(m) => reveal(StatusCode::OK, m).into_response(),
            None => StatusCode::NO_CONTENT.into_response(),
        },
    )
}

/// `POST …/members/:id/cancel`: undoes an incomplete creation; 204 when nothing is left.
async fn cancel(a: Admin, Path(p): Id) -> Result<StatusCode, ApiError> {
    a.platform.members.cancel(&a.ctx, &a.admin, &p.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Users, tenants, memberships and partners.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};

use super::{state, RepoResult};
use crate::domain::{Partner, Role, Tenant, TenantMembership, TenantStatus, User};
use crate::{new_id, now_ms, Db};

#[derive(FromRow)]
struct UserRow {
    id: String,
    subject: String,
    email: String,
    name: String,
    email_verified: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            subject: r.subject,
            email: r.email,
            name: r.name,
            email_verified: r.email_verified != 0,
        }
    }
}

/// A tenant as read: the wire's `Tenant`, its status parsed.
struct TenantRow(Tenant);

impl FromRow<'_, AnyRow> for TenantRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self(Tenant {
            id: row.try_get("id")?,
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            status: state(row, "status", TenantStatus::parse)?,
        }))
    }
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        r.0
    }
}

#[derive(FromRow)]
struct PartnerRow {
    id: String,
    slug: String,
    name: String,
}

impl From<PartnerRow> for Partner {
    fn from(r: PartnerRow) -> Self {
        Partner {
            id: r.id,
            slug: r.slug,
            name: r.name,
        }
    }
}

/// Creates the user on first sign-in, or keeps email and name current on every later one.
/// At sign-in: the person's profile from the ID token. The email counts as verified when the
/// IdP says so (`email_verified`), or when it is the address Dezky already verified for them;
/// a changed, unasserted address is unverified.
pub async fn upsert_user_by_subject(
    db: &Db,
    subject: &str,
    email: &str,
    name: &str,
    idp_verified: bool,
) -> RepoResult<User> {
    let now = now_ms();
    let row: UserRow = sqlx::query_as(
        "INSERT INTO users (id, subject, email, name, created_at, updated_at, last_sign_in_at,
                            email_verified)
         VALUES ($1, $2, $3, $4, $5, $5, $5, $6)
         ON CONFLICT (subject) DO UPDATE
            SET email = excluded.email, name = excluded.name,
                updated_at = excluded.updated_at, last_sign_in_at = excluded.last_sign_in_at,
                email_verified = CASE
                    WHEN excluded.email_verified = 1 THEN 1
                    WHEN users.email = excluded.email THEN users.email_verified
                    ELSE 0 END
         RETURNING id, subject, email, name, email_verified",
    )
    .bind(new_id())
    .bind(subject)
    .bind(email)
    .bind(name)
    .bind(now)
    .bind(i64::from(idp_verified))
    .fetch_one(db.pool())
    .await?;
    Ok(row.into())
}

/// Registers a person known by their IdP subject before their first sign-in, with the address
/// Dezky gave them (so it is verified);
/// invitations). Leaves an existing user untouched.
pub async fn ensure_user(db: &Db, subject: &str, email: &str, name: &str) -> RepoResult<User> {
    sqlx::query(
        "INSERT INTO users (id, subject, email, name, created_at, updated_at, email_verified)
         VALUES ($1, $2, $3, $4, $5, $5, 1)
         ON CONFLICT (subject) DO UPDATE SET email_verified = 1
            WHERE users.email = excluded.email",
    )
    .bind(new_id())
    .bind(subject)
    .bind(email)
    .bind(name)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    let row: UserRow = sqlx::query_as(
        "SELECT id, subject, email, name, email_verified FROM users WHERE subject = $1",
    )
    .bind(subject)
    .fetch_one(db.pool())
    .await?;
    Ok(row.into())
}

pub async fn user_by_id(db: &Db, id: &str) -> RepoResult<Option<User>> {
    let row: Option<UserRow> =
        sqlx::query_as("SELECT id, subject, email, name, email_verified FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(Into::into))
}

pub async fn ensure_tenant(
    db: &Db,
    slug: &str,
    name: &str,
    status: TenantStatus,
) -> RepoResult<Tenant> {
    if let Some(t) = insert_tenant(db, slug, name, status).await? {
        return Ok(t);
    }
    tenant_by_slug(db, slug)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

pub async fn tenant_by_id(db: &Db, id: &str) -> RepoResult<Option<Tenant>> {
    let row: Option<TenantRow> =
        sqlx::query_as("SELECT id, slug, name, status FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(Into::into))
}

pub async fn tenant_by_slug(db: &Db, slug: &str) -> RepoResult<Option<Tenant>> {
    let row: Option<TenantRow> =
        sqlx::query_as("SELECT id, slug, name, status FROM tenants WHERE slug = $1")
            .bind(slug)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(Into::into))
}

/// Sets a known person's role in a tenant, adding them as an active member (address and name
/// from their profile) when they are not one yet.
pub async fn set_membership(db: &Db, tenant_id: &str, user_id: &str, role: Role) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO members (id, tenant_id, user_id, address, first_name, last_name, role,
                              status, created_at)
         SELECT $1, $2, u.id, u.email, u.name, '', $3, 'active', $4 FROM users u WHERE u.id = $5
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = excluded.role",
    )
    .bind(new_id())
    .bind(tenant_id)
    .bind(role.as_str())
    .bind(now_ms())
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Member states that open the tenant to the person. Anything else (suspended, being
/// removed, unknown) is no access: fail closed.
const ADMITTED: &str = "('active', 'creating')";

pub async fn role_in_tenant(db: &Db, tenant_id: &str, user_id: &str) -> RepoResult<Option<Role>> {
    let role: Option<String> = sqlx::query_scalar(&format!(
        "SELECT role FROM members WHERE tenant_id = $1 AND user_id = $2 AND status IN {ADMITTED}"
    ))
    .bind(tenant_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    // An unknown role string is treated as no membership at all: fail closed.
    Ok(role.as_deref().and_then(Role::parse))
}

/// A membership as read; an unknown role is no membership at all (fail closed).
struct MembershipRow(Option<TenantMembership>);

impl FromRow<'_, AnyRow> for MembershipRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        let Some(role) = state(row, "role", Role::parse)? else {
            return Ok(Self(None));
        };
        Ok(Self(Some(TenantMembership {
            slug: row.try_get("slug")?,
            name: row.try_get("name")?,
            status: state(row, "status", TenantStatus::parse)?,
            role,
        })))
    }
}

pub async fn memberships_of(db: &Db, user_id: &str) -> RepoResult<Vec<TenantMembership>> {
    let rows: Vec<MembershipRow> = sqlx::query_as(&format!(
        "SELECT t.slug, t.name, t.status, m.role
           FROM members m JOIN tenants t ON t.id = m.tenant_id
          WHERE m.user_id = $1 AND m.status IN {ADMITTED}
          ORDER BY t.name, t.slug"
    ))
    .bind(user_id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().filter_map(|r| r.0).collect())
}

pub async fn ensure_partner(db: &Db, slug: &str, name: &str) -> RepoResult<Partner> {
    sqlx::query(
        "INSERT INTO partners (id, slug, name, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (slug) DO NOTHING",
    )
    .bind(new_id())
    .bind(slug)
    .bind(name)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    let row: PartnerRow = sqlx::query_as("SELECT id, slug, name FROM partners WHERE slug = $1")
        .bind(slug)
        .fetch_one(db.pool())
        .await?;
    Ok(row.into())
}

pub async fn add_partner_staff(db: &Db, partner_id: &str, user_id: &str) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO partner_staff (partner_id, user_id) VALUES ($1, $2)
         ON CONFLICT (partner_id, user_id) DO NOTHING",
    )
    .bind(partner_id)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn add_partner_tenant(db: &Db, partner_id: &str, tenant_id: &str) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO partner_tenants (partner_id, tenant_id) VALUES ($1, $2)
         ON CONFLICT (partner_id, tenant_id) DO NOTHING",
    )
    .bind(partner_id)
    .bind(tenant_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The partner organisation a person works for, if any.
pub async fn partner_of_staff(db: &Db, user_id: &str) -> RepoResult<Option<Partner>> {
    let row: Option<PartnerRow> = sqlx::query_as(
        "SELECT p.id, p.slug, p.name FROM partners p
           JOIN partner_staff s ON s.partner_id = p.id
          WHERE s.user_id = $1
          ORDER BY p.slug LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Into::into))
}

pub async fn partner_looks_after(db: &Db, partner_id: &str, tenant_id: &str) -> RepoResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM partner_tenants WHERE partner_id = $1 AND tenant_id = $2",
    )
    .bind(partner_id)
    .bind(tenant_id)
    .fetch_one(db.pool())
    .await?;
    Ok(n > 0)
}

pub async fn count_members(db: &Db, tenant_id: &str) -> RepoResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE tenant_id = $1 AND status <> 'removing'")
        .bind(tenant_id)
        .fetch_one(db.pool())
        .await
}

/// Inserts a new tenant; `Ok(None)` when the slug is taken.
pub async fn insert_tenant(
    db: &Db,
    slug: &str,
    name: &str,
    status: TenantStatus,
) -> RepoResult<Option<Tenant>> {
    let n = sqlx::query(
        "INSERT INTO tenants (id, slug, name, status, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (slug) DO NOTHING",
    )
    .bind(new_id())
    .bind(slug)
    .bind(name)
    .bind(status.as_str())
    .bind(now_ms())
    .execute(db.pool())
    .await?
    .rows_affected();
    if n == 0 {
        return Ok(None);
    }
    tenant_by_slug(db, slug).await
}

pub async fn set_tenant_status(db: &Db, tenant_id: &str, status: TenantStatus) -> RepoResult<()> {
    sqlx::query("UPDATE tenants SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(tenant_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Deletes a person's Dezky record (their sealed tokens go with it: every console session
/// of theirs ends).
pub async fn delete_user(db: &Db, id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

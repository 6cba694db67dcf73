//! Member rows and their per-upstream steps.

use sqlx::any::AnyRow;
use sqlx::{FromRow, Row};
use wire::members::MemberStatus;
use wire::steps::StepState;
use wire::tenants::Role;

use super::{state, RepoResult};
use crate::{now_ms, Db};

#[derive(Clone, Debug)]
pub struct MemberRow {
    pub id: String,
    pub tenant_id: String,
    pub user_id: Option<String>,
    pub address: String,
    pub first_name: String,
    pub last_name: String,
    /// An unknown stored role reads as member.
    pub role: Role,
    pub status: MemberStatus,
    pub suspended_at: Option<i64>,
    /// The email of who suspended them.
    pub suspended_by: Option<String>,
    pub created_at: i64,
}

impl FromRow<'_, AnyRow> for MemberRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self {
            id: row.try_get("id")?,
            tenant_id: row.try_get("tenant_id")?,
            user_id: row.try_get("user_id")?,
            address: row.try_get("address")?,
            first_name: row.try_get("first_name")?,
            last_name: row.try_get("last_name")?,
            role: state(row, "role", |s| Role::parse(s).unwrap_or(Role::Member))?,
            status: state(row, "status", MemberStatus::parse)?,
            suspended_at: row.try_get("suspended_at")?,
            suspended_by: row.try_get("suspended_by")?,
            created_at: row.try_get("created_at")?,
        })
    }
}

const COLUMNS: &str = "id, tenant_id, user_id, address, first_name, last_name, role, status, \
    suspended_at, suspended_by, created_at";

#[derive(Clone, Debug)]
pub struct MemberStepRow {
    pub member_id: String,
    pub upstream: String,
    pub state: StepState,
    pub message: String,
    pub upstream_id: Option<String>,
    pub last_run_at: Option<i64>,
}

impl FromRow<'_, AnyRow> for MemberStepRow {
    fn from_row(row: &AnyRow) -> RepoResult<Self> {
        Ok(Self {
            member_id: row.try_get("member_id")?,
            upstream: row.try_get("upstream")?,
            state: state(row, "state", StepState::parse)?,
            message: row.try_get("message")?,
            upstream_id: row.try_get("upstream_id")?,
            last_run_at: row.try_get("last_run_at")?,
        })
    }
}

pub struct NewMemberRow<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub address: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub role: Role,
    pub created_by: Option<&'a str>,
}

/// Inserts a member being created, with every step pending; `false` when the tenant already
/// has a member with this address (two admins at once: one wins).
pub async fn insert(db: &Db, m: &NewMemberRow<'_>, upstreams: &[&str]) -> RepoResult<bool> {
    let mut tx = db.pool().begin().await?;
    let n = sqlx::query(
        "INSERT INTO members (id, tenant_id, address, first_name, last_name, role, status,
                              created_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, 'creating', $7, $8)
         ON CONFLICT (tenant_id, address) DO NOTHING",
    )
    .bind(m.id)
    .bind(m.tenant_id)
    .bind(m.address)
    .bind(m.first_name)
    .bind(m.last_name)
    .bind(m.role.as_str())
    .bind(now_ms())
    .bind(m.created_by)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    for u in upstreams {
        sqlx::query(
            "INSERT INTO member_steps (member_id, upstream, state, message)
             VALUES ($1, $2, 'pending', 'Waiting to run.')",
        )
        .bind(m.id)
        .bind(*u)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub async fn by_id(db: &Db, tenant_id: &str, id: &str) -> RepoResult<Option<MemberRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

pub async fn by_address(db: &Db, tenant_id: &str, address: &str) -> RepoResult<Option<MemberRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members WHERE tenant_id = $1 AND address = $2"
    ))
    .bind(tenant_id)
    .bind(address)
    .fetch_optional(db.pool())
    .await
}

pub async fn of_tenant(db: &Db, tenant_id: &str) -> RepoResult<Vec<MemberRow>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM members WHERE tenant_id = $1
          ORDER BY first_name, last_name, address"
    ))
    .bind(tenant_id)
    .fetch_all(db.pool())
    .await
}

/// The members `ids` of a tenant (ids of other tenants' members, or of none, are left out),
/// in no particular order.
pub async fn by_ids(db: &Db, tenant_id: &str, ids: &[String]) -> RepoResult<Vec<MemberRow>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders = super::bind_list(2, ids.len());
    let sql = format!(
        "SELECT {COLUMNS} FROM members WHERE tenant_id = $1 AND id IN ({})",
        placeholders
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for id in ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool()).await
}

/// A position in the name order of a tenant's members: a page starts after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberKey {
    pub first_name: String,
    pub last_name: String,
    pub address: String,
}

impl From<&MemberRow> for MemberKey {
    fn from(r: &MemberRow) -> Self {
        Self {
            first_name: r.first_name.clone(),
            last_name: r.last_name.clone(),
            address: r.address.clone(),
        }
    }
}

/// Which members of a tenant a page shows: those whose "first last address" contains
/// `search` (already lower case; ASCII letters compare case-insensitively on both backends),
/// after `after` in name order.
pub struct MemberFilter<'a> {
    pub search: Option<&'a str>,
    pub after: Option<&'a MemberKey>,
}

impl MemberFilter<'_> {
    /// The WHERE clause from `$2` on (`$1` is the tenant) and its values in order.
    fn clause(&self, keyset: bool) -> (String, Vec<String>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        if let Some(s) = self.search {
            binds.push(format!("%{}%", super::escape_like(s)));
            sql.push_str(&format!(
                " AND LOWER(first_name || ' ' || last_name || ' ' || address) LIKE ${} ESCAPE '\\'",
                binds.len() + 1
            ));
        }
        if let (true, Some(k)) = (keyset, self.after) {
            let n = binds.len() + 2;
            sql.push_str(&format!(
                " AND (first_name, last_name, address) > (${n}, ${}, ${})",
                n + 1,
                n + 2
            ));
            binds.extend([k.first_name.clone(), k.last_name.clone(), k.address.clone()]);
        }
        (sql, binds)
    }
}

/// Up to `limit` members of a tenant matching `filter`, in name order (first name, last name,
/// address: the index `members_tenant_name`), read with a keyset so a page costs the same
/// wherever it is.
pub async fn page(
    db: &Db,
    tenant_id: &str,
    filter: &MemberFilter<'_>,
    limit: i64,
) -> RepoResult<Vec<MemberRow>> {
    let (clause, binds) = filter.clause(true);
    let sql = format!(
        "SELECT {COLUMNS} FROM members WHERE tenant_id = $1{clause}
          ORDER BY first_name, last_name, address LIMIT {limit}"
    );
    let mut q = sqlx::query_as(&sql).bind(tenant_id);
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_all(db.pool()).await
}

/// How many members of a tenant match `filter`'s search (its position is ignored).
pub async fn count(db: &Db, tenant_id: &str, filter: &MemberFilter<'_>) -> RepoResult<i64> {
    let (clause, binds) = filter.clause(false);
    let sql = format!("SELECT COUNT(*) FROM members WHERE tenant_id = $1{clause}");
    let mut q = sqlx::query_scalar(&sql).bind(tenant_id);
    for b in binds {
        q = q.bind(b);
    }
    q.fetch_one(db.pool()).await
}

/// Members in other tenants with this address (the same mailbox used through another tenant).
pub async fn count_address_elsewhere(
    db: &Db,
    address: &str,
    except_tenant: &str,
) -> RepoResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE address = $1 AND tenant_id <> $2")
        .bind(address)
        .bind(except_tenant)
        .fetch_one(db.pool())
        .await
}

/// Any member, in any tenant, with this address.
pub async fn address_in_use(db: &Db, address: &str) -> RepoResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE address = $1")
        .bind(address)
        .fetch_one(db.pool())
        .await?;
    Ok(n > 0)
}

/// The person's memberships in other tenants.
pub async fn count_other_tenants(db: &Db, user_id: &str, except_tenant: &str) -> RepoResult<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM members WHERE user_id = $1 AND tenant_id <> $2")
        .bind(user_id)
        .bind(except_tenant)
        .fetch_one(db.pool())
        .await
}

/// Owners of a tenant who are not on their way out.
pub async fn count_owners(db: &Db, tenant_id: &str) -> RepoResult<i64> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM members WHERE tenant_id = $1 AND role = 'owner'
            AND status IN ('active', 'suspended', 'creating')",
    )
    .bind(tenant_id)
    .fetch_one(db.pool())
    .await
}

pub async fn set_user(db: &Db, id: &str, user_id: &str) -> RepoResult<()> {
    sqlx::query("UPDATE members SET user_id = $1 WHERE id = $2")
        .bind(user_id)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn set_role(db: &Db, id: &str, role: Role) -> RepoResult<()> {
    sqlx::query("UPDATE members SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Moves a member to a state; `suspended_by` is kept only while suspended.
pub async fn set_status(
    db: &Db,
    id: &str,
    status: MemberStatus,
    suspended_by: Option<&str>,
) -> RepoResult<()> {
    let suspended_at = suspended_by.map(|_| now_ms());
    sqlx::query(
        "UPDATE members SET status = $1, suspended_at = $2, suspended_by = $3 WHERE id = $4",
    )
    .bind(status.as_str())
    .bind(suspended_at)
    .bind(suspended_by)
    .bind(id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Deletes the member record (its steps go with it).
pub async fn delete(db: &Db, id: &str) -> RepoResult<()> {
    sqlx::query("DELETE FROM members WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub async fn steps(db: &Db, member_ids: &[String]) -> RepoResult<Vec<MemberStepRow>> {
    if member_ids.is_empty() {
        return Ok(vec![]);
    }
    let placeholders = super::bind_list(1, member_ids.len());
    let sql = format!(
        "SELECT member_id, upstream, state, message, upstream_id, last_run_at
           FROM member_steps WHERE member_id IN ({}) ORDER BY member_id, upstream",
        placeholders
    );
    let mut q = sqlx::query_as(&sql);
    for id in member_ids {
        q = q.bind(id);
    }
    q.fetch_all(db.pool()).await
}

/// Records a step's state and message; an upstream id, when given, is kept (never cleared
/// by a later failure). `forget_id` clears it once the upstream object is gone.
pub async fn record_step(
    db: &Db,
    member_id: &str,
    upstream: &str,
    state: StepState,
    message: &str,
    upstream_id: Option<&str>,
    forget_id: bool,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO member_steps (member_id, upstream, state, message, upstream_id, last_run_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (member_id, upstream) DO UPDATE
            SET state = excluded.state, message = excluded.message,
                upstream_id = CASE WHEN $7 = 1 THEN NULL
                                   ELSE COALESCE(excluded.upstream_id, member_steps.upstream_id) END,
                last_run_at = excluded.last_run_at",
    )
    .bind(member_id)
    .bind(upstream)
    .bind(state.as_str())
    .bind(message)
    .bind(upstream_id)
    .bind(now_ms())
    .bind(i64::from(forget_id))
    .execute(db.pool())
    .await?;
    Ok(())
}

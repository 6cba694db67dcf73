//! Demo data for the embedded default: tenants, people known by their IdP subject, their
//! roles, and a partner that looks after a tenant. Idempotent: running it again changes
//! nothing.

use crate::domain::{Role, Tenant, TenantStatus};
use crate::repo::identity as repo;
use crate::Db;

#[derive(Clone, Debug)]
pub struct SeedTenant {
    pub slug: String,
    pub name: String,
}

#[derive(Clone, Debug)]
pub struct SeedPerson {
    pub subject: String,
    pub email: String,
    pub name: String,
    /// `(tenant slug, role)` memberships.
    pub roles: Vec<(String, Role)>,
    /// Works for the seeded partner.
    pub partner_staff: bool,
}

#[derive(Clone, Debug)]
pub struct SeedPartner {
    pub slug: String,
    pub name: String,
    /// Slugs of the tenants it looks after.
    pub tenants: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct DemoSeed {
    pub tenants: Vec<SeedTenant>,
    pub partner: SeedPartner,
    pub people: Vec<SeedPerson>,
}

/// Applies the seed; returns the seeded tenants.
pub async fn apply(db: &Db, seed: &DemoSeed) -> Result<Vec<Tenant>, sqlx::Error> {
    let mut tenants = Vec::new();
    let mut tenant_ids = std::collections::HashMap::new();
    for t in &seed.tenants {
        let tenant = repo::ensure_tenant(db, &t.slug, &t.name, TenantStatus::Active).await?;
        tenant_ids.insert(t.slug.clone(), tenant.id.clone());
        tenants.push(tenant);
    }
    let partner = repo::ensure_partner(db, &seed.partner.slug, &seed.partner.name).await?;
    for slug in &seed.partner.tenants {
        if let Some(id) = tenant_ids.get(slug) {
            repo::add_partner_tenant(db, &partner.id, id).await?;
        }
    }
    for p in &seed.people {
        let user = repo::ensure_user(db, &p.subject, &p.email, &p.name).await?;
        for (slug, role) in &p.roles {
            if let Some(id) = tenant_ids.get(slug) {
                repo::set_membership(db, id, &user.id, *role).await?;
            }
        }
        if p.partner_staff {
            repo::add_partner_staff(db, &partner.id, &user.id).await?;
        }
    }
    Ok(tenants)
}

//! The demo workspace seeded in sandbox mode: the sandbox's demo people with their roles.

use platform::domain::Role;
use platform::seed::{DemoSeed, SeedPartner, SeedPerson, SeedTenant};
use sandbox::demo::{DEMO_PARTNER, DEMO_TENANT, DEMO_USERS, OTHER_TENANT};

/// The seeded demo workspace: the sandbox's demo people with their roles.
pub fn demo_seed() -> DemoSeed {
    DemoSeed {
        tenants: [DEMO_TENANT, OTHER_TENANT]
            .iter()
            .map(|(slug, name)| SeedTenant {
                slug: slug.to_string(),
                name: name.to_string(),
            })
            .collect(),
        partner: SeedPartner {
            slug: DEMO_PARTNER.0.into(),
            name: DEMO_PARTNER.1.into(),
            tenants: vec![DEMO_TENANT.0.into()],
        },
        people: DEMO_USERS
            .iter()
            .map(|u| SeedPerson {
                subject: u.uuid.into(),
                email: u.email.into(),
                name: u.name.into(),
                roles: Role::parse(u.console_role)
                    .map(|r| vec![(u.tenant.to_string(), r)])
                    .unwrap_or_default(),
                partner_staff: u.console_role == "partner",
            })
            .collect(),
    }
}

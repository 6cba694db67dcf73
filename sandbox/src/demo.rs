//! The demo people of the embedded default. The console seeds the same people (by subject)
//! with their roles; the sandbox IdP knows their passwords.

pub struct DemoUser {
    pub uuid: &'static str,
    pub username: &'static str,
    pub email: &'static str,
    pub name: &'static str,
    pub password: &'static str,
    /// What the console seeds for them: "owner", "admin", "member" of `tenant`, or "partner".
    pub console_role: &'static str,
    pub tenant: &'static str,
}

pub const DEMO_TENANT: (&str, &str) = ("acme", "Acme Corporation");
pub const OTHER_TENANT: (&str, &str) = ("globex", "Globex Ltd");
pub const DEMO_PARTNER: (&str, &str) = ("northwind", "Northwind IT Services");

pub const DEMO_USERS: &[DemoUser] = &[
    DemoUser {
        uuid: "6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b01",
        username: "olivia@acme.example",
        email: "olivia@acme.example",
        name: "Olivia Owner",
        password: "demo-owner-2026",
        console_role: "owner",
        tenant: "acme",
    },
    DemoUser {
        uuid: "6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b02",
        username: "adam@acme.example",
        email: "adam@acme.example",
        name: "Adam Admin",
        password: "demo-admin-2026",
        console_role: "admin",
        tenant: "acme",
    },
    DemoUser {
        uuid: "6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b03",
        username: "mia@acme.example",
        email: "mia@acme.example",
        name: "Mia Member",
        password: "demo-member-2026",
        console_role: "member",
        tenant: "acme",
    },
    DemoUser {
        uuid: "6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b04",
        username: "gina@globex.example",
        email: "gina@globex.example",
        name: "Gina Globex",
        password: "demo-globex-2026",
        console_role: "admin",
        tenant: "globex",
    },
    DemoUser {
        uuid: "6f1c2b1e-0a51-4a0e-9d1b-5d6e7f8a9b05",
        username: "pat@northwind.example",
        email: "pat@northwind.example",
        name: "Pat Partner",
        password: "demo-partner-2026",
        console_role: "partner",
        tenant: "",
    },
];

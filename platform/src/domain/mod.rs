//! Domain types: parsed once, trusted afterwards.

pub mod billing;
pub mod branding;
mod mail_domain;
mod member;
mod slug;
mod sso_app;
mod vat;

pub use mail_domain::{DomainNameError, MailDomain};
pub use member::{parse_role, LocalPart, MemberInputError, NewMember};
pub use slug::{SlugError, TenantSlug};
pub use sso_app::{
    app_slug, parse_launch_url, parse_name as parse_app_name, parse_redirect_uris,
    SsoAppInputError, MAX_REDIRECT_URIS,
};
pub use vat::VatId;

use serde::{Deserialize, Serialize};

// The shapes that cross the wire are the wire crate's; these paths stay importable from here.
pub use wire::tenants::{
    AuditEvent, Me, Outcome, Partner, Role, Tenant, TenantMembership, TenantStatus,
};

/// A known person (never sent as such: the pages see [`Me`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub subject: String,
    pub email: String,
    pub name: String,
    /// The email is known to be theirs (the IdP says so, or Dezky gave the identity this
    /// address). Otherwise it is shown as unverified and not used for audit attribution.
    pub email_verified: bool,
}

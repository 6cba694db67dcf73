//! The one error of the domain service; each variant has one public class and code
//! ([`crate::error::Classify`]).

use crate::upstream::stalwart::StalwartError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} is already one of this workspace's domains.")]
    AlreadyAdded(String),
    #[error("{0} belongs to another workspace; a domain can be used by one workspace only.")]
    ClaimedElsewhere(String),
    /// The mail server has the domain already and this tenant did not create it: Dezky never
    /// takes over a domain it did not make.
    #[error("{0} already exists on the mail server and was not created by this workspace, so it cannot be added here. Nothing was added; ask the mail server's administrator.")]
    ExistsUpstream(String),
    #[error("This workspace has no domain called {0}.")]
    NotFound(String),
    #[error("Only a verified domain can be the primary mail domain; verify {0} first.")]
    NotVerified(String),
    #[error("{0} is the primary domain; make another domain primary before removing it.")]
    PrimaryWithOthers(String),
    #[error("{domain} is still in use in Stalwart: {}. Remove those first.", .blockers.join(", "))]
    InUse {
        domain: String,
        blockers: Vec<String>,
    },
    /// Stalwart failed; the message names the domain and what could not be done, the cause
    /// is kept.
    #[error("{message}")]
    Upstream {
        message: String,
        #[source]
        source: StalwartError,
    },
    /// Publishing records is for the sandbox's DNS server only.
    #[error(
        "Records can only be published for you in sandbox mode; publish them at your DNS provider."
    )]
    SandboxOnly,
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

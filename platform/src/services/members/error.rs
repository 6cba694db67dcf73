//! The one error of the member service; each variant has one public class and code
//! ([`crate::error::Classify`]).

/// What an upstream call failed with (Authentik, Stalwart and OCIS have their own errors).
pub type UpstreamCause = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("This workspace has no primary mail domain yet. Add a domain on the Domains page, verify it and make it primary: new members get their address there.")]
    NoPrimaryDomain,
    #[error("{0}")]
    AddressTaken(String),
    #[error("This workspace has no member with the id {0}.")]
    NotFound(String),
    /// Refused by rule (acting on oneself, making owners without being one): audited as denied.
    #[error("{0}")]
    Denied(String),
    /// Not possible in the member's current state (last owner, wrong status).
    #[error("{0}")]
    Conflict(String),
    /// An upstream failed; the message names it and what could not be done, the cause is kept.
    #[error("{message}")]
    Upstream {
        message: String,
        #[source]
        source: UpstreamCause,
    },
    /// A removal (or a cancelled creation) left something upstream: `left` holds the failed
    /// steps' messages. The member stays, being removed; Retry continues.
    #[error("{address} could not be removed completely; retry later. {}", .left.join(" "))]
    RemovalIncomplete { address: String, left: Vec<String> },
    #[error("The database failed: {0}")]
    Store(#[from] sqlx::Error),
}

impl From<crate::domain::MemberInputError> for MemberError {
    fn from(e: crate::domain::MemberInputError) -> Self {
        MemberError::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

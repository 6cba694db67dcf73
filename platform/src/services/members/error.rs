//! The one error of the member service; each variant maps to one answer in `app::api` and
//! `server::error`.

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
    #[error("{0}")]
    Upstream(String),
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

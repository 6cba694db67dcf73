//! Per-upstream steps: the bookkeeping tenant provisioning and members share. Each owner (a
//! tenant in `provisioning_steps`, a member in `member_steps`) has one step per upstream with
//! its state, a message, the upstream object's id and when it last ran.
//!
//! Invariants:
//! - A step is `pending` (not run yet, or created and still finishing), `ok`, `skipped` (the
//!   upstream is disabled, or there is nothing of this owner there) or `error`. The stored
//!   strings and the JSON values are these four, for both owners.
//! - Messages name the upstream and the step ("Stalwart: could not delete the mailbox …"),
//!   never a secret.
//! - An upstream id, once recorded, is kept when a later run fails or does not know it; only
//!   a step that saw the object gone ([`Step::Gone`]) forgets it.

use serde_json::{json, Value};

use crate::repo::members::{self as member_steps, MemberStepRow};
use crate::repo::provisioning::{self as tenant_steps, StepRow};
use crate::Db;

// The state and the shown step are wire types (the same for pages, the JSON API and here);
// the repositories store them with `as_str` and read them with `StepState::parse`.
pub use wire::steps::{StepState, StepStatus};

impl From<StepRow> for StepStatus {
    fn from(r: StepRow) -> Self {
        Self {
            upstream: r.upstream,
            state: r.state,
            message: r.message,
            last_run_at: r.last_run_at,
        }
    }
}

impl From<&MemberStepRow> for StepStatus {
    fn from(r: &MemberStepRow) -> Self {
        Self {
            upstream: r.upstream.clone(),
            state: r.state,
            message: r.message.clone(),
            last_run_at: r.last_run_at,
        }
    }
}

/// The result of one step on one upstream, before it is recorded.
pub(crate) enum Step {
    Ok {
        message: String,
        id: Option<String>,
    },
    Skipped(String),
    Error(String),
    /// The object is gone (deleted, or never existed): recorded as ok, and the stored id is
    /// forgotten.
    Gone(String),
}

impl Step {
    pub(crate) fn failed(&self) -> bool {
        matches!(self, Step::Error(_))
    }

    /// A step that ensured an object: ok with its id, or the error named by `fail`.
    pub(crate) fn ensured(
        result: Result<(String, String), String>,
        fail: impl FnOnce(String) -> Step,
    ) -> Step {
        match result {
            Ok((id, message)) => Step::Ok {
                message,
                id: Some(id),
            },
            Err(e) => fail(e),
        }
    }

    /// What is written: the state, the message, the id to keep, and whether to forget the
    /// stored one.
    fn recorded(&self) -> (StepState, &str, Option<&str>, bool) {
        match self {
            Step::Ok { message, id } => (StepState::Ok, message, id.as_deref(), false),
            Step::Skipped(m) => (StepState::Skipped, m, None, false),
            Step::Error(m) => (StepState::Error, m, None, false),
            Step::Gone(m) => (StepState::Ok, m, None, true),
        }
    }
}

/// Whose steps are recorded.
#[derive(Clone, Copy)]
pub(crate) enum StepsOf<'a> {
    /// A tenant's provisioning steps, by tenant id. Provisioning never undoes anything, so
    /// its steps are never [`Step::Gone`].
    Tenant(&'a str),
    /// A member's steps, by member id.
    Member(&'a str),
}

/// Records each upstream's step and returns them as the audit details show them.
pub(crate) async fn record(
    db: &Db,
    of: StepsOf<'_>,
    results: &[(&str, Step)],
) -> Result<Value, sqlx::Error> {
    let mut audit = Vec::new();
    for (upstream, step) in results {
        let (state, message, id, forget) = step.recorded();
        match of {
            StepsOf::Tenant(tenant_id) => {
                debug_assert!(!forget, "tenant steps never forget an upstream id");
                tenant_steps::record(db, tenant_id, upstream, state, message, id).await?
            }
            StepsOf::Member(member_id) => {
                member_steps::record_step(db, member_id, upstream, state, message, id, forget)
                    .await?
            }
        }
        audit.push(audit_line(upstream, state, message));
    }
    Ok(Value::Array(audit))
}

/// One step in an audit event's details: the upstream, the state and the message (never the
/// upstream id, never a secret).
pub(crate) fn audit_line(upstream: &str, state: StepState, message: &str) -> Value {
    json!({ "upstream": upstream, "state": state, "message": message })
}

#[cfg(test)]
mod tests {
    use super::{Step, StepState};

    #[test]
    fn states_read_back_as_written() {
        for s in [
            StepState::Pending,
            StepState::Ok,
            StepState::Skipped,
            StepState::Error,
        ] {
            assert_eq!(StepState::parse(s.as_str()), s);
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.as_str().into())
            );
        }
        assert_eq!(StepState::parse("unknown"), StepState::Pending);
    }

    #[test]
    fn a_gone_object_is_ok_and_forgets_its_id() {
        let gone = Step::Gone("Deleted.".into());
        let (state, _, id, forget) = gone.recorded();
        assert_eq!((state, id, forget), (StepState::Ok, None, true));
        let failed = Step::Error("OCIS: down".into());
        let (state, _, id, forget) = failed.recorded();
        assert_eq!((state, id, forget), (StepState::Error, None, false));
        assert!(failed.failed());
    }
}

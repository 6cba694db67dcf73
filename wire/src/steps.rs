//! A per-upstream step (tenant provisioning, a member's identity in each system): what the
//! pages and the JSON API show of it. The upstream object id stays on the server.

use serde::{Deserialize, Serialize};

/// Where one upstream stands against what Dezky wants there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepState {
    /// Not run yet (or running).
    Pending,
    Ok,
    /// The upstream is disabled in this deployment: nothing to do there.
    Skipped,
    /// The last run failed; the message names the upstream and the step.
    Error,
}

impl StepState {
    /// The stored and serialised form.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Ok => "ok",
            StepState::Skipped => "skipped",
            StepState::Error => "error",
        }
    }

    /// The stored form; anything unknown reads as pending (it will run again).
    pub fn parse(s: &str) -> Self {
        match s {
            "ok" => StepState::Ok,
            "skipped" => StepState::Skipped,
            "error" => StepState::Error,
            _ => StepState::Pending,
        }
    }

    /// Nothing left to do at this upstream.
    pub fn is_done(self) -> bool {
        matches!(self, StepState::Ok | StepState::Skipped)
    }
}

/// One recorded step: the upstream ("authentik", "ocis", "stalwart", "stripe"), its state,
/// a message naming what happened, and when it last ran (ms since the Unix epoch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepStatus {
    pub upstream: String,
    pub state: StepState,
    pub message: String,
    pub last_run_at: Option<i64>,
}

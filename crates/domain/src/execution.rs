//! Executions: one unit of work, its life cycle and the legal moves between
//! states. Every API dialect renders these states in its own words.

use serde::{Deserialize, Serialize};

use crate::{ExecutionId, JobSpec, NodeId, Outcome, Priority, Timeout, Timestamp, UserName};

/// What an execution runs; decides which runner the engine uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionKind {
    Python,
    Shell,
    Agent,
    Scenario,
}

impl ExecutionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Shell => "shell",
            Self::Agent => "agent",
            Self::Scenario => "scenario",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "python" => Self::Python,
            "shell" => Self::Shell,
            "agent" => Self::Agent,
            "scenario" => Self::Scenario,
            _ => return None,
        })
    }
}

/// The life cycle: queued → running → one terminal state. A cancel request
/// on a running execution is a flag beside `Running` (see
/// [`Execution::cancel_requested`]) until its processes are gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Canceled,
}

impl ExecutionStatus {
    pub const TERMINAL: [ExecutionStatus; 4] = [
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Canceled,
    ];

    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }

    /// The only legal transitions. A queued execution may be canceled or
    /// failed (interrupted before it started is not possible, but a node may
    /// refuse it) without running; terminal states never change.
    pub fn can_become(self, next: ExecutionStatus) -> bool {
        match self {
            Self::Queued => matches!(next, Self::Running | Self::Canceled | Self::Failed),
            Self::Running => next.is_terminal(),
            _ => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "timed_out" => Self::TimedOut,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }
}

/// An execution as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub id: ExecutionId,
    /// Monotonic position in the queue; the Python dialect shows it as `queue_id`.
    pub seq: i64,
    pub kind: ExecutionKind,
    pub user: UserName,
    pub status: ExecutionStatus,
    /// Set when a cancel arrived while running; cleared by nothing: the
    /// execution ends `canceled` once its processes are gone.
    pub cancel_requested: bool,
    pub priority: Priority,
    pub timeout: Timeout,
    pub job: JobSpec,
    pub outcome: Option<Outcome>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// The node that runs or ran it.
    pub node: Option<NodeId>,
    /// The button, agent or scenario it belongs to, for filtering.
    pub subject: Option<String>,
    pub idempotency_key: Option<String>,
}

impl Execution {
    /// Seconds spent waiting in the queue (so far, if still queued).
    pub fn queue_seconds(&self, now: Timestamp) -> f64 {
        self.started_at
            .unwrap_or(self.finished_at.unwrap_or(now))
            .seconds_since(self.created_at)
    }

    /// Seconds spent running (so far, if still running).
    pub fn run_seconds(&self, now: Timestamp) -> f64 {
        match self.started_at {
            Some(start) => self.finished_at.unwrap_or(now).seconds_since(start),
            None => 0.0,
        }
    }
}

/// What a dialect hands to the engine to create an execution.
#[derive(Clone, Debug)]
pub struct NewExecution {
    pub id: ExecutionId,
    pub user: UserName,
    pub priority: Priority,
    pub timeout: Timeout,
    pub job: JobSpec,
    pub subject: Option<String>,
    pub idempotency: Option<Idempotency>,
    /// Where to deliver the final result, if the caller asked for a webhook.
    pub webhook_url: Option<String>,
}

/// A client-chosen key that makes a submission safe to repeat: the same key
/// with the same request finds the first execution; with another request it
/// is a conflict. Keys are scoped to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    /// A digest of the request the key was first used with.
    pub fingerprint: String,
}

impl NewExecution {
    pub fn kind(&self) -> ExecutionKind {
        self.job.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::ExecutionStatus::*;
    use super::*;

    #[test]
    fn transitions() {
        assert!(Queued.can_become(Running));
        assert!(Queued.can_become(Canceled));
        assert!(!Queued.can_become(Succeeded));
        assert!(Running.can_become(TimedOut));
        assert!(!Running.can_become(Queued));
        for t in ExecutionStatus::TERMINAL {
            assert!(t.is_terminal());
            assert!(!t.can_become(Running));
            assert_eq!(ExecutionStatus::parse(t.as_str()), Some(t));
        }
    }
}

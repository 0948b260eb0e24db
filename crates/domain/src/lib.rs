//! The vocabulary every other runbox crate speaks: executions and their state
//! machine, identifiers, users, timestamps and validated limits.
//!
//! Nothing here performs I/O. Types are built so that an invalid value cannot
//! exist: a [`Timeout`] is always within its bounds, an [`ExecutionStatus`]
//! only moves along the transitions [`ExecutionStatus::can_become`] allows.

pub mod base64_bytes;
mod catalog;
mod execution;
mod ids;
mod job;
mod limits;
pub mod metric_names;
mod network;
mod outcome;
mod schedule;
mod time;

pub use catalog::{
    check_env, check_secret_name, AgentSpec, ButtonSpec, Env, EnvValue, HookSpec, HookTarget,
    ENV_MAX_NAME_CHARS, ENV_MAX_VALUE_BYTES, ENV_MAX_VARS, SECRET_NAME_MAX_CHARS,
};
pub use execution::{Execution, ExecutionKind, ExecutionStatus, Idempotency, NewExecution};
pub use ids::{ExecutionId, InvalidName, NodeId, UserName};
pub use job::{
    AgentJob, AgentRuntime, HookRequest, JobSpec, PythonJob, ShellJob, FILE_PLACEHOLDER, JAVASCRIPT,
};
pub use limits::{json_depth, OutOfRange, Priority, Timeout, MAX_JSON_DEPTH};
pub use network::{
    check_host_name, first_uncovered, parse_destinations, permits_any, Destination, HostPattern,
    InvalidDestination, DEFAULT_PORTS,
};
pub use outcome::{Outcome, OutcomeKind, Resources, UsedEnvironment};
pub use schedule::{CatchUp, CronSchedule, Occurrences, DEFAULT_TIMEZONE};
pub use time::Timestamp;

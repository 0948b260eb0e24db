//! runbox-workflow: the Make-compatible scenario engine (seed 002).
//!
//! Layout:
//! - [`iml`]: Make's mapping language — templates, parser, evaluator,
//!   function library;
//! - [`blueprint`]: Make's blueprint shape, parsing (object or JSON
//!   string) and validation that names the offending module;
//! - [`executor`]: runs a blueprint for one input: bundles, filters,
//!   routers, iterators/aggregators, modules, error handlers, deadline,
//!   cancel, resume;
//! - [`report`]: what a run produced (status, outputs, stats, per-module
//!   records, error, resume state);
//! - [`job`]: the job stored in an execution (`JobSpec::Scenario`);
//! - [`definition`]: a scenario as saved (blueprint, scheduling, interface);
//! - [`schedule`]: new runs, and the recurring runs of `indefinitely` scenarios;
//! - [`runner`]: [`ScenarioRunner`], the engine's [`JobRunner`] for
//!   scenario executions (sandboxed Python steps, guarded HTTP).
//!
//! Architecture invariant: this crate knows nothing of HTTP request or
//! response shapes of the scenarios API; the API crate renders
//! [`ScenarioReport`]s (via [`report_of`]).
//!
//! [`JobRunner`]: runbox_engine::JobRunner

pub mod blueprint;
pub mod definition;
pub mod executor;
pub mod iml;
pub mod job;
pub mod report;
pub mod runner;
pub mod schedule;

pub use blueprint::{load_blueprint, parse_blueprint, validate, Blueprint, BlueprintError};
pub use job::ScenarioJob;
pub use report::{
    ModuleRun, ModuleStatus, ResumeState, ScenarioError, ScenarioReport, ScenarioStatus,
};
pub use runner::{report_of, ScenarioRunner, WEBHOOK_RESPONSE_LOG};

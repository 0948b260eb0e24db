//! [`ScenarioJob`]: what a scenario execution runs, stored as
//! `JobSpec::Scenario(value)` so the run can be repeated (or resumed)
//! exactly as it was asked, with the blueprint as it was then.

use runbox_domain::JobSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::report::{ResumeState, ScenarioReport};

/// Default and largest `maxDuration`, in seconds (40 minutes).
pub const MAX_DURATION_SECS: u32 = 2400;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioJob {
    pub scenario_id: i64,
    pub scenario_name: String,
    /// The blueprint snapshot, as stored with the scenario (object or JSON
    /// string).
    pub blueprint: Value,
    /// The run's input data (`var.input`).
    pub input: Value,
    /// The run's time limit; 0 means the default, [`MAX_DURATION_SECS`].
    pub max_duration_secs: u32,
    /// For a retry: the failed run's resume state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<ResumeState>,
    /// For a retry: the id of the execution it retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_of: Option<String>,
    /// Started by the scenario's schedule rather than by a caller.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scheduled: bool,
    /// The incoming webhook that started the run: `input` is its request,
    /// and a `gateway:WebhookRespond` answers the caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<i64>,
}

impl ScenarioJob {
    pub fn to_spec(&self) -> Result<JobSpec, serde_json::Error> {
        Ok(JobSpec::Scenario(serde_json::to_value(self)?))
    }

    /// The job inside a scenario execution's spec.
    pub fn from_spec(spec: &JobSpec) -> Result<Self, String> {
        match spec {
            JobSpec::Scenario(value) => {
                Self::deserialize(value).map_err(|e| format!("invalid scenario job: {e}"))
            }
            _ => Err("not a scenario job".to_owned()),
        }
    }

    /// Where a retry of an execution of this job resumes, given that
    /// execution's report (if it has one). The retry runs this job's
    /// blueprint snapshot and input again.
    ///
    /// - The report's resume state when it has one: the outputs of the
    ///   modules that had completed are kept and the retry resumes at the
    ///   module that failed or was stopped (nothing is kept after a
    ///   Rollback: the retry starts over).
    /// - Otherwise the run did not walk the flow, or its report is lost:
    ///   stopped while still pending, interrupted by a node crash, refused
    ///   because its blueprint no longer validated. The retry starts where
    ///   this run was to start: at this job's own resume state when it was
    ///   itself a retry, else from the beginning.
    pub fn retry_resume(&self, report: Option<&ScenarioReport>) -> ResumeState {
        report
            .and_then(|r| r.resume.clone())
            .or_else(|| self.resume.clone())
            .unwrap_or_default()
    }

    /// The effective time limit in seconds.
    pub fn max_duration(&self) -> u32 {
        match self.max_duration_secs {
            0 => MAX_DURATION_SECS,
            secs => secs.min(MAX_DURATION_SECS),
        }
    }
}

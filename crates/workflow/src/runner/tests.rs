//! Status and outcome mapping of scenario reports, and the job's storage form.

use runbox_domain::JobSpec;
use serde_json::json;

use super::*;
use crate::report::ResumeState;

fn report(status: ScenarioStatus, code: Option<&str>) -> ScenarioReport {
    ScenarioReport {
        status,
        outputs: json!({"a": 1}),
        operations: 3,
        data_transfer: 10,
        modules: Vec::new(),
        modules_truncated: false,
        error: code.map(|code| ScenarioError {
            code: code.to_owned(),
            message: format!("{code} happened"),
            module_id: Some(2),
            module_name: Some("json:ParseJSON".into()),
        }),
        resume: code.map(|_| ResumeState::default()),
    }
}

#[test]
fn statuses_map_to_execution_statuses_and_outcome_kinds() {
    let cases = [
        (
            report(ScenarioStatus::Completed, None),
            ExecutionStatus::Succeeded,
            OutcomeKind::Completed,
            None,
        ),
        (
            report(ScenarioStatus::Warning, None),
            ExecutionStatus::Succeeded,
            OutcomeKind::Completed,
            None,
        ),
        (
            report(ScenarioStatus::Error, Some("EXECUTION_ERROR")),
            ExecutionStatus::Failed,
            OutcomeKind::Completed,
            Some("EXECUTION_ERROR happened"),
        ),
        (
            report(ScenarioStatus::Error, Some("TIMEOUT")),
            ExecutionStatus::Failed,
            OutcomeKind::TimedOut,
            Some("TIMEOUT happened"),
        ),
        (
            report(ScenarioStatus::Stopped, None),
            ExecutionStatus::Canceled,
            OutcomeKind::Canceled,
            Some("Execution stopped"),
        ),
    ];
    for (report, status, kind, error) in cases {
        let expected = report.clone();
        let finished = finished(report);
        assert_eq!(finished.status, status);
        assert_eq!(finished.outcome.kind, kind);
        assert_eq!(finished.outcome.error.as_deref(), error);
        assert_eq!(finished.outcome.result, Some(json!({"a": 1})));
        assert_eq!(report_of(&finished.outcome), Some(expected));
    }
}

#[test]
fn the_report_uses_camel_case_on_the_wire() {
    let wire = serde_json::to_value(report(ScenarioStatus::Error, Some("TIMEOUT"))).unwrap();
    assert_eq!(wire["status"], json!("error"));
    assert_eq!(wire["dataTransfer"], json!(10));
    assert_eq!(wire["error"]["moduleId"], json!(2));
    assert_eq!(wire["error"]["moduleName"], json!("json:ParseJSON"));
}

#[test]
fn jobs_round_trip_through_the_job_spec() {
    let job = ScenarioJob {
        scenario_id: 7,
        scenario_name: "demo".into(),
        blueprint: json!({"name": "b", "flow": []}),
        input: json!({"x": 1}),
        max_duration_secs: 0,
        resume: Some(ResumeState::default()),
        retry_of: Some("abc".into()),
        scheduled: true,
        hook: None,
    };
    let spec = job.to_spec().unwrap();
    assert!(matches!(spec, JobSpec::Scenario(_)));
    let stored = serde_json::to_string(&spec).unwrap();
    let back: JobSpec = serde_json::from_str(&stored).unwrap();
    assert_eq!(ScenarioJob::from_spec(&back).unwrap(), job);
    assert_eq!(job.max_duration(), 2400);
    assert!(
        ScenarioJob::from_spec(&JobSpec::Python(runbox_domain::PythonJob {
            runtime: None,
            code: String::new(),
            request_id: None,
            webhook_url: None,
        }))
        .is_err()
    );
}

#[test]
fn a_retry_resumes_from_the_report_else_where_the_run_was_to_start() {
    let kept = |module_id: i64| ResumeState {
        completed: vec![crate::report::CompletedStep {
            path: String::new(),
            module_id,
            outputs: vec![json!({"n": module_id})],
        }],
        stopped_at: None,
    };
    let mut job = ScenarioJob {
        scenario_id: 7,
        scenario_name: "demo".into(),
        blueprint: json!({"name": "b", "flow": []}),
        input: json!({"x": 1}),
        max_duration_secs: 0,
        resume: None,
        retry_of: None,
        scheduled: false,
        hook: None,
    };
    let mut failed = report(ScenarioStatus::Error, Some("EXECUTION_ERROR"));
    failed.resume = Some(kept(2));
    assert_eq!(
        job.retry_resume(Some(&failed)),
        kept(2),
        "resumes at the failed module"
    );
    // No report (stopped while pending, interrupted) or a report without
    // resume state (refused at run time): from the start...
    let refused = refused(
        "INVALID_INPUT",
        "module 3 (x:Y): unknown module type".into(),
    );
    assert_eq!(job.retry_resume(None), ResumeState::default());
    assert_eq!(job.retry_resume(Some(&refused)), ResumeState::default());
    // ...or, for a run that was itself a retry, from where it was to start.
    job.resume = Some(kept(1));
    assert_eq!(job.retry_resume(None), kept(1));
    assert_eq!(job.retry_resume(Some(&refused)), kept(1));
    assert_eq!(job.retry_resume(Some(&failed)), kept(2));
    // A rolled-back run keeps nothing, even if it was a retry.
    let mut rolled_back = failed.clone();
    rolled_back.resume = Some(ResumeState::default());
    assert_eq!(job.retry_resume(Some(&rolled_back)), ResumeState::default());
}

#[test]
fn an_invalid_blueprint_refuses_the_run() {
    let finished = finished(refused(
        "INVALID_INPUT",
        "module 3 (x:Y): unknown module type".into(),
    ));
    assert_eq!(finished.status, ExecutionStatus::Failed);
    let report = report_of(&finished.outcome).unwrap();
    assert_eq!(report.error.unwrap().code, "INVALID_INPUT");
}

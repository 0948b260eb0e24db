//! The scenarios dialect's shapes: a scenario, an execution, its details.

use runbox_domain::{Execution, ExecutionStatus};
use runbox_store::CatalogItem;
use runbox_workflow::definition::ScenarioDefinition;
use runbox_workflow::{report_of, ScenarioJob, ScenarioReport};
use serde_json::{json, Value};

pub fn scenario(item: &CatalogItem, definition: &ScenarioDefinition) -> Value {
    json!({
        "id": item.number,
        "name": definition.name,
        "teamId": definition.team_id,
        "description": definition.description,
        "isActive": definition.is_active,
        "isPaused": !definition.is_active,
        "scheduling": definition.scheduling,
        "maxDuration": definition.max_duration,
        "created": item.created_at.to_iso(),
        "lastEdit": item.updated_at.to_iso(),
    })
}

/// The run's status in the seed's words.
pub fn status(execution: &Execution, report: Option<&ScenarioReport>) -> &'static str {
    match execution.status {
        ExecutionStatus::Queued => "pending",
        ExecutionStatus::Running => "running",
        ExecutionStatus::Succeeded => match report.map(|r| r.status) {
            Some(runbox_workflow::ScenarioStatus::Warning) => "warning",
            _ => "completed",
        },
        ExecutionStatus::Failed | ExecutionStatus::TimedOut => "error",
        ExecutionStatus::Canceled => "stopped",
    }
}

pub fn report(execution: &Execution) -> Option<ScenarioReport> {
    execution.outcome.as_ref().and_then(report_of)
}

pub fn execution(execution: &Execution) -> Value {
    let report = report(execution);
    let job = ScenarioJob::from_spec(&execution.job).ok();
    let duration = match (execution.started_at, execution.finished_at) {
        (Some(start), Some(end)) => Some((end.as_millis() - start.as_millis()).max(0)),
        _ => None,
    };
    let error = report.as_ref().and_then(|r| r.error.as_ref()).map(|e| {
        json!({ "code": e.code, "message": e.message, "moduleId": e.module_id, "moduleName": e.module_name })
    });
    let error = error.or_else(|| {
        // A run runbox itself failed (interrupted node, sandbox) has no report.
        (execution.status == ExecutionStatus::Failed)
            .then(|| execution.outcome.as_ref().and_then(|o| o.error.clone()))
            .flatten()
            .map(|message| json!({ "code": "EXECUTION_ERROR", "message": message }))
    });
    json!({
        "id": execution.id.as_str(),
        "scenarioId": job.as_ref().map(|j| j.scenario_id),
        "status": status(execution, report.as_ref()),
        "started": execution.started_at.map(|t| t.to_iso()),
        "finished": execution.finished_at.map(|t| t.to_iso()),
        "created": execution.created_at.to_iso(),
        "operations": report.as_ref().map_or(0, |r| r.operations),
        "dataTransfer": report.as_ref().map_or(0, |r| r.data_transfer),
        "duration": duration,
        "outputs": report.as_ref().map(|r| r.outputs.clone()),
        "error": error,
        "retryOf": job.and_then(|j| j.retry_of),
    })
}

pub fn details(execution: &Execution) -> Value {
    let report = report(execution);
    let modules: Vec<Value> = report
        .as_ref()
        .map(|r| {
            r.modules
                .iter()
                .map(|m| {
                    let mut module = json!({
                        "id": m.id,
                        "name": m.name,
                        "module": m.module,
                        "status": m.status,
                        "duration": m.duration,
                        "input": m.input,
                        "output": m.output,
                        "bundle": m.bundle,
                    });
                    if let Some(error) = &m.error {
                        module["error"] = json!(error);
                    }
                    module
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "id": execution.id.as_str(),
        "status": status(execution, report.as_ref()),
        "modules": modules,
        "modulesTruncated": report.as_ref().is_some_and(|r| r.modules_truncated),
    })
}

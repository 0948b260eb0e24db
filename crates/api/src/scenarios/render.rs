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
        "nextRun": next_run(definition),
        "maxDuration": definition.max_duration,
        "created": item.created_at.to_iso(),
        "lastEdit": item.updated_at.to_iso(),
        // Make's fields, for its clients: what runbox has, or Make's "none".
        "folderId": definition.folder_id,
        "usedPackages": used_packages(&definition.blueprint),
        "isinvalid": false,
        "dlqCount": 0,
        "createdByUser": { "id": null, "name": item.owner.as_str(), "email": null },
    })
}

/// When an active scheduled scenario next runs; null otherwise.
fn next_run(definition: &ScenarioDefinition) -> Option<String> {
    if !definition.is_active {
        return None;
    }
    crate::fields::next_run(definition.scheduling.cron_schedule().as_ref())
}

/// The apps the blueprint's modules come from (`http` of `http:MakeRequest`),
/// routes included, each once, in order of first use.
fn used_packages(blueprint: &Value) -> Vec<String> {
    fn walk(flow: &Value, found: &mut Vec<String>) {
        for module in flow.as_array().into_iter().flatten() {
            if let Some((app, _)) = module
                .get("module")
                .and_then(Value::as_str)
                .and_then(|m| m.split_once(':'))
            {
                if !found.iter().any(|f| f == app) {
                    found.push(app.to_owned());
                }
            }
            for route in module
                .get("routes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                walk(&route["flow"], found);
            }
        }
    }
    let mut found = Vec::new();
    walk(&blueprint["flow"], &mut found);
    found
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

/// Make's number for a run: 0 still going, 1 success, 2 success with
/// warnings, 3 failed (error or stopped).
pub fn make_status(execution: &Execution) -> u8 {
    match status(execution, report(execution).as_ref()) {
        "pending" | "running" => 0,
        "completed" => 1,
        "warning" => 2,
        _ => 3,
    }
}

/// An execution as Make's logs list it (`GET /scenarios/{id}/logs`).
pub fn log(execution: &Execution) -> Value {
    let report = report(execution);
    let job = ScenarioJob::from_spec(&execution.job).ok();
    let duration = match (execution.started_at, execution.finished_at) {
        (Some(start), Some(end)) => (end.as_millis() - start.as_millis()).max(0),
        _ => 0,
    };
    let when = execution.finished_at.unwrap_or(execution.created_at);
    json!({
        "id": execution.id.as_str(),
        "imtId": execution.id.as_str(),
        "status": make_status(execution),
        "timestamp": when.to_iso(),
        "duration": duration,
        "operations": report.as_ref().map_or(0, |r| r.operations),
        "transfer": report.as_ref().map_or(0, |r| r.data_transfer),
        "centicredits": 0,
        "type": if job.as_ref().is_some_and(|j| j.scheduled || j.hook.is_some()) { "auto" } else { "manual" },
        "authorId": null,
        "instant": false,
        "scenarioId": job.map(|j| j.scenario_id),
    })
}

/// What Make's `GET /scenarios/{id}/executions/{eid}` answers (the SDK's
/// `getDetail`): `status` RUNNING | SUCCESS | WARNING | ERROR, `outputs`,
/// and for a failure `error: {name, message, causeModule?}`.
pub fn make_detail(execution: &Execution) -> Value {
    let report = report(execution);
    let word = match make_status(execution) {
        0 => "RUNNING",
        1 => "SUCCESS",
        2 => "WARNING",
        _ => "ERROR",
    };
    let mut body = json!({ "status": word });
    if let Some(report) = &report {
        body["outputs"] = report.outputs.clone();
    }
    if word == "ERROR" || word == "WARNING" {
        let failure = report.as_ref().and_then(|r| r.error.as_ref());
        let message = failure
            .map(|e| e.message.clone())
            .or_else(|| execution.outcome.as_ref().and_then(|o| o.error.clone()))
            .unwrap_or_else(|| match execution.status {
                ExecutionStatus::Canceled => "Scenario execution was stopped".to_owned(),
                _ => "Scenario execution failed".to_owned(),
            });
        let mut error = json!({
            "name": failure.map_or("EXECUTION_ERROR", |e| e.code.as_str()),
            "message": message,
        });
        if let Some(module) = failure.and_then(|e| e.module_name.as_deref()) {
            let app = module.split_once(':').map_or(module, |(app, _)| app);
            error["causeModule"] = json!({ "name": module, "appName": app });
        }
        body["error"] = error;
    }
    body
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
                    if let Some(resources) = &m.resources {
                        module["resources"] = crate::resources::render(resources);
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

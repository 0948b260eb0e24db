//! Executor: module errors with and without error handlers (Ignore,
//! Resume, Break, Rollback, error routes), and Python step failures.

mod common;

use common::*;
use runbox_workflow::{ModuleStatus, ScenarioStatus};
use serde_json::{json, Value};

/// Start → ParseJSON of the input's `json` (with `onerror`) → ReturnData.
fn parse_then_return(onerror: Value) -> Value {
    let mut parse = m(2, "json:ParseJSON", json!({"json": "{{1.json}}"}));
    if !onerror.is_null() {
        parse["onerror"] = onerror;
    }
    json!([start(), parse, returning(3, json!({"a": "{{2.a}}"}))])
}

#[tokio::test]
async fn an_unhandled_module_error_fails_the_run_naming_the_module() {
    let mut flow = parse_then_return(Value::Null);
    flow[1]["metadata"] = json!({"designer": {"name": "Parse order"}});
    let report = run(flow, json!({"json": "{not json"})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.code, "EXECUTION_ERROR");
    assert_eq!(error.module_id, Some(2));
    assert_eq!(error.module_name.as_deref(), Some("Parse order"));
    assert!(
        error.message.contains("not valid JSON"),
        "{}",
        error.message
    );
    assert_eq!(
        trail(&report),
        [(1, "completed".into()), (2, "error".into())]
    );
    assert_eq!(
        report.modules[1].error.as_deref(),
        Some(error.message.as_str())
    );
    assert_eq!(
        report.operations, 1,
        "a failed run still costs its operation"
    );
    let resume = report.resume.as_ref().unwrap();
    assert_eq!(resume.stopped_at.as_ref().map(|s| s.module_id), Some(2));
    assert_eq!(
        resume
            .completed
            .iter()
            .map(|c| c.module_id)
            .collect::<Vec<_>>(),
        [1]
    );
    let wire = serde_json::to_value(&report).unwrap();
    assert_eq!(wire["error"]["moduleId"], json!(2));
    assert_eq!(wire["error"]["moduleName"], json!("Parse order"));
    assert!(wire.get("dataTransfer").is_some());
}

#[tokio::test]
async fn ignore_drops_the_bundle_and_warns() {
    let report = run(
        parse_then_return(json!([m(9, "builtin:Ignore", json!({}))])),
        json!({"json": "oops"}),
    )
    .await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    assert_eq!(report.outputs, json!({}));
    assert_eq!(
        trail(&report),
        [(1, "completed".into()), (2, "warning".into())]
    );
    assert!(report.error.is_none() && report.resume.is_none());
}

#[tokio::test]
async fn ignore_inside_an_iterator_keeps_the_other_bundles() {
    let mut parse = m(3, "json:ParseJSON", json!({"json": "{{2.value}}"}));
    parse["onerror"] = json!([m(9, "builtin:Ignore", json!({}))]);
    let mut aggregator = m(4, "builtin:BasicAggregator", json!({"value": "{{3.a}}"}));
    aggregator["parameters"] = json!({"feeder": 2});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.items}}"})),
        parse,
        aggregator,
        returning(5, json!({"a": "{{4.array}}"}))
    ]);
    let report = run(flow, json!({"items": ["{\"a\": 1}", "bad", "{\"a\": 3}"]})).await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    assert_eq!(report.outputs, json!({"a": [1, 3]}));
    let parses: Vec<_> = report
        .modules
        .iter()
        .filter(|r| r.id == 3)
        .map(|r| (r.bundle, r.status))
        .collect();
    assert_eq!(
        parses,
        [
            (1, ModuleStatus::Completed),
            (2, ModuleStatus::Warning),
            (3, ModuleStatus::Completed)
        ]
    );
}

#[tokio::test]
async fn resume_substitutes_the_output_and_goes_on() {
    let handler = m(9, "builtin:Resume", json!({"a": "fallback for {{1.json}}"}));
    let report = run(parse_then_return(json!([handler])), json!({"json": "oops"})).await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    assert_eq!(report.outputs, json!({"a": "fallback for oops"}));
    assert!(report.error.is_none());
}

#[tokio::test]
async fn break_fails_the_run_but_keeps_resume_state() {
    let report = run(
        parse_then_return(json!([m(9, "builtin:Break", json!({}))])),
        json!({"json": "oops"}),
    )
    .await;
    assert_eq!(report.status, ScenarioStatus::Error);
    assert_eq!(
        report.error.as_ref().map(|e| e.code.as_str()),
        Some("EXECUTION_ERROR")
    );
    assert_eq!(
        trail(&report),
        [(1, "completed".into()), (2, "error".into())]
    );
    assert!(
        report.resume.is_some(),
        "Break leaves an incomplete, retryable run"
    );
}

#[tokio::test]
async fn rollback_fails_the_run_and_keeps_nothing_for_a_retry() {
    let report = run(
        parse_then_return(json!([m(9, "builtin:Rollback", json!({}))])),
        json!({"json": "oops"}),
    )
    .await;
    assert_eq!(report.status, ScenarioStatus::Error);
    assert_eq!(report.error.as_ref().and_then(|e| e.module_id), Some(2));
    let resume = report.resume.as_ref().expect("retryable, from the start");
    assert!(
        resume.completed.is_empty(),
        "rolled back: a retry redoes every module"
    );
    assert_eq!(resume.stopped_at.as_ref().map(|s| s.module_id), Some(2));
}

#[tokio::test]
async fn a_return_data_in_the_error_route_ends_the_run_warning() {
    let route = json!([
        m(
            11,
            "util:SetVariable2",
            json!({"name": "why", "value": "{{2.error.message}}"})
        ),
        returning(12, json!({"handled": "{{11.why}}"})),
    ]);
    let report = run(parse_then_return(route), json!({"json": "oops"})).await;
    assert_eq!(
        report.status,
        ScenarioStatus::Warning,
        "an error handler absorbed the module error"
    );
    assert!(report.outputs["handled"]
        .as_str()
        .is_some_and(|m| m.contains("not valid JSON")));
    assert_eq!(
        trail(&report),
        [
            (1, "completed".into()),
            (2, "warning".into()),
            (11, "completed".into()),
            (12, "completed".into())
        ]
    );
    assert!(report.error.is_none() && report.resume.is_none());
}

#[tokio::test]
async fn error_routes_run_their_modules_before_the_directive() {
    let route = json!([
        m(
            8,
            "util:SetVariable2",
            json!({"name": "why", "value": "{{2.error.message}}"})
        ),
        m(9, "builtin:Resume", json!({"a": "{{8.why}}"})),
    ]);
    let report = run(parse_then_return(route), json!({"json": "oops"})).await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    let why = report.outputs["a"].as_str().unwrap();
    assert!(why.contains("not valid JSON"), "{why}");
    assert_eq!(
        trail(&report),
        [
            (1, "completed".into()),
            (2, "warning".into()),
            (8, "completed".into()),
            (3, "completed".into())
        ]
    );
    assert_eq!(report.operations, 2);
}

#[tokio::test]
async fn no_directive_in_the_error_route_means_ignore() {
    let route = json!([m(
        8,
        "util:SetVariable2",
        json!({"name": "logged", "value": true})
    )]);
    let report = run(parse_then_return(route), json!({"json": "oops"})).await;
    assert_eq!(report.status, ScenarioStatus::Warning);
    assert_eq!(report.outputs, json!({}));
}

#[tokio::test]
async fn a_failing_python_step_reports_the_traceback_last_line() {
    let flow = json!([
        start(),
        m(
            2,
            "code:ExecutePython",
            json!({"code": "fail", "input": {}})
        )
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    assert_eq!(
        report.error.as_ref().map(|e| e.message.as_str()),
        Some("ValueError: boom")
    );
}

#[tokio::test]
async fn a_non_zero_exit_without_an_exception_says_the_exit_code() {
    let flow = json!([
        start(),
        m(
            2,
            "code:ExecutePython",
            json!({"code": "exit 3", "input": {}})
        )
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    assert_eq!(
        report.error.as_ref().map(|e| e.message.as_str()),
        Some("Process exited with code 3"),
        "the Python API's words, not stderr's last line"
    );
}

#[tokio::test]
async fn stderr_alone_does_not_fail_a_python_step() {
    let flow = json!([
        start(),
        m(
            2,
            "code:ExecutePython",
            json!({"code": "warn", "input": {}})
        ),
        returning(3, json!({"stderr": "{{2.stderr}}"})),
    ]);
    let report = run(flow, json!({})).await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(report.outputs, json!({"stderr": "careful\n"}));
}

#[tokio::test]
async fn expression_errors_at_run_time_are_module_errors() {
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariable2",
            json!({"name": "x", "value": "{{1.a / 0}}"})
        )
    ]);
    let report = run(flow, json!({"a": 1})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let message = &report.error.as_ref().unwrap().message;
    assert!(message.contains("division by zero"), "{message}");
    assert_eq!(report.modules[1].input, Value::Null);
}

//! Executor: maxDuration, cancellation, and retries that resume from a
//! failed run's state.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use runbox_workflow::ScenarioStatus;
use serde_json::json;

fn sleeping(seconds: u64) -> serde_json::Value {
    json!([
        start(),
        m(2, "util:FunctionSleep", json!({"duration": seconds})),
        returning(3, json!({"slept": true})),
    ])
}

#[tokio::test]
async fn max_duration_stops_a_sleep_with_timeout() {
    let mut run = Run::new(sleeping(30), json!({}));
    run.max_duration = Duration::from_millis(300);
    let started = Instant::now();
    let report = run.go().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(report.status, ScenarioStatus::Error);
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.code, "TIMEOUT");
    assert_eq!(error.module_id, Some(2));
    assert_eq!(
        trail(&report),
        [(1, "completed".into()), (2, "error".into())]
    );
    assert!(report.resume.is_some());
}

#[tokio::test]
async fn max_duration_cancels_a_python_step() {
    let python = Arc::new(FakePython::default());
    let mut run = Run::new(
        json!([start(), m(2, "code:ExecutePython", json!({"code": "hang"}))]),
        json!({}),
    );
    run.services = services_with(python.clone(), &[]);
    run.max_duration = Duration::from_millis(300);
    let report = run.go().await;
    assert_eq!(
        report.error.as_ref().map(|e| e.code.as_str()),
        Some("TIMEOUT")
    );
    assert!(
        python.saw_cancel.load(Ordering::SeqCst),
        "the sandbox run must be told to stop"
    );
}

#[tokio::test]
async fn cancel_stops_the_run_at_once() {
    let run = Run::new(sleeping(30), json!({}));
    let cancel = run.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let report = run.go().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(report.status, ScenarioStatus::Stopped);
    assert!(report.error.is_none());
    assert_eq!(
        report
            .resume
            .as_ref()
            .and_then(|r| r.stopped_at.as_ref())
            .map(|s| s.module_id),
        Some(2)
    );
}

#[tokio::test]
async fn a_run_cancelled_before_it_starts_runs_nothing() {
    let run = Run::new(sleeping(30), json!({}));
    run.cancel.cancel();
    let report = run.go().await;
    assert_eq!(report.status, ScenarioStatus::Stopped);
    assert!(report.modules.is_empty());
}

#[tokio::test]
async fn retry_skips_completed_modules_and_resumes_at_the_failed_one() {
    let python = Arc::new(FakePython::default());
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariable2",
            json!({"name": "id", "value": "{{uuid}}"})
        ),
        m(
            3,
            "code:ExecutePython",
            json!({"code": "flaky", "input": {"id": "{{2.id}}"}})
        ),
        returning(4, json!({"id": "{{2.id}}", "echo": "{{3.result.id}}"})),
    ]);
    let mut first = Run::new(flow.clone(), json!({}));
    first.services = services_with(python.clone(), &[]);
    let failed = first.go().await;
    assert_eq!(failed.status, ScenarioStatus::Error);
    assert_eq!(
        failed.error.as_ref().map(|e| e.message.as_str()),
        Some("RuntimeError: first attempt fails")
    );
    let id = failed.modules[1].output["id"].clone();

    let mut retry = Run::new(flow, json!({}));
    retry.services = services_with(python.clone(), &[]);
    retry.resume = failed.resume.clone();
    let report = retry.go().await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(
        report.outputs,
        json!({"id": id, "echo": id}),
        "module 2 is not run again: same uuid"
    );
    assert_eq!(
        report.modules.iter().map(|r| r.id).collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(report.operations, 1);
    assert_eq!(python.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn retry_of_an_iterator_replays_only_unfinished_bundles() {
    let python = Arc::new(FakePython::default());
    let mut aggregator = m(
        4,
        "builtin:BasicAggregator",
        json!({"value": "{{3.result.n}}"}),
    );
    aggregator["parameters"] = json!({"feeder": 2});
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.items}}"})),
        m(
            3,
            "code:ExecutePython",
            json!({"code": "flaky", "input": {"n": "{{2.value}}"}})
        ),
        aggregator,
        returning(5, json!({"all": "{{4.array}}"})),
    ]);
    // Item 1 fails on the first attempt: nothing completes but the iterator.
    let mut first = Run::new(flow.clone(), json!({"items": [1, 2, 3]}));
    first.services = services_with(python.clone(), &[]);
    let failed = first.go().await;
    assert_eq!(failed.status, ScenarioStatus::Error);
    let resume = failed.resume.clone().unwrap();
    assert_eq!(
        resume
            .stopped_at
            .as_ref()
            .map(|s| (s.module_id, s.path.as_str())),
        Some((3, "/2.1"))
    );

    // The retry: item 1 now works; items 2 and 3 fail once each, so it
    // fails again at item 2 with item 1 done.
    let mut second = Run::new(flow.clone(), json!({"items": [1, 2, 3]}));
    second.services = services_with(python.clone(), &[]);
    second.resume = Some(resume);
    let failed_again = second.go().await;
    assert_eq!(
        failed_again
            .resume
            .as_ref()
            .and_then(|r| r.stopped_at.as_ref())
            .map(|s| s.path.clone()),
        Some("/2.2".into())
    );

    python.calls.lock().unwrap().clear();
    let mut third = Run::new(flow.clone(), json!({"items": [1, 2, 3]}));
    third.services = services_with(python.clone(), &[]);
    third.resume = failed_again.resume.clone();
    let report = third.go().await;
    assert_eq!(
        report.status,
        ScenarioStatus::Error,
        "item 3 fails on its first attempt"
    );
    assert_eq!(
        *python.calls.lock().unwrap(),
        [json!({"n": 2}), json!({"n": 3})],
        "item 1 is not run again"
    );

    let mut last = Run::new(flow, json!({"items": [1, 2, 3]}));
    last.services = services_with(python.clone(), &[]);
    last.resume = report.resume.clone();
    let done = last.go().await;
    assert_eq!(done.status, ScenarioStatus::Completed, "{:?}", done.error);
    assert_eq!(done.outputs, json!({"all": [1, 2, 3]}));
}

#[tokio::test]
async fn retry_after_a_rollback_runs_every_module_again() {
    let python = Arc::new(FakePython::default());
    let mut flaky = m(
        3,
        "code:ExecutePython",
        json!({"code": "flaky", "input": {"same": "every time"}}),
    );
    flaky["onerror"] = json!([m(9, "builtin:Rollback", json!({}))]);
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariable2",
            json!({"name": "id", "value": "{{uuid}}"})
        ),
        flaky,
        returning(4, json!({"id": "{{2.id}}"})),
    ]);
    let mut first = Run::new(flow.clone(), json!({}));
    first.services = services_with(python.clone(), &[]);
    let rolled_back = first.go().await;
    assert_eq!(rolled_back.status, ScenarioStatus::Error);
    let before = rolled_back.modules[1].output["id"].clone();

    let mut retry = Run::new(flow, json!({}));
    retry.services = services_with(python.clone(), &[]);
    retry.resume = rolled_back.resume.clone();
    let report = retry.go().await;
    assert_eq!(
        report.status,
        ScenarioStatus::Completed,
        "{:?}",
        report.error
    );
    assert_eq!(
        report.modules.iter().map(|r| r.id).collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "nothing was kept"
    );
    assert_ne!(
        report.outputs["id"], before,
        "module 2 ran again: a new uuid"
    );
}

/// One mapper may not build more than 8 MiB in all, and a run's module
/// inputs and outputs together stay under 64 MiB: a blueprint of a few lines
/// must not fill the server's memory.
#[tokio::test]
async fn data_sizes_are_bounded_per_mapper_and_per_run() {
    let big = "x".repeat(1 << 20);
    let keys: serde_json::Map<String, serde_json::Value> = (0..10)
        .map(|n| (format!("k{n}"), json!("{{1.big}}")))
        .collect();
    let flow = json!([
        start(),
        m(
            2,
            "util:SetVariables",
            json!({"variables": [{"name": "all", "value": keys}]})
        )
    ]);
    let report = run(flow, json!({"big": big})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let error = report.error.as_ref().unwrap();
    assert_eq!(error.module_id, Some(2));
    assert!(error.message.contains("size limit"), "{}", error.message);

    // 100 bundles of 1 MiB each: under the mapper limit, over the run's.
    let flow = json!([
        start(),
        m(2, "builtin:BasicFeeder", json!({"array": "{{1.items}}"})),
        m(
            3,
            "util:SetVariable2",
            json!({"name": "copy", "value": "{{1.big}}"})
        ),
    ]);
    let items: Vec<u32> = (0..100).collect();
    let report = run(flow, json!({"big": big, "items": items})).await;
    assert_eq!(report.status, ScenarioStatus::Error);
    let error = report.error.as_ref().unwrap();
    assert!(error.message.contains("exceed 64 MiB"), "{}", error.message);
}

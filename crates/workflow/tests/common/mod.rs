//! Helpers for the executor tests: blueprint builders, a fake Python step
//! (no sandbox needed) and a run helper.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runbox_config::HttpAllowEntry;
use runbox_netguard::OutboundPolicy;
use runbox_workflow::executor::{execute, PythonCall, PythonRun, PythonStep, RunRequest, Services};
use runbox_workflow::{load_blueprint, ResumeState, ScenarioReport};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// A Python step that understands a few "programs":
/// - `return input`: returns its input;
/// - `fail`: fails with `ValueError: boom`;
/// - `flaky`: fails the first time it sees a given input, then returns it;
/// - `hang`: waits for the cancel token (records that it saw it);
/// - `exit 3`: writes to stderr and exits with code 3, without an exception;
/// - `warn`: writes `careful` to stderr and succeeds.
#[derive(Default)]
pub struct FakePython {
    pub calls: Mutex<Vec<Value>>,
    seen: Mutex<HashMap<String, u32>>,
    pub saw_cancel: AtomicBool,
}

#[async_trait::async_trait]
impl PythonStep for FakePython {
    async fn run(&self, call: PythonCall) -> Result<PythonRun, String> {
        self.calls.lock().unwrap().push(call.input.clone());
        let failure = |line: &str| PythonRun {
            stderr: format!(
                "Traceback (most recent call last):\n  File \"<string>\", line 1\n{line}\n"
            ),
            exit_code: 1,
            error: Some(line.to_owned()),
            ..PythonRun::default()
        };
        match call.code.trim() {
            "return input" => Ok(PythonRun {
                result: call.input,
                stdout: "ran\n".into(),
                ..PythonRun::default()
            }),
            "fail" => Ok(failure("ValueError: boom")),
            "flaky" => {
                let mut seen = self.seen.lock().unwrap();
                let count = seen.entry(call.input.to_string()).or_insert(0);
                *count += 1;
                if *count == 1 {
                    Ok(failure("RuntimeError: first attempt fails"))
                } else {
                    Ok(PythonRun {
                        result: call.input,
                        ..PythonRun::default()
                    })
                }
            }
            "exit 3" => Ok(PythonRun {
                stderr: "about to exit\n".into(),
                exit_code: 3,
                ..PythonRun::default()
            }),
            "warn" => Ok(PythonRun {
                stderr: "careful\n".into(),
                ..PythonRun::default()
            }),
            "hang" => {
                call.cancel.cancelled().await;
                self.saw_cancel.store(true, Ordering::SeqCst);
                Ok(PythonRun {
                    canceled: true,
                    exit_code: 137,
                    ..PythonRun::default()
                })
            }
            other => Err(format!("the fake cannot run {other:?}")),
        }
    }
}

pub fn policy(allow: &[&str]) -> OutboundPolicy {
    OutboundPolicy::new(
        allow
            .iter()
            .map(|e| e.parse::<HttpAllowEntry>().unwrap())
            .collect(),
    )
}

pub fn services_with(python: Arc<FakePython>, allow: &[&str]) -> Services {
    Services {
        secrets: Default::default(),
        webhook_reply: None,
        policy: policy(allow),
        python,
    }
}

/// A module `{id, module, mapper}`.
pub fn m(id: i64, module: &str, mapper: Value) -> Value {
    json!({"id": id, "module": module, "version": 1, "mapper": mapper, "metadata": {"designer": {"x": 0, "y": 0}}})
}

pub fn start() -> Value {
    json!({"id": 1, "module": "scenario-service:StartSubscenario", "version": 1, "parameters": {}})
}

pub fn returning(id: i64, mapper: Value) -> Value {
    m(id, "scenario-service:ReturnData", mapper)
}

pub fn with(mut module: Value, key: &str, value: Value) -> Value {
    module[key] = value;
    module
}

pub struct Run {
    pub blueprint: Value,
    pub input: Value,
    pub max_duration: Duration,
    pub resume: Option<ResumeState>,
    pub cancel: CancellationToken,
    pub services: Services,
}

impl Run {
    pub fn new(flow: Value, input: Value) -> Self {
        Self {
            blueprint: json!({"name": "test", "flow": flow, "metadata": {}}),
            input,
            max_duration: Duration::from_secs(30),
            resume: None,
            cancel: CancellationToken::new(),
            services: services_with(Arc::new(FakePython::default()), &[]),
        }
    }

    pub async fn go(self) -> ScenarioReport {
        let blueprint = load_blueprint(&self.blueprint).expect("valid blueprint");
        let request = RunRequest {
            blueprint,
            input: self.input,
            scenario_id: 42,
            scenario_name: "test".into(),
            execution_id: "0123456789abcdef0123456789abcdef".into(),
            max_duration: self.max_duration,
            resume: self.resume,
        };
        execute(request, &self.services, self.cancel).await
    }
}

pub async fn run(flow: Value, input: Value) -> ScenarioReport {
    Run::new(flow, input).go().await
}

/// `(id, status)` of every module record, in order.
pub fn trail(report: &ScenarioReport) -> Vec<(i64, String)> {
    report
        .modules
        .iter()
        .map(|r| {
            (
                r.id,
                serde_json::to_value(r.status)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

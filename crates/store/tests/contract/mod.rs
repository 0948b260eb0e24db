//! The store contract: test bodies that every `Store` backend must pass,
//! each taking a fresh, empty store, plus the helpers they share. Only
//! `Arc<dyn Store>` is used here, never a backend type.

mod catalog;
mod lifecycle;
mod listing;
mod outbox;
mod queue;

pub use catalog::*;
pub use lifecycle::*;
pub use listing::*;
pub use outbox::*;
pub use queue::*;

pub use std::collections::BTreeMap;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use runbox_domain::{
    AgentJob, AgentRuntime, ExecutionId, ExecutionKind, ExecutionStatus, Idempotency, JobSpec,
    NewExecution, NodeId, Outcome, OutcomeKind, Priority, PythonJob, ShellJob, Timeout, Timestamp,
    UserName,
};
pub use runbox_store::{
    ApiKeyRecord, CancelOutcome, ClaimRequest, EnqueueError, Enqueued, ExecutionFilter,
    OutputStream, Store, StoreError, StoreEvent,
};

pub const BIG_QUEUE: u32 = 1000;
pub const T0: i64 = 1_746_910_800_000;

pub fn at(offset_ms: i64) -> Timestamp {
    Timestamp::from_millis(T0 + offset_ms)
}

pub fn user(name: &str) -> UserName {
    UserName::parse(name).unwrap()
}

pub fn node(name: &str) -> NodeId {
    NodeId::from_raw(name)
}

pub fn python(code: &str) -> JobSpec {
    JobSpec::Python(PythonJob {
        runtime: None,
        code: code.into(),
        request_id: None,
        webhook_url: None,
    })
}

pub fn shell(command: &str) -> JobSpec {
    JobSpec::Shell(ShellJob {
        button_id: "b1".into(),
        command: command.into(),
        env: BTreeMap::new(),
        network: vec![],
        hook: None,
    })
}

pub fn new_exec(who: &str, priority: i64, job: JobSpec) -> NewExecution {
    NewExecution {
        id: ExecutionId::new_uuid(),
        user: user(who),
        priority: Priority::new(priority).unwrap(),
        timeout: Timeout::new(30, 86_400).unwrap(),
        job,
        subject: None,
        idempotency: None,
        webhook_url: None,
    }
}

pub fn claim(node_name: &str, limit: u32, now: Timestamp) -> ClaimRequest {
    ClaimRequest {
        node: node(node_name),
        max_running_per_user: limit,
        kinds: Vec::new(),
        now,
        lease: Duration::from_secs(30),
    }
}

pub fn done(text: &str) -> Outcome {
    Outcome {
        kind: OutcomeKind::Completed,
        exit_code: Some(0),
        stdout: text.into(),
        stderr: String::new(),
        truncated: false,
        result: Some(serde_json::json!({"answer": 42})),
        error: None,
        extra: None,
        resources: None,
        environment: None,
    }
}

pub async fn enqueue(store: &Arc<dyn Store>, new: &NewExecution, now: Timestamp) -> Enqueued {
    store.enqueue(new, now, BIG_QUEUE).await.unwrap()
}

pub fn filter() -> ExecutionFilter {
    ExecutionFilter {
        limit: 100,
        ..ExecutionFilter::default()
    }
}

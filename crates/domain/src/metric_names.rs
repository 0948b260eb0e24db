//! The names of the Prometheus metrics runbox exports (contract section 13).
//! Each crate records its own figures through the `metrics` facade; the
//! names live here so the recorder's bucket settings, the recording sites
//! and the documentation cannot drift apart.

/// Counter by `kind` and `status`: executions this node ended.
pub const EXECUTIONS_TOTAL: &str = "runbox_executions_total";
/// Histogram by `kind`: seconds from start to end of a run.
pub const EXECUTION_DURATION_SECONDS: &str = "runbox_execution_duration_seconds";
/// Histogram: seconds an execution waited in the queue before a worker took it.
pub const QUEUE_TIME_SECONDS: &str = "runbox_queue_time_seconds";
/// Gauge: executions waiting in the queue (all nodes), read at scrape time.
pub const QUEUE_DEPTH: &str = "runbox_queue_depth";
/// Gauge: executions running (all nodes), read at scrape time.
pub const EXECUTIONS_RUNNING: &str = "runbox_executions_running";
/// Counter by `result` (`delivered`, `retry`, `failed`): webhook attempts.
pub const WEBHOOK_DELIVERIES_TOTAL: &str = "runbox_webhook_deliveries_total";
/// Counter by `method`, `route` (the template) and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "runbox_http_requests_total";
/// Histogram by `route`: seconds to produce a response's head.
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "runbox_http_request_duration_seconds";
/// Histogram: seconds from asking the sandbox for a run to its process starting.
pub const SANDBOX_START_SECONDS: &str = "runbox_sandbox_start_seconds";
/// Gauge, always 1, by `version`.
pub const BUILD_INFO: &str = "runbox_build_info";

//! The OpenAPI schemas of the dialect's bodies: doc-only descriptions of
//! the envelopes [`super::envelope`] and [`super::toolkit`] build with
//! `json!`, and of the request bodies [`super::validate`] checks field by
//! field (with `jsonschema`'s wording, which a derived reader would lose).

#![allow(dead_code)]

use serde_json::Value;
use utoipa::ToSchema;

// ---- Requests ----

/// A snippet to run. Any other property is refused.
#[derive(ToSchema)]
#[schema(as = PythonExecuteRequest)]
pub struct ExecuteRequest {
    /// Python source; a top-level `return VALUE` sets `result`. May declare
    /// packages and network in a PEP 723 `# /// script` block.
    #[schema(example = "print('hi')\nreturn 1 + 1")]
    code: String,
    /// Seconds, 1 to 300 (default 30).
    #[schema(minimum = 1, maximum = 300)]
    timeout: Option<u32>,
    /// An http or https URL the final envelope is POSTed to; the reply is
    /// then 202 at once.
    webhook_url: Option<String>,
    /// The caller's own request id, echoed as `id`.
    id: Option<String>,
}

/// Which job to look up.
#[derive(ToSchema)]
#[schema(as = PythonJobStatusRequest)]
pub struct JobStatusRequest {
    /// A `job_id` an execute reply gave.
    job_id: String,
}

/// How far back to list jobs.
#[derive(ToSchema)]
#[schema(as = PythonJobsStatusRequest)]
pub struct JobsStatusRequest {
    /// Seconds back from now (default 600).
    #[schema(minimum = 0, maximum = 315_360_000)]
    since_seconds: Option<u64>,
}

// ---- Replies ----

/// The envelope every reply about a run has (NCA toolkit style). A failed
/// run (400, 500) repeats `error`, `stdout`, `stderr` and `exit_code` at
/// the top level; a timed-out one (408) and a refused one (429) `error`.
#[derive(ToSchema)]
#[schema(as = PythonEnvelope)]
pub struct Envelope {
    /// The route's path.
    #[schema(example = "/v1/code/execute/python")]
    endpoint: String,
    /// The HTTP status, repeated.
    code: u16,
    /// The request's own `id`, or null.
    #[schema(required = true)]
    id: Option<String>,
    job_id: String,
    /// A successful run's `{result, stdout, stderr, exit_code, truncated}`,
    /// a job status, `"Authorized"`, or null.
    #[schema(required = true)]
    response: Value,
    /// `"success"`, `"processing"`, a refusal's text, or an object with
    /// the error (and a failed run's output).
    #[schema(required = true)]
    message: Value,
    /// The server's process id.
    pid: u32,
    queue_id: i64,
    /// Seconds, three decimals.
    run_time: f64,
    queue_time: f64,
    total_time: f64,
    queue_length: u64,
    /// The runbox version.
    build_number: String,
    /// What the run used, once it ended (null when nothing was measured).
    #[schema(value_type = Option<crate::resources::ResourcesSchema>)]
    resources: Option<Value>,
    /// A failed run's error: its last traceback line or
    /// `Process exited with code N`.
    error: Option<String>,
    stdout: Option<String>,
    stderr: Option<String>,
    exit_code: Option<i32>,
}

/// The 202 reply of a request with a `webhook_url`.
#[derive(ToSchema)]
#[schema(as = PythonAccepted)]
pub struct Accepted {
    /// Always 202.
    code: u16,
    #[schema(required = true)]
    id: Option<String>,
    job_id: String,
    /// Always `"processing"`.
    message: String,
    pid: u32,
    queue_id: i64,
    max_queue_length: u32,
    queue_length: u64,
    build_number: String,
}

/// A request refused before anything ran: a body that does not fit
/// (`Invalid payload: …`), invalid dependencies or network, or a body too
/// large.
#[derive(ToSchema)]
#[schema(as = PythonRefusal)]
pub struct Refusal {
    #[schema(example = "Invalid payload: 'code' is a required property")]
    error: String,
    message: String,
    /// Always empty.
    stdout: String,
    /// The HTTP status.
    exit_code: u16,
}

/// No valid API key.
#[derive(ToSchema)]
#[schema(as = PythonUnauthorized)]
pub struct Unauthorized {
    /// Always `"Unauthorized"`.
    message: String,
}

/// What a 500 always carries, whether an envelope of a run runbox failed
/// or a failure before any run existed.
#[derive(ToSchema)]
#[schema(as = PythonFailure)]
pub struct Failure {
    /// Always 500.
    code: u16,
    #[schema(example = "An internal server error occurred")]
    error: String,
    /// `{error}`.
    #[schema(value_type = Object)]
    message: Value,
    stdout: String,
    stderr: String,
    exit_code: i32,
}

/// A 400: the envelope of a run that failed (exception, syntax error,
/// non-zero exit), or a request refused before anything ran.
pub struct BadRequest;

impl utoipa::PartialSchema for BadRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::AnyOfBuilder;
        use utoipa::openapi::Ref;
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("PythonEnvelope"))
            .item(Ref::from_schema_name("PythonRefusal"))
            .description(Some(
                "The envelope of a failed run, or a refusal before anything ran",
            ))
            .into()
    }
}

impl ToSchema for BadRequest {
    fn name() -> std::borrow::Cow<'static, str> {
        "PythonBadRequest".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "PythonEnvelope".into(),
            <Envelope as utoipa::PartialSchema>::schema(),
        ));
        <Envelope as ToSchema>::schemas(schemas);
        schemas.push((
            "PythonRefusal".into(),
            <Refusal as utoipa::PartialSchema>::schema(),
        ));
    }
}

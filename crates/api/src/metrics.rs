//! `GET /metrics`: the Prometheus text exposition, and the HTTP figures
//! behind it. This module owns the process's metrics recorder; the engine,
//! the sandbox and webhook delivery record their own figures through the
//! `metrics` facade under the names in [`runbox_domain::metric_names`].
//!
//! Readable with an admin key, or with `[metrics] token` as
//! `Authorization: Bearer TOKEN` so a scraper needs no API key. Routes are
//! labelled by their template (`/api/v1/execute/{id}`), never by an id, so
//! the number of series stays bounded whatever clients send.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use runbox_domain::metric_names::{
    BUILD_INFO, EXECUTIONS_RUNNING, EXECUTIONS_TOTAL, EXECUTION_DURATION_SECONDS,
    HTTP_REQUESTS_TOTAL, HTTP_REQUEST_DURATION_SECONDS, QUEUE_DEPTH, QUEUE_TIME_SECONDS,
    SANDBOX_START_SECONDS, WEBHOOK_DELIVERIES_TOTAL,
};
use subtle::ConstantTimeEq;

use crate::auth;
use crate::AppState;

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Seconds; from a fast HTTP reply up to a long scenario.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    300.0, 900.0,
];

/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Installs the process-wide recorder (once; later calls do nothing) and
/// starts its upkeep. Call it inside the runtime, before the engine starts,
/// so no early figure is lost.
pub fn install(version: &str) {
    let handle = RECORDER.get_or_init(|| {
        let mut builder = PrometheusBuilder::new();
        for name in [
            EXECUTION_DURATION_SECONDS,
            QUEUE_TIME_SECONDS,
            HTTP_REQUEST_DURATION_SECONDS,
            SANDBOX_START_SECONDS,
        ] {
            builder = match builder
                .set_buckets_for_metric(Matcher::Full(name.into()), DURATION_BUCKETS)
            {
                Ok(builder) => builder,
                Err(err) => {
                    tracing::error!(error = %err, "metrics: bad histogram buckets");
                    return None;
                }
            };
        }
        match builder.install_recorder() {
            Ok(handle) => {
                let upkeep = handle.clone();
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(UPKEEP_EVERY);
                    loop {
                        tick.tick().await;
                        upkeep.run_upkeep();
                    }
                });
                Some(handle)
            }
            Err(err) => {
                tracing::error!(error = %err, "metrics: cannot install the recorder");
                None
            }
        }
    });
    if handle.is_some() {
        describe();
        metrics::gauge!(BUILD_INFO, "version" => version.to_owned()).set(1.0);
    }
}

/// `# HELP` lines, and the series a dashboard expects from the first scrape
/// even before anything happened.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        EXECUTIONS_TOTAL,
        "Executions this node ended, by kind and final status."
    );
    describe_histogram!(
        EXECUTION_DURATION_SECONDS,
        Unit::Seconds,
        "Run time of executions, by kind."
    );
    describe_histogram!(
        QUEUE_TIME_SECONDS,
        Unit::Seconds,
        "Time executions waited in the queue."
    );
    describe_gauge!(QUEUE_DEPTH, "Executions waiting in the queue, all nodes.");
    describe_gauge!(EXECUTIONS_RUNNING, "Executions running, all nodes.");
    describe_counter!(
        WEBHOOK_DELIVERIES_TOTAL,
        "Webhook delivery attempts, by result."
    );
    describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests, by method, route template and status."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION_SECONDS,
        Unit::Seconds,
        "Time to answer HTTP requests, by route template."
    );
    describe_histogram!(
        SANDBOX_START_SECONDS,
        Unit::Seconds,
        "Time from asking the sandbox for a run to its process starting."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label says which build runs."
    );
    for result in ["delivered", "retry", "failed"] {
        metrics::counter!(WEBHOOK_DELIVERIES_TOTAL, "result" => result).absolute(0);
    }
    metrics::gauge!(QUEUE_DEPTH).set(0.0);
    metrics::gauge!(EXECUTIONS_RUNNING).set(0.0);
}

/// Middleware: counts and times every request by method, route template
/// and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Any method outside the standard set is one label, so a client cannot
/// mint series by inventing methods.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub fn routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    utoipa_axum::router::OpenApiRouter::new().routes(utoipa_axum::routes!(scrape))
}

/// Prometheus metrics of this node: an admin key, or `Authorization: Bearer
/// TOKEN` when `[metrics] token` is set.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text format 0.0.4", content_type = "text/plain", body = String),
        (status = 401, description = "No key or token", body = crate::agents::reply::DetailBody),
        (status = 403, description = "Neither an admin key nor the token", body = crate::agents::reply::DetailBody),
    )
)]
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(denied) = allowed(&state, &headers).await {
        return denied;
    }
    let Some(Some(handle)) = RECORDER.get() else {
        return crate::admin::detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not being recorded by this process",
        );
    };
    // Queue figures are the whole cluster's, read when asked, so every node
    // reports the same and none has to keep a counter in step.
    match state.store.queue_counts().await {
        Ok(counts) => {
            metrics::gauge!(QUEUE_DEPTH).set(counts.queued as f64);
            metrics::gauge!(EXECUTIONS_RUNNING).set(counts.running as f64);
        }
        Err(err) => tracing::warn!(error = %err, "metrics: cannot read the queue counts"),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

/// The configured token as a bearer, or an admin key; 401 without either,
/// 403 for a user's key.
async fn allowed(state: &AppState, headers: &HeaderMap) -> Result<(), Response> {
    if let Some(token) = &state.settings.metrics_token {
        if bearer(headers).is_some_and(|sent| bool::from(sent.as_bytes().ct_eq(token.as_bytes()))) {
            return Ok(());
        }
    }
    let caller = match auth::presented_key(headers) {
        Some(key) => auth::verify(state, key).await,
        None => None,
    };
    match caller {
        Some(caller) if caller.admin => Ok(()),
        Some(_) => Err(crate::admin::detail(
            StatusCode::FORBIDDEN,
            "metrics need an admin key or the metrics token",
        )),
        None => Err(crate::agents::reply::unauthorized(headers)),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

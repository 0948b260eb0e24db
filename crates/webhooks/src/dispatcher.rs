//! The delivery loop: takes due deliveries from the store's outbox (rows
//! whose execution ended and whose next attempt time came), sends at most
//! [`MAX_IN_FLIGHT`] at once, and records each result. It wakes when an
//! execution ends (a `Changed` event with a terminal status), when a
//! delivery finishes (a slot is free), and otherwise every `poll_interval`.
//!
//! The outbox is the only state: a delivery taken by this node is held for
//! `hold`; if the node dies, the hold lapses and any node (this one after a
//! restart) takes it again. So nothing is lost, and nothing needs resuming.

use std::sync::Arc;

use reqwest::Url;
use runbox_domain::metric_names::WEBHOOK_DELIVERIES_TOTAL;
use runbox_domain::{NodeId, Timestamp};
use runbox_netguard::OutboundPolicy;
use runbox_store::{Store, StoreEvent, WebhookDelivery};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::attempt::{Posted, Sender};
use crate::schedule::{self, AttemptResult, Step};
use crate::{PayloadRenderer, WebhookSettings};

/// Deliveries sent at once by one node; also the most taken per query.
pub const MAX_IN_FLIGHT: usize = 16;

/// What the delivery loop needs. Build it, then [`spawn`] it.
pub struct Dispatcher {
    pub store: Arc<dyn Store>,
    /// Destinations are checked against it before and while connecting.
    pub policy: OutboundPolicy,
    pub renderer: Arc<dyn PayloadRenderer>,
    /// Deliveries taken are held in this node's name.
    pub node: NodeId,
    pub settings: WebhookSettings,
}

/// Starts the delivery loop. It ends once `shutdown` is cancelled and the
/// deliveries in flight have finished (each is bounded by the timeout).
/// Fails only if the HTTP client cannot be built (no TLS backend).
pub fn spawn(
    dispatcher: Dispatcher,
    shutdown: CancellationToken,
) -> Result<JoinHandle<()>, reqwest::Error> {
    let client = dispatcher.policy.client(dispatcher.settings.timeout)?;
    let sender = Sender {
        client,
        policy: dispatcher.policy.clone(),
        secret: dispatcher.settings.secret.clone(),
        timeout: dispatcher.settings.timeout,
    };
    let worker = Arc::new(Worker { dispatcher, sender });
    Ok(tokio::spawn(worker.run(shutdown)))
}

struct Worker {
    dispatcher: Dispatcher,
    sender: Sender,
}

impl Worker {
    async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let settings = &self.dispatcher.settings;
        // Subscribe before the first look, so no ending is missed between.
        let mut events = self.dispatcher.store.events();
        let mut in_flight = JoinSet::new();
        loop {
            let free = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
            if free > 0 {
                for delivery in self.take(free).await {
                    let worker = Arc::clone(&self);
                    in_flight.spawn(async move { worker.deliver(delivery).await });
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = execution_ended(&mut events) => {}
                () = tokio::time::sleep(settings.poll_interval) => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
        tracing::debug!("webhook dispatcher stopped");
    }

    async fn take(&self, free: usize) -> Vec<WebhookDelivery> {
        let d = &self.dispatcher;
        let limit = u32::try_from(free).unwrap_or(u32::MAX);
        match d
            .store
            .take_due_webhooks(&d.node, Timestamp::now(), d.settings.hold, limit)
            .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(error = %error, "could not read the webhook outbox");
                Vec::new()
            }
        }
    }

    /// One attempt for `delivery`, and its result recorded.
    async fn deliver(&self, delivery: WebhookDelivery) {
        let span = tracing::info_span!(
            "webhook",
            execution.id = %delivery.execution_id,
            url.host = tracing::field::Empty,
            attempt = delivery.attempts.saturating_add(1),
        );
        async {
            let posted = self.attempt(&delivery).await;
            let step =
                schedule::next_step(posted.result, delivery.attempts, &self.dispatcher.settings);
            log_step(&step, posted.status);
            self.record(&delivery, step).await;
        }
        .instrument(span)
        .await;
    }

    async fn attempt(&self, delivery: &WebhookDelivery) -> Posted {
        let permanent = |error: String| Posted {
            result: AttemptResult::Permanent(error),
            status: None,
        };
        let url = match Url::parse(&delivery.url) {
            Ok(url) => url,
            Err(error) => return permanent(format!("webhook_url is not a valid URL ({error})")),
        };
        tracing::Span::current().record("url.host", url.host_str().unwrap_or(""));
        let execution = match self
            .dispatcher
            .store
            .get_execution(&delivery.execution_id)
            .await
        {
            Ok(Some(execution)) => execution,
            Ok(None) => return permanent("the execution no longer exists".into()),
            Err(error) => {
                return Posted {
                    result: AttemptResult::Transient(format!(
                        "could not read the execution: {error}"
                    )),
                    status: None,
                }
            }
        };
        let payload = self.dispatcher.renderer.render(&execution);
        let body = match serde_json::to_vec(&payload) {
            Ok(body) => body,
            Err(error) => return permanent(format!("could not encode the payload: {error}")),
        };
        self.sender.post(&url, &execution.id, body).await
    }

    /// Writes the step to the outbox. If that fails, the hold lapses and the
    /// delivery is attempted again later (a receiver may then see it twice).
    async fn record(&self, delivery: &WebhookDelivery, step: Step) {
        let store = &self.dispatcher.store;
        let now = Timestamp::now();
        let recorded = match step {
            Step::Delivered => store.webhook_delivered(delivery.id, now).await,
            Step::Retry {
                attempts,
                after,
                error,
            } => {
                let millis = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
                let at = Timestamp::from_millis(now.as_millis().saturating_add(millis));
                store
                    .webhook_failed(delivery.id, attempts, Some(at), &error)
                    .await
            }
            Step::GiveUp { attempts, error } => {
                store
                    .webhook_failed(delivery.id, attempts, None, &error)
                    .await
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(error = %error, "could not record the webhook attempt");
        }
    }
}

fn log_step(step: &Step, status: Option<reqwest::StatusCode>) {
    let status = status.map(|s| s.as_u16());
    let result = match step {
        Step::Delivered => "delivered",
        Step::Retry { .. } => "retry",
        Step::GiveUp { .. } => "failed",
    };
    metrics::counter!(WEBHOOK_DELIVERIES_TOTAL, "result" => result).increment(1);
    match step {
        Step::Delivered => tracing::info!(status, "webhook delivered"),
        Step::Retry { after, error, .. } => tracing::warn!(
            status,
            retry_in_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "webhook attempt failed; will retry"
        ),
        Step::GiveUp { error, .. } => {
            tracing::warn!(status, error = %error, "webhook delivery given up")
        }
    }
}

/// Completes when an execution reaches a terminal state (its webhook may be
/// due now), or when events were lost (look anyway). Never completes once
/// the channel is closed: polling takes over.
async fn execution_ended(events: &mut broadcast::Receiver<StoreEvent>) {
    loop {
        match events.recv().await {
            Ok(StoreEvent::Changed { status, .. }) if status.is_terminal() => return,
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}

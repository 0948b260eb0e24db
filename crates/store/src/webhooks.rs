//! The webhook outbox: one row per execution whose result must be POSTed
//! somewhere. Rows are written with the execution, in the same transaction,
//! so a crash can never lose a promised delivery.

use std::time::Duration;

use runbox_domain::{ExecutionId, NodeId, Timestamp};

use crate::StoreError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookDelivery {
    pub id: i64,
    pub execution_id: ExecutionId,
    pub url: String,
    /// Attempts made so far.
    pub attempts: u32,
}

#[async_trait::async_trait]
pub trait WebhookStore {
    /// Deliveries that are due now (their execution has ended, their next
    /// attempt time has come, and no node holds them), at most `limit`.
    /// Each returned row is held by `node` for `hold`, so other nodes skip it.
    async fn take_due_webhooks(
        &self,
        node: &NodeId,
        now: Timestamp,
        hold: Duration,
        limit: u32,
    ) -> Result<Vec<WebhookDelivery>, StoreError>;

    /// The receiver accepted the delivery.
    async fn webhook_delivered(&self, id: i64, at: Timestamp) -> Result<(), StoreError>;

    /// The attempt failed; try again at `next_attempt_at`, or never (`None`:
    /// give up after too many attempts).
    async fn webhook_failed(
        &self,
        id: i64,
        attempts: u32,
        next_attempt_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Deliveries not yet delivered nor given up, for health and tests.
    async fn pending_webhook_count(&self) -> Result<u64, StoreError>;
}

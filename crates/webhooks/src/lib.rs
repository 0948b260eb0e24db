//! Webhook delivery: POSTs the result of an ended execution to the URL its
//! caller gave, durably. The store's outbox holds one row per promised
//! delivery (written with the execution, in the same transaction); this
//! crate drains it.
//!
//! Delivery is at least once: a receiver may see the same delivery twice
//! (e.g. when this node stops between the receiver's answer and recording
//! it), and recognises repeats by the stable `webhook-id` header.
//!
//! Layout:
//! - `settings`: [`WebhookSettings`], timeouts and retry schedule;
//! - `render`: [`PayloadRenderer`], implemented by the API crate, which alone
//!   knows the JSON envelope of each dialect;
//! - `signing`: Standard Webhooks headers (`webhook-id`, `-timestamp`,
//!   `-signature`);
//! - `attempt`: one POST and what its answer means;
//! - `schedule`: what to record after an attempt (delivered, retry when,
//!   give up);
//! - `dispatcher`: [`Dispatcher`] and [`spawn`], the loop that takes due
//!   deliveries from the store, sends them concurrently and records results.

mod attempt;
mod dispatcher;
mod render;
mod schedule;
mod settings;
mod signing;

pub use dispatcher::{spawn, Dispatcher, MAX_IN_FLIGHT};
pub use render::PayloadRenderer;
pub use settings::WebhookSettings;

//! The body POSTed to a run's webhook when it ends, in its dialect's shape:
//! the Python envelope for code runs (section 5), Make's `{executionId,
//! status, outputs}` for a scenario run given a `callbackUrl` (section 6).

use runbox_domain::{Execution, ExecutionKind};
use runbox_webhooks::PayloadRenderer;
use serde_json::Value;

use crate::python::WebhookEnvelope;

pub struct WebhookBodies {
    python: WebhookEnvelope,
}

impl WebhookBodies {
    /// `pid` and `build_number` go into the Python envelope.
    pub fn new(pid: u32, build_number: String) -> Self {
        WebhookBodies {
            python: WebhookEnvelope { pid, build_number },
        }
    }
}

impl PayloadRenderer for WebhookBodies {
    fn render(&self, execution: &Execution) -> Value {
        match execution.kind {
            ExecutionKind::Scenario => crate::scenarios::callback_body(execution),
            _ => self.python.render(execution),
        }
    }
}

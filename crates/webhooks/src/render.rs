//! [`PayloadRenderer`]: how an ended execution becomes the JSON body of its
//! webhook. The API crate implements it (each dialect has its own envelope);
//! this crate never knows the shape.

use runbox_domain::Execution;

pub trait PayloadRenderer: Send + Sync {
    /// The body to POST for `execution`, which has ended. Called again for
    /// each attempt, so it should be a pure function of the execution.
    fn render(&self, execution: &Execution) -> serde_json::Value;
}

//! Change notifications, published after commit. On SQLite they travel on an
//! in-process channel; on PostgreSQL through LISTEN/NOTIFY so every node hears
//! every change.

use runbox_domain::{ExecutionId, ExecutionStatus, NodeId};

#[derive(Clone, Debug, PartialEq)]
pub enum StoreEvent {
    /// A new execution is queued: idle dispatchers should try to claim.
    Enqueued { id: ExecutionId },
    /// An execution changed state (started, ended, or was asked to cancel).
    Changed {
        id: ExecutionId,
        status: ExecutionStatus,
        cancel_requested: bool,
    },
    /// A running execution was asked to stop; its node must kill it.
    CancelRequested {
        id: ExecutionId,
        node: Option<NodeId>,
    },
    /// New output chunks were stored for an execution, up to `seq`.
    Output { id: ExecutionId, seq: i64 },
}

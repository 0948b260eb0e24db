//! Server-Sent Events plumbing shared by the dialects: a response fed by a
//! task through a channel, and waiting for news about one execution.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use runbox_domain::ExecutionId;
use runbox_store::StoreEvent;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

pub type Events = mpsc::Sender<Result<Event, Infallible>>;

/// An SSE response whose events `produce` sends; it runs as its own task
/// and should stop when sending fails (the client left).
pub fn respond<F, Fut>(produce: F) -> Response
where
    F: FnOnce(Events) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(produce(tx));
    Sse::new(ReceiverStream::new(rx))
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Sends one event; false when the client has gone.
pub async fn send(tx: &Events, name: &str, data: String) -> bool {
    tx.send(Ok(Event::default().event(name).data(data)))
        .await
        .is_ok()
}

/// Waits for output or a state change of this execution (or a second, in
/// case an event was lost). False when the client went away.
pub async fn wait_for_news(
    events: &mut broadcast::Receiver<StoreEvent>,
    id: &ExecutionId,
    tx: &Events,
) -> bool {
    let tick = tokio::time::sleep(Duration::from_secs(1));
    tokio::pin!(tick);
    loop {
        tokio::select! {
            _ = &mut tick => return true,
            _ = tx.closed() => return false,
            event = events.recv() => match event {
                Ok(StoreEvent::Output { id: changed, .. }) | Ok(StoreEvent::Changed { id: changed, .. }) if &changed == id => return true,
                Ok(_) => continue,
                Err(_) => return true,
            },
        }
    }
}

//! `GET /api/v1/execute/{executionId}/stream`: Server-Sent Events. `output`
//! events carry raw chunks as the command produced them (read from the
//! store, so any node can serve any execution), then exactly one `status`
//! event carries the final `data` object and the stream ends.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::Extension;
use runbox_domain::ExecutionId;

use super::reply::{ErrorBody, Lang};
use super::run::{execution_data, visible};
use crate::auth::Caller;
use crate::sse::{self, Events};
use crate::AppState;

const BATCH: u32 = 256;

/// Follow one of your runs live: its output, then its final state.
///
/// Server-Sent Events: `output` events whose data is a raw chunk of output
/// as the command produced it, then exactly one `status` event whose data is
/// the final execution object (as `data` of the status route), and the
/// stream ends.
#[utoipa::path(
    get,
    path = "/api/v1/execute/{id}/stream",
    tag = "buttons",
    operation_id = "buttons_stream_execution",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "`output` events, then one `status` event", content_type = "text/event-stream", body = String),
        (status = 400, description = "The id is not valid UTF-8 (INVALID_REQUEST)", body = ErrorBody),
        (status = 404, description = "No such execution of yours (EXECUTION_NOT_FOUND)", body = ErrorBody),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    lang: Lang,
    Path(id): Path<String>,
) -> Response {
    match visible(&state, &caller, &id).await {
        Ok(execution) => sse::respond(move |tx| pump(state, execution.id, tx)),
        Err(err) => err.render(lang),
    }
}

/// Sends stored chunks after a cursor until the execution has ended and
/// every chunk was sent, then the status. Stops when the client leaves.
async fn pump(state: AppState, id: ExecutionId, tx: Events) {
    // Subscribe first: nothing committed after this point can be missed.
    let mut events = state.store.events();
    let mut cursor = 0i64;
    let mut text = Utf8Carry::default();
    loop {
        let ended = match state.store.get_execution(&id).await {
            Ok(Some(execution)) => execution.status.is_terminal().then_some(execution),
            _ => return,
        };
        loop {
            let Ok(chunks) = state.store.output_after(&id, cursor, BATCH).await else {
                return;
            };
            let count = chunks.len();
            for chunk in chunks {
                cursor = chunk.seq;
                let piece = text.push(&chunk.data);
                if !piece.is_empty() && !sse::send(&tx, "output", piece).await {
                    return;
                }
            }
            if count < BATCH as usize {
                break;
            }
        }
        if let Some(execution) = ended {
            let rest = text.finish();
            if !rest.is_empty() {
                sse::send(&tx, "output", rest).await;
            }
            let data = serde_json::to_string(&execution_data(&execution, None))
                .unwrap_or_else(|_| "{}".to_owned());
            sse::send(&tx, "status", data).await;
            return;
        }
        if !sse::wait_for_news(&mut events, &id, &tx).await {
            return;
        }
    }
}

/// Chunks may split a UTF-8 character; the split bytes wait for the next
/// chunk instead of becoming replacement characters.
#[derive(Default)]
struct Utf8Carry {
    pending: Vec<u8>,
}

impl Utf8Carry {
    fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => self.pending.len(),
        };
        let rest = self.pending.split_off(valid);
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending = rest;
        text
    }

    fn finish(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Carry;

    #[test]
    fn split_characters_are_joined() {
        let mut carry = Utf8Carry::default();
        let e_acute = "é".as_bytes();
        assert_eq!(carry.push(&[b'a', e_acute[0]]), "a");
        assert_eq!(carry.push(&[e_acute[1], b'b']), "éb");
        assert_eq!(carry.finish(), "");
    }
}

//! `GET /executions/{id}/events`: Server-Sent Events. A `status` event (the
//! execution object) on every change, `log` events (one line of output
//! each) as the agent produces them; the stream ends after the terminal
//! status. Output comes from the store, so any node serves any execution.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use runbox_domain::ExecutionId;
use runbox_store::OutputStream;

use super::reply::DetailBody;
use super::run::{render, visible, AgentExecution};
use crate::auth::Caller;
use crate::sse::{self, Events};
use crate::AppState;

const BATCH: u32 = 256;

/// Follow one of your executions live: its status changes and output lines.
///
/// Server-Sent Events: a `status` event (data: the execution object, as
/// `GET /executions/{id}` returns it) on every change, `log` events (data:
/// one line of output) as the agent produces them; the stream ends after the
/// terminal status.
#[utoipa::path(
    get,
    path = "/executions/{id}/events",
    tag = "agents",
    operation_id = "agents_stream_execution_events",
    params(("id" = String, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "`status` and `log` events, ending with the terminal `status`", content_type = "text/event-stream", body = String),
        (status = 400, description = "The id is not valid UTF-8", body = DetailBody),
        (status = 404, description = "No such agent execution of yours", body = DetailBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match visible(&state, &caller, &id).await {
        Ok(execution) => sse::respond(move |tx| pump(state, execution.id, tx)),
        Err(response) => response.into_response(),
    }
}

async fn pump(state: AppState, id: ExecutionId, tx: Events) {
    let mut events = state.store.events();
    let mut cursor = 0i64;
    let mut lines = Lines::default();
    let mut last_status: Option<AgentExecution> = None;
    loop {
        let Ok(Some(execution)) = state.store.get_execution(&id).await else {
            return;
        };
        let ended = execution.status.is_terminal();
        let status = render(&execution);
        let changed = last_status.as_ref() != Some(&status);
        // A client joining a run learns where it stands before its output;
        // the terminal status comes after the last line.
        if changed && !ended {
            if !sse::send(&tx, "status", json(&status)).await {
                return;
            }
            last_status = Some(status.clone());
        }
        loop {
            let Ok(chunks) = state.store.output_after(&id, cursor, BATCH).await else {
                return;
            };
            let count = chunks.len();
            for chunk in chunks {
                cursor = chunk.seq;
                for line in lines.push(chunk.stream, &chunk.data) {
                    if !sse::send(&tx, "log", line).await {
                        return;
                    }
                }
            }
            if count < BATCH as usize {
                break;
            }
        }
        if ended {
            for line in lines.finish() {
                sse::send(&tx, "log", line).await;
            }
            sse::send(&tx, "status", json(&status)).await;
            return;
        }
        if !sse::wait_for_news(&mut events, &id, &tx).await {
            return;
        }
    }
}

fn json(execution: &AgentExecution) -> String {
    serde_json::to_string(execution).unwrap_or_default()
}

/// Splits each stream's bytes into lines, keeping unfinished ones.
#[derive(Default)]
struct Lines {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl Lines {
    fn push(&mut self, stream: OutputStream, data: &[u8]) -> Vec<String> {
        let pending = match stream {
            OutputStream::Stderr => &mut self.stderr,
            OutputStream::Log => return vec![String::from_utf8_lossy(data).trim_end().to_owned()],
            _ => &mut self.stdout,
        };
        pending.extend_from_slice(data);
        let mut out = Vec::new();
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            out.push(
                String::from_utf8_lossy(&line[..line.len() - 1])
                    .trim_end_matches('\r')
                    .to_owned(),
            );
        }
        out
    }

    fn finish(&mut self) -> Vec<String> {
        [
            std::mem::take(&mut self.stdout),
            std::mem::take(&mut self.stderr),
        ]
        .into_iter()
        .filter(|rest| !rest.is_empty())
        .map(|rest| String::from_utf8_lossy(&rest).into_owned())
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks() {
        let mut lines = Lines::default();
        assert_eq!(lines.push(OutputStream::Stdout, b"a\nb"), vec!["a"]);
        assert_eq!(lines.push(OutputStream::Stderr, b"err\n"), vec!["err"]);
        assert_eq!(lines.push(OutputStream::Stdout, b"c\r\nd"), vec!["bc"]);
        assert_eq!(lines.finish(), vec!["d"]);
    }
}

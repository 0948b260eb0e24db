//! Live output: chunks read from a running program are batched (a few tens
//! of milliseconds, or 64 KiB) and appended to the store, which announces
//! them so any node can stream them to clients while the run goes on.
//! Secrets' values are masked before anything is stored; the few bytes at
//! a chunk's end that could begin a value wait for the next chunk.

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use runbox_domain::{ExecutionId, Timestamp};
use runbox_sandbox::OutputSink;
use runbox_secrets::{Masker, StreamMask};
use runbox_store::{OutputStream, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const FLUSH_EVERY: Duration = Duration::from_millis(40);
const FLUSH_BYTES: usize = 64 * 1024;

#[derive(Clone)]
pub struct LiveOutput {
    tx: mpsc::UnboundedSender<(OutputStream, Vec<u8>)>,
    combined: bool,
}

impl LiveOutput {
    /// Starts the batching task. It ends, after a last flush, once every
    /// clone of the returned handle is dropped.
    pub fn start(
        store: Arc<dyn Store>,
        id: ExecutionId,
        combined: bool,
        masker: Masker,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(pump(store, id, rx, masker));
        (Self { tx, combined }, task)
    }

    /// A sandbox output callback feeding this stream.
    pub fn sink(&self) -> OutputSink {
        let tx = self.tx.clone();
        let combined = self.combined;
        Arc::new(move |is_stderr: bool, chunk: &[u8]| {
            let stream = match (combined, is_stderr) {
                (true, _) => OutputStream::Combined,
                (false, true) => OutputStream::Stderr,
                (false, false) => OutputStream::Stdout,
            };
            let _ = tx.send((stream, chunk.to_vec()));
        })
    }

    /// Records a line the engine or a runner writes about the run.
    pub fn log(&self, line: &str) {
        let _ = self.tx.send((OutputStream::Log, line.as_bytes().to_vec()));
    }
}

async fn pump(
    store: Arc<dyn Store>,
    id: ExecutionId,
    mut rx: mpsc::UnboundedReceiver<(OutputStream, Vec<u8>)>,
    masker: Masker,
) {
    let mut batch: Vec<(OutputStream, Vec<u8>)> = Vec::new();
    let mut size = 0usize;
    let mut masks: HashMap<OutputStream, StreamMask> = HashMap::new();
    loop {
        let next = if batch.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(FLUSH_EVERY, rx.recv()).await {
                Ok(item) => item,
                Err(_) => {
                    flush(&store, &id, &mut batch, &mut size).await;
                    continue;
                }
            }
        };
        match next {
            Some((stream, data)) => {
                // A log chunk is one whole line (the API parses some, such as
                // a webhook's response): masked alone, never split. Output
                // streams are masked across their chunks.
                let data = if stream == OutputStream::Log {
                    masker.mask_bytes(&data)
                } else {
                    masks
                        .entry(stream)
                        .or_insert_with(|| masker.stream())
                        .push(&data)
                };
                if data.is_empty() {
                    continue;
                }
                size += data.len();
                // Adjacent pieces of one stream merge into one chunk.
                match batch.last_mut() {
                    Some((last, buf)) if *last == stream && stream != OutputStream::Log => {
                        buf.extend_from_slice(&data)
                    }
                    _ => batch.push((stream, data)),
                }
                if size >= FLUSH_BYTES {
                    flush(&store, &id, &mut batch, &mut size).await;
                }
            }
            None => {
                for (stream, mut mask) in masks {
                    let rest = mask.finish();
                    if !rest.is_empty() {
                        batch.push((stream, rest));
                    }
                }
                flush(&store, &id, &mut batch, &mut size).await;
                return;
            }
        }
    }
}

async fn flush(
    store: &Arc<dyn Store>,
    id: &ExecutionId,
    batch: &mut Vec<(OutputStream, Vec<u8>)>,
    size: &mut usize,
) {
    if batch.is_empty() {
        return;
    }
    if let Err(err) = store.append_output(id, batch, Timestamp::now()).await {
        tracing::warn!(execution.id = %id, error = %err, "could not store live output");
    }
    batch.clear();
    *size = 0;
}

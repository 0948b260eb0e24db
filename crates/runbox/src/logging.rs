//! Logs go to stderr, filtered by `RUST_LOG` (default: info):
//! human-readable text, or with `RUNBOX_LOG_FORMAT=json` one JSON object
//! per line, carrying the fields of the spans it happened in (so an
//! execution's lines carry `execution.id`).

use std::io::IsTerminal;

use runbox_config::vars;
use tracing_subscriber::EnvFilter;

/// Sets up logging; an unknown `RUNBOX_LOG_FORMAT` is an error to show.
pub fn init() -> Result<(), String> {
    let filter = || {
        EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"))
    };
    let format = std::env::var(vars::LOG_FORMAT).unwrap_or_default();
    match format.as_str() {
        "" | "text" => {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter())
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal())
                .with_target(false)
                .try_init();
            Ok(())
        }
        "json" => {
            let _ = tracing_subscriber::fmt()
                .json()
                .with_env_filter(filter())
                .with_writer(std::io::stderr)
                .with_current_span(true)
                .with_span_list(false)
                .flatten_event(true)
                .try_init();
            Ok(())
        }
        other => Err(format!(
            "{}: expected text or json, got {other:?}",
            vars::LOG_FORMAT
        )),
    }
}

//! `code:ExecutePython` and `code:ExecuteJavaScript`: mapper `{code,
//! input}`; the code runs through the
//! [`PythonStep`](crate::executor::PythonStep) (the sandbox, in
//! production) with `input` as its global `input`, and may `return` a
//! value at top level. Output `{result, stdout, stderr, exit_code}`. A
//! failing program is a module error worded as the Python API (contract
//! section 5) words a failed run: the exception's last traceback line
//! (`ZeroDivisionError: division by zero`), else `Process exited with code
//! N`. Writing to stderr alone does not fail the step. JavaScript runs as
//! the body of an async function (`return`, `await`), its failure worded
//! by its error's first line (`TypeError: x is not a function`).

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::Call;
use crate::executor::PythonCall;
use crate::iml::value::to_text;

/// Runs the step's code in `language` (Python when `None`).
pub(super) async fn execute(call: &Call<'_>, language: Option<&str>) -> Result<Vec<Value>, String> {
    let code = to_text(call.input.get("code").unwrap_or(&Value::Null));
    if code.trim().is_empty() {
        return Err("code is required".to_owned());
    }
    let input = call.input.get("input").cloned().unwrap_or(Value::Null);
    let remaining = call.env.deadline.saturating_duration_since(Instant::now());
    let run = call
        .env
        .services
        .python
        .run(PythonCall {
            language: language.map(str::to_owned),
            code,
            input,
            timeout: remaining.max(Duration::from_secs(1)),
            cancel: call.cancel.clone(),
        })
        .await?;
    if let Ok(mut measured) = call.measured.lock() {
        *measured = run.resources;
    }
    if run.timed_out {
        return Err("the code step timed out".to_owned());
    }
    if run.canceled {
        return Err("the code step was stopped".to_owned());
    }
    if let Some(error) = run.error {
        return Err(error);
    }
    if run.exit_code != 0 {
        // The same words as the Python API (the engine's `interpret`).
        return Err(format!("Process exited with code {}", run.exit_code));
    }
    Ok(vec![json!({
        "result": run.result,
        "stdout": run.stdout,
        "stderr": run.stderr,
        "exit_code": run.exit_code,
    })])
}

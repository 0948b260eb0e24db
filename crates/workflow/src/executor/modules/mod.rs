//! The modules themselves: each takes the evaluated mapper (`input`) and
//! returns its output bundles, or an error message (a module error).
//! Routers, aggregators and directives are handled by the walk.

mod basic;
mod http;
mod python;
mod webhook;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::Env;
use crate::blueprint::{Module, ModuleKind};

pub(crate) struct Call<'a> {
    pub env: &'a Env,
    pub module: &'a Module,
    pub kind: ModuleKind,
    pub input: &'a Value,
    /// Fires when the run is stopped or its deadline passes.
    pub cancel: CancellationToken,
    /// Where a module that runs code leaves its sandbox run's resources.
    pub measured: &'a Measured,
}

/// A module's measured resources, filled in while it runs.
pub(crate) type Measured = std::sync::Mutex<Option<runbox_domain::Resources>>;

/// Runs the module. Python steps wind down on the cancel token themselves
/// (the sandbox kills the run); every other module is simply dropped.
pub(crate) async fn run(call: Call<'_>) -> Result<Vec<Value>, String> {
    match call.kind {
        ModuleKind::Python => return python::execute(&call, None).await,
        ModuleKind::JavaScript => {
            return python::execute(&call, Some(runbox_domain::JAVASCRIPT)).await
        }
        _ => {}
    }
    tokio::select! {
        result = dispatch(&call) => result,
        () = call.cancel.cancelled() => Err("stopped".to_owned()),
    }
}

async fn dispatch(call: &Call<'_>) -> Result<Vec<Value>, String> {
    let input = call.input;
    match call.kind {
        ModuleKind::Start | ModuleKind::Webhook => Ok(vec![call
            .env
            .vars
            .get("input")
            .cloned()
            .unwrap_or(Value::Null)]),
        ModuleKind::Return => basic::return_data(input),
        ModuleKind::SetVariable => basic::set_variable(input),
        ModuleKind::SetVariables => basic::set_variables(input),
        ModuleKind::ParseJson => basic::parse_json(input),
        ModuleKind::CreateJson => basic::create_json(input),
        ModuleKind::Iterator => Ok(basic::iterate(input)),
        ModuleKind::Sleep => basic::sleep(input).await,
        ModuleKind::Http => http::request(call.env, input).await,
        ModuleKind::WebhookRespond => webhook::respond(call.env, input),
        other => Err(format!(
            "{other:?} cannot run as a step of module {}",
            call.module.id
        )),
    }
}

//! Incoming webhooks (contract section 12, Make's custom webhooks):
//! management of hooks with an API key ([`manage`]), and the requests
//! their URLs take without one ([`incoming`]), turned into a scenario's
//! first bundle ([`request`]) or a button's input file.

mod incoming;
mod manage;
mod request;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use runbox_workflow::definition::ScenarioDefinition;

use super::reply::{invalid_input, ScenarioApiError};
use crate::AppState;

/// A scenario whose first module is `gateway:CustomWebHook` names an
/// existing hook that no other scenario listens to (a hook starts one
/// scenario). `scenario` is the one being saved, when it exists already.
pub async fn check_binding(
    state: &AppState,
    definition: &ScenarioDefinition,
    scenario: Option<i64>,
) -> Result<(), ScenarioApiError> {
    let Some(hook) = definition.bound_hook() else {
        return Ok(());
    };
    let exists = state
        .store
        .get_item(manage::KIND, &hook.to_string())
        .await
        .map_err(|e| super::reply::internal(&e))?
        .is_some();
    if !exists {
        return Err(invalid_input(format!(
            "gateway:CustomWebHook: hook {hook} does not exist"
        )));
    }
    if let Some((other, _)) = manage::bound_scenario(state, hook).await? {
        if Some(other.number) != scenario {
            return Err(invalid_input(format!(
                "gateway:CustomWebHook: hook {hook} already starts scenario {}",
                other.number
            )));
        }
    }
    Ok(())
}

/// The routes that need an API key (the caller's layer adds it).
pub fn keyed_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(manage::list, manage::create))
        .routes(routes!(manage::requests))
}

/// `/hooks/{id}`: a token takes a request without a key; a numeric id is
/// management, which checks the key itself.
pub fn open_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(incoming::get, incoming::post, incoming::delete))
}

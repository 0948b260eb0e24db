//! The buttons dialect (seed 000): button management, execution with an
//! optional wait, status, cancel, history and a live SSE stream, in the
//! `{"success", "data" | "error"}` envelope with English or French messages.

mod manage;
pub(crate) mod reply;
mod run;
mod stream;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{auth, openapi, AppState};

pub use manage::{render as render_button, valid_id, KIND};

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    let router = OpenApiRouter::new()
        .routes(routes!(manage::list, manage::create))
        .routes(routes!(manage::get, manage::update, manage::delete))
        .routes(routes!(run::execute))
        .routes(routes!(run::status))
        .routes(routes!(run::cancel))
        .routes(routes!(stream::stream))
        .routes(routes!(run::history))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    openapi::with_errors::<reply::ErrorBody>(
        router,
        &[
            (401, "No valid API key (UNAUTHORIZED)"),
            (500, "Internal error (INTERNAL_ERROR)"),
        ],
    )
}

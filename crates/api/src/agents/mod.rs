//! The agents dialect (seed 004): agent management, runs queued by
//! priority with `Idempotency-Key`, status, listing, SSE events and the
//! two-phase cancel. Errors are `{"detail": …}`.

mod events;
mod manage;
pub(crate) mod reply;
mod run;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{auth, openapi, AppState};

pub use manage::KIND;

pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    let router = OpenApiRouter::new()
        .routes(routes!(manage::list, manage::create))
        .routes(routes!(manage::get, manage::update, manage::delete))
        .routes(routes!(run::run))
        .routes(routes!(run::list))
        .routes(routes!(run::get))
        .routes(routes!(events::events))
        .routes(routes!(run::cancel))
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ));
    openapi::with_errors::<reply::DetailBody>(
        router,
        &[(401, "No valid API key"), (500, "Internal error")],
    )
}

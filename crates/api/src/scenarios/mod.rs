//! The scenarios dialect (seed 002): scenario management with Make-shaped
//! blueprints, activation, interfaces, runs (responsive or not), status,
//! listing, per-module details, stop and retry, and Make's own API names
//! for them (the `/api/v2` prefix, `/logs`), so that Make's clients work.
//! Errors are `{"error": {"message", "code", "details"?}}`.

mod hooks;
mod input;
mod manage;
mod render;
pub(crate) mod reply;
mod runs;
mod schema;

use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{auth, openapi, AppState};

/// The dialect's routes, served at the root and again under `/api/v2`
/// (Make's API prefix, which Make's SDK and CLI use), from this one
/// definition. The copy under `/api/v2` is documented with its own
/// operation ids (`…_v2`) and its errors' Make fields.
pub fn routes(state: AppState) -> OpenApiRouter<AppState> {
    let unauthorized: auth::Unauthorized = reply::unauthorized;
    let routes = scenario_routes()
        .merge(hooks::keyed_routes())
        .route_layer(axum::middleware::from_fn_with_state(
            (state, unauthorized),
            auth::require_key,
        ))
        .merge(hooks::open_routes());
    let routes = openapi::with_errors::<reply::ErrorBody>(
        routes,
        &[
            (
                400,
                "Invalid input: a query parameter or a path segment (INVALID_INPUT)",
            ),
            (401, "No valid API key (UNAUTHORIZED)"),
            (500, "Internal error (INTERNAL_ERROR)"),
        ],
    );
    let mut make = routes
        .clone()
        .layer(axum::middleware::map_response(reply::with_make_message));
    as_make_copy(make.get_openapi_mut());
    OpenApiRouter::new().merge(routes).nest(MAKE_PREFIX, make)
}

/// Renames the operations of the `/api/v2` copy (`…_v2`, operation ids
/// are unique) and points their error replies at the Make-flavoured body.
fn as_make_copy(doc: &mut OpenApi) {
    let plain = format!("#/components/schemas/{}", reply::ErrorBody::name());
    let make = utoipa::openapi::Ref::from_schema_name(reply::MakeErrorBody::name());
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert(
        reply::MakeErrorBody::name().into_owned(),
        reply::MakeErrorBody::schema(),
    );
    for item in doc.paths.paths.values_mut() {
        for operation in [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(id) = operation.operation_id.as_mut() {
                id.push_str("_v2");
            }
            for response in operation.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                for content in response.content.values_mut() {
                    let RefOr::T(content) = content else {
                        continue;
                    };
                    if matches!(&content.schema, Some(RefOr::Ref(r)) if r.ref_location == plain) {
                        content.schema = Some(RefOr::Ref(make.clone()));
                    }
                }
            }
        }
    }
}

/// Where Make's API lives on its own hosts.
pub const MAKE_PREFIX: &str = "/api/v2";

/// What a scenario run's `callbackUrl` receives when the run ends.
pub fn callback_body(execution: &runbox_domain::Execution) -> serde_json::Value {
    let report = render::report(execution);
    serde_json::json!({
        "executionId": execution.id.as_str(),
        "status": render::status(execution, report.as_ref()),
        "outputs": report.as_ref().map(|r| r.outputs.clone()),
        "error": render::execution(execution)["error"],
    })
}

fn scenario_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(manage::list, manage::create))
        .routes(routes!(manage::get, manage::update, manage::delete))
        .routes(routes!(manage::start))
        .routes(routes!(manage::stop))
        .routes(routes!(manage::blueprint_of))
        .routes(routes!(manage::get_interface, manage::set_interface))
        .routes(routes!(runs::run))
        .routes(routes!(runs::list))
        .routes(routes!(runs::get))
        .routes(routes!(runs::details))
        .routes(routes!(runs::stop))
        .routes(routes!(runs::retry))
        .routes(routes!(runs::logs))
        .routes(routes!(runs::log))
}

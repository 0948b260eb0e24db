//! The OpenAPI 3.1 document of every route, built from the same
//! registrations that build the router (each handler's `#[utoipa::path]`,
//! registered with `utoipa_axum::routes!`), so a route cannot be served
//! without being described. Served at `GET /openapi.json` without a key;
//! `GET /docs` (in [`crate::web`]) renders it.
//!
//! Each dialect describes its own success bodies and its own error shape;
//! [`with_errors`] adds the error statuses every route of a dialect can
//! answer (a missing key, a malformed body, a full queue…) to each of its
//! operations, so they are not repeated in every handler.

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, Ref};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// The serialized document, shared by every request for it.
#[derive(Clone)]
pub struct Document(Arc<String>);

impl Document {
    pub fn new(doc: &OpenApi) -> Self {
        let text = doc
            .to_pretty_json()
            .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
        Self(Arc::new(text))
    }
}

/// The empty document the dialects' routes are added to: title, version,
/// and the two ways to send a key (`Authorization: Token KEY` works too but
/// OpenAPI cannot name that scheme).
pub fn base(version: &str) -> OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("runbox")
                .version(version)
                .description(Some(
                    "One execution service, four dialects: buttons (`/api/v1`), Python code \
                     (`/v1/code`), scenarios (`/scenarios`, also under `/api/v2`) and agents \
                     (`/agents`, `/executions`). Each answers errors in its own shape.",
                ))
                .build(),
        )
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "api_key",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-api-key"))),
    );
    doc.security = Some(vec![
        utoipa::openapi::security::SecurityRequirement::new::<_, [&str; 0], &str>("bearer", []),
        utoipa::openapi::security::SecurityRequirement::new::<_, [&str; 0], &str>("api_key", []),
    ]);
    doc
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(document))
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi_document",
    tag = "operations",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
pub async fn document(Extension(doc): Extension<Document>) -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        doc.0.as_str().to_owned(),
    )
        .into_response()
}

/// Documents, on every operation of `router` that does not already, the
/// statuses in `codes` answered with the error schema `E`.
pub fn with_errors<E: ToSchema>(
    mut router: OpenApiRouter<AppState>,
    codes: &[(u16, &str)],
) -> OpenApiRouter<AppState> {
    let doc = router.get_openapi_mut();
    let name = E::name().into_owned();
    let mut schemas = Vec::new();
    E::schemas(&mut schemas);
    let components = doc.components.get_or_insert_with(Default::default);
    components.schemas.insert(name.clone(), E::schema());
    components.schemas.extend(schemas);
    for item in doc.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            for (code, description) in codes {
                let key = code.to_string();
                if operation.responses.responses.contains_key(&key) {
                    continue;
                }
                let response = ResponseBuilder::new()
                    .description(*description)
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name(name.clone())))
                            .build(),
                    )
                    .build();
                operation.responses.responses.insert(key, response.into());
            }
        }
    }
    router
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
    ]
    .into_iter()
    .flatten()
}

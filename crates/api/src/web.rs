//! The web dashboard: a static page and its assets, compiled into the
//! binary (no build step, nothing fetched from elsewhere), served without an
//! API key. The page itself asks for a key and sends it on every API call.
//!
//! - `GET /` → `web/index.html` (`Cache-Control: no-cache`);
//! - `GET /assets/{file}` → the scripts and the style sheet in [`ASSETS`];
//! - `GET /favicon.svg`;
//! - `GET /docs` → `web/docs.html`, the API reference rendered from
//!   `/openapi.json` by `docs.js`.
//!
//! Every reply carries a strict Content-Security-Policy (only same-origin
//! scripts, styles, images and connections; no inline script or style, no
//! framing), `X-Content-Type-Options: nosniff`, `Referrer-Policy:
//! no-referrer` and a strong `ETag`, so a revalidation costs a 304.
//! Assets are revalidated on every load (`no-cache`) rather than cached for
//! a while: the page and its modules then always come from the same build.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// No inline script or style, nothing from another origin.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The files under `/assets/`: name, content type, bytes. A new view's
/// module is added here and imported by `app.js`.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.js", JS, include_bytes!("../web/app.js")),
    ("core.js", JS, include_bytes!("../web/core.js")),
    ("buttons.js", JS, include_bytes!("../web/buttons.js")),
    ("agents.js", JS, include_bytes!("../web/agents.js")),
    ("scenarios.js", JS, include_bytes!("../web/scenarios.js")),
    (
        "scenario-common.js",
        JS,
        include_bytes!("../web/scenario-common.js"),
    ),
    (
        "scenario-runs.js",
        JS,
        include_bytes!("../web/scenario-runs.js"),
    ),
    (
        "scenario-inspector.js",
        JS,
        include_bytes!("../web/scenario-inspector.js"),
    ),
    (
        "scenario-form.js",
        JS,
        include_bytes!("../web/scenario-form.js"),
    ),
    ("hooks.js", JS, include_bytes!("../web/hooks.js")),
    ("secrets.js", JS, include_bytes!("../web/secrets.js")),
    ("code.js", JS, include_bytes!("../web/code.js")),
    ("flow.js", JS, include_bytes!("../web/flow.js")),
    ("graph.js", JS, include_bytes!("../web/graph.js")),
    ("builder.js", JS, include_bytes!("../web/builder.js")),
    ("app.css", CSS, include_bytes!("../web/app.css")),
    ("docs.js", JS, include_bytes!("../web/docs.js")),
    ("docs.css", CSS, include_bytes!("../web/docs.css")),
];

const INDEX: &[u8] = include_bytes!("../web/index.html");
const FAVICON: &[u8] = include_bytes!("../web/favicon.svg");
const DOCS: &[u8] = include_bytes!("../web/docs.html");

/// One servable file with its precomputed entity tag.
struct File {
    content_type: &'static str,
    bytes: &'static [u8],
    etag: HeaderValue,
}

impl File {
    fn new(content_type: &'static str, bytes: &'static [u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
        let etag = HeaderValue::from_str(&format!("\"{hex}\"")).expect("hex is a valid header");
        Self {
            content_type,
            bytes,
            etag,
        }
    }
}

static FILES: LazyLock<Vec<(&'static str, File)>> = LazyLock::new(|| {
    let mut files = vec![
        ("index.html", File::new(HTML, INDEX)),
        ("favicon.svg", File::new(SVG, FAVICON)),
        ("docs.html", File::new(HTML, DOCS)),
    ];
    for (name, content_type, bytes) in ASSETS {
        files.push((*name, File::new(content_type, bytes)));
    }
    files
});

fn file(name: &str) -> Option<&'static File> {
    FILES.iter().find(|(n, _)| *n == name).map(|(_, f)| f)
}

/// The dashboard's routes; none of them needs an API key.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(favicon))
        .routes(routes!(asset))
        .routes(routes!(docs))
}

/// The dashboard.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "dashboard_page",
    tag = "dashboard",
    security(()),
    responses(
        (status = 200, description = "The dashboard page", content_type = "text/html"),
        (status = 304, description = "Unchanged since the ETag sent"),
    )
)]
async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// The dashboard's icon.
#[utoipa::path(
    get,
    path = "/favicon.svg",
    operation_id = "dashboard_icon",
    tag = "dashboard",
    security(()),
    responses(
        (status = 200, description = "The icon", content_type = "image/svg+xml"),
        (status = 304, description = "Unchanged since the ETag sent"),
    )
)]
async fn favicon(headers: HeaderMap) -> Response {
    serve("favicon.svg", &headers)
}

/// The browsable reference of this API.
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "docs_page",
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "The reference page", content_type = "text/html"),
        (status = 304, description = "Unchanged since the ETag sent"),
    )
)]
async fn docs(headers: HeaderMap) -> Response {
    serve("docs.html", &headers)
}

/// The dashboard's scripts and style sheets.
#[utoipa::path(
    get,
    path = "/assets/{file}",
    operation_id = "dashboard_asset",
    tag = "dashboard",
    security(()),
    params(("file" = String, Path, description = "A file name such as `app.js`")),
    responses(
        (status = 200, description = "The file (JavaScript or CSS)"),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 404, description = "No such asset", body = crate::agents::reply::DetailBody),
    )
)]
async fn asset(Path(name): Path<String>, uri: Uri, headers: HeaderMap) -> Response {
    if !ASSETS.iter().any(|(asset, _, _)| *asset == name) {
        return crate::fallback::shaped(uri.path(), StatusCode::NOT_FOUND, "Asset not found");
    }
    serve(&name, &headers)
}

fn serve(name: &str, request: &HeaderMap) -> Response {
    let Some(file) = file(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(ETAG, file.etag.clone());
    security_headers(&mut headers);
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == file.etag || t.trim() == "*")
        });
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(file.content_type));
    (StatusCode::OK, headers, file.bytes).into_response()
}

fn security_headers(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_has_a_distinct_etag() {
        let tags: std::collections::HashSet<_> = FILES.iter().map(|(_, f)| &f.etag).collect();
        assert_eq!(tags.len(), FILES.len());
    }

    #[test]
    fn the_pages_load_no_inline_script_and_nothing_from_elsewhere() {
        for page in [INDEX, DOCS] {
            let page = std::str::from_utf8(page).expect("utf-8");
            assert!(!page.contains("<script>"), "inline script");
            assert!(!page.contains("style="), "inline style");
            assert!(
                !page.contains("=\"http") && !page.contains("=\"//"),
                "external URL"
            );
        }
        for (name, _, _) in ASSETS {
            let referenced = [INDEX, DOCS].iter().any(|page| {
                std::str::from_utf8(page)
                    .is_ok_and(|page| page.contains(&format!("/assets/{name}")))
            });
            let imported = ASSETS.iter().any(|(_, _, bytes)| {
                std::str::from_utf8(bytes).is_ok_and(|text| text.contains(&format!("./{name}")))
            });
            assert!(referenced || imported, "{name} is never loaded");
        }
    }
}

//! The buttons dialect's envelope: `{"success": true, "data": …}` or
//! `{"success": false, "error": {"code", "message"}}` (with `data` beside
//! `error` when the error is about an execution), messages in English or,
//! for `Accept-Language: fr`, French.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::run::ButtonExecution;

/// The language of error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    /// The preferred of English and French in `Accept-Language`, by q-value.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let Some(header) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
        else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("fr") => Lang::Fr,
                Some("en") => Lang::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_headers(&parts.headers))
    }
}

/// Every error code of the dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    ButtonNotFound,
    ExecutionNotFound,
    InvalidCommand,
    InvalidRequest,
    ExecutionError,
    Timeout,
    Unauthorized,
    Forbidden,
    RateLimited,
    Conflict,
    PayloadTooLarge,
    NotFound,
    Internal,
}

impl Code {
    pub fn status(self) -> StatusCode {
        match self {
            Code::ButtonNotFound | Code::ExecutionNotFound | Code::NotFound => {
                StatusCode::NOT_FOUND
            }
            Code::InvalidCommand | Code::InvalidRequest => StatusCode::BAD_REQUEST,
            Code::ExecutionError | Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::Timeout => StatusCode::REQUEST_TIMEOUT,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Code::Conflict => StatusCode::CONFLICT,
            Code::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Code::ButtonNotFound => "BUTTON_NOT_FOUND",
            Code::ExecutionNotFound => "EXECUTION_NOT_FOUND",
            Code::InvalidCommand => "INVALID_COMMAND",
            Code::InvalidRequest => "INVALID_REQUEST",
            Code::ExecutionError => "EXECUTION_ERROR",
            Code::Timeout => "TIMEOUT",
            Code::Unauthorized => "UNAUTHORIZED",
            Code::Forbidden => "FORBIDDEN",
            Code::RateLimited => "RATE_LIMITED",
            Code::Conflict => "CONFLICT",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::NotFound => "NOT_FOUND",
            Code::Internal => "INTERNAL_ERROR",
        }
    }

    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Code::ButtonNotFound, Lang::En) => "Button not found",
            (Code::ButtonNotFound, Lang::Fr) => "Bouton non trouvé",
            (Code::ExecutionNotFound, Lang::En) => "Execution not found",
            (Code::ExecutionNotFound, Lang::Fr) => "Exécution non trouvée",
            (Code::InvalidCommand, Lang::En) => "Invalid command",
            (Code::InvalidCommand, Lang::Fr) => "Commande invalide",
            (Code::InvalidRequest, Lang::En) => "Invalid request",
            (Code::InvalidRequest, Lang::Fr) => "Requête invalide",
            (Code::ExecutionError, Lang::En) => "Execution error",
            (Code::ExecutionError, Lang::Fr) => "Erreur d'exécution",
            (Code::Timeout, Lang::En) => "Timeout",
            (Code::Timeout, Lang::Fr) => "Timeout",
            (Code::Unauthorized, Lang::En) => "Unauthorized: a valid API key is required",
            (Code::Unauthorized, Lang::Fr) => "Non autorisé : une clé d'API valide est requise",
            (Code::Forbidden, Lang::En) => "Forbidden",
            (Code::Forbidden, Lang::Fr) => "Interdit",
            (Code::RateLimited, Lang::En) => "Too many executions queued, try again later",
            (Code::RateLimited, Lang::Fr) => "Trop d'exécutions en attente, réessayez plus tard",
            (Code::Conflict, Lang::En) => "A button with this id already exists",
            (Code::Conflict, Lang::Fr) => "Un bouton avec cet identifiant existe déjà",
            (Code::PayloadTooLarge, Lang::En) => "Request body too large",
            (Code::PayloadTooLarge, Lang::Fr) => "Corps de requête trop volumineux",
            (Code::NotFound, Lang::En) => "Not found",
            (Code::NotFound, Lang::Fr) => "Introuvable",
            (Code::Internal, Lang::En) => "Internal server error",
            (Code::Internal, Lang::Fr) => "Erreur interne du serveur",
        }
    }
}

/// An error reply of the buttons dialect.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ButtonsError)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    pub error: ErrorInfo,
    /// The execution, when the error is about one that ended within the
    /// wait (`EXECUTION_ERROR`, `TIMEOUT`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub data: Option<ButtonExecution>,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ButtonsErrorInfo)]
pub struct ErrorInfo {
    /// `BUTTON_NOT_FOUND`, `EXECUTION_NOT_FOUND`, `INVALID_COMMAND`,
    /// `INVALID_REQUEST`, `EXECUTION_ERROR`, `TIMEOUT`, `UNAUTHORIZED`,
    /// `FORBIDDEN`, `RATE_LIMITED`, `CONFLICT`, `PAYLOAD_TOO_LARGE`,
    /// `NOT_FOUND`, `INTERNAL_ERROR`, or for errors answered before a
    /// handler ran, `METHOD_NOT_ALLOWED`, `URI_TOO_LONG`, `HEADERS_TOO_LARGE`…
    #[schema(example = "BUTTON_NOT_FOUND")]
    pub code: String,
    /// The code's sentence, in English or (`Accept-Language: fr`) French.
    #[schema(example = "Button not found")]
    pub message: String,
    /// What in particular was wrong, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub details: Option<String>,
}

/// An error reply: the code's message, an optional detail beside it, and
/// the execution's `data` when the error is about one.
#[derive(Debug)]
pub struct ApiError {
    pub code: Code,
    pub detail: Option<String>,
    pub data: Option<Box<ButtonExecution>>,
}

impl ApiError {
    pub fn new(code: Code) -> Self {
        Self {
            code,
            detail: None,
            data: None,
        }
    }

    pub fn detail(code: Code, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: Some(detail.into()),
            data: None,
        }
    }

    pub fn with_data(code: Code, data: ButtonExecution) -> Self {
        Self {
            code,
            detail: None,
            data: Some(Box::new(data)),
        }
    }

    pub fn internal(err: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %err, "buttons endpoint failed");
        Self::new(Code::Internal)
    }

    pub fn render(self, lang: Lang) -> Response {
        // The message is the catalogue's sentence exactly (what clients
        // compare); what was wrong in particular goes beside it.
        let body = ErrorBody {
            success: false,
            error: ErrorInfo {
                code: self.code.as_str().to_owned(),
                message: self.code.message(lang).to_owned(),
                details: self.detail,
            },
            data: self.data.map(|data| *data),
        };
        (self.code.status(), Json(body)).into_response()
    }
}

/// A success reply: `{"success": true, "data": data}`.
#[derive(Serialize)]
struct Success<T> {
    success: bool,
    data: T,
}

pub fn success<T: Serialize>(status: StatusCode, data: T) -> Response {
    (
        status,
        Json(Success {
            success: true,
            data,
        }),
    )
        .into_response()
}

/// `{"success": true}`: what DELETE answers.
#[derive(Serialize, ToSchema)]
#[schema(as = ButtonsDone)]
pub struct Done {
    /// Always `true`.
    pub success: bool,
}

/// `{"success": true, "data": button}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ButtonReply {
    /// Always `true`.
    success: bool,
    data: super::manage::Button,
}

/// `{"success": true, "data": [button…]}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ButtonListReply {
    /// Always `true`.
    success: bool,
    data: Vec<super::manage::Button>,
}

/// `{"success": true, "data": execution}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ButtonExecutionReply {
    /// Always `true`.
    success: bool,
    data: ButtonExecution,
}

/// `{"success": true, "data": [execution…]}`, newest first.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ButtonExecutionListReply {
    /// Always `true`.
    success: bool,
    data: Vec<ButtonExecution>,
}

impl From<runbox_store::StoreError> for ApiError {
    fn from(error: runbox_store::StoreError) -> Self {
        ApiError::internal(&error)
    }
}

impl From<crate::catalog::CatalogError> for ApiError {
    fn from(error: crate::catalog::CatalogError) -> Self {
        match error {
            crate::catalog::CatalogError::NotFound => ApiError::new(Code::ButtonNotFound),
            crate::catalog::CatalogError::Forbidden => ApiError::new(Code::Forbidden),
            crate::catalog::CatalogError::Store(err) => ApiError::internal(&err),
        }
    }
}

pub fn unauthorized(headers: &HeaderMap) -> Response {
    ApiError::new(Code::Unauthorized).render(Lang::from_headers(headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(value: &str) -> Lang {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::ACCEPT_LANGUAGE,
            value.parse().expect("header"),
        );
        Lang::from_headers(&headers)
    }

    #[test]
    fn picks_french_when_preferred() {
        assert_eq!(lang("fr"), Lang::Fr);
        assert_eq!(lang("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(lang("en-US,en;q=0.9,fr;q=0.8"), Lang::En);
        assert_eq!(lang("de,fr;q=0.5"), Lang::Fr);
        assert_eq!(lang("de"), Lang::En);
        assert_eq!(Lang::from_headers(&HeaderMap::new()), Lang::En);
    }
}

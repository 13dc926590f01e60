//! API errors as HTTP responses: a status and a JSON body `{"error": kind, "message": ...}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use elixir_scope_analysis::AnalyzeError;
use elixir_scope_ast::AstError;
use elixir_scope_cpg::CpgError;
use elixir_scope_foundation::config::ConfigError;
use elixir_scope_foundation::event_store::StoreError;

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    /// A 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "bad_request",
            message: message.into(),
        }
    }

    /// A 413: the request body is over the limit.
    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            kind: "payload_too_large",
            message: message.into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "not_found",
            message: message.into(),
        }
    }

    /// A 503: the service behind the route is down.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            kind: "unavailable",
            message: message.into(),
        }
    }

    /// A 401.
    pub fn unauthorized() -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            kind: "unauthorized",
            message: "missing or wrong bearer token".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.kind, "message": self.message });
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        let (status, kind) = match &error {
            StoreError::InvalidEvent { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event"),
            StoreError::BatchTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"),
            StoreError::InvalidQuery(_) => (StatusCode::BAD_REQUEST, "invalid_query"),
            StoreError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            StoreError::Closed | StoreError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "store_error"),
        };
        ApiError {
            status,
            kind,
            message: error.to_string(),
        }
    }
}

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        let (status, kind) = match &error {
            ConfigError::UnknownPath { .. } => (StatusCode::NOT_FOUND, "unknown_path"),
            ConfigError::NotUpdatable { .. } => (StatusCode::FORBIDDEN, "not_updatable"),
            ConfigError::InvalidValue { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_value"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "config_error"),
        };
        ApiError {
            status,
            kind,
            message: error.to_string(),
        }
    }
}

impl From<AstError> for ApiError {
    fn from(error: AstError) -> Self {
        let (status, kind) = match &error {
            AstError::NotADirectory { .. } | AstError::Discovery { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "bad_project_path")
            }
            AstError::UnknownProject(_) | AstError::UnknownFile(_) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            AstError::Unavailable(_) | AstError::TaskStart(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            #[allow(unreachable_patterns)]
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "ast_error"),
        };
        ApiError {
            status,
            kind,
            message: error.to_string(),
        }
    }
}

impl From<AnalyzeError> for ApiError {
    fn from(error: AnalyzeError) -> Self {
        let (status, kind) = match &error {
            AnalyzeError::UnknownJob(_) => (StatusCode::NOT_FOUND, "unknown_job"),
            AnalyzeError::InvalidOption(_) => (StatusCode::BAD_REQUEST, "invalid_option"),
            AnalyzeError::Cancelled(_) => (StatusCode::GONE, "cancelled"),
            AnalyzeError::JobFailed { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "job_failed"),
            AnalyzeError::Unavailable(_) | AnalyzeError::Start(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            AnalyzeError::Ast(inner) => {
                return ApiError::from(AstError::Unavailable(inner.to_string()))
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "analysis_error"),
        };
        ApiError {
            status,
            kind,
            message: error.to_string(),
        }
    }
}

impl From<CpgError> for ApiError {
    fn from(error: CpgError) -> Self {
        let (status, kind) = match &error {
            CpgError::UnknownProject(_) | CpgError::UnknownMethod(_) => {
                (StatusCode::NOT_FOUND, "not_found")
            }
            CpgError::Discovery { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_project_path"),
            CpgError::Unavailable(..) | CpgError::Tasks(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "cpg_error"),
        };
        ApiError {
            status,
            kind,
            message: error.to_string(),
        }
    }
}

//! The `{"name": ..., "path": ...}` body that asks a layer to take in a project directory.

use super::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::Json;
use serde::Deserialize;
use std::path::PathBuf;

/// A project to parse or build.
#[derive(Deserialize)]
pub(super) struct ProjectRequest {
    /// Project name (the key for later queries).
    pub(super) name: String,
    /// Directory on the server's file system.
    pub(super) path: PathBuf,
}

impl ProjectRequest {
    /// Validates the extracted body into a request with a non-empty name.
    pub(super) fn from_body(
        body: Result<Json<ProjectRequest>, JsonRejection>,
    ) -> Result<ProjectRequest, ApiError> {
        let Json(request) = body.map_err(|e| {
            ApiError::bad_request(format!(
                "expected {{\"name\": ..., \"path\": ...}}: {}",
                e.body_text()
            ))
        })?;
        if request.name.trim().is_empty() {
            return Err(ApiError::bad_request("project name must not be empty"));
        }
        Ok(request)
    }
}

//! Configuration: read, update (declared updatable paths only), reset.

use super::{ApiError, ApiState};
use axum::extract::{Path, State};
use axum::Json;
use elixir_scope_foundation::UpdateOutcome;
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) async fn get_all(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let config = serde_json::to_value(&*state.foundation.config.config())
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(Json(json!({
        "config": config,
        "degraded": state.foundation.config.is_degraded(),
    })))
}

pub(super) async fn get_path(
    State(state): State<ApiState>,
    Path(path): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let read = state.foundation.config.get(&path)?;
    Ok(Json(
        json!({ "path": path, "value": read.value, "degraded": read.degraded }),
    ))
}

pub(super) async fn update(
    State(state): State<ApiState>,
    Path(path): Path<String>,
    Json(value): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let outcome = state.foundation.config.update(&path, value).await?;
    Ok(Json(match outcome {
        UpdateOutcome::Applied(change) => json!({ "status": "applied", "change": change }),
        UpdateOutcome::Queued { pending } => json!({ "status": "queued", "pending": pending }),
    }))
}

#[derive(Deserialize)]
pub(super) struct ResetRequest {
    #[serde(default)]
    path: Option<String>,
}

pub(super) async fn reset(
    State(state): State<ApiState>,
    Json(request): Json<ResetRequest>,
) -> Result<Json<Value>, ApiError> {
    let changes = state
        .foundation
        .config
        .reset(request.path.as_deref())
        .await?;
    Ok(Json(json!({ "reset": changes })))
}

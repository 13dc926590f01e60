//! Health, the live tree, and metrics.

use super::{ApiError, ApiState};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::Json;
use elixir_scope_runtime_core::ChildStatus;
use serde_json::{json, Value};

pub(super) async fn health(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let tree = state
        .root
        .snapshot()
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let layers: serde_json::Map<String, Value> = tree
        .children
        .iter()
        .map(|c| (c.id.to_string(), json!(c.status)))
        .collect();
    let healthy = tree
        .children
        .iter()
        .all(|c| c.status == ChildStatus::Running);
    Ok(Json(json!({
        "status": if healthy { "ok" } else { "degraded" },
        "config_degraded": state.foundation.config.is_degraded(),
        "layers": layers,
    })))
}

pub(super) async fn tree(State(state): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let snapshot = state
        .root
        .snapshot()
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    Ok(Json(snapshot))
}

pub(super) async fn metrics_json(State(state): State<ApiState>) -> impl IntoResponse {
    Json(state.foundation.telemetry.snapshot())
}

pub(super) async fn metrics_prometheus(State(state): State<ApiState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        state.foundation.telemetry.prometheus(),
    )
}

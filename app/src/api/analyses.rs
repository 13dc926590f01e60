//! Analysis jobs: submit for a parsed project, list, status, cancel, fetch the report.

use super::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use elixir_scope_analysis::{render, AnalysisKind, Format, JobSpec, JobState, Thresholds};
use serde::Deserialize;
use serde_json::{json, Value};
use std::str::FromStr;

#[derive(Deserialize)]
pub(super) struct SubmitRequest {
    project: String,
    #[serde(default)]
    analyses: Vec<AnalysisKind>,
    #[serde(default)]
    thresholds: Option<Thresholds>,
}

pub(super) async fn submit(
    State(state): State<ApiState>,
    request: Result<Json<SubmitRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let Json(request) = request.map_err(|e| ApiError::bad_request(e.body_text()))?;
    // The project must exist in the AST layer; its stats also give the report's root.
    state.ast.stats(&request.project).await?;
    let mut spec = JobSpec::all(request.project.clone(), request.project.clone());
    if !request.analyses.is_empty() {
        spec.analyses = request.analyses;
    }
    if let Some(thresholds) = request.thresholds {
        spec.thresholds = thresholds;
    }
    let id = state.analysis.submit(spec).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "job": id }))))
}

pub(super) async fn list(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "jobs": state.analysis.list().await? })))
}

fn job_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::bad_request(format!("job id must be an integer, got {raw:?}")))
}

pub(super) async fn status(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.analysis.status(job_id(&id)?).await?)))
}

pub(super) async fn cancel(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        json!({ "cancelled": state.analysis.cancel(job_id(&id)?).await? }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ReportQuery {
    format: Option<String>,
}

pub(super) async fn report(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    Query(query): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref() {
        None => Format::Json,
        Some(f) => Format::from_str(f)?,
    };
    let status = state.analysis.status(job_id(&id)?).await?;
    let report = match (status.state, status.report) {
        (JobState::Completed, Some(report)) => report,
        (JobState::Running, _) => {
            return Ok((StatusCode::ACCEPTED, Json(json!({ "state": "running" }))).into_response())
        }
        (state, _) => {
            return Err(ApiError::not_found(format!(
                "job {id} has no report (state {state:?}{})",
                status.error.map(|e| format!(": {e}")).unwrap_or_default()
            )))
        }
    };
    let body = render(&report, format)?;
    let content_type = match format {
        Format::Text => "text/plain; charset=utf-8",
        _ => "application/json",
    };
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

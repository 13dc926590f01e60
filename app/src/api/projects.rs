//! Projects: parse a directory into the AST layer and query its model.

use super::project_request::ProjectRequest;
use super::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) async fn parse(
    State(state): State<ApiState>,
    body: Result<Json<ProjectRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = ProjectRequest::from_body(body)?;
    let report = state
        .ast
        .parse_project(&request.name, &request.path)
        .await?;
    Ok(Json(json!(report)))
}

pub(super) async fn list(State(state): State<ApiState>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "projects": state.ast.projects().await? })))
}

pub(super) async fn stats(
    State(state): State<ApiState>,
    Path(project): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(state.ast.stats(&project).await?)))
}

pub(super) async fn files(
    State(state): State<ApiState>,
    Path(project): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "files": state.ast.files(&project).await? })))
}

#[derive(Deserialize)]
pub(super) struct ModuleQuery {
    name: String,
}

pub(super) async fn modules(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    query: Result<Query<ModuleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(
        json!({ "modules": state.ast.modules(&project, &query.name).await? }),
    ))
}

#[derive(Deserialize)]
pub(super) struct FunctionQuery {
    name: String,
    module: Option<String>,
    arity: Option<u32>,
}

pub(super) async fn functions(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    query: Result<Query<FunctionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let found = state
        .ast
        .functions(&project, query.module.as_deref(), &query.name, query.arity)
        .await?;
    Ok(Json(json!({ "functions": found })))
}

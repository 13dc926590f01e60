//! Code property graphs: build a project's graph, find methods, query calls, control flow,
//! def-use chains and paths, export JSON / DOT.

use super::project_request::ProjectRequest;
use super::{ApiError, ApiState};
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use elixir_scope_cpg::MethodId;
use serde::Deserialize;
use serde_json::{json, Value};

pub(super) async fn build(
    State(state): State<ApiState>,
    body: Result<Json<ProjectRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let request = ProjectRequest::from_body(body)?;
    let report = state.cpg.build(&request.name, &request.path).await?;
    Ok(Json(json!(report)))
}

#[derive(Deserialize)]
pub(super) struct MethodQuery {
    /// `Mod.fun/2`, `Mod.fun` or `fun`.
    name: String,
}

pub(super) async fn find_methods(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    query: Result<Query<MethodQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let graph = state.cpg.project(&project).await?;
    let found: Vec<_> = graph
        .find_methods(&query.name)
        .into_iter()
        .cloned()
        .collect();
    Ok(Json(json!({ "methods": found })))
}

fn method_id(raw: &str) -> Result<MethodId, ApiError> {
    raw.parse()
        .map(MethodId)
        .map_err(|_| ApiError::bad_request(format!("method id must be an integer, got {raw:?}")))
}

pub(super) async fn method_query(
    State(state): State<ApiState>,
    Path((project, id, query)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let method = method_id(&id)?;
    let cpg = &state.cpg;
    Ok(match query.as_str() {
        "callers" => {
            Json(json!({ "callers": cpg.callers(&project, method).await? })).into_response()
        }
        "callees" => {
            Json(json!({ "callees": cpg.callees(&project, method).await? })).into_response()
        }
        "reachable" => {
            Json(json!({ "reachable": cpg.reachable(&project, method).await? })).into_response()
        }
        "cfg" => Json(json!(cpg.method_graph(&project, method).await?)).into_response(),
        "def_use" => {
            Json(json!({ "def_use": cpg.def_use(&project, method).await? })).into_response()
        }
        "dot" => dot(cpg.export_dot(&project, Some(method)).await?),
        other => {
            return Err(ApiError::not_found(format!(
                "unknown method query {other:?} (callers, callees, reachable, cfg, def_use, dot)"
            )))
        }
    })
}

#[derive(Deserialize)]
pub(super) struct PathsQuery {
    from: u32,
    to: u32,
    #[serde(default = "default_path_limit")]
    limit: usize,
}

fn default_path_limit() -> usize {
    10
}

pub(super) async fn paths(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    query: Result<Query<PathsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = query.limit.clamp(1, 1000);
    let found = state
        .cpg
        .paths(&project, MethodId(query.from), MethodId(query.to), limit)
        .await?;
    Ok(Json(json!({ "paths": found })))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

pub(super) async fn export(
    State(state): State<ApiState>,
    Path(project): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok((
            [(CONTENT_TYPE, "application/json")],
            state.cpg.export_json(&project).await?,
        )
            .into_response()),
        "dot" => Ok(dot(state.cpg.export_dot(&project, None).await?)),
        other => Err(ApiError::bad_request(format!(
            "unknown export format {other:?} (json or dot)"
        ))),
    }
}

fn dot(text: String) -> Response {
    ([(CONTENT_TYPE, "text/vnd.graphviz; charset=utf-8")], text).into_response()
}

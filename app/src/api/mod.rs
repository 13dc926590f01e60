//! The HTTP API (JSON): tree, health, config, events and metrics, over the layers' typed handles.
//!
//! Routes:
//! - `GET /health`
//! - `GET /api/tree` — live supervision tree snapshot
//! - `GET /api/config`, `GET /api/config/{path}`, `PUT /api/config/{path}` (body: JSON value),
//!   `POST /api/config/reset` (body: `{"path": "..."}` or `{}`)
//! - `POST /api/events` (body: one event, an array, or `{"events": [...]}`; a batch is atomic),
//!   `GET /api/events?type=&correlation_id=&source_node=&source_process=&from=&to=&order=&limit=&cursor=`,
//!   `GET /api/events/{id}`, `GET /api/events/stats`, `GET /api/events/chain/{correlation_id}`
//! - `POST /api/projects` (body `{"name": "...", "path": "/dir"}`: parse or re-parse
//!   incrementally), `GET /api/projects`, `GET /api/projects/{p}/stats`, `.../files`,
//!   `.../modules?name=`, `.../functions?name=&module=&arity=`
//! - `POST /api/cpg` (body `{"name": "...", "path": "/dir"}`: build or rebuild the graph),
//!   `GET /api/cpg/{p}/methods?name=Mod.fun/2`,
//!   `GET /api/cpg/{p}/methods/{id}/{callers|callees|reachable|cfg|def_use|dot}`,
//!   `GET /api/cpg/{p}/paths?from=&to=&limit=`, `GET /api/cpg/{p}/export?format=json|dot`
//! - `POST /api/analyses` (body `{"project": "...", "analyses": ["metrics", ...]}`; the project
//!   must have been parsed), `GET /api/analyses`, `GET|DELETE /api/analyses/{id}`,
//!   `GET /api/analyses/{id}/report?format=json|sarif|text`
//! - `GET /api/metrics` (JSON), `GET /metrics` (Prometheus text)

mod analyses;
mod auth;
mod config;
mod cpg;
mod error;
mod events;
mod project_request;
mod projects;
mod status;

pub use error::ApiError;

use crate::scope::ApiSecurity;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use elixir_scope_analysis::AnalysisClient;
use elixir_scope_ast::AstClient;
use elixir_scope_cpg::CpgClient;
use elixir_scope_foundation::FoundationHandles;
use elixir_scope_runtime_core::SupervisorRef;

/// What every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    /// Foundation layer handles.
    pub foundation: FoundationHandles,
    /// AST layer client.
    pub ast: AstClient,
    /// CPG layer client.
    pub cpg: CpgClient,
    /// Analysis layer client.
    pub analysis: AnalysisClient,
    /// The root supervisor (for the tree snapshot).
    pub root: SupervisorRef,
    /// Access rule.
    pub security: ApiSecurity,
}

/// The API router with body limit and authentication applied.
pub fn router(state: ApiState, max_body_bytes: usize) -> Router {
    Router::new()
        .route("/health", get(status::health))
        .route("/api/tree", get(status::tree))
        .route("/api/metrics", get(status::metrics_json))
        .route("/metrics", get(status::metrics_prometheus))
        .route("/api/config", get(config::get_all))
        .route("/api/config/reset", post(config::reset))
        .route(
            "/api/config/{path}",
            get(config::get_path).put(config::update),
        )
        .route("/api/events", post(events::store).get(events::query))
        .route("/api/events/stats", get(events::stats))
        .route("/api/events/chain/{correlation_id}", get(events::chain))
        .route("/api/events/{id}", get(events::get_one))
        .route("/api/projects", post(projects::parse).get(projects::list))
        .route("/api/projects/{project}/stats", get(projects::stats))
        .route("/api/projects/{project}/files", get(projects::files))
        .route("/api/projects/{project}/modules", get(projects::modules))
        .route(
            "/api/projects/{project}/functions",
            get(projects::functions),
        )
        .route("/api/cpg", post(cpg::build))
        .route("/api/cpg/{project}/methods", get(cpg::find_methods))
        .route(
            "/api/cpg/{project}/methods/{id}/{query}",
            get(cpg::method_query),
        )
        .route("/api/cpg/{project}/paths", get(cpg::paths))
        .route("/api/cpg/{project}/export", get(cpg::export))
        .route("/api/analyses", post(analyses::submit).get(analyses::list))
        .route(
            "/api/analyses/{id}",
            get(analyses::status).delete(analyses::cancel),
        )
        .route("/api/analyses/{id}/report", get(analyses::report))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

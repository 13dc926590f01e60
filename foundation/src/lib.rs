//! # ElixirScope Foundation layer
//!
//! The first layer above `runtime-core` in ElixirScope's supervision tree: the services every
//! other layer relies on, under one `one_for_one` supervisor with explicit restart intensity.
//!
//! ```text
//! foundation (one_for_one)
//! ├── config_server    typed config: defaults < TOML < env < persisted runtime updates
//! ├── event_store      durable event log (SQLite WAL + group commit, rows or compressed
//! │                    blocks; or PostgreSQL)
//! ├── telemetry        execute/handlers/counters/gauges/HDR histograms/Prometheus
//! └── task_supervisor  supervised tasks for upper layers
//! ```
//!
//! Upper layers (and the HTTP API) use the typed handles in [`FoundationHandles`]; each stays
//! valid across restarts of the service it reaches. Each service can crash and come back
//! without its siblings noticing: an acknowledged event is durable, configuration reads keep
//! working from a cache during a ConfigServer outage and updates made meanwhile are applied in
//! order once it is back.
//!
//! The pure parts are usable alone: [`event`], [`event_store`] (the backends), [`config`],
//! [`telemetry`], and [`resilience`] (circuit breaker, rate limiter, retry with backoff).
//!
//! ```
//! use elixir_scope_foundation::event::NewEvent;
//! use elixir_scope_foundation::event_store::EventQuery;
//! use elixir_scope_foundation::{Foundation, FoundationOptions, UpdateOutcome};
//! # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let fd = Foundation::start(FoundationOptions::new(dir.path()).with_env(vec![])).await?;
//!
//! let id = fd.events.store(NewEvent::new("function_call", serde_json::json!({"m": "Enum.map"}))
//!     .correlation("req-7")).await?;
//! let page = fd.events.query(EventQuery::all().correlation("req-7")).await?;
//! assert_eq!(page.events[0].id, id);
//!
//! let outcome = fd.config.update("capture.batch_size", serde_json::json!(500)).await?;
//! assert!(matches!(outcome, UpdateOutcome::Applied(_)));
//! assert_eq!(fd.config.get("capture.batch_size")?.value, 500);
//!
//! fd.telemetry.execute("http.request", &[("duration_us", 120.0)], &[("route", "/events")]);
//! assert_eq!(fd.telemetry.snapshot().events["http.request"], 1);
//!
//! fd.supervisor.shutdown().await;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod config;
pub mod config_server;
pub mod event;
pub mod event_store;
pub mod event_store_service;
pub mod foundation_supervisor;
pub mod resilience;
pub mod telemetry;
pub mod telemetry_service;

pub use config_server::{ConfigClient, ConfigRead, UpdateOutcome};
pub use event_store_service::EventStoreClient;
pub use foundation_supervisor::{
    Foundation, FoundationError, FoundationHandles, FoundationOptions,
};
pub use telemetry_service::TelemetryClient;

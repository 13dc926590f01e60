//! # ElixirScope Foundation layer
//!
//! The bottom layer above `runtime-core`: what every other layer of ElixirScope relies on.
//!
//! - [`event`]: the event model (id, type, timestamp, source, correlation id, parent, JSON data).
//! - [`event_store`]: the durable event log behind the [`event_store::EventBackend`] trait, with
//!   an embedded SQLite backend (WAL, `synchronous=FULL`, group commit) and a PostgreSQL backend
//!   for several nodes sharing one store.
//!
//! ```
//! use elixir_scope_foundation::event::{NewEvent, Source};
//! use elixir_scope_foundation::event_store::{EventBackend, EventQuery, SqliteBackend, SqliteOptions};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let store = SqliteBackend::open(SqliteOptions::in_dir(dir.path()))?;
//! let id = store
//!     .store(NewEvent::new("function_call", serde_json::json!({"m": "Enum.map"}))
//!         .source(Source::new("app@host", "<0.42.0>"))
//!         .correlation("req-7"))
//!     .await?;
//! let page = store.query(EventQuery::all().correlation("req-7")).await?;
//! assert_eq!(page.events[0].id, id);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod config;
pub mod event;
pub mod event_store;
pub mod resilience;
pub mod telemetry;

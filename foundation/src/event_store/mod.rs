//! The durable event log: the storage trait every backend implements, the query language, and
//! the backends: embedded SQLite with a row per event (default), embedded SQLite with
//! compressed event blocks (faster ingest), and shared PostgreSQL.

mod chain;
mod postgres;
mod query;
mod reader_pool;
mod sqlite;
mod sqlite_blocks;

pub use chain::{build_chain, ChainLink};
pub use postgres::{PostgresBackend, PostgresOptions};
pub use query::{Cursor, EventPage, EventQuery, Order, DEFAULT_LIMIT};
pub use sqlite::{SqliteBackend, SqliteOptions, DB_FILE_NAME, INSERT_SQL, SCHEMA_SQL};
pub use sqlite_blocks::{SqliteBlockBackend, BLOCK_DB_FILE_NAME, BLOCK_EVENTS};

use crate::event::{Event, EventError, EventId, NewEvent, Timestamp};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Retention policy applied automatically by the backend (and on demand).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Retention {
    /// Events with a timestamp older than now minus this are deleted.
    pub max_age: Option<Duration>,
    /// Only the newest `max_count` events (by id) are kept.
    pub max_count: Option<u64>,
}

/// Counters describing a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreStats {
    /// Number of events stored.
    pub total_events: u64,
    /// Oldest event timestamp.
    pub oldest: Option<Timestamp>,
    /// Newest event timestamp.
    pub newest: Option<Timestamp>,
    /// Highest assigned id.
    pub max_id: Option<EventId>,
    /// Number of events per type.
    pub by_type: Vec<(String, u64)>,
    /// Bytes on disk (SQLite: database + WAL; PostgreSQL: table + indexes).
    pub storage_bytes: u64,
    /// Commits made by this backend instance's writer.
    pub commits: u64,
    /// Events written by this backend instance.
    pub events_written: u64,
    /// The largest number of events written in one commit (group commit at work).
    pub largest_commit: u64,
    /// Events deleted by retention since this backend instance started.
    pub retention_deleted: u64,
}

/// Errors of the event store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// An event was refused; the index is its position in the submitted batch.
    #[error("event {index} refused: {source}")]
    InvalidEvent {
        /// Position in the batch.
        index: usize,
        /// Why.
        #[source]
        source: EventError,
    },
    /// The batch is larger than the configured maximum.
    #[error("batch of {size} events exceeds the limit of {limit}")]
    BatchTooLarge {
        /// Batch size.
        size: usize,
        /// Limit.
        limit: usize,
    },
    /// A query argument is invalid (e.g. a malformed cursor, zero limit, inverted range).
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The database could not be opened (unwritable directory, corrupt file, wrong schema).
    #[error("cannot open event store at {location}: {reason}")]
    Open {
        /// Path or connection target.
        location: String,
        /// Underlying error.
        reason: String,
    },
    /// The database failed while writing or reading.
    #[error("event store database error: {0}")]
    Database(String),
    /// The store is shut down (or its writer died); the operation did not happen.
    #[error("event store is closed")]
    Closed,
    /// The query ran longer than `query.timeout_ms`; it was abandoned.
    #[error("query timed out after {0:?}")]
    Timeout(Duration),
    /// The EventStore service could not be reached (stopped for good, or it crashed while
    /// handing out its backend); the operation did not happen.
    #[error("event store service unavailable: {0}")]
    Unavailable(String),
}

impl StoreError {
    /// Whether the caller's input caused the error (an HTTP layer answers 4xx), as opposed to
    /// the store being unavailable or failing (5xx / 503).
    pub fn is_caller_error(&self) -> bool {
        matches!(
            self,
            StoreError::InvalidEvent { .. }
                | StoreError::BatchTooLarge { .. }
                | StoreError::InvalidQuery(_)
        )
    }
}

/// The storage contract every event-store backend fulfils.
///
/// `store`/`store_batch` return only after the events are durably committed; a batch is stored
/// completely or not at all. Ids increase in commit order.
#[async_trait::async_trait]
pub trait EventBackend: Send + Sync + 'static {
    /// Short backend name (`sqlite`, `postgres`).
    fn name(&self) -> &'static str;
    /// Stores one event durably.
    async fn store(&self, event: NewEvent) -> Result<EventId, StoreError> {
        let ids = self.store_batch(vec![event]).await?;
        ids.into_iter().next().ok_or(StoreError::Closed)
    }
    /// Stores a batch atomically; ids are returned in batch order.
    async fn store_batch(&self, events: Vec<NewEvent>) -> Result<Vec<EventId>, StoreError>;
    /// Fetches one event.
    async fn get(&self, id: EventId) -> Result<Option<Event>, StoreError>;
    /// Runs a filtered, ordered, paginated query.
    async fn query(&self, query: EventQuery) -> Result<EventPage, StoreError>;
    /// All events of a correlation id, arranged by parent links (causes before effects).
    async fn correlation_chain(&self, correlation_id: &str) -> Result<Vec<ChainLink>, StoreError>;
    /// The ancestors of an event following parent links, nearest first (the event excluded).
    async fn ancestors(&self, id: EventId, max_depth: usize) -> Result<Vec<Event>, StoreError>;
    /// Applies a retention policy relative to `now`; returns how many events were deleted.
    async fn apply_retention(&self, policy: Retention, now: Timestamp) -> Result<u64, StoreError>;
    /// Store statistics.
    async fn stats(&self) -> Result<StoreStats, StoreError>;
    /// Stops accepting writes and finishes what is queued. The default does nothing.
    async fn close(&self) {}
}

/// Validates a batch, naming the first bad event; nothing is stored when any event is bad.
pub(crate) fn validate_batch(
    events: Vec<NewEvent>,
    max_data_bytes: usize,
    max_batch: usize,
) -> Result<Vec<crate::event::ValidEvent>, StoreError> {
    if events.len() > max_batch {
        return Err(StoreError::BatchTooLarge {
            size: events.len(),
            limit: max_batch,
        });
    }
    events
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            e.validate(max_data_bytes)
                .map_err(|source| StoreError::InvalidEvent { index, source })
        })
        .collect()
}

/// Walks parent links through `lookup`, stopping at a root, a missing parent, a cycle or
/// `max_depth`.
pub(crate) async fn walk_ancestors<B: EventBackend + ?Sized>(
    backend: &B,
    id: EventId,
    max_depth: usize,
) -> Result<Vec<Event>, StoreError> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    seen.insert(id);
    let mut next = match backend.get(id).await? {
        Some(e) => e.parent_id,
        None => return Ok(out),
    };
    while let Some(pid) = next {
        if out.len() >= max_depth || !seen.insert(pid) {
            break;
        }
        match backend.get(pid).await? {
            Some(parent) => {
                next = parent.parent_id;
                out.push(parent);
            }
            None => break,
        }
    }
    Ok(out)
}

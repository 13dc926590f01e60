//! The typed configuration and its documented defaults.

use serde::{Deserialize, Serialize};

/// All of ElixirScope's runtime configuration. Every field has a default, so an empty TOML
/// file is a valid configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FoundationConfig {
    /// Runtime event capture.
    pub capture: CaptureConfig,
    /// The event store.
    pub event_store: EventStoreConfig,
    /// Query limits.
    pub query: QueryConfig,
    /// Debug switches.
    pub debug: DebugConfig,
    /// The HTTP API.
    pub api: ApiConfig,
}

/// Runtime event capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptureConfig {
    /// Events per batch sent to the store. Default 100.
    pub batch_size: u64,
    /// Longest time an event waits in a batch, in ms. Default 100.
    pub flush_interval_ms: u64,
    /// Fraction of events captured, 0.0 to 1.0. Default 1.0.
    pub sampling_rate: f64,
    /// Capacity of the in-memory capture ring buffer. Default 65 536.
    pub ring_buffer_size: u64,
}

impl Default for CaptureConfig {
    fn default() -> Self {
        CaptureConfig {
            batch_size: 100,
            flush_interval_ms: 100,
            sampling_rate: 1.0,
            ring_buffer_size: 65_536,
        }
    }
}

/// Which event-store backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum BackendKind {
    /// Embedded SQLite in the data directory (default).
    #[default]
    Sqlite,
    /// Embedded SQLite storing LZ4-compressed blocks of events with a block-level index
    /// (faster ingest, same durability; `event-blocks.db` in the data directory).
    SqliteBlocks,
    /// Shared PostgreSQL (`event_store.postgres_url` required).
    Postgres,
}

/// The event store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventStoreConfig {
    /// Backend. Default `sqlite`.
    pub backend: BackendKind,
    /// libpq-style connection string for the PostgreSQL backend.
    pub postgres_url: Option<String>,
    /// Limit on one event's serialized data, in bytes. Default 65 536.
    pub max_event_data_bytes: u64,
    /// Limit on events per batch. Default 10 000.
    pub max_batch: u64,
    /// Delete events older than this many seconds (none by default).
    pub retention_max_age_secs: Option<u64>,
    /// Keep at most this many events (none by default).
    pub retention_max_count: Option<u64>,
    /// How often retention runs, in seconds. Default 60.
    pub retention_interval_secs: u64,
}

impl Default for EventStoreConfig {
    fn default() -> Self {
        EventStoreConfig {
            backend: BackendKind::Sqlite,
            postgres_url: None,
            max_event_data_bytes: 64 * 1024,
            max_batch: 10_000,
            retention_max_age_secs: None,
            retention_max_count: None,
            retention_interval_secs: 60,
        }
    }
}

/// Query limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueryConfig {
    /// Query timeout in ms. Default 5 000.
    pub timeout_ms: u64,
    /// Largest page a query may return. Default 1 000.
    pub max_results: u64,
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            timeout_ms: 5_000,
            max_results: 1_000,
        }
    }
}

/// Debug switches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DebugConfig {
    /// Extra diagnostics. Default false.
    pub enabled: bool,
    /// Log level: trace, debug, info, warn or error. Default `info`.
    pub log_level: String,
}

impl Default for DebugConfig {
    fn default() -> Self {
        DebugConfig {
            enabled: false,
            log_level: "info".into(),
        }
    }
}

/// The HTTP API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Bind address. Default `127.0.0.1`.
    pub bind: String,
    /// Port. Default 4000.
    pub port: u16,
    /// Limit on request bodies, in bytes. Default 1 MiB.
    pub max_body_bytes: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            bind: "127.0.0.1".into(),
            port: 4000,
            max_body_bytes: 1024 * 1024,
        }
    }
}

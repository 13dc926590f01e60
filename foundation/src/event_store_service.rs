//! The EventStore service: owns the configured backend for one incarnation, and its typed client.
//!
//! The service hands out its backend per request, and the client runs the operation itself, so
//! the service's mailbox never serialises writers: concurrent `store_batch` calls reach the
//! backend's group commit together. An operation already handed a backend completes on it even
//! if the service crashes meanwhile; it is acknowledged only after its commit, so a crash never
//! loses an acknowledged event. The next incarnation reopens the same database.

use crate::config::BackendKind;
use crate::config_server::ConfigClient;
use crate::event::{Event, EventId, NewEvent, Timestamp};
use crate::event_store::{
    ChainLink, EventBackend, EventPage, EventQuery, PostgresBackend, PostgresOptions, Retention,
    SqliteBackend, SqliteBlockBackend, SqliteOptions, StoreError, StoreStats, BLOCK_DB_FILE_NAME,
};
use crate::foundation_supervisor::{QUERY_EVENT, STORE_EVENT};
use crate::telemetry_service::TelemetryClient;
use elixir_scope_runtime_core::{Context, ExitReason, InitError, Service, ServiceRef};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Requests to the EventStore service.
#[derive(Debug)]
pub enum EventStoreCall {
    /// The current incarnation's backend.
    Backend,
    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    Crash,
}

/// The EventStore service state (one incarnation).
pub struct EventStoreService {
    config: ConfigClient,
    data_dir: PathBuf,
    backend: Option<Arc<dyn EventBackend>>,
}

impl EventStoreService {
    pub(crate) fn new(config: ConfigClient, data_dir: PathBuf) -> Self {
        EventStoreService {
            config,
            data_dir,
            backend: None,
        }
    }
}

/// Opens the backend the configuration names.
async fn open_backend(
    config: &ConfigClient,
    data_dir: &std::path::Path,
) -> Result<Arc<dyn EventBackend>, StoreError> {
    let cfg = config.config().event_store.clone();
    let query_max = usize::try_from(config.config().query.max_results).unwrap_or(usize::MAX);
    let retention = Retention {
        max_age: cfg.retention_max_age_secs.map(Duration::from_secs),
        max_count: cfg.retention_max_count,
    };
    let max_data = usize::try_from(cfg.max_event_data_bytes).unwrap_or(usize::MAX);
    let max_batch = usize::try_from(cfg.max_batch).unwrap_or(usize::MAX);
    let interval = Duration::from_secs(cfg.retention_interval_secs.max(1));
    match cfg.backend {
        BackendKind::Sqlite => {
            let mut o = SqliteOptions::in_dir(data_dir);
            o.max_data_bytes = max_data;
            o.max_batch = max_batch;
            o.max_query_limit = query_max;
            o.retention = retention;
            o.retention_interval = interval;
            // Opening runs SQLite I/O; keep it off the async workers.
            let b = tokio::task::spawn_blocking(move || SqliteBackend::open(o))
                .await
                .map_err(|e| StoreError::Database(format!("open task failed: {e}")))??;
            Ok(Arc::new(b))
        }
        BackendKind::SqliteBlocks => {
            let mut o = SqliteOptions::in_dir(data_dir);
            o.path = data_dir.join(BLOCK_DB_FILE_NAME);
            o.max_data_bytes = max_data;
            o.max_batch = max_batch;
            o.max_query_limit = query_max;
            o.retention = retention;
            o.retention_interval = interval;
            let b = tokio::task::spawn_blocking(move || SqliteBlockBackend::open(o))
                .await
                .map_err(|e| StoreError::Database(format!("open task failed: {e}")))??;
            Ok(Arc::new(b))
        }
        BackendKind::Postgres => {
            let url = cfg.postgres_url.clone().ok_or_else(|| StoreError::Open {
                location: "postgresql".into(),
                reason: "event_store.backend is postgres but event_store.postgres_url is not set"
                    .into(),
            })?;
            let mut o = PostgresOptions::new(url);
            o.max_data_bytes = max_data;
            o.max_batch = max_batch;
            o.max_query_limit = query_max;
            o.retention = retention;
            o.retention_interval = interval;
            Ok(Arc::new(PostgresBackend::connect(o).await?))
        }
    }
}

impl Service for EventStoreService {
    type Call = EventStoreCall;
    type Reply = Result<Arc<dyn EventBackend>, StoreError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        let opened = open_backend(&self.config, &self.data_dir)
            .instrument(tracing::info_span!("event_store"))
            .await;
        match opened {
            Ok(b) => {
                tracing::info!(backend = b.name(), "event store started");
                self.backend = Some(b);
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "event store cannot start");
                Err(Box::new(e))
            }
        }
    }

    async fn handle_call(
        &mut self,
        request: EventStoreCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        match request {
            EventStoreCall::Backend => self.backend.clone().ok_or(StoreError::Closed),
            #[cfg(feature = "fault-injection")]
            EventStoreCall::Crash => panic!("fault injection: EventStore crash requested"),
        }
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        if let Some(b) = self.backend.take() {
            b.close().await;
        }
        tracing::info!(%reason, "event store stopped");
    }
}

/// Typed handle to the EventStore service; cheap to clone, valid across restarts.
#[derive(Clone)]
pub struct EventStoreClient {
    service: ServiceRef<EventStoreService>,
    config: ConfigClient,
    telemetry: TelemetryClient,
}

impl std::fmt::Debug for EventStoreClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStoreClient")
            .field("service", self.service.name())
            .finish()
    }
}

impl EventStoreClient {
    pub(crate) fn new(
        service: ServiceRef<EventStoreService>,
        config: ConfigClient,
        telemetry: TelemetryClient,
    ) -> Self {
        EventStoreClient {
            service,
            config,
            telemetry,
        }
    }

    fn observe(&self, event: &str, started: Instant, events: usize, ok: bool) {
        let us = started.elapsed().as_secs_f64() * 1e6;
        let result = if ok { "ok" } else { "error" };
        let measurements = [
            ("duration_us", us),
            ("events", if ok { events as f64 } else { 0.0 }),
        ];
        self.telemetry
            .execute(event, &measurements, &[("result", result)]);
    }

    /// The service handle (for monitoring).
    pub fn service(&self) -> &ServiceRef<EventStoreService> {
        &self.service
    }

    async fn backend(&self) -> Result<Arc<dyn EventBackend>, StoreError> {
        self.service
            .call(EventStoreCall::Backend)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
    }

    /// Stores one event; returns once it is durable.
    pub async fn store(&self, event: NewEvent) -> Result<EventId, StoreError> {
        let started = Instant::now();
        let r = match self.backend().await {
            Ok(b) => b.store(event).await,
            Err(e) => Err(e),
        };
        self.observe(STORE_EVENT, started, 1, r.is_ok());
        r
    }
    /// Stores a batch atomically; returns once it is durable.
    pub async fn store_batch(&self, events: Vec<NewEvent>) -> Result<Vec<EventId>, StoreError> {
        let started = Instant::now();
        let r = match self.backend().await {
            Ok(b) => b.store_batch(events).await,
            Err(e) => Err(e),
        };
        self.observe(
            STORE_EVENT,
            started,
            r.as_ref().map(Vec::len).unwrap_or(0),
            r.is_ok(),
        );
        r
    }
    /// Fetches one event.
    pub async fn get(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        self.backend().await?.get(id).await
    }
    /// Runs a query, bounded by the live `query.max_results` and `query.timeout_ms` settings.
    pub async fn query(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        let limits = self.config.config().query.clone();
        let max = usize::try_from(limits.max_results).unwrap_or(usize::MAX);
        if let Some(limit) = query.limit.filter(|l| *l > max) {
            return Err(StoreError::InvalidQuery(format!(
                "limit {limit} exceeds query.max_results ({max})"
            )));
        }
        let timeout = Duration::from_millis(limits.timeout_ms);
        let started = Instant::now();
        let backend = self.backend().await?;
        let r = tokio::time::timeout(timeout, backend.query(query))
            .await
            .map_err(|_| StoreError::Timeout(timeout))
            .and_then(|r| r);
        self.observe(
            QUERY_EVENT,
            started,
            r.as_ref().map(|p| p.events.len()).unwrap_or(0),
            r.is_ok(),
        );
        r
    }
    /// The causal tree of a correlation id.
    pub async fn correlation_chain(
        &self,
        correlation_id: &str,
    ) -> Result<Vec<ChainLink>, StoreError> {
        self.backend()
            .await?
            .correlation_chain(correlation_id)
            .await
    }
    /// Ancestors of an event by parent links.
    pub async fn ancestors(&self, id: EventId, max_depth: usize) -> Result<Vec<Event>, StoreError> {
        self.backend().await?.ancestors(id, max_depth).await
    }
    /// Applies a retention policy now.
    pub async fn apply_retention(&self, policy: Retention) -> Result<u64, StoreError> {
        self.backend()
            .await?
            .apply_retention(policy, Timestamp::now())
            .await
    }
    /// Store statistics.
    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.backend().await?.stats().await
    }
    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_crash(&self) {
        let _ = self.service.call(EventStoreCall::Crash).await;
    }
}

//! The Foundation layer supervisor: ConfigServer, EventStore, TelemetryService and a task
//! supervisor under one_for_one with explicit restart intensity, and the typed handles an upper
//! layer (or the HTTP API) uses to reach them.

use crate::config::{self, ConfigError};
use crate::config_server::{ConfigClient, ConfigServer, ConfigShared};
use crate::event_store_service::{EventStoreClient, EventStoreService};
use crate::telemetry::MetricDef;
use crate::telemetry_service::{TelemetryClient, TelemetryService, TelemetryShared};
use elixir_scope_runtime_core::{
    ChildSpec, EventBus, Shutdown, StartError, Strategy, SupervisorRef, SupervisorSpec,
    TaskSupervisor,
};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Child ids in the Foundation supervisor, in start order.
pub const CHILD_IDS: [&str; 4] = [
    "config_server",
    "event_store",
    "telemetry",
    "task_supervisor",
];
/// The Foundation supervisor's name.
pub const SUPERVISOR_NAME: &str = "foundation";

/// Telemetry event emitted after each `store`/`store_batch` (measurements `duration_us`,
/// `events`; metadata `result`).
pub const STORE_EVENT: &str = "event_store.store";
/// Telemetry event emitted after each query (measurements `duration_us`, `events`).
pub const QUERY_EVENT: &str = "event_store.query";

/// Metrics the layer defines from the start, so `/metrics` shows the store's own behaviour.
pub fn default_metrics() -> Vec<MetricDef> {
    vec![
        MetricDef::counter("event_store.store.calls", STORE_EVENT)
            .describe("store/store_batch calls."),
        MetricDef::sum("event_store.events.stored", STORE_EVENT, "events")
            .describe("Events acknowledged as durable."),
        MetricDef::distribution("event_store.store.duration_us", STORE_EVENT, "duration_us")
            .describe("Time from store call to durable acknowledgement, in microseconds."),
        MetricDef::distribution("event_store.query.duration_us", QUERY_EVENT, "duration_us")
            .describe("Query time in microseconds."),
    ]
}

/// How to build the Foundation layer.
#[derive(Debug, Clone)]
pub struct FoundationOptions {
    /// Where the event store and persisted configuration live.
    pub data_dir: PathBuf,
    /// Optional TOML configuration file.
    pub config_file: Option<PathBuf>,
    /// Environment variables considered (only `ELIXIR_SCOPE_*` ones are read).
    pub env: Vec<(String, String)>,
    /// Restarts allowed within `restart_period` before the layer gives up and escalates.
    pub max_restarts: u32,
    /// The intensity window.
    pub restart_period: Duration,
}

impl FoundationOptions {
    /// Options for `data_dir`, reading the process environment.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        FoundationOptions {
            data_dir: data_dir.into(),
            config_file: None,
            env: std::env::vars()
                .filter(|(k, _)| k.starts_with(config::ENV_PREFIX))
                .collect(),
            max_restarts: 5,
            restart_period: Duration::from_secs(10),
        }
    }

    /// Uses exactly these environment variables instead of the process environment.
    pub fn with_env(mut self, env: Vec<(String, String)>) -> Self {
        self.env = env;
        self
    }

    /// Reads this TOML file as the layer above the defaults.
    pub fn with_config_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.config_file = Some(file.into());
        self
    }

    /// Sets the restart intensity.
    pub fn with_intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.restart_period = period;
        self
    }
}

/// Typed handles to the Foundation services; cheap to clone, valid across restarts.
#[derive(Clone, Debug)]
pub struct FoundationHandles {
    /// Configuration.
    pub config: ConfigClient,
    /// The event store.
    pub events: EventStoreClient,
    /// Telemetry.
    pub telemetry: TelemetryClient,
    /// Supervised tasks for upper layers.
    pub tasks: TaskSupervisor,
    /// The Foundation supervisor (tree snapshot, child management).
    pub supervisor: SupervisorRef,
}

/// Liveness of each Foundation service, for health endpoints.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundationHealth {
    /// ConfigServer up (false: reads come from the cache, updates are queued).
    pub config_server: bool,
    /// Configuration updates queued during a ConfigServer outage.
    pub pending_config_updates: usize,
    /// EventStore incarnation running.
    pub event_store: bool,
    /// TelemetryService incarnation running.
    pub telemetry: bool,
    /// Foundation supervisor running.
    pub supervisor: bool,
}

impl FoundationHealth {
    /// Every service is up.
    pub fn is_healthy(&self) -> bool {
        self.config_server && self.event_store && self.telemetry && self.supervisor
    }
}

impl FoundationHandles {
    /// Which services are up right now (no message round trip).
    pub fn health(&self) -> FoundationHealth {
        FoundationHealth {
            config_server: !self.config.is_degraded(),
            pending_config_updates: self.config.pending_updates(),
            event_store: self.events.service().is_running(),
            telemetry: self.telemetry.service().is_running(),
            supervisor: self.supervisor.is_running(),
        }
    }
}

/// Why the layer could not be built or started.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FoundationError {
    /// The configuration sources are invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A service failed to start (e.g. the event store database is unusable).
    #[error(transparent)]
    Start(#[from] StartError),
}

/// The Foundation layer.
#[derive(Debug)]
pub struct Foundation;

impl Foundation {
    /// Loads the configuration and builds the supervisor spec with its handles, to be started
    /// directly or nested under a parent (`spec.into_child_spec()`).
    pub fn build(
        options: FoundationOptions,
    ) -> Result<(SupervisorSpec, FoundationHandles), FoundationError> {
        let base = config::load(options.config_file.as_deref(), options.env.clone())?;
        let config_shared = ConfigShared::new(base, options.data_dir.clone());
        let telemetry_shared = TelemetryShared::with_definitions(default_metrics());

        // Handles exist before the services start, so each service is given the others'.
        let ts = telemetry_shared.clone();
        let (telemetry_spec, telemetry_ref) =
            ChildSpec::service("telemetry", move || TelemetryService::new(ts.clone()));
        let telemetry = TelemetryClient::new(telemetry_shared, telemetry_ref);

        // ConfigServer and EventStore refer to each other: the ConfigServer records changes as
        // events, the EventStore reads its settings from the configuration.
        let events_cell: Arc<OnceLock<EventStoreClient>> = Arc::default();
        let cell = events_cell.clone();
        let shared = config_shared.clone();
        let (config_spec, config_ref) = ChildSpec::service("config_server", move || {
            let events = cell
                .get()
                .cloned()
                .expect("event store handle is set in build()");
            ConfigServer::new(shared.clone(), events)
        });
        let config = ConfigClient::new(config_shared, config_ref);
        let (cfg, data_dir) = (config.clone(), options.data_dir.clone());
        let (events_spec, events_ref) = ChildSpec::service("event_store", move || {
            EventStoreService::new(cfg.clone(), data_dir.clone())
        });
        let events = EventStoreClient::new(events_ref, config.clone(), telemetry.clone());
        let _ = events_cell.set(events.clone());
        let (tasks_spec, tasks) = TaskSupervisor::child_spec("task_supervisor");

        let spec = SupervisorSpec::new(SUPERVISOR_NAME)
            .strategy(Strategy::OneForOne)
            .intensity(options.max_restarts, options.restart_period)
            .child(config_spec.shutdown(Shutdown::Timeout(Duration::from_secs(5))))
            .child(events_spec.shutdown(Shutdown::Timeout(Duration::from_secs(30))))
            .child(telemetry_spec)
            .child(tasks_spec);
        let handles = FoundationHandles {
            config,
            events,
            telemetry,
            tasks,
            supervisor: spec.handle(),
        };
        Ok((spec, handles))
    }

    /// Builds and starts the layer as a root supervisor emitting on `events`.
    pub async fn start_with_events(
        options: FoundationOptions,
        events: EventBus,
    ) -> Result<FoundationHandles, FoundationError> {
        let (spec, handles) = Foundation::build(options)?;
        spec.start_with_events(events).await?;
        Ok(handles)
    }

    /// Builds and starts the layer as a root supervisor.
    pub async fn start(options: FoundationOptions) -> Result<FoundationHandles, FoundationError> {
        Foundation::start_with_events(options, EventBus::default()).await
    }
}

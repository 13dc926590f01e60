//! The Foundation layer supervisor: ConfigServer, EventStore, TelemetryService and a task
//! supervisor under one_for_one with explicit restart intensity, and the typed handles an upper
//! layer (or the HTTP API) uses to reach them.

use crate::config::{self, ConfigError};
use crate::config_server::{ConfigClient, ConfigServer, ConfigShared};
use crate::event_store_service::{EventStoreClient, EventStoreService};
use crate::telemetry_service::{TelemetryClient, TelemetryService, TelemetryShared};
use elixir_scope_runtime_core::{
    ChildSpec, EventBus, Shutdown, StartError, Strategy, SupervisorRef, SupervisorSpec,
    TaskSupervisor,
};
use std::path::PathBuf;
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
        let telemetry_shared = TelemetryShared::new();

        // Handles exist before the services start, so each service can be given the others'.
        let (events_spec_slot, events_ref);
        let (config_spec, config_ref);
        {
            let data_dir = options.data_dir.clone();
            let shared = config_shared.clone();
            let events_cell: std::sync::Arc<parking_lot::Mutex<Option<EventStoreClient>>> =
                Default::default();
            let cell = events_cell.clone();
            (config_spec, config_ref) = ChildSpec::service("config_server", move || {
                let events = cell
                    .lock()
                    .clone()
                    .expect("event store handle is set before the supervisor starts");
                ConfigServer::new(shared.clone(), events)
            });
            let config_client = ConfigClient::new(config_shared.clone(), config_ref.clone());
            let cfg = config_client.clone();
            (events_spec_slot, events_ref) = ChildSpec::service("event_store", move || {
                EventStoreService::new(cfg.clone(), data_dir.clone())
            });
            *events_cell.lock() = Some(EventStoreClient::new(events_ref.clone(), config_client));
        }
        let ts = telemetry_shared.clone();
        let (telemetry_spec, telemetry_ref) =
            ChildSpec::service("telemetry", move || TelemetryService::new(ts.clone()));
        let (tasks_spec, tasks) = TaskSupervisor::child_spec("task_supervisor");

        let spec = SupervisorSpec::new(SUPERVISOR_NAME)
            .strategy(Strategy::OneForOne)
            .intensity(options.max_restarts, options.restart_period)
            .child(config_spec.shutdown(Shutdown::Timeout(Duration::from_secs(5))))
            .child(events_spec_slot.shutdown(Shutdown::Timeout(Duration::from_secs(30))))
            .child(telemetry_spec)
            .child(tasks_spec);
        let handles = FoundationHandles {
            config: ConfigClient::new(config_shared.clone(), config_ref.clone()),
            events: EventStoreClient::new(events_ref, ConfigClient::new(config_shared, config_ref)),
            telemetry: TelemetryClient::new(telemetry_shared, telemetry_ref),
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

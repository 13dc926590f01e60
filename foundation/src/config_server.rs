//! The ConfigServer service and its client, with graceful degradation.
//!
//! Reads never wait for the server: the server publishes every new configuration into a cache
//! shared with its clients before it replies, so a read is a lock-free-ish lookup (well under a
//! microsecond). While no server incarnation is up, reads are served from that cache and flagged
//! `degraded`; updates are validated against the cached rules, queued in order, and applied by
//! the next incarnation as soon as it has started (before it serves anything else).

use crate::config::{
    read_overrides, write_overrides, ConfigChange, ConfigError, ConfigState, FoundationConfig,
};
use crate::event::{NewEvent, Source};
use crate::event_store_service::EventStoreClient;
use crate::resilience::{retry, RetryPolicy};
use elixir_scope_runtime_core::{CallError, Context, InitError, Service, ServiceRef};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Event type recorded in the EventStore for every configuration change.
pub const CONFIG_EVENT_TYPE: &str = "config_updated";

struct Cached {
    state: ConfigState,
    config: Arc<FoundationConfig>,
}

pub(crate) struct ConfigShared {
    cache: RwLock<Arc<Cached>>,
    /// Generation of the incarnation that is up, 0 while none is.
    up: AtomicU64,
    generations: AtomicU64,
    pending: Mutex<VecDeque<(String, Value)>>,
    subscribers: Mutex<Vec<mpsc::UnboundedSender<ConfigChange>>>,
    base: FoundationConfig,
    data_dir: PathBuf,
    #[cfg(feature = "fault-injection")]
    start_gate: Mutex<Option<tokio::sync::oneshot::Receiver<()>>>,
}

impl ConfigShared {
    pub(crate) fn new(base: FoundationConfig, data_dir: PathBuf) -> Arc<Self> {
        let state = ConfigState::new(base.clone());
        let config = Arc::new(state.config().clone());
        Arc::new(ConfigShared {
            cache: RwLock::new(Arc::new(Cached { state, config })),
            up: AtomicU64::new(0),
            generations: AtomicU64::new(0),
            pending: Mutex::new(VecDeque::new()),
            subscribers: Mutex::new(Vec::new()),
            base,
            data_dir,
            #[cfg(feature = "fault-injection")]
            start_gate: Mutex::new(None),
        })
    }

    fn publish(&self, state: &ConfigState) {
        let config = Arc::new(state.config().clone());
        *self.cache.write() = Arc::new(Cached {
            state: state.clone(),
            config,
        });
    }

    fn notify(&self, change: &ConfigChange) {
        self.subscribers
            .lock()
            .retain(|tx| tx.send(change.clone()).is_ok());
    }
}

/// Marks the server up for its lifetime; dropped with the incarnation's state, including on a
/// panic, so clients see the outage at once.
struct UpGuard {
    shared: Arc<ConfigShared>,
    generation: u64,
}

impl Drop for UpGuard {
    fn drop(&mut self) {
        let _ =
            self.shared
                .up
                .compare_exchange(self.generation, 0, Ordering::SeqCst, Ordering::SeqCst);
    }
}

/// Requests to the ConfigServer.
#[derive(Debug)]
pub enum ConfigCall {
    /// Validate, apply and persist an update.
    Update {
        /// Dotted path.
        path: String,
        /// New value.
        value: Value,
    },
    /// Remove the runtime override of one path, or of all paths.
    Reset {
        /// The path, or `None` for all.
        path: Option<String>,
    },
    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    Crash,
}

/// Replies of the ConfigServer.
#[derive(Debug)]
pub enum ConfigReply {
    /// Result of an update.
    Updated(Result<ConfigChange, ConfigError>),
    /// Result of a reset.
    Reset(Result<Vec<ConfigChange>, ConfigError>),
}

/// Casts to the ConfigServer.
#[derive(Debug)]
pub enum ConfigCast {
    /// Apply updates queued by clients while the server was down.
    DrainPending,
}

/// The ConfigServer service state (one incarnation).
pub struct ConfigServer {
    shared: Arc<ConfigShared>,
    events: EventStoreClient,
    state: ConfigState,
    up: Option<UpGuard>,
}

impl ConfigServer {
    pub(crate) fn new(shared: Arc<ConfigShared>, events: EventStoreClient) -> Self {
        let state = ConfigState::new(shared.base.clone());
        ConfigServer {
            shared,
            events,
            state,
            up: None,
        }
    }

    async fn persist(&self, next: &ConfigState) -> Result<(), ConfigError> {
        let dir = self.shared.data_dir.clone();
        let overrides = next.overrides().clone();
        tokio::task::spawn_blocking(move || write_overrides(&dir, &overrides))
            .await
            .map_err(|e| ConfigError::Persist {
                file: self.shared.data_dir.clone(),
                reason: e.to_string(),
            })?
    }

    /// Applies changes made on `next`: persist first (so an acknowledged update survives a
    /// restart), then publish, notify and record.
    async fn commit(
        &mut self,
        next: ConfigState,
        changes: &[ConfigChange],
    ) -> Result<(), ConfigError> {
        self.persist(&next).await?;
        self.state = next;
        self.shared.publish(&self.state);
        for c in changes {
            tracing::info!(path = %c.path, old = %c.old, new = %c.new, "configuration updated");
            self.shared.notify(c);
            self.record(c.clone());
        }
        Ok(())
    }

    /// Records the change in the EventStore without making the ConfigServer wait for (or fail
    /// with) the store: it retries with backoff while the store restarts.
    fn record(&self, change: ConfigChange) {
        let events = self.events.clone();
        tokio::spawn(async move {
            let event = NewEvent::new(
                CONFIG_EVENT_TYPE,
                json!({ "path": change.path, "old": change.old, "new": change.new }),
            )
            .source(Source::new("local", "config_server"));
            let r = retry(
                &RetryPolicy::default(),
                || events.store(event.clone()),
                |_| true,
            )
            .await;
            if let Err(e) = r {
                tracing::warn!(error = %e, path = %change.path, "configuration change not recorded in the event store");
            }
        });
    }

    async fn update(&mut self, path: &str, value: Value) -> Result<ConfigChange, ConfigError> {
        let mut next = self.state.clone();
        let change = next.update(path, value)?;
        self.commit(next, std::slice::from_ref(&change)).await?;
        Ok(change)
    }

    async fn drain_pending(&mut self) -> Result<(), ConfigError> {
        loop {
            let front = self.shared.pending.lock().pop_front();
            let Some((path, value)) = front else {
                return Ok(());
            };
            match self.update(&path, value.clone()).await {
                Ok(_) => {}
                Err(e @ ConfigError::Persist { .. }) => {
                    // Not applied: keep it first in line for the next attempt.
                    self.shared.pending.lock().push_front((path, value));
                    return Err(e);
                }
                Err(e) => tracing::warn!(error = %e, "queued configuration update refused"),
            }
        }
    }
}

impl Service for ConfigServer {
    type Call = ConfigCall;
    type Reply = ConfigReply;
    type Cast = ConfigCast;
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        #[cfg(feature = "fault-injection")]
        {
            let gate = self.shared.start_gate.lock().take();
            if let Some(gate) = gate {
                let _ = gate.await;
            }
        }
        let saved = read_overrides(&self.shared.data_dir)?;
        for rejected in self.state.restore(saved) {
            tracing::warn!(error = %rejected, "persisted configuration update ignored");
        }
        self.shared.publish(&self.state);
        // Up before draining: a client updating meanwhile still queues behind the pending ones
        // (it checks the queue), and subscribers told of a drained update see a live server.
        let generation = self.shared.generations.fetch_add(1, Ordering::SeqCst) + 1;
        self.shared.up.store(generation, Ordering::SeqCst);
        self.up = Some(UpGuard {
            shared: self.shared.clone(),
            generation,
        });
        self.drain_pending().await?;
        tracing::info!(
            generation,
            overrides = self.state.overrides().len(),
            "config server started"
        );
        Ok(())
    }

    async fn handle_call(&mut self, request: ConfigCall, _ctx: &mut Context<Self>) -> ConfigReply {
        match request {
            ConfigCall::Update { path, value } => {
                ConfigReply::Updated(self.update(&path, value).await)
            }
            ConfigCall::Reset { path } => {
                let mut next = self.state.clone();
                let changes = match path {
                    Some(p) => next.reset(&p).map(|c| vec![c]),
                    None => Ok(next.reset_all()),
                };
                let r = match changes {
                    Ok(changes) => self.commit(next, &changes).await.map(|_| changes),
                    Err(e) => Err(e),
                };
                ConfigReply::Reset(r)
            }
            #[cfg(feature = "fault-injection")]
            ConfigCall::Crash => panic!("fault injection: ConfigServer crash requested"),
        }
    }

    async fn handle_cast(&mut self, message: ConfigCast, _ctx: &mut Context<Self>) {
        match message {
            ConfigCast::DrainPending => {
                if let Err(e) = self.drain_pending().await {
                    tracing::error!(error = %e, "queued configuration updates not applied");
                }
            }
        }
    }
}

/// A configuration value with whether it came from the cache during a server outage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigRead {
    /// The value.
    pub value: Value,
    /// True when the ConfigServer is down and the value is the last one it published.
    pub degraded: bool,
}

/// What happened to an update.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum UpdateOutcome {
    /// Applied and persisted.
    Applied(ConfigChange),
    /// The server is down: validated and queued; it is applied in order when the server is back.
    Queued {
        /// Updates waiting, this one included.
        pending: usize,
    },
}

/// Typed handle to the ConfigServer; cheap to clone, valid across restarts.
#[derive(Clone)]
pub struct ConfigClient {
    shared: Arc<ConfigShared>,
    service: ServiceRef<ConfigServer>,
}

impl std::fmt::Debug for ConfigClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigClient")
            .field("degraded", &self.is_degraded())
            .finish()
    }
}

impl ConfigClient {
    pub(crate) fn new(shared: Arc<ConfigShared>, service: ServiceRef<ConfigServer>) -> Self {
        ConfigClient { shared, service }
    }

    /// The service handle (for monitoring).
    pub fn service(&self) -> &ServiceRef<ConfigServer> {
        &self.service
    }

    /// Whether the ConfigServer is down (reads come from the cache, updates are queued).
    pub fn is_degraded(&self) -> bool {
        self.shared.up.load(Ordering::SeqCst) == 0
    }

    /// The value at a dotted path (`""` for the whole configuration).
    pub fn get(&self, path: &str) -> Result<ConfigRead, ConfigError> {
        let value = self.shared.cache.read().state.get(path)?;
        Ok(ConfigRead {
            value,
            degraded: self.is_degraded(),
        })
    }

    /// The whole typed configuration (the last one the server published).
    pub fn config(&self) -> Arc<FoundationConfig> {
        self.shared.cache.read().config.clone()
    }

    /// Runtime overrides in force.
    pub fn overrides(&self) -> std::collections::BTreeMap<String, Value> {
        self.shared.cache.read().state.overrides().clone()
    }

    /// Updates a path. Bad input (unknown or non-updatable path, value breaking the rule) is
    /// refused with a typed error even while the server is down.
    pub async fn update(&self, path: &str, value: Value) -> Result<UpdateOutcome, ConfigError> {
        self.shared.cache.read().state.validate(path, &value)?;
        // Earlier queued updates go first, so order is kept across an outage.
        if self.is_degraded() || !self.shared.pending.lock().is_empty() {
            return Ok(self.enqueue(path, value));
        }
        let call = ConfigCall::Update {
            path: path.to_string(),
            value: value.clone(),
        };
        match self.service.call(call).await {
            Ok(ConfigReply::Updated(r)) => r.map(UpdateOutcome::Applied),
            Ok(ConfigReply::Reset(_)) => Err(ConfigError::Unavailable("unexpected reply".into())),
            // Setting a value is idempotent, so re-applying one the crashed incarnation may
            // already have persisted is harmless.
            Err(CallError::NotRunning { .. } | CallError::Crashed { .. }) => {
                Ok(self.enqueue(path, value))
            }
            Err(e @ CallError::Timeout { .. }) => Err(ConfigError::Unavailable(e.to_string())),
        }
    }

    fn enqueue(&self, path: &str, value: Value) -> UpdateOutcome {
        let pending = {
            let mut q = self.shared.pending.lock();
            q.push_back((path.to_string(), value));
            q.len()
        };
        tracing::warn!(path, pending, "config server down; update queued");
        // If an incarnation is starting or running it drains now; otherwise its init will.
        let _ = self.service.cast(ConfigCast::DrainPending);
        UpdateOutcome::Queued { pending }
    }

    /// Updates queued while the server is down.
    pub fn pending_updates(&self) -> usize {
        self.shared.pending.lock().len()
    }

    /// Removes the runtime override of `path` (or of every path with `None`).
    pub async fn reset(&self, path: Option<&str>) -> Result<Vec<ConfigChange>, ConfigError> {
        let call = ConfigCall::Reset {
            path: path.map(str::to_string),
        };
        match self.service.call(call).await {
            Ok(ConfigReply::Reset(r)) => r,
            Ok(ConfigReply::Updated(_)) => Err(ConfigError::Unavailable("unexpected reply".into())),
            Err(e) => Err(ConfigError::Unavailable(e.to_string())),
        }
    }

    /// A stream of changes; dropping the receiver unsubscribes.
    pub fn subscribe(&self) -> mpsc::UnboundedReceiver<ConfigChange> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut subs = self.shared.subscribers.lock();
        subs.retain(|s| !s.is_closed());
        subs.push(tx);
        rx
    }

    /// Live subscriptions; subscribers whose receiver was dropped are removed.
    pub fn subscriber_count(&self) -> usize {
        let mut subs = self.shared.subscribers.lock();
        subs.retain(|s| !s.is_closed());
        subs.len()
    }

    /// Makes the server panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_crash(&self) {
        let _ = self.service.call(ConfigCall::Crash).await;
    }

    /// Holds the next server incarnation in `init` until the returned sender is used or
    /// dropped, keeping the server down meanwhile (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    pub fn hold_next_start(&self) -> tokio::sync::oneshot::Sender<()> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        *self.shared.start_gate.lock() = Some(rx);
        tx
    }
}

//! The TelemetryService and its client.
//!
//! `execute` does not go through the service's mailbox (that would cost a message per event);
//! the client updates the current incarnation's registry directly. The service owns the
//! registry's lifetime and serialises changes to it: each incarnation starts a fresh registry
//! (aggregates of a crashed incarnation are lost, which the design accepts) and re-installs the
//! metric definitions and handlers clients made, so it continues where it was.

use crate::telemetry::{Handler, Metadata, MetricDef, MetricsSnapshot, Telemetry, TelemetryError};
use elixir_scope_runtime_core::{Context, InitError, Service, ServiceRef};
use parking_lot::{Mutex, RwLock};
use std::sync::Arc;

pub(crate) struct TelemetryShared {
    current: RwLock<Telemetry>,
    definitions: Mutex<Vec<MetricDef>>,
    handlers: Mutex<Vec<(String, String, Handler)>>,
}

impl TelemetryShared {
    /// Shared state whose registries always carry `definitions`.
    pub(crate) fn with_definitions(definitions: Vec<MetricDef>) -> Arc<Self> {
        let current = Telemetry::new();
        let mut kept = Vec::new();
        for def in definitions {
            match current.define(def.clone()) {
                Ok(()) => kept.push(def),
                Err(e) => tracing::warn!(error = %e, "default metric not defined"),
            }
        }
        Arc::new(TelemetryShared {
            current: RwLock::new(current),
            definitions: Mutex::new(kept),
            handlers: Mutex::new(Vec::new()),
        })
    }
}

/// Requests to the TelemetryService.
pub enum TelemetryCall {
    /// Define a metric.
    Define(MetricDef),
    /// Attach a handler: id, event, handler.
    Attach(String, String, Handler),
    /// Detach a handler by id.
    Detach(String),
    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    Crash,
}

impl std::fmt::Debug for TelemetryCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TelemetryCall::Define(d) => f.debug_tuple("Define").field(d).finish(),
            TelemetryCall::Attach(id, ev, _) => {
                f.debug_tuple("Attach").field(id).field(ev).finish()
            }
            TelemetryCall::Detach(id) => f.debug_tuple("Detach").field(id).finish(),
            #[cfg(feature = "fault-injection")]
            TelemetryCall::Crash => f.write_str("Crash"),
        }
    }
}

/// The TelemetryService state (one incarnation).
pub struct TelemetryService {
    shared: Arc<TelemetryShared>,
}

impl TelemetryService {
    pub(crate) fn new(shared: Arc<TelemetryShared>) -> Self {
        TelemetryService { shared }
    }
}

impl Service for TelemetryService {
    type Call = TelemetryCall;
    type Reply = Result<bool, TelemetryError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        let fresh = Telemetry::new();
        for def in self.shared.definitions.lock().iter() {
            fresh.define(def.clone())?;
        }
        for (id, event, h) in self.shared.handlers.lock().iter() {
            fresh.attach(id, event, h.clone())?;
        }
        *self.shared.current.write() = fresh;
        tracing::info!("telemetry service started");
        Ok(())
    }

    async fn handle_call(
        &mut self,
        request: TelemetryCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        let current = self.shared.current.read().clone();
        match request {
            TelemetryCall::Define(def) => {
                current.define(def.clone())?;
                self.shared.definitions.lock().push(def);
                Ok(true)
            }
            TelemetryCall::Attach(id, event, h) => {
                current.attach(&id, &event, h.clone())?;
                self.shared.handlers.lock().push((id, event, h));
                Ok(true)
            }
            TelemetryCall::Detach(id) => {
                self.shared.handlers.lock().retain(|(h, _, _)| *h != id);
                Ok(current.detach(&id))
            }
            #[cfg(feature = "fault-injection")]
            TelemetryCall::Crash => panic!("fault injection: TelemetryService crash requested"),
        }
    }
}

/// Typed handle to the TelemetryService; cheap to clone, valid across restarts.
#[derive(Clone)]
pub struct TelemetryClient {
    shared: Arc<TelemetryShared>,
    service: ServiceRef<TelemetryService>,
}

impl std::fmt::Debug for TelemetryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelemetryClient").finish_non_exhaustive()
    }
}

impl TelemetryClient {
    pub(crate) fn new(shared: Arc<TelemetryShared>, service: ServiceRef<TelemetryService>) -> Self {
        TelemetryClient { shared, service }
    }

    /// The service handle (for monitoring).
    pub fn service(&self) -> &ServiceRef<TelemetryService> {
        &self.service
    }

    /// Emits an event (no message round trip).
    #[inline]
    pub fn execute(&self, event: &str, measurements: &[(&str, f64)], metadata: Metadata<'_>) {
        self.shared
            .current
            .read()
            .execute(event, measurements, metadata);
    }

    fn unavailable(e: elixir_scope_runtime_core::CallError) -> TelemetryError {
        TelemetryError::Unavailable(e.to_string())
    }

    /// Defines a metric fed by an event; it survives service restarts.
    pub async fn define(&self, def: MetricDef) -> Result<(), TelemetryError> {
        self.service
            .call(TelemetryCall::Define(def))
            .await
            .map_err(Self::unavailable)?
            .map(|_| ())
    }

    /// Attaches a handler; it is re-attached after service restarts until detached.
    pub async fn attach(
        &self,
        id: &str,
        event: &str,
        handler: Handler,
    ) -> Result<(), TelemetryError> {
        let call = TelemetryCall::Attach(id.into(), event.into(), handler);
        self.service
            .call(call)
            .await
            .map_err(Self::unavailable)?
            .map(|_| ())
    }

    /// Detaches a handler; returns whether it was attached.
    pub async fn detach(&self, id: &str) -> Result<bool, TelemetryError> {
        self.service
            .call(TelemetryCall::Detach(id.into()))
            .await
            .map_err(Self::unavailable)?
    }

    /// Every aggregate of the current incarnation.
    pub fn snapshot(&self) -> MetricsSnapshot {
        self.shared.current.read().snapshot()
    }

    /// Prometheus text exposition of the current aggregates.
    pub fn prometheus(&self) -> String {
        self.shared.current.read().prometheus()
    }

    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_crash(&self) {
        let _ = self.service.call(TelemetryCall::Crash).await;
    }
}

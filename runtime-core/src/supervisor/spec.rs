//! Supervisor specifications: strategy, intensity, auto_shutdown and the ordered children.

use super::handle::SupervisorRef;
use super::server::SupervisorServer;
use crate::child_spec::{ChildKind, ChildSpec, StartArgs, StartFn, StartedChild};
use crate::child_stoppers::ChildStoppers;
use crate::error::{SpecError, StartError};
use crate::events::EventBus;
use crate::mailbox::Mailbox;
use crate::restart_intensity::Intensity;
use crate::service_ref::ServiceRef;
use crate::service_runner::start_service;
use crate::snapshot::{ChildStatus, Introspect, NodeKind, TreeSnapshot};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

/// Which children are restarted when one of them must be (OTP's restart strategies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Only the child that exited.
    OneForOne,
    /// All children: the others are stopped in reverse order, then all restarted in order.
    OneForAll,
    /// The child that exited and every child started after it.
    RestForOne,
}

/// Whether the exit of significant children shuts the supervisor down (OTP's `auto_shutdown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoShutdown {
    /// Never (the default); significant children are not allowed.
    #[default]
    Never,
    /// When any significant child exits on its own and is not restarted.
    AnySignificant,
    /// When all significant children have exited on their own.
    AllSignificant,
}

/// The description of a static supervisor.
///
/// ```
/// use elixir_scope_runtime_core::{ChildSpec, Strategy, SupervisorSpec};
/// use std::time::Duration;
/// let spec = SupervisorSpec::new("layer")
///     .strategy(Strategy::RestForOne)
///     .intensity(5, Duration::from_secs(10))
///     .child(ChildSpec::task("a", |mut s| async move { s.requested().await }));
/// assert_eq!(spec.name(), "layer");
/// ```
#[derive(Clone)]
pub struct SupervisorSpec {
    pub(crate) name: Arc<str>,
    pub(crate) strategy: Strategy,
    pub(crate) intensity: Intensity,
    pub(crate) auto_shutdown: AutoShutdown,
    pub(crate) children: Vec<ChildSpec>,
    pub(crate) mailbox: Arc<Mailbox<SupervisorServer>>,
    pub(crate) stoppers: Arc<ChildStoppers<Arc<str>>>,
}

impl SupervisorSpec {
    /// A one_for_one supervisor with intensity 3 restarts in 5 s and no children.
    pub fn new(name: impl Into<Arc<str>>) -> SupervisorSpec {
        let name = name.into();
        SupervisorSpec {
            mailbox: Mailbox::new(name.clone()),
            stoppers: ChildStoppers::new(),
            name,
            strategy: Strategy::OneForOne,
            intensity: Intensity::default(),
            auto_shutdown: AutoShutdown::Never,
            children: Vec::new(),
        }
    }

    /// The supervisor's name (its child id when nested).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sets the strategy.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Sets the restart intensity: at most `max_restarts` within `period`.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Sets auto_shutdown.
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> Self {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// Appends a child; children start in the order added and stop in reverse.
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Appends several children.
    pub fn children(mut self, children: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(children);
        self
    }

    /// A handle to this supervisor, valid once started and across its restarts.
    pub fn handle(&self) -> SupervisorRef {
        SupervisorRef::new(ServiceRef::from_mailbox(self.mailbox.clone()))
    }

    pub(crate) fn validate(&self) -> Result<(), SpecError> {
        if self.intensity.period.is_zero() {
            return Err(SpecError::ZeroPeriod);
        }
        let mut seen = HashSet::new();
        for child in &self.children {
            validate_child(child, self.auto_shutdown)?;
            if !seen.insert(child.id.clone()) {
                return Err(SpecError::DuplicateId(child.id.clone()));
            }
        }
        Ok(())
    }

    /// Starts this supervisor as the root of a tree, with a new event bus.
    pub async fn start(self) -> Result<SupervisorRef, StartError> {
        self.start_with_events(EventBus::default()).await
    }

    /// Starts this supervisor as a root that emits on `events`.
    pub async fn start_with_events(self, events: EventBus) -> Result<SupervisorRef, StartError> {
        let handle = self.handle();
        let path = self.name.clone();
        start_supervisor(self, None, events, path).await?;
        Ok(handle)
    }

    /// The tree this spec would start, without starting it (status `not_started`, no pids).
    pub fn describe(&self) -> TreeSnapshot {
        TreeSnapshot {
            id: self.name.clone(),
            kind: NodeKind::Supervisor,
            strategy: Some(self.strategy),
            restart: None,
            status: ChildStatus::NotStarted,
            pid: None,
            restart_count: 0,
            uptime_ms: None,
            mailbox_len: None,
            children: self.children.iter().map(ChildSpec::describe).collect(),
        }
    }

    /// This supervisor as a child of another (kind supervisor, shutdown infinity, permanent).
    pub fn into_child_spec(self) -> ChildSpec {
        let id = self.name.clone();
        let shape = {
            let described = self.describe();
            Arc::new(move || described.clone())
        };
        let spec = Arc::new(self);
        let start: StartFn = Arc::new(move |args: StartArgs| {
            let spec = (*spec).clone();
            Box::pin(async move {
                let handle = spec.handle();
                let mailbox = spec.mailbox.clone();
                let stoppers = spec.stoppers.clone();
                let process =
                    start_supervisor(spec, Some(args.link), args.events, args.path).await?;
                Ok(StartedChild {
                    process,
                    introspect: Introspect::Supervisor(Arc::new(handle)),
                    // Stopped for good by its parent: so are all its children.
                    on_stopped: Some(Arc::new(move || {
                        mailbox.deactivate();
                        stoppers.stop_all();
                    })),
                })
            })
        });
        ChildSpec::from_start_fn(id, ChildKind::Supervisor, start).with_shape(shape)
    }
}

pub(crate) fn validate_child(
    child: &ChildSpec,
    auto_shutdown: AutoShutdown,
) -> Result<(), SpecError> {
    child.validate()?;
    if child.significant && auto_shutdown == AutoShutdown::Never {
        return Err(SpecError::SignificantWithoutAutoShutdown(child.id.clone()));
    }
    Ok(())
}

async fn start_supervisor(
    spec: SupervisorSpec,
    link: Option<crate::process::ExitLink>,
    events: EventBus,
    path: Arc<str>,
) -> Result<crate::process::ProcessHandle, StartError> {
    spec.validate()?;
    let mailbox = spec.mailbox.clone();
    // The server's init reports a child's typed start error here; `init` itself can only return
    // a boxed error.
    let failure = Arc::new(Mutex::new(None));
    let is_root = link.is_none();
    let server = SupervisorServer::new(spec, events, path.clone(), failure.clone(), is_root);
    match start_service(server, mailbox, link, path).await {
        Ok(process) => Ok(process),
        Err(error) => Err(failure.lock().take().unwrap_or(error)),
    }
}

//! Child specifications: how a supervisor starts, restarts and stops a child.

use crate::error::{SpecError, StartError};
use crate::events::EventBus;
use crate::exit_reason::ExitReason;
use crate::process::{spawn_process, ExitLink, ProcessCell, ProcessHandle, ShutdownSignal};
use crate::snapshot::{ChildStatus, Introspect, NodeKind, TreeSnapshot};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// When a child is restarted after it exits (OTP's restart type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Always restarted.
    Permanent,
    /// Restarted only after an abnormal exit (not `normal`, not `shutdown`).
    Transient,
    /// Never restarted; its spec is removed once it exits or is terminated.
    Temporary,
}

impl Restart {
    /// Whether a child of this type is restarted after exiting with `reason`.
    pub fn restarts_after(self, reason: &ExitReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => !reason.is_orderly(),
            Restart::Temporary => false,
        }
    }
}

/// How a child is stopped (OTP's shutdown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shutdown {
    /// Killed at once; `terminate` does not run.
    BrutalKill,
    /// Asked to stop, given this long, then killed.
    Timeout(Duration),
    /// Asked to stop and waited for without limit (the default for supervisors).
    Infinity,
}

impl Shutdown {
    /// OTP's default for workers: 5 seconds.
    pub const WORKER_DEFAULT: Shutdown = Shutdown::Timeout(Duration::from_secs(5));
}

/// Whether a child is a worker or a supervisor (affects defaults and `count_children`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildKind {
    /// A service, task or any non-supervisor process.
    Worker,
    /// A supervisor (static, dynamic or task supervisor).
    Supervisor,
}

/// What a supervisor hands a child's start function.
pub struct StartArgs {
    pub(crate) link: ExitLink,
    pub(crate) events: EventBus,
    pub(crate) path: Arc<str>,
}

/// A started child, as its start function returns it to the supervisor.
pub struct StartedChild {
    pub(crate) process: ProcessHandle,
    pub(crate) introspect: Introspect,
    /// Runs when the supervisor stops the child for good (not restarting it), e.g. to make its
    /// mailbox refuse messages.
    pub(crate) on_stopped: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// Describes a child's subtree without starting it (for supervisor children).
pub(crate) type ShapeFn = Arc<dyn Fn() -> TreeSnapshot + Send + Sync>;

pub(crate) type StartFn =
    Arc<dyn Fn(StartArgs) -> BoxFuture<'static, Result<StartedChild, StartError>> + Send + Sync>;

/// How to start, restart and stop one child of a supervisor.
///
/// Built by [`ChildSpec::service`](crate::ChildSpec::service),
/// [`SupervisorSpec::into_child_spec`](crate::SupervisorSpec::into_child_spec),
/// [`TaskSupervisor::child_spec`](crate::TaskSupervisor::child_spec),
/// [`DynamicSupervisorSpec::into_child_spec`](crate::DynamicSupervisorSpec::into_child_spec) or
/// [`ChildSpec::task`] for a plain async function. Cloning is cheap.
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) id: Arc<str>,
    pub(crate) start: StartFn,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) significant: bool,
    pub(crate) shape: Option<ShapeFn>,
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("significant", &self.significant)
            .finish()
    }
}

/// The inspectable part of a child spec, as `get_childspec` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildSpecInfo {
    /// Child id.
    pub id: Arc<str>,
    /// Restart type.
    pub restart: Restart,
    /// Shutdown policy.
    pub shutdown: Shutdown,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Whether its exit can shut the supervisor down (auto_shutdown).
    pub significant: bool,
}

impl ChildSpec {
    pub(crate) fn from_start_fn(
        id: impl Into<Arc<str>>,
        kind: ChildKind,
        start: StartFn,
    ) -> ChildSpec {
        ChildSpec {
            id: id.into(),
            start,
            restart: Restart::Permanent,
            shutdown: match kind {
                ChildKind::Worker => Shutdown::WORKER_DEFAULT,
                ChildKind::Supervisor => Shutdown::Infinity,
            },
            kind,
            significant: false,
            shape: None,
        }
    }

    pub(crate) fn with_shape(mut self, shape: ShapeFn) -> Self {
        self.shape = Some(shape);
        self
    }

    /// This child as a not-yet-started snapshot node (supervisors include their children).
    pub fn describe(&self) -> TreeSnapshot {
        let mut node = match &self.shape {
            Some(shape) => shape(),
            None => TreeSnapshot {
                id: self.id.clone(),
                kind: NodeKind::Worker,
                strategy: None,
                restart: None,
                status: ChildStatus::NotStarted,
                pid: None,
                restart_count: 0,
                uptime_ms: None,
                mailbox_len: None,
                children: Vec::new(),
            },
        };
        node.id = self.id.clone();
        node.restart = Some(self.restart);
        node
    }

    /// A worker that runs a plain async function. The function receives a [`ShutdownSignal`]
    /// that resolves when its supervisor asks it to stop; its output is its exit reason.
    ///
    /// ```
    /// use elixir_scope_runtime_core::{ChildSpec, ExitReason};
    /// let spec = ChildSpec::task("ticker", |mut shutdown| async move {
    ///     shutdown.requested().await
    /// });
    /// assert_eq!(spec.id(), "ticker");
    /// ```
    pub fn task<F, Fut>(id: impl Into<Arc<str>>, body: F) -> ChildSpec
    where
        F: Fn(ShutdownSignal) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ExitReason> + Send + 'static,
    {
        let body = Arc::new(body);
        let start: StartFn = Arc::new(move |args: StartArgs| {
            let body = body.clone();
            Box::pin(async move {
                let name: Arc<str> = args.path.clone();
                let (cell, signal) = ProcessCell::shared(name);
                let abort = spawn_process(cell.clone(), Some(args.link), "task", body(signal));
                Ok(StartedChild {
                    process: ProcessHandle { cell, abort },
                    introspect: Introspect::Worker { mailbox_len: None },
                    on_stopped: None,
                })
            })
        });
        ChildSpec::from_start_fn(id, ChildKind::Worker, start)
    }

    /// Sets the restart type (default permanent).
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// Sets the shutdown policy (default 5 s for workers, infinity for supervisors).
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Marks the child significant for the supervisor's auto_shutdown.
    pub fn significant(mut self, significant: bool) -> Self {
        self.significant = significant;
        self
    }

    /// Renames the child.
    pub fn id_as(mut self, id: impl Into<Arc<str>>) -> Self {
        self.id = id.into();
        self
    }

    /// The child id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The inspectable fields.
    pub fn info(&self) -> ChildSpecInfo {
        ChildSpecInfo {
            id: self.id.clone(),
            restart: self.restart,
            shutdown: self.shutdown,
            kind: self.kind,
            significant: self.significant,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SpecError> {
        if self.id.is_empty() {
            return Err(SpecError::EmptyId);
        }
        if self.significant && self.restart == Restart::Permanent {
            return Err(SpecError::SignificantPermanent(self.id.clone()));
        }
        if self.shutdown == Shutdown::Timeout(Duration::ZERO) {
            return Err(SpecError::ZeroShutdownTimeout(self.id.clone()));
        }
        Ok(())
    }
}

/// Stops a running child according to its shutdown policy and returns how it exited.
pub(crate) async fn stop_child(process: &ProcessHandle, shutdown: Shutdown) -> ExitReason {
    match shutdown {
        Shutdown::BrutalKill => process.kill().await,
        Shutdown::Timeout(limit) => process.stop(ExitReason::Shutdown(None), Some(limit)).await,
        Shutdown::Infinity => process.stop(ExitReason::Shutdown(None), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_types_follow_otp() {
        let crash = ExitReason::error("x");
        assert!(Restart::Permanent.restarts_after(&ExitReason::Normal));
        assert!(Restart::Permanent.restarts_after(&crash));
        assert!(!Restart::Transient.restarts_after(&ExitReason::Normal));
        assert!(!Restart::Transient.restarts_after(&ExitReason::shutdown_with("x")));
        assert!(Restart::Transient.restarts_after(&crash));
        assert!(Restart::Transient.restarts_after(&ExitReason::Killed));
        assert!(!Restart::Temporary.restarts_after(&crash));
    }

    #[test]
    fn defaults_follow_otp() {
        let worker = ChildSpec::task("w", |mut s| async move { s.requested().await });
        assert_eq!(
            worker.info().shutdown,
            Shutdown::Timeout(Duration::from_secs(5))
        );
        assert_eq!(worker.info().restart, Restart::Permanent);
        assert!(worker.validate().is_ok());
        let bad = worker.clone().restart(Restart::Permanent).significant(true);
        assert!(matches!(
            bad.validate(),
            Err(SpecError::SignificantPermanent(_))
        ));
        let zero = worker.shutdown(Shutdown::Timeout(Duration::ZERO));
        assert!(matches!(
            zero.validate(),
            Err(SpecError::ZeroShutdownTimeout(_))
        ));
    }
}

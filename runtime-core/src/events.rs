//! The supervision event stream: every start, exit, restart, escalation and shutdown, both as
//! `tracing` events and on a broadcast channel that dashboards and tests subscribe to.

use crate::exit_reason::ExitReason;
use crate::process::Pid;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// One supervision action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SupervisionEvent {
    /// A child was started (first start or restart).
    ChildStarted {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The child id.
        child: Arc<str>,
        /// The new incarnation.
        pid: Pid,
    },
    /// A child exited on its own (crash or return), before the supervisor reacts.
    ChildExited {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The child id.
        child: Arc<str>,
        /// The incarnation that exited.
        pid: Pid,
        /// Why.
        reason: ExitReason,
    },
    /// A child was restarted by its supervisor.
    ChildRestarted {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The child id.
        child: Arc<str>,
        /// The new incarnation.
        pid: Pid,
        /// How many times this child has been restarted so far.
        restart_count: u64,
    },
    /// A restart attempt failed; it will be retried while intensity allows.
    RestartFailed {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The child id.
        child: Arc<str>,
        /// The start error.
        error: String,
    },
    /// The supervisor stopped a child (shutdown, terminate_child or a sibling's restart).
    ChildTerminated {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The child id.
        child: Arc<str>,
        /// The incarnation stopped.
        pid: Pid,
        /// How it ended (`killed` when its shutdown timeout ran out).
        reason: ExitReason,
    },
    /// More restarts than allowed within the period: the supervisor gives up and escalates.
    IntensityExceeded {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Allowed restarts.
        max_restarts: u32,
        /// Within this period.
        period: Duration,
    },
    /// A significant child's exit triggered the supervisor's auto_shutdown.
    AutoShutdown {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// The significant child whose exit triggered it.
        child: Arc<str>,
    },
    /// A supervisor finished stopping all its children and exited.
    SupervisorShutdown {
        /// The supervisor's path.
        supervisor: Arc<str>,
        /// Its exit reason.
        reason: ExitReason,
    },
}

/// A cloneable sender of supervision events shared by one tree.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<SupervisionEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(4096)
    }
}

impl EventBus {
    /// A bus whose subscribers may lag up to `capacity` events before they miss some.
    pub fn new(capacity: usize) -> EventBus {
        let (tx, _) = broadcast::channel(capacity.max(1));
        EventBus { tx }
    }

    /// Subscribes to events emitted from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SupervisionEvent> {
        self.tx.subscribe()
    }

    pub(crate) fn emit(&self, event: SupervisionEvent) {
        log(&event);
        if self.tx.receiver_count() > 0 {
            let _ = self.tx.send(event);
        }
    }
}

fn log(event: &SupervisionEvent) {
    use SupervisionEvent::*;
    match event {
        ChildStarted {
            supervisor,
            child,
            pid,
        } => {
            tracing::info!(%supervisor, %child, %pid, "child started")
        }
        ChildExited {
            supervisor,
            child,
            pid,
            reason,
        } if reason.is_orderly() => {
            tracing::info!(%supervisor, %child, %pid, %reason, "child exited")
        }
        ChildExited {
            supervisor,
            child,
            pid,
            reason,
        } => {
            tracing::error!(%supervisor, %child, %pid, %reason, "child crashed")
        }
        ChildRestarted {
            supervisor,
            child,
            pid,
            restart_count,
        } => {
            tracing::info!(%supervisor, %child, %pid, restart_count, "child restarted")
        }
        RestartFailed {
            supervisor,
            child,
            error,
        } => {
            tracing::error!(%supervisor, %child, %error, "child restart failed")
        }
        ChildTerminated {
            supervisor,
            child,
            pid,
            reason,
        } => {
            tracing::info!(%supervisor, %child, %pid, %reason, "child terminated")
        }
        IntensityExceeded {
            supervisor,
            max_restarts,
            period,
        } => {
            tracing::error!(%supervisor, max_restarts, ?period, "restart intensity exceeded; shutting down")
        }
        AutoShutdown { supervisor, child } => {
            tracing::info!(%supervisor, %child, "significant child exited; auto shutdown")
        }
        SupervisorShutdown { supervisor, reason } => {
            tracing::info!(%supervisor, %reason, "supervisor shut down")
        }
    }
}

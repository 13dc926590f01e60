//! Typed errors at this crate's boundary.

use crate::exit_reason::ExitReason;
use crate::process::Pid;
use std::sync::Arc;
use std::time::Duration;

/// The error a service's `init` returns to refuse to start.
pub type InitError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a `call` did not get a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// No reply within the timeout. The request may still be handled later; its reply is dropped.
    #[error("call to {service} timed out after {timeout:?}")]
    Timeout {
        /// The service called.
        service: Arc<str>,
        /// The timeout that elapsed.
        timeout: Duration,
    },
    /// The service is stopped for good (terminated and not restarted, or its supervisor is gone).
    #[error("service {service} is not running")]
    NotRunning {
        /// The service called.
        service: Arc<str>,
    },
    /// The incarnation handling the request crashed or was killed before replying.
    #[error("service {service} exited while handling the call")]
    Crashed {
        /// The service called.
        service: Arc<str>,
    },
}

/// Why a child (or a whole supervisor) failed to start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// The child's `init` returned an error.
    #[error("{child} refused to start: {message}")]
    InitFailed {
        /// The child id.
        child: Arc<str>,
        /// The error `init` returned.
        message: String,
    },
    /// The child exited (panicked, was killed) before its start completed.
    #[error("{child} exited during start: {reason}")]
    ExitedDuringStart {
        /// The child id.
        child: Arc<str>,
        /// How it exited.
        reason: ExitReason,
    },
    /// A child of a supervisor being started failed; the children already started were stopped.
    #[error("supervisor {supervisor} could not start child: {source}")]
    ChildFailed {
        /// The supervisor.
        supervisor: Arc<str>,
        /// The child's start error.
        #[source]
        source: Box<StartError>,
    },
    /// The specification is invalid.
    #[error(transparent)]
    InvalidSpec(#[from] SpecError),
    /// Dynamic supervisor already runs `max_children` children.
    #[error("max_children ({max}) reached")]
    MaxChildren {
        /// The configured limit.
        max: usize,
    },
    /// The supervisor asked to start the child is not running.
    #[error("supervisor {supervisor} is not running")]
    SupervisorNotRunning {
        /// The supervisor.
        supervisor: Arc<str>,
    },
}

/// An invalid child or supervisor specification, reported at start rather than by a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Two children of one supervisor share an id.
    #[error("duplicate child id {0:?}")]
    DuplicateId(Arc<str>),
    /// A child id is empty.
    #[error("child id must not be empty")]
    EmptyId,
    /// `significant` set on a permanent child (OTP rejects this too).
    #[error("child {0:?} is significant but permanent; significant children must be transient or temporary")]
    SignificantPermanent(Arc<str>),
    /// `significant` set on a child while the supervisor's `auto_shutdown` is `never`.
    #[error("child {0:?} is significant but the supervisor's auto_shutdown is never")]
    SignificantWithoutAutoShutdown(Arc<str>),
    /// Restart intensity period of zero.
    #[error("restart intensity period must be greater than zero")]
    ZeroPeriod,
    /// A shutdown timeout of zero (use brutal kill instead).
    #[error("child {0:?} has a zero shutdown timeout; use Shutdown::BrutalKill")]
    ZeroShutdownTimeout(Arc<str>),
}

/// Errors of the supervisor management API (OTP's `{error, ...}` returns).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    /// No child with that id (or pid).
    #[error("child not found")]
    NotFound,
    /// The child is running (delete_child / restart_child need it stopped).
    #[error("child is running")]
    Running,
    /// The child is being restarted after a failed restart attempt.
    #[error("child is restarting")]
    Restarting,
    /// A child with that id is already running (start_child).
    #[error("child already started as {0}")]
    AlreadyStarted(Pid),
    /// A stopped child with that id is present (start_child).
    #[error("child spec already present")]
    AlreadyPresent,
    /// Starting the child failed.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The supervisor did not answer (not running or crashed).
    #[error(transparent)]
    Call(#[from] CallError),
    /// The operation is not supported by this kind of supervisor (e.g. restart_child on a
    /// dynamic supervisor).
    #[error("operation not supported by this supervisor")]
    Unsupported,
}

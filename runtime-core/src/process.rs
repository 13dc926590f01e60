//! A process: one tokio task with an identity, an exit reason that others can wait for, a
//! graceful-shutdown request channel, monitors, and a link to its supervisor.
//!
//! Every kind of process in this crate (services, supervisors, task supervisors, plain tasks)
//! runs through [`spawn_process`], so panics are caught, kills are observed and exits are
//! reported the same way everywhere.

use crate::exit_reason::{panic_message, ExitReason};
use crate::lazy_timeout::lazy_timeout;
use futures::task::AtomicWaker;
use futures::FutureExt;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::poll_fn;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Instant;
use tracing::Instrument;

/// A process identifier, unique for the life of the program. Each incarnation of a restarted
/// service gets a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pid(u64);

impl Pid {
    pub(crate) fn fresh() -> Pid {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Pid(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The numeric value of this identifier.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0)
    }
}

/// The notice a monitor receives when the monitored process exits (OTP's `'DOWN'` message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownNotice {
    /// The process that exited.
    pub pid: Pid,
    /// Its name (child id or service name).
    pub name: Arc<str>,
    /// Why it exited.
    pub reason: ExitReason,
}

/// Where a monitor's notice goes.
pub(crate) type MonitorSink = Box<dyn FnOnce(DownNotice) + Send>;

/// What a supervisor receives when one of its linked children exits.
#[derive(Debug)]
pub(crate) struct ChildExit {
    pub pid: Pid,
    pub reason: ExitReason,
}

/// The link from a child to its supervisor: delivers the child's exit to the supervisor.
pub(crate) type ExitLink = Arc<dyn Fn(ChildExit) + Send + Sync>;

/// Shared state of one process incarnation.
pub(crate) struct ProcessCell {
    pid: Pid,
    name: Arc<str>,
    started_at: Instant,
    exit: OnceLock<ExitReason>,
    exited: Notify,
    monitors: Mutex<Vec<MonitorSink>>,
    // The graceful-shutdown request lives in the cell rather than in a oneshot channel: one
    // allocation less per incarnation, and the service loop's check before each message is a
    // single atomic load.
    shutdown: Mutex<ShutdownRequest>,
    shutdown_requested: AtomicBool,
    shutdown_waker: AtomicWaker,
}

enum ShutdownRequest {
    NotAsked,
    Asked(ExitReason),
    Taken,
}

/// The receiving side of a graceful-shutdown request, held by the process itself.
///
/// Resolves with the reason the process was asked to stop for. If nobody asks, it never
/// resolves.
pub struct ShutdownSignal {
    cell: Arc<ProcessCell>,
    /// The waker last registered with the cell. A task's waker does not change, and only a
    /// shutdown request takes it out of the cell, so re-registering it every time the
    /// service's mailbox runs empty would only cost two atomic operations.
    registered: Option<Waker>,
}

impl ShutdownSignal {
    /// Waits until a graceful shutdown is requested and returns its reason.
    pub async fn requested(&mut self) -> ExitReason {
        poll_fn(|cx| self.poll_requested(cx)).await
    }

    /// The reason, if a shutdown was requested; never registers a waker. The service loop
    /// checks this before every message.
    pub(crate) fn try_requested(&mut self) -> Option<ExitReason> {
        if !self.cell.shutdown_requested.load(Ordering::Acquire) {
            return None;
        }
        let mut request = self.cell.shutdown.lock();
        match std::mem::replace(&mut *request, ShutdownRequest::Taken) {
            ShutdownRequest::Asked(reason) => {
                self.cell.shutdown_requested.store(false, Ordering::Release);
                Some(reason)
            }
            other => {
                *request = other;
                None
            }
        }
    }

    /// Polls for a request, registering the task's waker.
    pub(crate) fn poll_requested(&mut self, cx: &mut Context<'_>) -> Poll<ExitReason> {
        if let Some(reason) = self.try_requested() {
            return Poll::Ready(reason);
        }
        if self
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        self.cell.shutdown_waker.register(cx.waker());
        self.registered = Some(cx.waker().clone());
        // A request made between the check above and the registration woke nobody.
        match self.try_requested() {
            Some(reason) => Poll::Ready(reason),
            None => Poll::Pending,
        }
    }
}

impl ProcessCell {
    pub(crate) fn new(name: Arc<str>) -> (Arc<ProcessCell>, ShutdownSignal) {
        let cell = Arc::new(ProcessCell {
            pid: Pid::fresh(),
            name,
            started_at: Instant::now(),
            exit: OnceLock::new(),
            exited: Notify::new(),
            monitors: Mutex::new(Vec::new()),
            shutdown: Mutex::new(ShutdownRequest::NotAsked),
            shutdown_requested: AtomicBool::new(false),
            shutdown_waker: AtomicWaker::new(),
        });
        let signal = ShutdownSignal {
            cell: cell.clone(),
            registered: None,
        };
        (cell, signal)
    }

    pub(crate) fn pid(&self) -> Pid {
        self.pid
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn started_at(&self) -> Instant {
        self.started_at
    }

    pub(crate) fn exit_reason(&self) -> Option<&ExitReason> {
        self.exit.get()
    }

    /// Asks the process to stop gracefully. Returns false if it was already asked or has
    /// already exited.
    pub(crate) fn request_shutdown(&self, reason: ExitReason) -> bool {
        let mut request = self.shutdown.lock();
        if !matches!(*request, ShutdownRequest::NotAsked) || self.exit.get().is_some() {
            return false;
        }
        *request = ShutdownRequest::Asked(reason);
        drop(request);
        self.shutdown_requested.store(true, Ordering::Release);
        self.shutdown_waker.wake();
        true
    }

    /// Waits for the process to exit and returns its reason.
    pub(crate) async fn wait_exit(&self) -> ExitReason {
        loop {
            let notified = self.exited.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(reason) = self.exit.get() {
                return reason.clone();
            }
            notified.await;
        }
    }

    /// Registers a monitor. If the process has already exited the notice is delivered at once,
    /// as OTP does for a monitor on a dead process (with the real reason rather than `noproc`).
    pub(crate) fn add_monitor(&self, sink: MonitorSink) {
        let mut monitors = self.monitors.lock();
        if let Some(reason) = self.exit.get() {
            drop(monitors);
            sink(self.notice(reason.clone()));
        } else {
            monitors.push(sink);
        }
    }

    fn notice(&self, reason: ExitReason) -> DownNotice {
        DownNotice {
            pid: self.pid,
            name: self.name.clone(),
            reason,
        }
    }

    fn publish_exit(&self, reason: ExitReason, link: Option<&ExitLink>) {
        if self.exit.set(reason.clone()).is_err() {
            return;
        }
        // The supervisor hears first, so anyone woken by a monitor or a wait knows the
        // supervisor's mailbox already holds the exit.
        if let Some(link) = link {
            link(ChildExit {
                pid: self.pid,
                reason: reason.clone(),
            });
        }
        self.exited.notify_waiters();
        let monitors = std::mem::take(&mut *self.monitors.lock());
        for sink in monitors {
            sink(self.notice(reason.clone()));
        }
    }
}

/// Publishes the exit when the process's future ends or is dropped (abort = killed).
struct ExitGuard {
    cell: Arc<ProcessCell>,
    link: Option<ExitLink>,
    reason: Option<ExitReason>,
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        let reason = self.reason.take().unwrap_or(ExitReason::Killed);
        log_exit(&self.cell, &reason);
        self.cell.publish_exit(reason, self.link.as_ref());
    }
}

fn log_exit(cell: &ProcessCell, reason: &ExitReason) {
    match reason {
        ExitReason::Normal | ExitReason::Shutdown(_) => {
            tracing::debug!(pid = %cell.pid, name = %cell.name, %reason, "process exited")
        }
        _ => tracing::warn!(pid = %cell.pid, name = %cell.name, %reason, "process crashed"),
    }
}

/// Spawns `body` as the process described by `cell`. The body's output is its exit reason; a
/// panic becomes [`ExitReason::Panic`], an abort becomes [`ExitReason::Killed`].
pub(crate) fn spawn_process<F>(
    cell: Arc<ProcessCell>,
    link: Option<ExitLink>,
    kind: &'static str,
    body: F,
) -> AbortHandle
where
    F: Future<Output = ExitReason> + Send + 'static,
{
    let span = tracing::info_span!("process", kind, name = %cell.name, pid = %cell.pid);
    let guard = ExitGuard {
        cell,
        link,
        reason: None,
    };
    // Boxed so tokio moves a pointer, not the whole state machine: a task's future is moved
    // several times between `spawn` and its first poll, and for a service that was the largest
    // single cost of a spawn in the peer benchmark.
    let body = Box::pin(body);
    let task = async move {
        let mut guard = guard;
        // The body is declared after the guard, so on abort it is dropped first and the exit is
        // published only once the process's state (files, sockets) is gone.
        let outcome = AssertUnwindSafe(body).catch_unwind().await;
        guard.reason = Some(match outcome {
            Ok(reason) => reason,
            Err(payload) => ExitReason::Panic(panic_message(payload.as_ref())),
        });
    };
    tokio::spawn(task.instrument(span)).abort_handle()
}

/// A running process as seen by whoever started it: enough to stop it and observe its exit.
#[derive(Clone)]
pub struct ProcessHandle {
    pub(crate) cell: Arc<ProcessCell>,
    pub(crate) abort: AbortHandle,
}

impl ProcessHandle {
    /// This incarnation's process id.
    pub fn pid(&self) -> Pid {
        self.cell.pid()
    }

    /// Asks for a graceful stop, waits up to `timeout`, then kills. `None` waits forever.
    pub(crate) async fn stop(
        &self,
        reason: ExitReason,
        timeout: Option<std::time::Duration>,
    ) -> ExitReason {
        self.cell.request_shutdown(reason);
        match timeout {
            None => self.cell.wait_exit().await,
            Some(limit) => match lazy_timeout(limit, std::pin::pin!(self.cell.wait_exit())).await {
                Some(reason) => reason,
                None => {
                    tracing::warn!(pid = %self.cell.pid(), name = %self.cell.name(), ?limit, "shutdown timed out; killing");
                    self.kill().await
                }
            },
        }
    }

    /// Kills the process (abort) and waits for the exit to be published.
    pub(crate) async fn kill(&self) -> ExitReason {
        self.abort.abort();
        self.cell.wait_exit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::{mpsc, oneshot};

    #[tokio::test]
    async fn normal_panic_and_kill_exits_are_published() {
        let (cell, _sig) = ProcessCell::new("normal".into());
        spawn_process(cell.clone(), None, "test", async { ExitReason::Normal });
        assert_eq!(cell.wait_exit().await, ExitReason::Normal);

        let (cell, _sig) = ProcessCell::new("panicky".into());
        spawn_process(cell.clone(), None, "test", async { panic!("kaboom") });
        assert_eq!(cell.wait_exit().await, ExitReason::Panic("kaboom".into()));

        let (cell, _sig) = ProcessCell::new("stuck".into());
        let abort = spawn_process(cell.clone(), None, "test", std::future::pending());
        let handle = ProcessHandle {
            cell: cell.clone(),
            abort,
        };
        assert_eq!(handle.kill().await, ExitReason::Killed);
    }

    #[tokio::test]
    async fn exits_reach_the_link_and_every_monitor() {
        let (link_tx, mut link_rx) = mpsc::unbounded_channel();
        let (cell, mut sig) = ProcessCell::new("linked".into());
        let (mon_tx, mon_rx) = oneshot::channel();
        cell.add_monitor(Box::new(move |n| {
            let _ = mon_tx.send(n);
        }));
        let link: ExitLink = Arc::new(move |exit| {
            let _ = link_tx.send(exit);
        });
        spawn_process(cell.clone(), Some(link), "test", async move {
            sig.requested().await
        });
        assert!(cell.request_shutdown(ExitReason::shutdown_with("test")));
        let exit = link_rx.recv().await.unwrap();
        assert_eq!(exit.pid, cell.pid());
        assert_eq!(exit.reason, ExitReason::shutdown_with("test"));
        assert_eq!(
            mon_rx.await.unwrap().reason,
            ExitReason::shutdown_with("test")
        );
        // A monitor added after the exit is notified at once.
        let (late_tx, late_rx) = oneshot::channel();
        cell.add_monitor(Box::new(move |n| {
            let _ = late_tx.send(n);
        }));
        assert_eq!(late_rx.await.unwrap().pid, cell.pid());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stubborn_process_is_killed_after_its_timeout() {
        let (cell, _sig) = ProcessCell::new("stubborn".into());
        let abort = spawn_process(cell.clone(), None, "test", std::future::pending());
        let handle = ProcessHandle { cell, abort };
        let reason = handle
            .stop(ExitReason::Shutdown(None), Some(Duration::from_secs(5)))
            .await;
        assert_eq!(reason, ExitReason::Killed);
    }
}

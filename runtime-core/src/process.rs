//! A process: one tokio task with an identity, an exit reason that others can wait for, a
//! graceful-shutdown request channel, monitors, and a link to its supervisor.
//!
//! Every kind of process in this crate (services, supervisors, task supervisors, plain tasks)
//! runs through [`spawn_process`], so panics are caught, kills are observed and exits are
//! reported the same way everywhere.

use crate::exit_reason::{panic_message, ExitReason};
use crate::lazy_timeout::lazy_timeout;
use futures::task::AtomicWaker;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::poll_fn;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, Waker};
use tokio::sync::Notify;
use tokio::task::AbortHandle;
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

/// Whatever holds a process cell: the cell itself, or a service's mailbox, which holds its
/// first incarnation's cell in the same allocation.
pub(crate) trait CellHost: Send + Sync + 'static {
    fn cell(&self) -> &ProcessCell;
}

impl CellHost for ProcessCell {
    fn cell(&self) -> &ProcessCell {
        self
    }
}

/// A shared reference to a process cell, wherever the cell lives.
///
/// Most services never restart, so a service's mailbox holds its first incarnation's cell
/// (see `Mailbox::activate`): one heap allocation less per spawned service than a cell of its
/// own. Later incarnations, and processes without a mailbox, get a cell of their own.
#[derive(Clone)]
pub(crate) struct CellRef(Arc<dyn CellHost>);

impl CellRef {
    /// A reference to the cell `host` holds.
    pub(crate) fn hosted(host: Arc<dyn CellHost>) -> CellRef {
        CellRef(host)
    }
}

impl std::ops::Deref for CellRef {
    type Target = ProcessCell;

    fn deref(&self) -> &ProcessCell {
        self.0.cell()
    }
}

/// Shared state of one process incarnation.
pub(crate) struct ProcessCell {
    pid: Pid,
    name: Arc<str>,
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
    cell: CellRef,
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
    /// A cell for a new incarnation with a fresh pid, to be placed in its host.
    pub(crate) fn unshared(name: Arc<str>) -> ProcessCell {
        ProcessCell {
            pid: Pid::fresh(),
            name,
            exit: OnceLock::new(),
            exited: Notify::new(),
            monitors: Mutex::new(Vec::new()),
            shutdown: Mutex::new(ShutdownRequest::NotAsked),
            shutdown_requested: AtomicBool::new(false),
            shutdown_waker: AtomicWaker::new(),
        }
    }

    /// A cell of its own for a new incarnation, and the process's side of its shutdown request.
    pub(crate) fn shared(name: Arc<str>) -> (CellRef, ShutdownSignal) {
        let cell = CellRef::hosted(Arc::new(ProcessCell::unshared(name)));
        let signal = ProcessCell::signal(&cell);
        (cell, signal)
    }

    /// The process's side of the shutdown request of `cell`; one per incarnation.
    pub(crate) fn signal(cell: &CellRef) -> ShutdownSignal {
        ShutdownSignal {
            cell: cell.clone(),
            registered: None,
        }
    }

    pub(crate) fn pid(&self) -> Pid {
        self.pid
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
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

    pub(crate) fn publish_exit(&self, reason: ExitReason, link: Option<&ExitLink>) {
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

/// The future tokio runs for a process: the boxed body, then the exit publication.
///
/// Written by hand rather than as an `async` block around `catch_unwind`, so the task holds
/// only three words besides the body's box (a generator keeps its captured guard and a moved
/// copy of it, plus the exit reason): with the span, a service's task then fits tokio's
/// 256-byte task cell instead of the next size up (384 bytes, tasks are 128-byte aligned).
struct ProcessTask<F> {
    /// `None` once the body has finished; dropped before the exit is published, so whoever
    /// learns of the exit finds the process's state (files, sockets) already gone.
    body: Option<Pin<Box<F>>>,
    cell: CellRef,
    link: Option<ExitLink>,
}

impl<F> ProcessTask<F> {
    /// Drops the body, then publishes `reason`. A panic while the body's state is dropped is
    /// caught, so the exit is published whatever happens.
    fn finish(&mut self, reason: ExitReason) {
        let body = self.body.take();
        let _ = std::panic::catch_unwind(AssertUnwindSafe(move || drop(body)));
        log_exit(&self.cell, &reason);
        self.cell.publish_exit(reason, self.link.as_ref());
    }
}

impl<F: Future<Output = ExitReason>> Future for ProcessTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Every field is `Unpin` (the body is boxed), so the task can be used by `&mut`.
        let this = self.get_mut();
        let Some(body) = this.body.as_mut() else {
            return Poll::Ready(());
        };
        let reason = match std::panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(reason)) => reason,
            Err(payload) => ExitReason::Panic(panic_message(payload.as_ref())),
        };
        this.finish(reason);
        Poll::Ready(())
    }
}

impl<F> Drop for ProcessTask<F> {
    fn drop(&mut self) {
        // Dropped with its body still there: the task was aborted (or the runtime shut down).
        if self.body.is_some() {
            self.finish(ExitReason::Killed);
        }
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
    cell: CellRef,
    link: Option<ExitLink>,
    kind: &'static str,
    body: F,
) -> AbortHandle
where
    F: Future<Output = ExitReason> + Send + 'static,
{
    let span = tracing::info_span!("process", kind, name = %cell.name, pid = %cell.pid);
    // Boxed so tokio moves a pointer, not the whole state machine: a task's future is moved
    // several times between `spawn` and its first poll, and for a service that was the largest
    // single cost of a spawn in the peer benchmark.
    let task = ProcessTask {
        body: Some(Box::pin(body)),
        cell,
        link,
    };
    tokio::spawn(task.instrument(span)).abort_handle()
}

/// A running process as seen by whoever started it: enough to stop it and observe its exit.
#[derive(Clone)]
pub struct ProcessHandle {
    pub(crate) cell: CellRef,
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
        let (cell, _sig) = ProcessCell::shared("normal".into());
        spawn_process(cell.clone(), None, "test", async { ExitReason::Normal });
        assert_eq!(cell.wait_exit().await, ExitReason::Normal);

        let (cell, _sig) = ProcessCell::shared("panicky".into());
        spawn_process(cell.clone(), None, "test", async { panic!("kaboom") });
        assert_eq!(cell.wait_exit().await, ExitReason::Panic("kaboom".into()));

        let (cell, _sig) = ProcessCell::shared("stuck".into());
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
        let (cell, mut sig) = ProcessCell::shared("linked".into());
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

    /// Sets its flag when dropped; panics while dropped if asked to.
    struct DropFlag(Arc<AtomicBool>, bool);

    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
            if self.1 {
                panic!("drop of the process state fails");
            }
        }
    }

    /// Spawns a process whose state is a `DropFlag` and reports, for its exit, whether the
    /// state was already dropped when the exit was published.
    async fn state_dropped_before_exit(
        panic_in_drop: bool,
        body: impl Future<Output = ExitReason> + Send + 'static,
        kill: bool,
    ) -> (ExitReason, bool) {
        let flag = Arc::new(AtomicBool::new(false));
        let (cell, _sig) = ProcessCell::shared("state".into());
        let (seen_tx, seen_rx) = oneshot::channel();
        let seen = flag.clone();
        cell.add_monitor(Box::new(move |n| {
            let _ = seen_tx.send((n.reason, seen.load(Ordering::SeqCst)));
        }));
        let state = DropFlag(flag, panic_in_drop);
        let abort = spawn_process(cell, None, "test", async move {
            let _state = state;
            body.await
        });
        if kill {
            tokio::task::yield_now().await;
            abort.abort();
        }
        seen_rx.await.unwrap()
    }

    #[tokio::test]
    async fn the_exit_is_published_after_the_process_state_is_dropped() {
        let normal = state_dropped_before_exit(false, async { ExitReason::Normal }, false).await;
        assert_eq!(normal, (ExitReason::Normal, true));
        let panicked = state_dropped_before_exit(false, async { panic!("boom") }, false).await;
        assert_eq!(panicked, (ExitReason::Panic("boom".into()), true));
        let killed = state_dropped_before_exit(false, std::future::pending(), true).await;
        assert_eq!(killed, (ExitReason::Killed, true));
        // A panic while the state is dropped does not lose the exit: at the end of the body it
        // is the body's panic; when a kill drops the body it is caught and the exit is killed.
        let failing = state_dropped_before_exit(true, async { ExitReason::Normal }, false).await;
        assert_eq!(
            failing,
            (
                ExitReason::Panic("drop of the process state fails".into()),
                true
            )
        );
        let failing_kill = state_dropped_before_exit(true, std::future::pending(), true).await;
        assert_eq!(failing_kill, (ExitReason::Killed, true));
    }

    #[tokio::test(start_paused = true)]
    async fn a_stubborn_process_is_killed_after_its_timeout() {
        let (cell, _sig) = ProcessCell::shared("stubborn".into());
        let abort = spawn_process(cell.clone(), None, "test", std::future::pending());
        let handle = ProcessHandle { cell, abort };
        let reason = handle
            .stop(ExitReason::Shutdown(None), Some(Duration::from_secs(5)))
            .await;
        assert_eq!(reason, ExitReason::Killed);
    }
}

//! Task supervisors (Elixir's `Task.Supervisor`): short-lived tasks whose crash comes back to
//! the caller as a value, restartable fire-and-forget children, and bounded-concurrency maps.
//!
//! Tasks are spawned straight onto tokio from the caller (no round trip through a supervisor
//! mailbox), and tracked so that stopping the task supervisor kills every task it owns.

use crate::child_spec::{ChildKind, ChildSpec, Restart, StartArgs, StartFn, StartedChild};
use crate::error::StartError;
use crate::events::{EventBus, SupervisionEvent};
use crate::exit_reason::{panic_message, ExitReason};
use crate::id_map::IdMap;
use crate::process::{spawn_process, CellRef, ProcessCell, ProcessHandle};
use crate::restart_intensity::{Intensity, RestartWindow};
use crate::snapshot::{Introspect, NodeKind, SnapshotSource, Subtree};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

/// How a supervised task ended without a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task panicked.
    #[error("task panicked: {0}")]
    Panicked(Arc<str>),
    /// The task was killed (its supervisor stopped, or it was shut down).
    #[error("task was killed")]
    Killed,
    /// The task did not finish within the await timeout; it was killed.
    #[error("task timed out after {0:?}")]
    Timeout(Duration),
    /// The task supervisor is not running.
    #[error("task supervisor {0} is not running")]
    NotRunning(Arc<str>),
}

struct Inner {
    name: Arc<str>,
    running: AtomicBool,
    next_key: AtomicU64,
    tasks: Mutex<IdMap<u64, AbortHandle>>,
    drained: Notify,
    window: Mutex<RestartWindow>,
    current: Mutex<Option<CellRef>>,
    events: Mutex<EventBus>,
}

impl Inner {
    fn untrack(&self, key: u64) {
        let mut tasks = self.tasks.lock();
        tasks.remove(&key);
        if tasks.is_empty() {
            if tasks.capacity() > 1024 {
                tasks.shrink_to_fit();
            }
            self.drained.notify_waiters();
        }
    }

    /// Kills every task and waits until all are gone.
    async fn kill_all(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let handles: Vec<AbortHandle> = self.tasks.lock().values().cloned().collect();
            if handles.is_empty() {
                return;
            }
            for handle in handles {
                handle.abort();
            }
            notified.await;
        }
    }
}

/// Removes a task from its supervisor's table when it finishes, panics or is aborted.
struct Tracked {
    inner: Arc<Inner>,
    key: u64,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.inner.untrack(self.key);
    }
}

/// A handle to a task supervisor, valid across its restarts. Cloning is cheap.
///
/// ```
/// use elixir_scope_runtime_core::{TaskError, TaskSupervisor};
/// use futures::StreamExt;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let tasks = TaskSupervisor::start("tasks").await.unwrap();
/// let ok = tasks.async_nolink(async { 6 * 7 }).unwrap();
/// assert_eq!(ok.join().await, Ok(42));
/// let crash = tasks.async_nolink(async { panic!("boom") as u32 }).unwrap();
/// assert_eq!(crash.join().await, Err(TaskError::Panicked("boom".into())));
/// let squares: Vec<_> = tasks.async_stream(1..=4, 2, |n| async move { n * n }).collect().await;
/// assert_eq!(squares, vec![Ok(1), Ok(4), Ok(9), Ok(16)]);
/// # }
/// ```
#[derive(Clone)]
pub struct TaskSupervisor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TaskSupervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskSupervisor")
            .field("name", &self.inner.name)
            .field("tasks", &self.len())
            .finish()
    }
}

impl TaskSupervisor {
    fn new(name: Arc<str>, intensity: Intensity) -> Self {
        TaskSupervisor {
            inner: Arc::new(Inner {
                name,
                running: AtomicBool::new(false),
                next_key: AtomicU64::new(0),
                tasks: Mutex::new(IdMap::default()),
                drained: Notify::new(),
                window: Mutex::new(RestartWindow::new(intensity)),
                current: Mutex::new(None),
                events: Mutex::new(EventBus::default()),
            }),
        }
    }

    /// A task supervisor as a supervised child (kind supervisor, shutdown infinity), with its
    /// handle. Restart intensity for restartable children: 3 in 5 s.
    pub fn child_spec(name: impl Into<Arc<str>>) -> (ChildSpec, TaskSupervisor) {
        Self::child_spec_with_intensity(name, Intensity::default())
    }

    /// Like [`TaskSupervisor::child_spec`] with an explicit intensity.
    pub fn child_spec_with_intensity(
        name: impl Into<Arc<str>>,
        intensity: Intensity,
    ) -> (ChildSpec, TaskSupervisor) {
        let name: Arc<str> = name.into();
        let handle = TaskSupervisor::new(name.clone(), intensity);
        let owner = handle.clone();
        let start: StartFn = Arc::new(move |args: StartArgs| {
            let owner = owner.clone();
            Box::pin(async move { Ok(owner.spawn_incarnation(Some(args))) })
        });
        let shape_id = name.clone();
        let spec = ChildSpec::from_start_fn(name, ChildKind::Supervisor, start).with_shape(
            Arc::new(move || {
                crate::dynamic_supervisor::static_node(shape_id.clone(), NodeKind::TaskSupervisor)
            }),
        );
        (spec, handle)
    }

    /// Starts an unsupervised task supervisor.
    pub async fn start(name: impl Into<Arc<str>>) -> Result<TaskSupervisor, StartError> {
        let handle = TaskSupervisor::new(name.into(), Intensity::default());
        handle.spawn_incarnation(None);
        Ok(handle)
    }

    fn spawn_incarnation(&self, args: Option<StartArgs>) -> StartedChild {
        let inner = self.inner.clone();
        let path = args
            .as_ref()
            .map(|a| a.path.clone())
            .unwrap_or_else(|| inner.name.clone());
        let (cell, mut shutdown) = ProcessCell::shared(path);
        if let Some(args) = &args {
            *inner.events.lock() = args.events.clone();
        }
        *inner.current.lock() = Some(cell.clone());
        inner.running.store(true, Ordering::Release);
        let body_inner = inner.clone();
        let body = async move {
            // Killed or not, an exiting task supervisor takes its tasks with it.
            let _stop = StopOnDrop(body_inner.clone());
            let reason = shutdown.requested().await;
            body_inner.running.store(false, Ordering::Release);
            body_inner.kill_all().await;
            reason
        };
        let abort = spawn_process(cell.clone(), args.map(|a| a.link), "task_supervisor", body);
        StartedChild {
            process: ProcessHandle { cell, abort },
            introspect: Introspect::Supervisor(Arc::new(self.clone())),
            on_stopped: None,
        }
    }

    /// The task supervisor's name.
    pub fn name(&self) -> &Arc<str> {
        &self.inner.name
    }

    /// Tasks running now.
    pub fn len(&self) -> usize {
        self.inner.tasks.lock().len()
    }

    /// True when no task runs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn spawn_tracked<F>(&self, future: F) -> Result<JoinHandle<F::Output>, TaskError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if !self.inner.running.load(Ordering::Acquire) {
            return Err(TaskError::NotRunning(self.inner.name.clone()));
        }
        let key = self.inner.next_key.fetch_add(1, Ordering::Relaxed);
        let tracked = Tracked {
            inner: self.inner.clone(),
            key,
        };
        // The table lock is held across the spawn so the task cannot untrack itself before it
        // is tracked.
        let mut tasks = self.inner.tasks.lock();
        let join = tokio::spawn(async move {
            let _tracked = tracked;
            future.await
        });
        tasks.insert(key, join.abort_handle());
        Ok(join)
    }

    /// Runs `future` as a supervised task whose result, panic or kill comes back to the caller
    /// through the returned handle (Elixir's `Task.Supervisor.async_nolink`).
    pub fn async_nolink<F>(&self, future: F) -> Result<TaskHandle<F::Output>, TaskError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        Ok(TaskHandle {
            join: self.spawn_tracked(future)?,
        })
    }

    /// Maps `inputs` through `f`, each as a supervised task, at most `max_concurrency` at once;
    /// results come in input order (Elixir's `Task.Supervisor.async_stream_nolink`).
    pub fn async_stream<I, T, F, Fut>(
        &self,
        inputs: I,
        max_concurrency: usize,
        f: F,
    ) -> impl Stream<Item = Result<T, TaskError>> + Send + 'static
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        self.async_stream_with(inputs, StreamOptions::new(max_concurrency), f)
    }

    /// [`TaskSupervisor::async_stream`] with options: per-task timeout, unordered results.
    pub fn async_stream_with<I, T, F, Fut>(
        &self,
        inputs: I,
        options: StreamOptions,
        f: F,
    ) -> impl Stream<Item = Result<T, TaskError>> + Send + 'static
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> Fut + Send + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let me = self.clone();
        let timeout = options.timeout;
        let spawned = futures::stream::iter(inputs).map(move |input| {
            let handle = me.async_nolink(f(input));
            async move {
                let handle = handle?;
                match timeout {
                    Some(limit) => handle.join_timeout(limit).await,
                    None => handle.join().await,
                }
            }
        });
        let concurrency = options.max_concurrency.max(1);
        if options.ordered {
            spawned.buffered(concurrency).left_stream()
        } else {
            spawned.buffer_unordered(concurrency).right_stream()
        }
    }

    /// Starts a fire-and-forget child task built by `factory`. With [`Restart::Transient`] it
    /// is run again after a panic, with [`Restart::Permanent`] after any exit; restarts count
    /// against the task supervisor's intensity, past which the task supervisor itself exits with
    /// `shutdown` and its parent decides (escalation).
    pub fn start_child<F, Fut>(&self, factory: F, restart: Restart) -> Result<(), TaskError>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let me = self.clone();
        self.spawn_tracked(async move {
            loop {
                let attempt = match me.spawn_tracked(factory()) {
                    Ok(join) => join.await,
                    Err(_) => return,
                };
                let reason = match attempt {
                    Ok(()) => ExitReason::Normal,
                    Err(e) if e.is_panic() => {
                        ExitReason::Panic(panic_message(e.into_panic().as_ref()))
                    }
                    Err(_) => return, // killed: the task supervisor is stopping
                };
                if !restart.restarts_after(&reason) {
                    return;
                }
                if !me.admit_restart() {
                    return;
                }
            }
        })?;
        Ok(())
    }

    fn admit_restart(&self) -> bool {
        let mut window = self.inner.window.lock();
        if window.record(Instant::now()) {
            return true;
        }
        let limit = window.limit();
        drop(window);
        self.inner
            .events
            .lock()
            .emit(SupervisionEvent::IntensityExceeded {
                supervisor: self.inner.name.clone(),
                max_restarts: limit.max_restarts,
                period: limit.period,
            });
        if let Some(cell) = self.inner.current.lock().clone() {
            cell.request_shutdown(ExitReason::shutdown_with(
                crate::supervisor::MAX_INTENSITY_REASON,
            ));
        }
        false
    }

    /// Stops an unsupervised task supervisor: kills its tasks and waits for them.
    pub async fn shutdown(&self) {
        let cell = self.inner.current.lock().clone();
        if let Some(cell) = cell {
            cell.request_shutdown(ExitReason::Shutdown(None));
            cell.wait_exit().await;
        }
    }
}

struct StopOnDrop(Arc<Inner>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::Release);
        for handle in self.0.tasks.lock().values() {
            handle.abort();
        }
    }
}

impl SnapshotSource for TaskSupervisor {
    fn subtree(&self) -> BoxFuture<'_, Option<Subtree>> {
        Box::pin(async move {
            Some(Subtree {
                kind: NodeKind::TaskSupervisor,
                strategy: None,
                load: Some(self.len()),
                children: Vec::new(),
            })
        })
    }
}

/// Options for [`TaskSupervisor::async_stream_with`].
#[derive(Debug, Clone, Copy)]
pub struct StreamOptions {
    max_concurrency: usize,
    ordered: bool,
    timeout: Option<Duration>,
}

impl StreamOptions {
    /// Ordered results, no timeout, at most `max_concurrency` tasks at once.
    pub fn new(max_concurrency: usize) -> Self {
        StreamOptions {
            max_concurrency,
            ordered: true,
            timeout: None,
        }
    }

    /// Yield results as tasks finish instead of in input order.
    pub fn unordered(mut self) -> Self {
        self.ordered = false;
        self
    }

    /// Kill a task that runs longer than `limit`; its result is [`TaskError::Timeout`].
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }
}

/// The caller's side of an `async_nolink` task.
#[derive(Debug)]
pub struct TaskHandle<T> {
    join: JoinHandle<T>,
}

impl<T> TaskHandle<T> {
    /// Waits for the task's result; a panic or kill is an error value.
    pub async fn join(self) -> Result<T, TaskError> {
        let mut handle = self;
        let result = (&mut handle.join).await;
        from_join(result)
    }

    /// Waits up to `limit`; past it the task is killed and [`TaskError::Timeout`] returned.
    pub async fn join_timeout(self, limit: Duration) -> Result<T, TaskError> {
        let mut handle = self;
        match tokio::time::timeout(limit, &mut handle.join).await {
            Ok(result) => from_join(result),
            Err(_) => {
                handle.join.abort();
                Err(TaskError::Timeout(limit))
            }
        }
    }

    /// Waits up to `limit` without killing the task: `None` if it is still running
    /// (Elixir's `Task.yield`).
    pub async fn yield_timeout(&mut self, limit: Duration) -> Option<Result<T, TaskError>> {
        match tokio::time::timeout(limit, &mut self.join).await {
            Ok(result) => Some(from_join(result)),
            Err(_) => None,
        }
    }

    /// Kills the task.
    pub fn shutdown(&self) {
        self.join.abort();
    }
}

fn from_join<T>(result: Result<T, tokio::task::JoinError>) -> Result<T, TaskError> {
    match result {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => Err(TaskError::Panicked(panic_message(e.into_panic().as_ref()))),
        Err(_) => Err(TaskError::Killed),
    }
}

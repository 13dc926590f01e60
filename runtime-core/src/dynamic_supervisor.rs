//! Dynamic supervisors (Elixir's `DynamicSupervisor`, OTP's `simple_one_for_one`): children
//! are started at run time, restarted one_for_one, and stopped concurrently on shutdown.

use crate::child_path::keyed_child_path;
use crate::child_spec::{stop_child, ChildKind, ChildSpec, StartArgs, StartFn, StartedChild};
use crate::error::{CallError, InitError, SpecError, StartError, SupervisorError};
use crate::events::{EventBus, SupervisionEvent};
use crate::exit_reason::ExitReason;
use crate::id_map::IdMap;
use crate::mailbox::Mailbox;
use crate::process::{ChildExit, ExitLink, Pid};
use crate::restart_intensity::{Intensity, RestartWindow};
use crate::service::{Context, Info, Service};
use crate::service_ref::ServiceRef;
use crate::service_runner::start_service;
use crate::snapshot::{ChildStatus, Introspect, NodeKind, SnapshotSource, Subtree, TreeSnapshot};
use crate::supervisor::{ChildCounts, ChildEntry, ChildInfo};
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

const MANAGEMENT_TIMEOUT: Duration = Duration::from_secs(60);
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);

/// The description of a dynamic supervisor.
///
/// ```
/// use elixir_scope_runtime_core::DynamicSupervisorSpec;
/// use std::time::Duration;
/// let spec = DynamicSupervisorSpec::new("sessions")
///     .max_children(1000)
///     .intensity(10, Duration::from_secs(5));
/// let handle = spec.handle();
/// assert_eq!(&**handle.name(), "sessions");
/// ```
#[derive(Clone)]
pub struct DynamicSupervisorSpec {
    name: Arc<str>,
    intensity: Intensity,
    max_children: Option<usize>,
    mailbox: Arc<Mailbox<DynamicServer>>,
}

impl DynamicSupervisorSpec {
    /// A dynamic supervisor with intensity 3 in 5 s and no child limit.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        let name = name.into();
        DynamicSupervisorSpec {
            mailbox: Mailbox::new(name.clone()),
            name,
            intensity: Intensity::default(),
            max_children: None,
        }
    }

    /// Sets the restart intensity.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Limits the number of running children; `start_child` past it fails.
    pub fn max_children(mut self, max: usize) -> Self {
        self.max_children = Some(max);
        self
    }

    /// A handle valid once started and across restarts.
    pub fn handle(&self) -> DynamicSupervisorRef {
        DynamicSupervisorRef {
            service: ServiceRef::from_mailbox(self.mailbox.clone()),
        }
    }

    /// Starts it as a root.
    pub async fn start(self) -> Result<DynamicSupervisorRef, StartError> {
        self.start_with_events(EventBus::default()).await
    }

    /// Starts it as a root emitting on `events`.
    pub async fn start_with_events(
        self,
        events: EventBus,
    ) -> Result<DynamicSupervisorRef, StartError> {
        let handle = self.handle();
        let path = self.name.clone();
        self.spawn(None, events, path).await?;
        Ok(handle)
    }

    async fn spawn(
        self,
        link: Option<ExitLink>,
        events: EventBus,
        path: Arc<str>,
    ) -> Result<crate::process::ProcessHandle, StartError> {
        if self.intensity.period.is_zero() {
            return Err(SpecError::ZeroPeriod.into());
        }
        let server = DynamicServer {
            path: path.clone(),
            max_children: self.max_children,
            window: RestartWindow::new(self.intensity),
            events,
            link: None,
            children: IdMap::default(),
            by_pid: IdMap::default(),
            next_key: 0,
        };
        start_service(server, self.mailbox, link, path).await
    }

    /// This dynamic supervisor as a child of another.
    pub fn into_child_spec(self) -> ChildSpec {
        let id = self.name.clone();
        let spec = Arc::new(self);
        let start: StartFn = Arc::new(move |args: StartArgs| {
            let spec = (*spec).clone();
            Box::pin(async move {
                let handle = spec.handle();
                let mailbox = spec.mailbox.clone();
                let process = spec.spawn(Some(args.link), args.events, args.path).await?;
                Ok(StartedChild {
                    process,
                    introspect: Introspect::Supervisor(Arc::new(handle)),
                    on_stopped: Some(Arc::new(move || mailbox.deactivate())),
                })
            })
        });
        let shape_id = id.clone();
        ChildSpec::from_start_fn(id, ChildKind::Supervisor, start).with_shape(Arc::new(move || {
            static_node(shape_id.clone(), NodeKind::DynamicSupervisor)
        }))
    }
}

pub(crate) fn static_node(id: Arc<str>, kind: NodeKind) -> TreeSnapshot {
    TreeSnapshot {
        id,
        kind,
        strategy: None,
        restart: None,
        status: ChildStatus::NotStarted,
        pid: None,
        restart_count: 0,
        uptime_ms: None,
        mailbox_len: None,
        children: Vec::new(),
    }
}

/// A handle to a dynamic supervisor.
#[derive(Clone, Debug)]
pub struct DynamicSupervisorRef {
    service: ServiceRef<DynamicServer>,
}

impl DynamicSupervisorRef {
    /// Its name.
    pub fn name(&self) -> &Arc<str> {
        self.service.name()
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.service.is_running()
    }

    async fn request(&self, call: DynamicCall) -> Result<DynamicReply, CallError> {
        self.service.call_timeout(call, MANAGEMENT_TIMEOUT).await
    }

    /// Starts a child; fails with [`StartError::MaxChildren`] at the limit.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        match self.request(DynamicCall::StartChild(spec)).await? {
            DynamicReply::Started(r) => r,
            _ => unreachable!("start_child answers with a start result"),
        }
    }

    /// Stops the child with this pid (its spec goes with it).
    pub async fn terminate_child(&self, pid: Pid) -> Result<(), SupervisorError> {
        match self.request(DynamicCall::TerminateChild(pid)).await? {
            DynamicReply::Done(r) => r,
            _ => unreachable!("terminate_child answers with done"),
        }
    }

    /// The running children.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.request(DynamicCall::WhichChildren).await? {
            DynamicReply::Children(c) => Ok(c),
            _ => unreachable!("which_children answers with children"),
        }
    }

    /// Counts of children.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        match self.request(DynamicCall::CountChildren).await? {
            DynamicReply::Counts(c) => Ok(c),
            _ => unreachable!("count_children answers with counts"),
        }
    }

    /// A snapshot of this supervisor and its children.
    pub async fn snapshot(&self) -> Result<TreeSnapshot, CallError> {
        let children = self.snapshot_below().await?;
        Ok(TreeSnapshot {
            id: self.name().clone(),
            kind: NodeKind::DynamicSupervisor,
            strategy: None,
            restart: None,
            status: if self.is_running() {
                ChildStatus::Running
            } else {
                ChildStatus::Terminated
            },
            pid: self.service.pid(),
            restart_count: 0,
            uptime_ms: None,
            mailbox_len: Some(self.service.mailbox_len()),
            children,
        })
    }

    async fn snapshot_below(&self) -> Result<Vec<TreeSnapshot>, CallError> {
        match self
            .service
            .call_timeout(DynamicCall::Snapshot, SNAPSHOT_TIMEOUT)
            .await?
        {
            DynamicReply::Snapshot(entries) => Ok(crate::supervisor::expand(entries).await),
            _ => unreachable!("snapshot answers with entries"),
        }
    }

    /// Stops it gracefully: all children stop concurrently, then it exits.
    pub async fn shutdown(&self) -> Option<ExitReason> {
        self.service.stop(ExitReason::Shutdown(None)).await
    }
}

impl SnapshotSource for DynamicSupervisorRef {
    fn subtree(&self) -> BoxFuture<'_, Option<Subtree>> {
        Box::pin(async move {
            let children = self.snapshot_below().await.ok()?;
            Some(Subtree {
                kind: NodeKind::DynamicSupervisor,
                strategy: None,
                load: Some(self.service.mailbox_len()),
                children,
            })
        })
    }
}

pub(crate) enum DynamicCall {
    StartChild(ChildSpec),
    TerminateChild(Pid),
    WhichChildren,
    CountChildren,
    Snapshot,
}

pub(crate) enum DynamicReply {
    Started(Result<Pid, SupervisorError>),
    Done(Result<(), SupervisorError>),
    Children(Vec<ChildInfo>),
    Counts(ChildCounts),
    Snapshot(Vec<ChildEntry>),
}

pub(crate) enum DynamicInfo {
    ChildExit(ChildExit),
    TryAgain(u64),
}

struct DynChild {
    spec: ChildSpec,
    started: Option<StartedChild>,
    /// When the current incarnation's start returned (for the snapshot's uptime).
    started_at: Instant,
    restart_count: u64,
    /// From the last successful start; kept while a restart is pending, so a child that is
    /// down when the supervisor stops still refuses calls at once.
    on_stopped: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl DynChild {
    fn mark_stopped(&self) {
        if let Some(on_stopped) = &self.on_stopped {
            on_stopped();
        }
    }
}

pub(crate) struct DynamicServer {
    path: Arc<str>,
    max_children: Option<usize>,
    window: RestartWindow,
    events: EventBus,
    link: Option<ExitLink>,
    children: IdMap<u64, DynChild>,
    by_pid: IdMap<Pid, u64>,
    next_key: u64,
}

impl DynamicServer {
    fn child_args(&self, spec: &ChildSpec, key: u64) -> StartArgs {
        StartArgs {
            link: self.link.clone().expect("link set in init"),
            events: self.events.clone(),
            path: keyed_child_path(&self.path, &spec.id, key),
        }
    }

    async fn start_child(&mut self, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        spec.validate().map_err(StartError::from)?;
        if let Some(max) = self.max_children {
            if self.children.len() >= max {
                return Err(StartError::MaxChildren { max }.into());
            }
        }
        let key = self.next_key;
        self.next_key += 1;
        let started = (spec.start)(self.child_args(&spec, key)).await?;
        let pid = started.process.pid();
        self.events.emit(SupervisionEvent::ChildStarted {
            supervisor: self.path.clone(),
            child: spec.id.clone(),
            pid,
        });
        self.by_pid.insert(pid, key);
        self.children.insert(
            key,
            DynChild {
                spec,
                on_stopped: started.on_stopped.clone(),
                started: Some(started),
                started_at: Instant::now(),
                restart_count: 0,
            },
        );
        Ok(pid)
    }

    fn forget(&mut self, key: u64) {
        if let Some(child) = self.children.remove(&key) {
            if let Some(started) = child.started {
                self.by_pid.remove(&started.process.pid());
            }
        }
        // Give memory back after a burst of children.
        if self.children.capacity() > 64 && self.children.len() * 4 < self.children.capacity() {
            self.children.shrink_to_fit();
            self.by_pid.shrink_to_fit();
        }
    }

    async fn terminate_child(&mut self, pid: Pid) -> Result<(), SupervisorError> {
        let key = *self.by_pid.get(&pid).ok_or(SupervisorError::NotFound)?;
        let child = self
            .children
            .get_mut(&key)
            .ok_or(SupervisorError::NotFound)?;
        if let Some(started) = child.started.take() {
            let reason = stop_child(&started.process, child.spec.shutdown).await;
            if let Some(on_stopped) = &started.on_stopped {
                on_stopped();
            }
            self.events.emit(SupervisionEvent::ChildTerminated {
                supervisor: self.path.clone(),
                child: child.spec.id.clone(),
                pid,
                reason,
            });
        }
        self.by_pid.remove(&pid);
        self.forget(key);
        Ok(())
    }

    async fn handle_exit(&mut self, exit: ChildExit, ctx: &mut Context<Self>) {
        let Some(key) = self.by_pid.remove(&exit.pid) else {
            return;
        };
        let Some(child) = self.children.get_mut(&key) else {
            return;
        };
        let started = child.started.take();
        self.events.emit(SupervisionEvent::ChildExited {
            supervisor: self.path.clone(),
            child: child.spec.id.clone(),
            pid: exit.pid,
            reason: exit.reason.clone(),
        });
        if !child.spec.restart.restarts_after(&exit.reason) {
            if let Some(on_stopped) = started.as_ref().and_then(|s| s.on_stopped.clone()) {
                on_stopped();
            }
            self.forget(key);
            return;
        }
        self.restart(key, ctx).await;
    }

    async fn restart(&mut self, key: u64, ctx: &mut Context<Self>) {
        if !self.window.record(Instant::now()) {
            let limit = self.window.limit();
            self.events.emit(SupervisionEvent::IntensityExceeded {
                supervisor: self.path.clone(),
                max_restarts: limit.max_restarts,
                period: limit.period,
            });
            ctx.stop(ExitReason::shutdown_with(
                crate::supervisor::MAX_INTENSITY_REASON,
            ));
            return;
        }
        let Some(spec) = self.children.get(&key).map(|c| c.spec.clone()) else {
            return;
        };
        match (spec.start)(self.child_args(&spec, key)).await {
            Ok(started) => {
                let pid = started.process.pid();
                self.by_pid.insert(pid, key);
                if let Some(child) = self.children.get_mut(&key) {
                    child.on_stopped = started.on_stopped.clone();
                    child.started = Some(started);
                    child.started_at = Instant::now();
                    child.restart_count += 1;
                    self.events.emit(SupervisionEvent::ChildRestarted {
                        supervisor: self.path.clone(),
                        child: spec.id.clone(),
                        pid,
                        restart_count: child.restart_count,
                    });
                }
            }
            Err(error) => {
                self.events.emit(SupervisionEvent::RestartFailed {
                    supervisor: self.path.clone(),
                    child: spec.id.clone(),
                    error: error.to_string(),
                });
                let _ = ctx.myself().send_info(DynamicInfo::TryAgain(key));
            }
        }
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .values()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                pid: c.started.as_ref().map(|s| s.process.pid()),
                status: if c.started.is_some() {
                    ChildStatus::Running
                } else {
                    ChildStatus::Restarting
                },
                kind: c.spec.kind,
            })
            .collect()
    }

    fn count_children(&self) -> ChildCounts {
        let supervisors = self
            .children
            .values()
            .filter(|c| c.spec.kind == ChildKind::Supervisor)
            .count();
        ChildCounts {
            specs: self.children.len(),
            active: self
                .children
                .values()
                .filter(|c| c.started.is_some())
                .count(),
            supervisors,
            workers: self.children.len() - supervisors,
        }
    }

    fn snapshot(&self) -> Vec<ChildEntry> {
        let now = Instant::now();
        let mut entries: Vec<(u64, ChildEntry)> = self
            .children
            .iter()
            .map(|(key, c)| {
                let introspect = c.started.as_ref().map(|s| s.introspect.clone());
                let mailbox_len = match &introspect {
                    Some(Introspect::Worker {
                        mailbox_len: Some(len),
                    }) => Some(len()),
                    _ => None,
                };
                let entry = ChildEntry {
                    snapshot: TreeSnapshot {
                        id: format!("{}#{key}", c.spec.id).into(),
                        kind: match c.spec.kind {
                            ChildKind::Worker => NodeKind::Worker,
                            ChildKind::Supervisor => NodeKind::Supervisor,
                        },
                        strategy: None,
                        restart: Some(c.spec.restart),
                        status: if c.started.is_some() {
                            ChildStatus::Running
                        } else {
                            ChildStatus::Restarting
                        },
                        pid: c.started.as_ref().map(|s| s.process.pid()),
                        restart_count: c.restart_count,
                        uptime_ms: c.started.as_ref().map(|_| {
                            now.saturating_duration_since(c.started_at).as_millis() as u64
                        }),
                        mailbox_len,
                        children: Vec::new(),
                    },
                    nested: introspect.filter(|i| matches!(i, Introspect::Supervisor(_))),
                };
                (*key, entry)
            })
            .collect();
        entries.sort_by_key(|(key, _)| *key);
        entries.into_iter().map(|(_, e)| e).collect()
    }
}

impl Service for DynamicServer {
    type Call = DynamicCall;
    type Reply = DynamicReply;
    type Cast = ();
    type Info = DynamicInfo;

    async fn init(&mut self, ctx: &mut Context<Self>) -> Result<(), InitError> {
        let me = ctx.myself().clone();
        self.link = Some(Arc::new(move |exit| {
            let _ = me.send_info(DynamicInfo::ChildExit(exit));
        }));
        Ok(())
    }

    async fn handle_call(
        &mut self,
        request: DynamicCall,
        _ctx: &mut Context<Self>,
    ) -> DynamicReply {
        match request {
            DynamicCall::StartChild(spec) => DynamicReply::Started(self.start_child(spec).await),
            DynamicCall::TerminateChild(pid) => DynamicReply::Done(self.terminate_child(pid).await),
            DynamicCall::WhichChildren => DynamicReply::Children(self.which_children()),
            DynamicCall::CountChildren => DynamicReply::Counts(self.count_children()),
            DynamicCall::Snapshot => DynamicReply::Snapshot(self.snapshot()),
        }
    }

    async fn handle_info(&mut self, info: Info<DynamicInfo>, ctx: &mut Context<Self>) {
        match info {
            Info::Message(DynamicInfo::ChildExit(exit)) => self.handle_exit(exit, ctx).await,
            Info::Message(DynamicInfo::TryAgain(key)) => {
                let waiting = self.children.get(&key).is_some_and(|c| c.started.is_none());
                if waiting {
                    self.restart(key, ctx).await;
                }
            }
            Info::Down(_) => {}
        }
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        // Children of a dynamic supervisor have no order, so they stop concurrently.
        let stopping: Vec<_> = self
            .children
            .drain()
            .filter_map(|(_, mut child)| match child.started.take() {
                Some(started) => Some((child.spec, started)),
                None => {
                    // Down with a restart pending: nothing to stop, but its handle must say
                    // it is gone.
                    child.mark_stopped();
                    None
                }
            })
            .collect();
        self.by_pid.clear();
        let path = self.path.clone();
        let events = self.events.clone();
        futures::future::join_all(stopping.into_iter().map(|(spec, started)| {
            let path = path.clone();
            let events = events.clone();
            async move {
                let pid = started.process.pid();
                let reason = stop_child(&started.process, spec.shutdown).await;
                if let Some(on_stopped) = &started.on_stopped {
                    on_stopped();
                }
                events.emit(SupervisionEvent::ChildTerminated {
                    supervisor: path,
                    child: spec.id.clone(),
                    pid,
                    reason,
                });
            }
        }))
        .await;
        self.events.emit(SupervisionEvent::SupervisorShutdown {
            supervisor: self.path.clone(),
            reason: reason.clone(),
        });
    }
}

impl Drop for DynamicServer {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            if let Some(started) = child.started.take() {
                started.process.abort.abort();
            }
            child.mark_stopped();
        }
    }
}

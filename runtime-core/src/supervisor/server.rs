//! The supervisor process: starts its children, reacts to their exits according to strategy,
//! restart type and intensity, answers management calls, and stops children in reverse order.
//!
//! It is itself a [`Service`]: management requests are calls, child exits arrive as info
//! messages in mailbox order (as `'EXIT'` messages do in OTP), and its shutdown is the service's
//! `terminate`.

use super::handle::{ChildCounts, ChildInfo};
use super::spec::{validate_child, AutoShutdown, Strategy, SupervisorSpec};
use crate::child_path::child_path;
use crate::child_spec::{stop_child, ChildKind, ChildSpec, Restart, StartArgs, StartedChild};
use crate::child_stoppers::ChildStoppers;
use crate::error::{InitError, StartError, SupervisorError};
use crate::events::{EventBus, SupervisionEvent};
use crate::exit_reason::ExitReason;
use crate::process::{ChildExit, ExitLink, Pid};
use crate::restart_intensity::RestartWindow;
use crate::service::{Context, Info, Service};
use crate::snapshot::{ChildStatus, Introspect, TreeSnapshot};
use parking_lot::Mutex;
use std::sync::Arc;
use tokio::time::Instant;

/// The reason a supervisor exits with when its restart intensity is exceeded (as OTP).
pub(crate) const MAX_INTENSITY_REASON: &str = "reached_max_restart_intensity";

pub(crate) enum SupervisorCall {
    WhichChildren,
    CountChildren,
    StartChild(ChildSpec),
    TerminateChild(Arc<str>),
    RestartChild(Arc<str>),
    DeleteChild(Arc<str>),
    GetChildSpec(Arc<str>),
    Snapshot,
}

pub(crate) enum SupervisorReply {
    Children(Vec<ChildInfo>),
    Counts(ChildCounts),
    Started(Result<Pid, SupervisorError>),
    Done(Result<(), SupervisorError>),
    Spec(Result<ChildSpec, SupervisorError>),
    Snapshot(Strategy, Vec<ChildEntry>),
}

pub(crate) enum SupervisorInfo {
    ChildExit(ChildExit),
    /// Retry a child whose restart failed (OTP's `try_again`).
    TryAgain(Arc<str>),
}

/// What a snapshot needs of one child; supervisor children are expanded by the caller.
pub(crate) struct ChildEntry {
    pub(crate) snapshot: TreeSnapshot,
    pub(crate) nested: Option<Introspect>,
}

struct Running {
    started: StartedChild,
    /// When this supervisor got the child back from its start (for the snapshot's uptime).
    /// Taken here rather than by every process at spawn, which unsupervised services skip.
    started_at: Instant,
}

struct Child {
    spec: ChildSpec,
    running: Option<Running>,
    status: ChildStatus,
    restart_count: u64,
    /// From the child's last successful start; kept while it is down, so a child that stays
    /// down (its restarts failed, then the supervisor gave up) still refuses calls at once.
    on_stopped: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl Child {
    fn new(spec: ChildSpec) -> Child {
        Child {
            spec,
            running: None,
            status: ChildStatus::Terminated,
            restart_count: 0,
            on_stopped: None,
        }
    }

    fn pid(&self) -> Option<Pid> {
        self.running.as_ref().map(|r| r.started.process.pid())
    }

    fn mark_stopped(&self) {
        if let Some(on_stopped) = &self.on_stopped {
            on_stopped();
        }
    }
}

pub(crate) struct SupervisorServer {
    path: Arc<str>,
    strategy: Strategy,
    auto_shutdown: AutoShutdown,
    initial: Vec<ChildSpec>,
    children: Vec<Child>,
    window: RestartWindow,
    events: EventBus,
    link: Option<ExitLink>,
    start_failure: Arc<Mutex<Option<StartError>>>,
    /// No parent can restart this supervisor, so stopping its children is final.
    is_root: bool,
    stoppers: Arc<ChildStoppers<Arc<str>>>,
}

impl SupervisorServer {
    pub(crate) fn new(
        spec: SupervisorSpec,
        events: EventBus,
        path: Arc<str>,
        start_failure: Arc<Mutex<Option<StartError>>>,
        is_root: bool,
    ) -> Self {
        SupervisorServer {
            is_root,
            stoppers: spec.stoppers.clone(),
            path,
            strategy: spec.strategy,
            auto_shutdown: spec.auto_shutdown,
            initial: spec.children,
            children: Vec::new(),
            window: RestartWindow::new(spec.intensity),
            events,
            link: None,
            start_failure,
        }
    }

    fn index_of(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| &*c.spec.id == id)
    }

    fn link(&self) -> ExitLink {
        self.link
            .clone()
            .expect("the exit link is set in init before any child starts")
    }

    async fn start_one(&mut self, idx: usize, restarted: bool) -> Result<Pid, StartError> {
        let child = &self.children[idx];
        let args = StartArgs {
            link: self.link(),
            events: self.events.clone(),
            path: child_path(&self.path, &child.spec.id),
        };
        let started = (child.spec.start)(args).await?;
        let pid = started.process.pid();
        let child = &mut self.children[idx];
        child.on_stopped = started.on_stopped.clone();
        self.stoppers
            .set(child.spec.id.clone(), started.on_stopped.clone());
        child.running = Some(Running {
            started,
            started_at: Instant::now(),
        });
        child.status = ChildStatus::Running;
        if restarted {
            child.restart_count += 1;
            self.events.emit(SupervisionEvent::ChildRestarted {
                supervisor: self.path.clone(),
                child: child.spec.id.clone(),
                pid,
                restart_count: child.restart_count,
            });
        } else {
            self.events.emit(SupervisionEvent::ChildStarted {
                supervisor: self.path.clone(),
                child: child.spec.id.clone(),
                pid,
            });
        }
        Ok(pid)
    }

    /// Stops child `idx` if running, per its shutdown policy. Temporary children are removed.
    /// `final_stop`: nothing will start it again (see `child_stoppers`), so its handle is told.
    /// Returns true if the child was removed.
    async fn stop_one(&mut self, idx: usize, final_stop: bool) -> bool {
        let child = &mut self.children[idx];
        if let Some(running) = child.running.take() {
            let pid = running.started.process.pid();
            let reason = stop_child(&running.started.process, child.spec.shutdown).await;
            self.events.emit(SupervisionEvent::ChildTerminated {
                supervisor: self.path.clone(),
                child: child.spec.id.clone(),
                pid,
                reason,
            });
        }
        let child = &mut self.children[idx];
        child.status = ChildStatus::Terminated;
        if child.spec.restart == Restart::Temporary {
            child.mark_stopped();
            self.stoppers.remove(&child.spec.id);
            self.children.remove(idx);
            true
        } else if final_stop {
            child.mark_stopped();
            false
        } else {
            false
        }
    }

    /// Stops children `from..` in reverse start order.
    async fn stop_range_reverse(&mut self, from: usize, final_stop: bool) {
        let mut idx = self.children.len();
        while idx > from {
            idx -= 1;
            self.stop_one(idx, final_stop).await;
        }
    }

    async fn handle_exit(&mut self, exit: ChildExit, ctx: &mut Context<Self>) {
        let Some(idx) = self.children.iter().position(|c| c.pid() == Some(exit.pid)) else {
            // An incarnation this supervisor already stopped, or one from before a restart.
            return;
        };
        let child = &mut self.children[idx];
        let running = child
            .running
            .take()
            .expect("position matched a running child");
        child.status = ChildStatus::Terminated;
        self.events.emit(SupervisionEvent::ChildExited {
            supervisor: self.path.clone(),
            child: child.spec.id.clone(),
            pid: exit.pid,
            reason: exit.reason.clone(),
        });
        if !child.spec.restart.restarts_after(&exit.reason) {
            child.mark_stopped();
            let id = child.spec.id.clone();
            let significant = child.spec.significant;
            if child.spec.restart == Restart::Temporary {
                self.stoppers.remove(&id);
                self.children.remove(idx);
            }
            if significant && self.auto_shutdown_due() {
                self.events.emit(SupervisionEvent::AutoShutdown {
                    supervisor: self.path.clone(),
                    child: id,
                });
                ctx.stop(ExitReason::Shutdown(None));
            }
            return;
        }
        drop(running);
        self.restart(idx, ctx).await;
    }

    fn auto_shutdown_due(&self) -> bool {
        match self.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => !self
                .children
                .iter()
                .any(|c| c.spec.significant && c.running.is_some()),
        }
    }

    /// Counts a restart against the intensity; false (and the supervisor stopping) if exceeded.
    fn admit_restart(&mut self, ctx: &mut Context<Self>) -> bool {
        if self.window.record(Instant::now()) {
            return true;
        }
        let limit = self.window.limit();
        self.events.emit(SupervisionEvent::IntensityExceeded {
            supervisor: self.path.clone(),
            max_restarts: limit.max_restarts,
            period: limit.period,
        });
        ctx.stop(ExitReason::shutdown_with(MAX_INTENSITY_REASON));
        false
    }

    /// Restarts child `idx` (which has exited) and, by strategy, its siblings.
    async fn restart(&mut self, idx: usize, ctx: &mut Context<Self>) {
        if !self.admit_restart(ctx) {
            return;
        }
        let first = match self.strategy {
            Strategy::OneForOne => idx,
            Strategy::OneForAll => {
                self.stop_range_reverse(0, false).await;
                0
            }
            Strategy::RestForOne => {
                self.stop_range_reverse(idx + 1, false).await;
                idx
            }
        };
        let last = match self.strategy {
            Strategy::OneForOne => idx + 1,
            _ => self.children.len(),
        };
        self.start_range(first, last, ctx).await;
    }

    /// Starts the non-running children in `first..last`, in order. On a failure the rest are
    /// marked restarting and a retry is queued (OTP's `try_again`).
    async fn start_range(&mut self, first: usize, last: usize, ctx: &mut Context<Self>) {
        for idx in first..last.min(self.children.len()) {
            if self.children[idx].running.is_some() {
                continue;
            }
            if let Err(error) = self.start_one(idx, true).await {
                let id = self.children[idx].spec.id.clone();
                self.events.emit(SupervisionEvent::RestartFailed {
                    supervisor: self.path.clone(),
                    child: id.clone(),
                    error: error.to_string(),
                });
                let end = last.min(self.children.len());
                for child in &mut self.children[idx..end] {
                    if child.running.is_none() {
                        child.status = ChildStatus::Restarting;
                    }
                }
                let _ = ctx.myself().send_info(SupervisorInfo::TryAgain(id));
                return;
            }
        }
    }

    async fn try_again(&mut self, id: Arc<str>, ctx: &mut Context<Self>) {
        let Some(idx) = self.index_of(&id) else {
            return;
        };
        if self.children[idx].status != ChildStatus::Restarting {
            return;
        }
        self.restart(idx, ctx).await;
    }

    async fn call(&mut self, request: SupervisorCall) -> SupervisorReply {
        match request {
            SupervisorCall::WhichChildren => SupervisorReply::Children(self.which_children()),
            SupervisorCall::CountChildren => SupervisorReply::Counts(self.count_children()),
            SupervisorCall::StartChild(spec) => {
                SupervisorReply::Started(self.start_child(spec).await)
            }
            SupervisorCall::TerminateChild(id) => {
                SupervisorReply::Done(self.terminate_child(&id).await)
            }
            SupervisorCall::RestartChild(id) => {
                SupervisorReply::Started(self.restart_child(&id).await)
            }
            SupervisorCall::DeleteChild(id) => SupervisorReply::Done(self.delete_child(&id)),
            SupervisorCall::GetChildSpec(id) => SupervisorReply::Spec(
                self.index_of(&id)
                    .map(|i| self.children[i].spec.clone())
                    .ok_or(SupervisorError::NotFound),
            ),
            SupervisorCall::Snapshot => SupervisorReply::Snapshot(self.strategy, self.snapshot()),
        }
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                pid: c.pid(),
                status: c.status,
                kind: c.spec.kind,
            })
            .collect()
    }

    fn count_children(&self) -> ChildCounts {
        ChildCounts {
            specs: self.children.len(),
            active: self.children.iter().filter(|c| c.running.is_some()).count(),
            supervisors: self
                .children
                .iter()
                .filter(|c| c.spec.kind == ChildKind::Supervisor)
                .count(),
            workers: self
                .children
                .iter()
                .filter(|c| c.spec.kind == ChildKind::Worker)
                .count(),
        }
    }

    async fn start_child(&mut self, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        validate_child(&spec, self.auto_shutdown).map_err(StartError::from)?;
        if let Some(idx) = self.index_of(&spec.id) {
            return Err(match self.children[idx].pid() {
                Some(pid) => SupervisorError::AlreadyStarted(pid),
                None => SupervisorError::AlreadyPresent,
            });
        }
        self.children.push(Child::new(spec));
        let idx = self.children.len() - 1;
        match self.start_one(idx, false).await {
            Ok(pid) => Ok(pid),
            Err(error) => {
                self.children.remove(idx);
                Err(error.into())
            }
        }
    }

    async fn terminate_child(&mut self, id: &str) -> Result<(), SupervisorError> {
        let idx = self.index_of(id).ok_or(SupervisorError::NotFound)?;
        self.stop_one(idx, true).await;
        Ok(())
    }

    async fn restart_child(&mut self, id: &str) -> Result<Pid, SupervisorError> {
        let idx = self.index_of(id).ok_or(SupervisorError::NotFound)?;
        match self.children[idx].status {
            ChildStatus::Running => Err(SupervisorError::Running),
            ChildStatus::Restarting => Err(SupervisorError::Restarting),
            ChildStatus::Terminated | ChildStatus::NotStarted => {
                Ok(self.start_one(idx, true).await?)
            }
        }
    }

    fn delete_child(&mut self, id: &str) -> Result<(), SupervisorError> {
        let idx = self.index_of(id).ok_or(SupervisorError::NotFound)?;
        match self.children[idx].status {
            ChildStatus::Running => Err(SupervisorError::Running),
            ChildStatus::Restarting => Err(SupervisorError::Restarting),
            ChildStatus::Terminated | ChildStatus::NotStarted => {
                let child = self.children.remove(idx);
                self.stoppers.remove(&child.spec.id);
                Ok(())
            }
        }
    }

    fn snapshot(&self) -> Vec<ChildEntry> {
        let now = Instant::now();
        self.children
            .iter()
            .map(|c| {
                let running = c.running.as_ref();
                let introspect = running.map(|r| r.started.introspect.clone());
                let mailbox_len = match &introspect {
                    Some(Introspect::Worker {
                        mailbox_len: Some(len),
                    }) => Some(len()),
                    _ => None,
                };
                ChildEntry {
                    snapshot: TreeSnapshot {
                        id: c.spec.id.clone(),
                        kind: match c.spec.kind {
                            ChildKind::Worker => crate::snapshot::NodeKind::Worker,
                            ChildKind::Supervisor => crate::snapshot::NodeKind::Supervisor,
                        },
                        strategy: None,
                        restart: Some(c.spec.restart),
                        status: c.status,
                        pid: c.pid(),
                        restart_count: c.restart_count,
                        uptime_ms: running.map(|r| {
                            now.saturating_duration_since(r.started_at).as_millis() as u64
                        }),
                        mailbox_len,
                        children: Vec::new(),
                    },
                    nested: introspect.filter(|i| matches!(i, Introspect::Supervisor(_))),
                }
            })
            .collect()
    }
}

impl Service for SupervisorServer {
    type Call = SupervisorCall;
    type Reply = SupervisorReply;
    type Cast = ();
    type Info = SupervisorInfo;

    async fn init(&mut self, ctx: &mut Context<Self>) -> Result<(), InitError> {
        let me = ctx.myself().clone();
        self.link = Some(Arc::new(move |exit| {
            let _ = me.send_info(SupervisorInfo::ChildExit(exit));
        }));
        let initial = std::mem::take(&mut self.initial);
        self.children = initial.into_iter().map(Child::new).collect();
        for idx in 0..self.children.len() {
            if let Err(error) = self.start_one(idx, false).await {
                // Roll back: stop what started, in reverse order, then fail the start.
                self.stop_range_reverse(0, self.is_root).await;
                let failure = StartError::ChildFailed {
                    supervisor: self.path.clone(),
                    source: Box::new(error),
                };
                *self.start_failure.lock() = Some(failure.clone());
                return Err(Box::new(failure));
            }
        }
        Ok(())
    }

    async fn handle_call(
        &mut self,
        request: SupervisorCall,
        _ctx: &mut Context<Self>,
    ) -> SupervisorReply {
        self.call(request).await
    }

    async fn handle_info(&mut self, info: Info<SupervisorInfo>, ctx: &mut Context<Self>) {
        match info {
            Info::Message(SupervisorInfo::ChildExit(exit)) => self.handle_exit(exit, ctx).await,
            Info::Message(SupervisorInfo::TryAgain(id)) => self.try_again(id, ctx).await,
            Info::Down(_) => {}
        }
    }

    async fn terminate(&mut self, reason: &ExitReason, _ctx: &mut Context<Self>) {
        self.stop_range_reverse(0, self.is_root).await;
        self.events.emit(SupervisionEvent::SupervisorShutdown {
            supervisor: self.path.clone(),
            reason: reason.clone(),
        });
    }
}

impl Drop for SupervisorServer {
    /// A supervisor that is killed or panics takes its children with it (they are linked in
    /// OTP), so nothing it started is left running unsupervised.
    fn drop(&mut self) {
        for child in &mut self.children {
            if let Some(running) = child.running.take() {
                running.started.process.abort.abort();
            }
            if self.is_root {
                child.mark_stopped();
            }
        }
    }
}

//! The typed handle to a running supervisor: management API, events and snapshots.

use super::server::{ChildEntry, SupervisorCall, SupervisorReply, SupervisorServer};
use super::Strategy;
use crate::child_spec::{ChildKind, ChildSpec};
use crate::error::{CallError, SupervisorError};
use crate::exit_reason::ExitReason;
use crate::process::Pid;
use crate::service_ref::{Monitor, ServiceRef};
use crate::snapshot::{ChildStatus, Introspect, NodeKind, SnapshotSource, Subtree, TreeSnapshot};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Management calls wait this long for the supervisor; starting or stopping a child can take up
/// to its shutdown timeout, so this is generous.
const MANAGEMENT_TIMEOUT: Duration = Duration::from_secs(60);
/// Snapshots must not hang a dashboard behind a busy supervisor.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(2);

/// One row of `which_children`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildInfo {
    /// Child id.
    pub id: Arc<str>,
    /// Current pid, if running.
    pub pid: Option<Pid>,
    /// Running, restarting or terminated.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
}

/// The result of `count_children`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildCounts {
    /// Child specs held.
    pub specs: usize,
    /// Children running.
    pub active: usize,
    /// Specs of kind supervisor.
    pub supervisors: usize,
    /// Specs of kind worker.
    pub workers: usize,
}

/// A handle to a static supervisor, valid across its restarts.
#[derive(Clone, Debug)]
pub struct SupervisorRef {
    service: ServiceRef<SupervisorServer>,
}

impl SupervisorRef {
    pub(crate) fn new(service: ServiceRef<SupervisorServer>) -> Self {
        SupervisorRef { service }
    }

    /// The supervisor's name.
    pub fn name(&self) -> &Arc<str> {
        self.service.name()
    }

    /// The current incarnation's pid.
    pub fn pid(&self) -> Option<Pid> {
        self.service.pid()
    }

    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.service.is_running()
    }

    /// Monitors the current incarnation.
    pub fn monitor(&self) -> Option<Monitor> {
        self.service.monitor()
    }

    async fn request(&self, call: SupervisorCall) -> Result<SupervisorReply, CallError> {
        self.service.call_timeout(call, MANAGEMENT_TIMEOUT).await
    }

    /// OTP's `which_children`.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.request(SupervisorCall::WhichChildren).await? {
            SupervisorReply::Children(c) => Ok(c),
            _ => unreachable!("which_children answers with children"),
        }
    }

    /// OTP's `count_children`.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        match self.request(SupervisorCall::CountChildren).await? {
            SupervisorReply::Counts(c) => Ok(c),
            _ => unreachable!("count_children answers with counts"),
        }
    }

    /// OTP's `start_child`: adds and starts a child.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        match self.request(SupervisorCall::StartChild(spec)).await? {
            SupervisorReply::Started(r) => r,
            _ => unreachable!("start_child answers with a start result"),
        }
    }

    /// OTP's `terminate_child`: stops a child, keeping its spec (temporary ones are removed).
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        match self
            .request(SupervisorCall::TerminateChild(id.into()))
            .await?
        {
            SupervisorReply::Done(r) => r,
            _ => unreachable!("terminate_child answers with done"),
        }
    }

    /// OTP's `restart_child`: starts a terminated child again.
    pub async fn restart_child(&self, id: &str) -> Result<Pid, SupervisorError> {
        match self
            .request(SupervisorCall::RestartChild(id.into()))
            .await?
        {
            SupervisorReply::Started(r) => r,
            _ => unreachable!("restart_child answers with a start result"),
        }
    }

    /// OTP's `delete_child`: removes a terminated child's spec.
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        match self.request(SupervisorCall::DeleteChild(id.into())).await? {
            SupervisorReply::Done(r) => r,
            _ => unreachable!("delete_child answers with done"),
        }
    }

    /// OTP's `get_childspec`.
    pub async fn get_childspec(&self, id: &str) -> Result<ChildSpec, SupervisorError> {
        match self
            .request(SupervisorCall::GetChildSpec(id.into()))
            .await?
        {
            SupervisorReply::Spec(r) => r,
            _ => unreachable!("get_childspec answers with a spec"),
        }
    }

    /// A snapshot of this supervisor and everything below it.
    pub async fn snapshot(&self) -> Result<TreeSnapshot, CallError> {
        let (kind, strategy, children) = self.snapshot_below().await?;
        Ok(TreeSnapshot {
            id: self.name().clone(),
            kind,
            strategy,
            restart: None,
            status: if self.is_running() {
                ChildStatus::Running
            } else {
                ChildStatus::Terminated
            },
            pid: self.pid(),
            restart_count: 0,
            uptime_ms: None,
            mailbox_len: Some(self.service.mailbox_len()),
            children,
        })
    }

    async fn snapshot_below(
        &self,
    ) -> Result<(NodeKind, Option<Strategy>, Vec<TreeSnapshot>), CallError> {
        let (strategy, entries) = match self
            .service
            .call_timeout(SupervisorCall::Snapshot, SNAPSHOT_TIMEOUT)
            .await?
        {
            SupervisorReply::Snapshot(strategy, entries) => (strategy, entries),
            _ => unreachable!("snapshot answers with entries"),
        };
        Ok((NodeKind::Supervisor, Some(strategy), expand(entries).await))
    }

    /// Stops the supervisor gracefully: children stop in reverse order, then it exits.
    /// Returns its exit reason, or `None` if it was not running.
    pub async fn shutdown(&self) -> Option<ExitReason> {
        self.service.stop(ExitReason::Shutdown(None)).await
    }
}

impl SnapshotSource for SupervisorRef {
    fn subtree(&self) -> BoxFuture<'_, Option<Subtree>> {
        Box::pin(async move {
            let (kind, strategy, children) = self.snapshot_below().await.ok()?;
            Some(Subtree {
                kind,
                strategy,
                load: Some(self.service.mailbox_len()),
                children,
            })
        })
    }
}

/// Fills in the subtrees of supervisor children, asking each outside its parent's loop so a
/// busy subtree delays only the snapshot, never the supervisors.
pub(crate) async fn expand(entries: Vec<ChildEntry>) -> Vec<TreeSnapshot> {
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut snapshot = entry.snapshot;
        if let Some(Introspect::Supervisor(source)) = entry.nested {
            if let Some(subtree) = source.subtree().await {
                snapshot.kind = subtree.kind;
                snapshot.strategy = subtree.strategy;
                snapshot.mailbox_len = subtree.load;
                snapshot.children = subtree.children;
            }
        }
        out.push(snapshot);
    }
    out
}

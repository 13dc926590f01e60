//! A serialisable picture of a running supervision tree, for the CLI and the dashboard.

use crate::child_spec::Restart;
use crate::process::Pid;
use crate::supervisor::Strategy;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// What kind of node a snapshot entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A service or plain task process.
    Worker,
    /// A static supervisor.
    Supervisor,
    /// A dynamic supervisor.
    DynamicSupervisor,
    /// A task supervisor.
    TaskSupervisor,
}

/// Whether a child is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildStatus {
    /// Running now.
    Running,
    /// Its last restart failed; the supervisor retries.
    Restarting,
    /// Stopped (spec kept).
    Terminated,
    /// A node of a static shape ([`crate::SupervisorSpec::describe`]): nothing was started.
    NotStarted,
}

/// One node of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeSnapshot {
    /// Child id (or the root's name).
    pub id: Arc<str>,
    /// Node kind.
    pub kind: NodeKind,
    /// Strategy, for static supervisors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Restart type, for children.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<Restart>,
    /// Running state.
    pub status: ChildStatus,
    /// Current incarnation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<Pid>,
    /// Restarts of this child by its supervisor so far.
    pub restart_count: u64,
    /// Milliseconds since the current incarnation started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uptime_ms: Option<u64>,
    /// Messages waiting in the mailbox (services) or running tasks (task supervisors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox_len: Option<usize>,
    /// Children, for supervisors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<TreeSnapshot>,
}

impl TreeSnapshot {
    /// Finds a node by a `/`-separated path of child ids below this node.
    pub fn find(&self, path: &str) -> Option<&TreeSnapshot> {
        let mut node = self;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            node = node.children.iter().find(|c| &*c.id == part)?;
        }
        Some(node)
    }

    /// Renders the tree as indented text, one node a line.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out, "", true, true);
        out
    }

    fn render_into(&self, out: &mut String, prefix: &str, last: bool, root: bool) {
        use std::fmt::Write;
        let branch = if root {
            ""
        } else if last {
            "└── "
        } else {
            "├── "
        };
        let kind = match (self.kind, self.strategy) {
            (NodeKind::Supervisor, Some(s)) => format!("supervisor {s:?}"),
            (NodeKind::Supervisor, None) => "supervisor".to_string(),
            (NodeKind::DynamicSupervisor, _) => "dynamic supervisor".to_string(),
            (NodeKind::TaskSupervisor, _) => "task supervisor".to_string(),
            (NodeKind::Worker, _) => "worker".to_string(),
        };
        let _ = write!(
            out,
            "{prefix}{branch}{} [{kind}] {:?}",
            self.id, self.status
        );
        if let Some(pid) = self.pid {
            let _ = write!(out, " {pid}");
        }
        if self.restart_count > 0 {
            let _ = write!(out, " restarts={}", self.restart_count);
        }
        if let Some(len) = self.mailbox_len {
            let _ = write!(out, " queue={len}");
        }
        out.push('\n');
        let child_prefix = if root {
            String::new()
        } else {
            format!("{prefix}{}", if last { "    " } else { "│   " })
        };
        for (i, child) in self.children.iter().enumerate() {
            child.render_into(out, &child_prefix, i + 1 == self.children.len(), false);
        }
    }
}

/// What a supervisor-like child reports about itself for a snapshot.
pub(crate) struct Subtree {
    pub(crate) kind: NodeKind,
    pub(crate) strategy: Option<Strategy>,
    /// Mailbox length, or running tasks for a task supervisor.
    pub(crate) load: Option<usize>,
    pub(crate) children: Vec<TreeSnapshot>,
}

/// Something that can describe itself and its children (all supervisor kinds).
pub(crate) trait SnapshotSource: Send + Sync {
    fn subtree(&self) -> BoxFuture<'_, Option<Subtree>>;
}

/// What a parent can learn about a running child.
#[derive(Clone)]
pub(crate) enum Introspect {
    Worker {
        mailbox_len: Option<Arc<dyn Fn() -> usize + Send + Sync>>,
    },
    Supervisor(Arc<dyn SnapshotSource>),
}

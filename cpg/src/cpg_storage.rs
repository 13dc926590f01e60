//! CpgStorage: the service that keeps built project graphs and answers queries on them.
//! With a data directory, every stored project is also written to the graph database there
//! (`cpg-graphs.sqlite3`, see [`crate::GRAPH_DATABASE`]), and a new incarnation loads them
//! back, so a restart does not force a rebuild. Storing a project is one SQLite transaction
//! that writes only the rows of files whose graphs or call graph parts changed, so a crash
//! at any point leaves either the previous graph of the project or the new one. The
//! database work runs on tokio's blocking pool, off the runtime's worker threads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, ExitReason, InitError, Service};
use tracing::{debug, info, info_span, Instrument};

use crate::call_graph::{MethodId, MethodInfo};
use crate::derived_db::off_runtime;
use crate::error::CpgError;
use crate::export::{call_graph_to_dot, method_to_dot, project_to_json};
use crate::graph::{DefUse, MethodGraph};
use crate::graph_db::GraphDb;
use crate::project_cpg::ProjectCpg;

/// Requests to [`CpgStorage`].
#[derive(Debug)]
pub enum StorageCall {
    /// Store (or replace) a project's graph.
    Put {
        project: String,
        cpg: Arc<ProjectCpg>,
    },
    /// The whole graph of a project.
    Get {
        project: String,
    },
    /// Names of stored projects.
    Projects,
    Callers {
        project: String,
        method: MethodId,
    },
    Callees {
        project: String,
        method: MethodId,
    },
    /// Methods reachable through resolved calls.
    Reachable {
        project: String,
        from: MethodId,
    },
    /// Call paths between two methods, at most `limit`.
    Paths {
        project: String,
        from: MethodId,
        to: MethodId,
        limit: usize,
    },
    /// Control flow (and the rest of the method graph) of a method.
    MethodGraph {
        project: String,
        method: MethodId,
    },
    DefUse {
        project: String,
        method: MethodId,
    },
    ExportJson {
        project: String,
    },
    /// DOT of one method, or of the call graph when `method` is None.
    ExportDot {
        project: String,
        method: Option<MethodId>,
    },
    /// Makes the service panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    Crash,
    /// Makes this incarnation panic while handling its next `Put`, so the caller's call is
    /// lost with it (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    CrashOnNextPut,
    /// Makes this incarnation panic in the middle of persisting its next `Put`, inside the
    /// database transaction after some of the project's rows were written
    /// (fault-injection builds with a data directory only).
    #[cfg(feature = "fault-injection")]
    CrashMidNextStore,
}

/// Replies of [`CpgStorage`]; each request has one success shape.
#[derive(Debug, Clone)]
pub enum StorageReply {
    Stored,
    Project(Arc<ProjectCpg>),
    Projects(Vec<String>),
    Methods(Vec<MethodInfo>),
    Paths(Vec<Vec<MethodId>>),
    MethodGraph(Box<MethodGraph>),
    DefUse(Vec<DefUse>),
    Text(String),
}

/// Holds project graphs in memory, and in `data_dir` when one is set.
#[derive(Default)]
pub struct CpgStorage {
    /// With a data directory: exactly what the database holds (a project is replaced here
    /// only once its store committed), which tells a store which files are unchanged.
    projects: HashMap<String, Arc<ProjectCpg>>,
    data_dir: Option<PathBuf>,
    /// The open database (with `data_dir`); None until init, and after a store lost it.
    db: Option<GraphDb>,
    #[cfg(feature = "fault-injection")]
    crash_on_put: bool,
    #[cfg(feature = "fault-injection")]
    crash_mid_store: bool,
}

impl CpgStorage {
    /// A storage that persists projects under `data_dir` (created when missing).
    pub fn persistent(data_dir: impl Into<PathBuf>) -> Self {
        CpgStorage {
            data_dir: Some(data_dir.into()),
            ..CpgStorage::default()
        }
    }

    /// Writes `cpg` to the database (when there is a data directory), off the runtime.
    async fn persist(&mut self, project: &str, cpg: &Arc<ProjectCpg>) -> Result<(), CpgError> {
        let Some(dir) = &self.data_dir else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| CpgError::Persist(format!("{project}: {e}").into());
        // A connection lost with a failed store is opened again; not knowing what that store
        // left, every row of the project is written.
        let (db, previous) = match self.db.take() {
            Some(db) => (Ok(db), self.projects.get(project).cloned()),
            None => (Err(dir.clone()), None),
        };
        #[cfg(feature = "fault-injection")]
        let crash_mid_store = std::mem::take(&mut self.crash_mid_store);
        let (name, cpg) = (project.to_owned(), cpg.clone());
        let (db, stored) = off_runtime(move || {
            let mut db = match db {
                Ok(db) => db,
                Err(dir) => match GraphDb::open(&dir) {
                    Ok(db) => db,
                    Err(e) => return (None, Err(e.to_string())),
                },
            };
            #[cfg(feature = "fault-injection")]
            {
                db.crash_mid_store = crash_mid_store;
            }
            let stored = db
                .store(&name, &cpg, previous.as_deref())
                .map_err(|e| e.to_string());
            (Some(db), stored)
        })
        .await?;
        self.db = db;
        stored.map_err(|e| fail(&e))
    }

    async fn put(
        &mut self,
        project: String,
        cpg: Arc<ProjectCpg>,
    ) -> Result<StorageReply, CpgError> {
        #[cfg(feature = "fault-injection")]
        if self.crash_on_put {
            panic!("injected fault: cpg_storage crashes storing {project}");
        }
        self.persist(&project, &cpg).await?;
        debug!(%project, methods = cpg.call_graph.methods.len(), "stored");
        self.projects.insert(project, cpg);
        Ok(StorageReply::Stored)
    }

    fn project(&self, name: &str) -> Result<&Arc<ProjectCpg>, CpgError> {
        self.projects
            .get(name)
            .ok_or_else(|| CpgError::UnknownProject(name.to_owned()))
    }

    fn infos(p: &ProjectCpg, ids: Vec<MethodId>) -> Vec<MethodInfo> {
        ids.into_iter()
            .filter_map(|id| p.call_graph.method(id).cloned())
            .collect()
    }

    fn method_graph(p: &ProjectCpg, method: MethodId) -> Result<&MethodGraph, CpgError> {
        p.method_graph(method)
            .map(|m| &m.graph)
            .ok_or_else(|| CpgError::UnknownMethod(format!("{method:?}")))
    }

    async fn answer(&mut self, call: StorageCall) -> Result<StorageReply, CpgError> {
        use StorageCall as C;
        Ok(match call {
            #[cfg(feature = "fault-injection")]
            C::Crash => panic!("injected fault: cpg_storage crashes"),
            #[cfg(feature = "fault-injection")]
            C::CrashOnNextPut => {
                self.crash_on_put = true;
                StorageReply::Stored
            }
            #[cfg(feature = "fault-injection")]
            C::CrashMidNextStore => {
                self.crash_mid_store = true;
                StorageReply::Stored
            }
            C::Put { project, cpg } => self.put(project, cpg).await?,
            C::Get { project } => StorageReply::Project(self.project(&project)?.clone()),
            C::Projects => {
                let mut names: Vec<String> = self.projects.keys().cloned().collect();
                names.sort();
                StorageReply::Projects(names)
            }
            C::Callers { project, method } => {
                let p = self.project(&project)?;
                StorageReply::Methods(Self::infos(p, p.call_graph.callers(method)))
            }
            C::Callees { project, method } => {
                let p = self.project(&project)?;
                StorageReply::Methods(Self::infos(p, p.call_graph.callees(method)))
            }
            C::Reachable { project, from } => {
                let p = self.project(&project)?;
                StorageReply::Methods(Self::infos(p, p.call_graph.reachable_from(from)))
            }
            C::Paths {
                project,
                from,
                to,
                limit,
            } => {
                let p = self.project(&project)?;
                StorageReply::Paths(p.call_graph.paths(from, to, limit))
            }
            C::MethodGraph { project, method } => {
                let p = self.project(&project)?;
                StorageReply::MethodGraph(Box::new(Self::method_graph(p, method)?.clone()))
            }
            C::DefUse { project, method } => {
                let p = self.project(&project)?;
                StorageReply::DefUse(Self::method_graph(p, method)?.def_use())
            }
            C::ExportJson { project } => {
                StorageReply::Text(project_to_json(self.project(&project)?)?)
            }
            C::ExportDot { project, method } => {
                let p = self.project(&project)?;
                match method {
                    None => StorageReply::Text(call_graph_to_dot(&p.call_graph)),
                    Some(m) => {
                        let title = p
                            .call_graph
                            .method(m)
                            .map(|i| i.display_name())
                            .unwrap_or_default();
                        StorageReply::Text(method_to_dot(&title, Self::method_graph(p, m)?))
                    }
                }
            }
        })
    }
}

impl Service for CpgStorage {
    type Call = StorageCall;
    type Reply = Result<StorageReply, CpgError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        if let Some(dir) = self.data_dir.clone() {
            let span = info_span!("cpg_storage", data_dir = %dir.display());
            let load_dir = dir.clone();
            let (db, projects) = off_runtime(move || GraphDb::open_and_load(&load_dir))
                .instrument(span.clone())
                .await
                .map_err(|e| -> InitError { e.to_string().into() })?
                .map_err(|e| -> InitError { e.to_string().into() })?;
            (self.db, self.projects) = (Some(db), projects);
            span.in_scope(|| info!(projects = self.projects.len(), "loaded persisted graphs"));
        }
        Ok(())
    }

    async fn handle_call(&mut self, call: StorageCall, _ctx: &mut Context<Self>) -> Self::Reply {
        let span = info_span!("cpg_storage", request = request_name(&call));
        self.answer(call).instrument(span).await
    }

    async fn terminate(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        // Closing checkpoints the WAL; done before the supervisor reports the stop, so a
        // successor (or another process) finds the database complete.
        if let Some(db) = self.db.take() {
            let _ = off_runtime(move || db.close()).await;
        }
    }
}

fn request_name(call: &StorageCall) -> &'static str {
    match call {
        StorageCall::Put { .. } => "put",
        StorageCall::Get { .. } => "get",
        StorageCall::Projects => "projects",
        StorageCall::Callers { .. } => "callers",
        StorageCall::Callees { .. } => "callees",
        StorageCall::Reachable { .. } => "reachable",
        StorageCall::Paths { .. } => "paths",
        StorageCall::MethodGraph { .. } => "method_graph",
        StorageCall::DefUse { .. } => "def_use",
        StorageCall::ExportJson { .. } => "export_json",
        StorageCall::ExportDot { .. } => "export_dot",
        #[cfg(feature = "fault-injection")]
        StorageCall::Crash => "crash",
        #[cfg(feature = "fault-injection")]
        StorageCall::CrashOnNextPut => "crash_on_next_put",
        #[cfg(feature = "fault-injection")]
        StorageCall::CrashMidNextStore => "crash_mid_next_store",
    }
}

//! CpgStorage: the service that keeps built project graphs and answers queries on them.

use std::collections::HashMap;
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, Service};
use tracing::{debug, info_span, Instrument};

use crate::call_graph::{MethodId, MethodInfo};
use crate::error::CpgError;
use crate::export::{call_graph_to_dot, method_to_dot, project_to_json};
use crate::graph::{DefUse, MethodGraph};
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

/// Holds project graphs in memory.
#[derive(Debug, Default)]
pub struct CpgStorage {
    projects: HashMap<String, Arc<ProjectCpg>>,
}

impl CpgStorage {
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

    fn answer(&mut self, call: StorageCall) -> Result<StorageReply, CpgError> {
        use StorageCall as C;
        Ok(match call {
            C::Put { project, cpg } => {
                debug!(%project, methods = cpg.call_graph.methods.len(), "stored");
                self.projects.insert(project, cpg);
                StorageReply::Stored
            }
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

    async fn handle_call(&mut self, call: StorageCall, _ctx: &mut Context<Self>) -> Self::Reply {
        let span = info_span!("cpg_storage", request = request_name(&call));
        async { self.answer(call) }.instrument(span).await
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
    }
}

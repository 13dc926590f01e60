//! CpgStorage: the service that keeps built project graphs and answers queries on them.
//! With a data directory, every stored project is also written there, and a new
//! incarnation loads them back, so a restart does not force a rebuild. A project is a
//! manifest `<project>.cpg.json` (failures, and per file the names of two blobs: its graphs
//! in `<project>.files/` and its part of the call graph in `<project>.links/`); the call
//! graph is put together from the parts on load. Storing a rebuilt project writes only the
//! blobs that changed (the rebuilt files' graphs, the parts of the files linked again),
//! then the manifest (temporary file and rename), then removes blobs no longer named, so a
//! crash at any point leaves a manifest whose blobs are all there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, InitError, Service};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, info_span, warn, Instrument};

use crate::blob_dir::BlobDir;
use crate::build_state::escaped_file_name;
use crate::call_graph::{CallGraph, MethodId, MethodInfo};
use crate::error::CpgError;
use crate::export::{call_graph_to_dot, method_to_dot, project_to_json};
use crate::file_cpg::FileCpg;
use crate::file_link::{assemble, FileLink};
use crate::graph::{DefUse, MethodGraph};
use crate::project_cpg::{BuildFailure, ProjectCpg};

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
    projects: HashMap<String, Arc<ProjectCpg>>,
    data_dir: Option<PathBuf>,
    /// Per persisted project, its blob directories (which blobs are already on disk).
    blobs: HashMap<String, ProjectBlobs>,
    #[cfg(feature = "fault-injection")]
    crash_on_put: bool,
}

/// Suffix of persisted project files.
const PERSISTED_SUFFIX: &str = ".cpg.json";

#[derive(Serialize)]
struct ManifestRef<'a> {
    project: &'a str,
    /// The whole call graph, only for a project linked without per-file parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    call_graph: Option<&'a CallGraph>,
    failures: &'a [BuildFailure],
    /// (source path, blob name) per file's graphs, in the project's order.
    files: Vec<(&'a str, &'a str)>,
    /// (source path, blob name) per file's part of the call graph, in the project's order.
    links: Vec<(&'a str, &'a str)>,
}

#[derive(Deserialize)]
struct Manifest {
    project: String,
    /// Present in manifests of projects without parts (and of the earlier format).
    #[serde(default)]
    call_graph: Option<CallGraph>,
    failures: Vec<BuildFailure>,
    files: Vec<(String, String)>,
    #[serde(default)]
    links: Vec<(String, String)>,
}

/// Suffix of a project's blob directory of file graphs.
const BLOBS_SUFFIX: &str = ".files";
/// Suffix of a project's blob directory of call graph parts.
const LINKS_SUFFIX: &str = ".links";

/// A project's two blob directories.
struct ProjectBlobs {
    files: BlobDir<FileCpg>,
    links: BlobDir<FileLink>,
}

impl ProjectBlobs {
    fn new(dir: &Path, project: &str) -> Self {
        ProjectBlobs {
            files: BlobDir::new(dir.join(escaped_file_name(project, BLOBS_SUFFIX))),
            links: BlobDir::new(dir.join(escaped_file_name(project, LINKS_SUFFIX))),
        }
    }
}

fn file_name(project: &str) -> String {
    escaped_file_name(project, PERSISTED_SUFFIX)
}

impl CpgStorage {
    /// A storage that persists projects under `data_dir` (created when missing).
    pub fn persistent(data_dir: impl Into<PathBuf>) -> Self {
        CpgStorage {
            data_dir: Some(data_dir.into()),
            ..CpgStorage::default()
        }
    }

    /// Loads every persisted project under `dir` (created when missing), with its blobs.
    #[allow(clippy::type_complexity)]
    fn load_all(
        dir: &Path,
    ) -> Result<
        (
            HashMap<String, Arc<ProjectCpg>>,
            HashMap<String, ProjectBlobs>,
        ),
        std::io::Error,
    > {
        std::fs::create_dir_all(dir)?;
        let (mut projects, mut blobs) = (HashMap::new(), HashMap::new());
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let is_project = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(PERSISTED_SUFFIX));
            if !is_project {
                continue;
            }
            // A corrupt or unreadable project costs that project a rebuild, not the service.
            match Self::load_project(dir, &path) {
                Ok((name, cpg, project_blobs)) => {
                    project_blobs.files.collect_garbage();
                    project_blobs.links.collect_garbage();
                    projects.insert(name.clone(), Arc::new(cpg));
                    blobs.insert(name, project_blobs);
                }
                Err(error) => {
                    warn!(path = %path.display(), %error, "skipping unreadable persisted graph")
                }
            }
        }
        Ok((projects, blobs))
    }

    fn load_project(
        dir: &Path,
        manifest: &Path,
    ) -> Result<(String, ProjectCpg, ProjectBlobs), String> {
        let bytes = std::fs::read(manifest).map_err(|e| e.to_string())?;
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let mut blobs = ProjectBlobs::new(dir, &m.project);
        let mut files = Vec::with_capacity(m.files.len());
        for (path, blob) in &m.files {
            files.push(blobs.files.load(path, blob, |f: &mut FileCpg| {
                for method in &mut f.methods {
                    method.graph.index();
                }
            })?);
        }
        let (call_graph, links) = match m.call_graph {
            Some(whole) => (whole, Vec::new()),
            None => {
                let mut links = Vec::with_capacity(m.links.len());
                for (path, blob) in &m.links {
                    links.push(blobs.links.load(path, blob, |_| {})?);
                }
                let graph = assemble(&links)
                    .ok_or_else(|| format!("{}: call graph parts do not fit", m.project))?;
                (graph, links)
            }
        };
        let cpg = ProjectCpg::assemble(files, call_graph, links, m.failures);
        Ok((m.project, cpg, blobs))
    }

    fn persist(&mut self, project: &str, cpg: &ProjectCpg) -> Result<(), CpgError> {
        let Some(dir) = &self.data_dir else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| CpgError::Persist(format!("{project}: {e}").into());
        let blobs = self
            .blobs
            .entry(project.to_owned())
            .or_insert_with(|| ProjectBlobs::new(dir, project));
        let names = blobs
            .files
            .write_all(cpg.files.iter().map(|f| (f.path.as_str(), f)))
            .map_err(|e| fail(&e))?;
        let link_names = blobs
            .links
            .write_all(cpg.links.iter().map(|l| (l.path.as_str(), l)))
            .map_err(|e| fail(&e))?;
        // A call graph linked whole (no parts) is kept whole.
        let whole = cpg.links.is_empty() && !cpg.call_graph.methods.is_empty();
        let manifest = ManifestRef {
            project,
            call_graph: whole.then_some(&cpg.call_graph),
            failures: &cpg.failures,
            files: cpg
                .files
                .iter()
                .zip(&names)
                .map(|(f, n)| (f.path.as_str(), n.as_str()))
                .collect(),
            links: cpg
                .links
                .iter()
                .zip(&link_names)
                .map(|(l, n)| (l.path.as_str(), n.as_str()))
                .collect(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| fail(&e))?;
        let target = dir.join(file_name(project));
        let tmp = dir.join(format!("{}.tmp", file_name(project)));
        std::fs::write(&tmp, bytes).map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, &target).map_err(|e| fail(&e))?;
        blobs.files.commit();
        blobs.links.commit();
        Ok(())
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

    fn answer(&mut self, call: StorageCall) -> Result<StorageReply, CpgError> {
        use StorageCall as C;
        Ok(match call {
            #[cfg(feature = "fault-injection")]
            C::Crash => panic!("injected fault: cpg_storage crashes"),
            #[cfg(feature = "fault-injection")]
            C::CrashOnNextPut => {
                self.crash_on_put = true;
                StorageReply::Stored
            }
            C::Put { project, cpg } => {
                #[cfg(feature = "fault-injection")]
                if self.crash_on_put {
                    panic!("injected fault: cpg_storage crashes storing {project}");
                }
                self.persist(&project, &cpg)?;
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

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        if let Some(dir) = &self.data_dir {
            let span = info_span!("cpg_storage", data_dir = %dir.display());
            let _enter = span.enter();
            (self.projects, self.blobs) = Self::load_all(dir)
                .map_err(|e| -> InitError { format!("{}: {e}", dir.display()).into() })?;
            info!(projects = self.projects.len(), "loaded persisted graphs");
        }
        Ok(())
    }

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
        #[cfg(feature = "fault-injection")]
        StorageCall::Crash => "crash",
        #[cfg(feature = "fault-injection")]
        StorageCall::CrashOnNextPut => "crash_on_next_put",
    }
}

//! CpgOrchestrator: builds a project's graph with one task per file on the layer's
//! ModuleBuilderTaskSupervisor (parse included), links the results into the call graph and
//! hands the project to CpgStorage. A file whose task panics is reported; the graph is
//! built for the rest. A rebuild re-parses only files whose content hash changed: the
//! others reuse their model (kept here) and graphs (from the stored project), and all are
//! linked again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use elixir_scope_ast::{
    content_hash, discover_files, parse_file, parse_source, FileModel, ParseOptions, ParsedFile,
    SourceFile,
};
use elixir_scope_runtime_core::{Context, Service, ServiceRef, TaskSupervisor};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tracing::{info, info_span, warn, Instrument};

use crate::build_options::BuildOptions;
use crate::cpg_storage::{CpgStorage, StorageCall, StorageReply};
use crate::error::CpgError;
use crate::file_cpg::{build_file, FileCpg};
use crate::project_cpg::{BuildFailure, ProjectCpg};

/// Builds the graphs of one parsed file. The default is [`build_file`]; tests and embedders
/// may wrap it (instrumentation, fault injection).
pub type FileBuilder = Arc<dyn Fn(&ParsedFile, &BuildOptions) -> FileCpg + Send + Sync>;

/// The default [`FileBuilder`].
pub fn default_file_builder() -> FileBuilder {
    Arc::new(build_file)
}

/// Requests to [`CpgOrchestrator`].
#[derive(Debug, Clone)]
pub enum OrchestratorCall {
    /// Discover, parse and build every source file under `root`, then store the project.
    Build { project: String, root: PathBuf },
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildReport {
    pub project: String,
    /// Files in the project graph.
    pub files: usize,
    /// Files parsed and built by this build (new or changed).
    pub rebuilt: usize,
    /// Files whose content was unchanged since the previous build, reused.
    pub reused: usize,
    pub methods: usize,
    pub call_sites: usize,
    pub unresolved_calls: usize,
    /// Files whose build failed (panicked or was killed), with why.
    pub failures: Vec<BuildFailure>,
    /// Methods whose data flow stopped at the work bound.
    pub dataflow_truncated: usize,
    pub elapsed_ms: u64,
}

/// The orchestrator's state: where to run tasks and where results go.
pub struct CpgOrchestrator {
    storage: ServiceRef<CpgStorage>,
    tasks: TaskSupervisor,
    builder: FileBuilder,
    options: BuildOptions,
    parse_options: ParseOptions,
    max_concurrency: usize,
    /// Per project, per file path: content hash and model of the last successful build.
    previous: HashMap<String, HashMap<String, (String, FileModel)>>,
}

/// What one file's task found.
enum FileOutcome {
    Unchanged,
    Built(Box<(FileModel, FileCpg)>),
}

impl CpgOrchestrator {
    pub fn new(
        storage: ServiceRef<CpgStorage>,
        tasks: TaskSupervisor,
        builder: FileBuilder,
        options: BuildOptions,
        max_concurrency: usize,
    ) -> Self {
        CpgOrchestrator {
            storage,
            tasks,
            builder,
            options,
            parse_options: ParseOptions::default(),
            max_concurrency: max_concurrency.max(1),
            previous: HashMap::new(),
        }
    }

    /// The stored graph of `project`, when storage has one.
    async fn stored(&self, project: &str) -> Option<Arc<ProjectCpg>> {
        match self
            .storage
            .call(StorageCall::Get {
                project: project.to_owned(),
            })
            .await
        {
            Ok(Ok(StorageReply::Project(p))) => Some(p),
            _ => None,
        }
    }

    async fn build(&mut self, project: String, root: PathBuf) -> Result<BuildReport, CpgError> {
        let started = Instant::now();
        let sources = discover_files(&root).map_err(|e| CpgError::Discovery {
            project: project.clone(),
            message: e.to_string().into(),
        })?;
        let paths: Vec<String> = sources.iter().map(|s| s.relative.clone()).collect();
        // Reuse needs both the model (kept here) and the graphs (in storage).
        let stored = self.stored(&project).await;
        let mut previous = self.previous.remove(&project).unwrap_or_default();
        let inputs: Vec<(SourceFile, Option<String>)> = sources
            .into_iter()
            .map(|s| {
                let reusable = stored
                    .as_ref()
                    .is_some_and(|p| p.file(&s.relative).is_some());
                let hash = previous
                    .get(&s.relative)
                    .filter(|_| reusable)
                    .map(|(h, _)| h.clone());
                (s, hash)
            })
            .collect();
        let builder = self.builder.clone();
        let options = self.options;
        let parse_options = self.parse_options.clone();
        let results: Vec<_> = self
            .tasks
            .async_stream(inputs, self.max_concurrency, move |(source, known)| {
                let builder = builder.clone();
                let parse_options = parse_options.clone();
                async move {
                    let parsed = match std::fs::read(&source.path) {
                        Ok(bytes) => {
                            if known.is_some_and(|h| h == content_hash(&bytes)) {
                                return FileOutcome::Unchanged;
                            }
                            parse_source(&source.relative, source.language, &bytes, &parse_options)
                        }
                        // parse_file records why the file could not be read.
                        Err(_) => parse_file(&source.path, &source.relative, &parse_options),
                    };
                    let cpg = builder(&parsed, &options);
                    FileOutcome::Built(Box::new((parsed.model, cpg)))
                }
            })
            .collect()
            .await;
        // In discovery order, so method ids are deterministic: (path, hash, model).
        let mut models: Vec<(String, String, FileModel)> = Vec::with_capacity(results.len());
        let mut files = Vec::with_capacity(results.len());
        let mut failures = Vec::new();
        let (mut rebuilt, mut reused) = (0usize, 0usize);
        for (path, result) in paths.into_iter().zip(results) {
            match result {
                Ok(FileOutcome::Built(built)) => {
                    let (model, cpg) = *built;
                    rebuilt += 1;
                    models.push((path, model.content_hash.clone(), model));
                    files.push(Arc::new(cpg));
                }
                Ok(FileOutcome::Unchanged) => {
                    let cpg = stored.as_ref().and_then(|p| p.shared_file(&path));
                    match (previous.remove(&path), cpg) {
                        (Some((hash, model)), Some(cpg)) => {
                            reused += 1;
                            models.push((path, hash, model));
                            files.push(cpg);
                        }
                        _ => failures.push(BuildFailure {
                            path,
                            error: "unchanged file's previous graph disappeared during the build"
                                .into(),
                        }),
                    }
                }
                Err(e) => {
                    warn!(%project, %path, error = %e, "file graph build failed");
                    failures.push(BuildFailure {
                        path,
                        error: e.to_string(),
                    });
                }
            }
        }
        let cpg = ProjectCpg::link(models.iter().map(|(_, _, m)| m), files, failures);
        let next = models
            .into_iter()
            .map(|(path, hash, model)| (path, (hash, model)))
            .collect();
        self.previous.insert(project.clone(), next);
        let report = BuildReport {
            project: project.clone(),
            files: cpg.files.len(),
            rebuilt,
            reused,
            methods: cpg.call_graph.methods.len(),
            call_sites: cpg.call_graph.calls.len(),
            unresolved_calls: cpg.call_graph.unresolved().count(),
            failures: cpg.failures.clone(),
            dataflow_truncated: cpg
                .files
                .iter()
                .flat_map(|f| &f.methods)
                .filter(|m| m.graph.dataflow_truncated.is_some())
                .count(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        };
        match self
            .storage
            .call(StorageCall::Put {
                project,
                cpg: Arc::new(cpg),
            })
            .await
        {
            Ok(Ok(StorageReply::Stored)) => {}
            Ok(Ok(other)) => {
                return Err(CpgError::Unavailable(
                    "cpg_storage",
                    format!("unexpected reply {other:?}").into(),
                ))
            }
            Ok(Err(e)) => return Err(e),
            Err(e) => return Err(CpgError::Unavailable("cpg_storage", e.to_string().into())),
        }
        info!(
            project = %report.project,
            files = report.files,
            methods = report.methods,
            failures = report.failures.len(),
            elapsed_ms = report.elapsed_ms,
            "project graph built"
        );
        Ok(report)
    }
}

impl Service for CpgOrchestrator {
    type Call = OrchestratorCall;
    type Reply = Result<BuildReport, CpgError>;
    type Cast = ();
    type Info = ();

    async fn handle_call(
        &mut self,
        call: OrchestratorCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        match call {
            OrchestratorCall::Build { project, root } => {
                let span = info_span!("cpg_orchestrator", %project);
                self.build(project, root).instrument(span).await
            }
        }
    }
}

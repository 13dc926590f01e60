//! ProjectBuilder: the second child of a project's build supervisor (rest_for_one after
//! [`ProjectState`](crate::ProjectState), whose state it reads and commits). It builds the
//! project's graph with one task per file on the layer's ModuleBuilderTaskSupervisor (parse
//! included), links the results into the call graph and hands the project to CpgStorage. A
//! file whose task panics is reported; the graph is built for the rest. A rebuild re-parses
//! only files whose content hash changed: the others reuse their model (from the state) and
//! graphs (from the stored project). Linking resolves again only the calls of changed files
//! and of files that look up a name a changed, added or removed file defines; the other
//! files keep their part of the stored call graph.
//!
//! Storage may restart while a build runs: calls to it queue for its next incarnation, and a
//! call whose incarnation died before replying is retried a few times, then reported.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use elixir_scope_ast::{
    content_hash, discover_files, parse_file, parse_source, FileModel, ParseOptions, SourceFile,
};
use elixir_scope_runtime_core::{CallError, Context, Service, ServiceRef, TaskSupervisor};
use futures::StreamExt;
use tracing::{info, info_span, warn, Instrument};

use crate::build_options::BuildOptions;
use crate::build_phases::{BuildPhases, PhaseClock};
use crate::build_state::{now_ns, BuildState, FileStamp, FileState};
use crate::cpg_orchestrator::{BuildReport, FileBuilder};
use crate::cpg_storage::{CpgStorage, StorageCall, StorageReply};
use crate::error::CpgError;
use crate::file_cpg::FileCpg;
use crate::project_cpg::{BuildFailure, ProjectCpg};
use crate::project_state::{ProjectState, ProjectStateCall, ProjectStateReply};

/// Requests to [`ProjectBuilder`].
#[derive(Debug, Clone)]
pub enum ProjectBuildCall {
    /// Discover, parse and build every source file under `root`, then store the project.
    Build { root: PathBuf },
}

/// Messages without a reply to [`ProjectBuilder`].
#[derive(Debug, Clone)]
pub enum ProjectBuildCast {
    /// The next build panics after its file tasks, before linking (fault-injection builds
    /// only): a real crash of one project's build.
    #[cfg(feature = "fault-injection")]
    PanicNextBuild,
}

/// What the builder needs from the layer; shared by every project's builder.
#[derive(Clone)]
pub struct BuildContext {
    pub storage: ServiceRef<CpgStorage>,
    pub tasks: TaskSupervisor,
    pub builder: FileBuilder,
    pub options: BuildOptions,
    pub max_concurrency: usize,
}

/// Builds one project.
pub struct ProjectBuilder {
    project: String,
    state: ServiceRef<ProjectState>,
    cx: BuildContext,
    parse_options: ParseOptions,
    #[cfg(feature = "fault-injection")]
    panic_next: bool,
}

/// What one file's task found, with the file's stamp taken before reading it.
enum FileOutcome {
    Unchanged(Option<FileStamp>),
    Built(Box<(FileModel, FileCpg, Option<FileStamp>)>),
}

/// Attempts per storage call: a crash of storage costs one attempt, and its supervisor gives
/// up after a few restarts anyway.
const STORAGE_ATTEMPTS: u32 = 5;
/// Storing persists the whole project, which takes seconds for a large one.
const STORAGE_TIMEOUT: Duration = Duration::from_secs(120);

impl ProjectBuilder {
    pub fn new(
        project: impl Into<String>,
        state: ServiceRef<ProjectState>,
        cx: BuildContext,
    ) -> Self {
        ProjectBuilder {
            project: project.into(),
            state,
            cx,
            parse_options: ParseOptions::default(),
            #[cfg(feature = "fault-injection")]
            panic_next: false,
        }
    }

    /// Calls storage; a call lost to a crashed incarnation is sent again to the next one.
    async fn storage_call(&self, make: impl Fn() -> StorageCall) -> Result<StorageReply, CpgError> {
        let mut attempt = 1;
        loop {
            match self.cx.storage.call_timeout(make(), STORAGE_TIMEOUT).await {
                Ok(reply) => return reply,
                Err(e @ CallError::NotRunning { .. }) => {
                    return Err(CpgError::Unavailable("cpg_storage", e.to_string().into()))
                }
                Err(e) if attempt >= STORAGE_ATTEMPTS => {
                    return Err(CpgError::Unavailable("cpg_storage", e.to_string().into()))
                }
                Err(e) => {
                    warn!(attempt, error = %e, "storage call failed; retrying");
                    attempt += 1;
                    // Back off so a storage in a restart loop is not hammered.
                    tokio::time::sleep(Duration::from_millis(20 * u64::from(attempt))).await;
                }
            }
        }
    }

    /// The stored graph of the project, when storage has one.
    async fn stored(&self) -> Option<Arc<ProjectCpg>> {
        let project = self.project.clone();
        match self
            .storage_call(|| StorageCall::Get {
                project: project.clone(),
            })
            .await
        {
            Ok(StorageReply::Project(p)) => Some(p),
            Ok(_) | Err(CpgError::UnknownProject(_)) => None,
            Err(error) => {
                warn!(%error, "stored graph unavailable; building every file");
                None
            }
        }
    }

    /// The state of the last successful build; empty (a full build) when unavailable.
    async fn previous(&self) -> Arc<BuildState> {
        match self.state.call(ProjectStateCall::Get).await {
            Ok(Ok(ProjectStateReply::State(s))) => s,
            other => {
                warn!(?other, "build state unavailable; building every file");
                Arc::new(BuildState::default())
            }
        }
    }

    async fn build(&mut self, root: PathBuf) -> Result<BuildReport, CpgError> {
        let started = Instant::now();
        let mut clock = PhaseClock::start();
        let mut phases = BuildPhases::default();
        let project = self.project.clone();
        let sources = discover_files(&root).map_err(|e| CpgError::Discovery {
            project: project.clone(),
            message: e.to_string().into(),
        })?;
        let paths: Vec<String> = sources.iter().map(|s| s.relative.clone()).collect();
        phases.discover_us = clock.lap();
        // Reuse needs both the model (in the state) and the graphs (in storage).
        let stored = self.stored().await;
        let previous = self.previous().await;
        phases.previous_us = clock.lap();
        let started_ns = now_ns();
        // Per file: true when its stamp alone shows it unchanged (no task, no read).
        let mut by_stamp = Vec::with_capacity(sources.len());
        let mut inputs: Vec<(SourceFile, Option<String>)> = Vec::new();
        for s in sources {
            let reusable = stored
                .as_ref()
                .is_some_and(|p| p.file(&s.relative).is_some());
            if reusable && previous.unchanged_by_stamp(&s.relative, FileStamp::of(&s.path)) {
                by_stamp.push(true);
                continue;
            }
            by_stamp.push(false);
            let hash = previous
                .hash(&s.relative)
                .filter(|_| reusable)
                .map(str::to_owned);
            inputs.push((s, hash));
        }
        phases.stamp_check_us = clock.lap();
        let builder = self.cx.builder.clone();
        let options = self.cx.options;
        let parse_options = self.parse_options.clone();
        let results: Vec<_> = self
            .cx
            .tasks
            .async_stream(
                inputs,
                self.cx.max_concurrency.max(1),
                move |(source, known)| {
                    let builder = builder.clone();
                    let parse_options = parse_options.clone();
                    async move {
                        // Taken first: a change after it shows in the next build's stamp.
                        let stamp = FileStamp::of(&source.path);
                        let parsed = match std::fs::read(&source.path) {
                            Ok(bytes) => {
                                if known.is_some_and(|h| h == content_hash(&bytes)) {
                                    return FileOutcome::Unchanged(stamp);
                                }
                                parse_source(
                                    &source.relative,
                                    source.language,
                                    &bytes,
                                    &parse_options,
                                )
                            }
                            // parse_file records why the file could not be read.
                            Err(_) => parse_file(&source.path, &source.relative, &parse_options),
                        };
                        let cpg = builder(&parsed, &options);
                        FileOutcome::Built(Box::new((parsed.model, cpg, stamp)))
                    }
                },
            )
            .collect()
            .await;
        phases.file_tasks_us = clock.lap();
        #[cfg(feature = "fault-injection")]
        if std::mem::take(&mut self.panic_next) {
            panic!("injected fault: the build of project {project} panics");
        }
        // In discovery order, so method ids are deterministic.
        let mut models: Vec<Arc<FileModel>> = Vec::with_capacity(results.len());
        let mut next = BuildState {
            started_ns,
            ..BuildState::default()
        };
        let mut results = results.into_iter();
        let mut files = Vec::with_capacity(results.len());
        let mut failures = Vec::new();
        let (mut rebuilt, mut reused) = (0usize, 0usize);
        for (path, stamped) in paths.into_iter().zip(by_stamp) {
            let result = if stamped {
                Ok(FileOutcome::Unchanged(
                    previous.files.get(&path).and_then(|f| f.stamp),
                ))
            } else {
                match results.next() {
                    Some(r) => r,
                    None => break,
                }
            };
            match result {
                Ok(FileOutcome::Built(built)) => {
                    let (model, cpg, stamp) = *built;
                    rebuilt += 1;
                    let model = Arc::new(model);
                    models.push(model.clone());
                    next.files.insert(
                        path,
                        FileState {
                            hash: model.content_hash.clone(),
                            model,
                            stamp,
                        },
                    );
                    files.push(Arc::new(cpg));
                }
                Ok(FileOutcome::Unchanged(stamp)) => {
                    let cpg = stored.as_ref().and_then(|p| p.shared_file(&path));
                    match (previous.files.get(&path), cpg) {
                        (Some(state), Some(cpg)) => {
                            reused += 1;
                            models.push(state.model.clone());
                            next.files.insert(
                                path,
                                FileState {
                                    stamp,
                                    ..state.clone()
                                },
                            );
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
                    warn!(%path, error = %e, "file graph build failed");
                    failures.push(BuildFailure {
                        path,
                        error: e.to_string(),
                    });
                }
            }
        }
        phases.assemble_us = clock.lap();
        let model_refs: Vec<&FileModel> = models.iter().map(|m| &**m).collect();
        let (cpg, link_counts) =
            ProjectCpg::relink(stored.as_deref(), &model_refs, files, failures);
        let cpg = Arc::new(cpg);
        drop(model_refs);
        drop(models);
        phases.link_us = clock.lap();
        let mut report = BuildReport {
            project: project.clone(),
            files: cpg.files.len(),
            rebuilt,
            reused,
            relinked: link_counts.linked,
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
            elapsed_ms: 0,
            phases,
        };
        report.phases.report_us = clock.lap();
        match self
            .storage_call(|| StorageCall::Put {
                project: project.clone(),
                cpg: cpg.clone(),
            })
            .await?
        {
            StorageReply::Stored => {}
            other => {
                return Err(CpgError::Unavailable(
                    "cpg_storage",
                    format!("unexpected reply {other:?}").into(),
                ))
            }
        }
        report.phases.store_us = clock.lap();
        // Committed only once storage holds the graphs the state's models belong to.
        match self
            .state
            .call(ProjectStateCall::Commit(Arc::new(next)))
            .await
        {
            Ok(Ok(_)) => {}
            // The graph is stored; what is lost is only the next build's reuse.
            Ok(Err(error)) => warn!(%error, "build state not persisted"),
            Err(error) => warn!(%error, "build state not committed"),
        }
        report.phases.commit_us = clock.lap();
        // Storage and the state service hold the new project now: these were the last
        // references to the previous one, whose release is part of the build's time.
        drop(stored);
        drop(previous);
        report.phases.release_us = clock.lap();
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        info!(
            files = report.files,
            rebuilt = report.rebuilt,
            methods = report.methods,
            failures = report.failures.len(),
            elapsed_ms = report.elapsed_ms,
            "project graph built"
        );
        Ok(report)
    }
}

impl Service for ProjectBuilder {
    type Call = ProjectBuildCall;
    type Reply = Result<BuildReport, CpgError>;
    type Cast = ProjectBuildCast;
    type Info = ();

    async fn handle_call(
        &mut self,
        call: ProjectBuildCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        match call {
            ProjectBuildCall::Build { root } => {
                let span = info_span!("cpg_project_builder", project = %self.project);
                self.build(root).instrument(span).await
            }
        }
    }

    async fn handle_cast(&mut self, cast: ProjectBuildCast, _ctx: &mut Context<Self>) {
        match cast {
            #[cfg(feature = "fault-injection")]
            ProjectBuildCast::PanicNextBuild => self.panic_next = true,
        }
    }
}

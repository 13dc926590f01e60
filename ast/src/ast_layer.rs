//! The layer's supervisor and the typed client every other layer uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use elixir_scope_runtime_core::{
    CallError, ChildSpec, Intensity, ServiceRef, StartError, Strategy, SupervisorRef,
    SupervisorSpec,
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tracing::{info, info_span, Instrument};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::discovery::discover_files;
use crate::error::AstError;
use crate::model::FileModel;
use crate::parse_hook::ParseHook;
use crate::parsed_file::{parse_source, ParsedFile};
use crate::parsing_task_supervisor::{
    FileOutcome, ParseProgress, ParsingConfig, ParsingTaskSupervisor,
};
use crate::repository::{
    AstRepository, FileUpdate, FunctionMatch, ModuleMatch, ProjectStats, RepositoryCall,
    RepositoryReply, SnapshotFile,
};

/// Configuration of the AST layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AstConfig {
    pub parsing: ParsingConfig,
    /// The layer supervisor's restart intensity: at most `max_restarts` in `restart_period`
    /// (default 5 in 10 s), past which the layer escalates to its parent.
    pub max_restarts: u32,
    pub restart_period: Duration,
    /// Timeout of repository calls (default 30 s: an `Apply` of a large project copies many
    /// models).
    pub call_timeout: Duration,
}

impl Default for AstConfig {
    fn default() -> Self {
        AstConfig {
            parsing: ParsingConfig::default(),
            max_restarts: 5,
            restart_period: Duration::from_secs(10),
            call_timeout: Duration::from_secs(30),
        }
    }
}

/// A failed file in a [`ParseReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedFile {
    pub path: String,
    pub error: String,
}

/// What [`AstClient::parse_project`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseReport {
    pub project: String,
    pub root: PathBuf,
    pub files: usize,
    pub parsed: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Parse tasks that panicked, were killed or timed out.
    pub failed: Vec<FailedFile>,
    /// Files stored with error diagnostics (syntax errors, binary, too large...).
    pub files_with_errors: Vec<String>,
    pub elapsed_ms: u64,
}

/// The AST layer: `AstRepository` and `ParsingTaskSupervisor` under one one_for_one
/// supervisor named `ast`.
pub struct AstLayer;

impl AstLayer {
    /// The layer's supervisor as a child spec for the application tree, and the client.
    pub fn child_spec(config: AstConfig) -> (ChildSpec, AstClient) {
        let (spec, client) = Self::supervisor_spec(config);
        (spec.into_child_spec(), client)
    }

    /// Starts the layer as a root supervisor (embedding, tests).
    pub async fn start(config: AstConfig) -> Result<(SupervisorRef, AstClient), StartError> {
        let (spec, client) = Self::supervisor_spec(config);
        let sup = spec.start().await?;
        Ok((sup, client))
    }

    fn supervisor_spec(config: AstConfig) -> (SupervisorSpec, AstClient) {
        let (repo_spec, repository) = ChildSpec::service("ast_repository", AstRepository::new);
        let task_intensity = Intensity {
            max_restarts: config.max_restarts,
            period: config.restart_period,
        };
        let (task_spec, parsing) = ParsingTaskSupervisor::child_spec(task_intensity);
        let spec = SupervisorSpec::new("ast")
            .strategy(Strategy::OneForOne)
            .intensity(config.max_restarts, config.restart_period)
            .child(repo_spec)
            .child(task_spec);
        let client = AstClient {
            repository,
            parsing,
            config: Arc::new(config),
        };
        (spec, client)
    }
}

/// Typed handle to the AST layer; cheap to clone, valid across restarts of its services.
#[derive(Debug, Clone)]
pub struct AstClient {
    repository: ServiceRef<AstRepository>,
    parsing: ParsingTaskSupervisor,
    config: Arc<AstConfig>,
}

fn unavailable(e: CallError) -> AstError {
    AstError::Unavailable(e.to_string())
}

fn unexpected(r: RepositoryReply) -> AstError {
    AstError::Unavailable(format!("unexpected repository reply {r:?}"))
}

impl AstClient {
    async fn call(&self, request: RepositoryCall) -> Result<RepositoryReply, AstError> {
        self.repository
            .call_timeout(request, self.config.call_timeout)
            .await
            .map_err(unavailable)
    }

    /// The repository service handle.
    pub fn repository(&self) -> &ServiceRef<AstRepository> {
        &self.repository
    }

    /// The parse task supervisor handle.
    pub fn parsing(&self) -> &ParsingTaskSupervisor {
        &self.parsing
    }

    /// Progress events of every parse from now on.
    pub fn subscribe_progress(&self) -> broadcast::Receiver<ParseProgress> {
        self.parsing.subscribe()
    }

    /// Parses (or re-parses) the project at `root` under the id `project`: discovers its
    /// files, parses the new and changed ones in parallel, keeps unchanged ones, drops
    /// deleted ones. Files that fail are reported in the result and stored with a
    /// diagnostic; the rest complete.
    pub async fn parse_project(&self, project: &str, root: &Path) -> Result<ParseReport, AstError> {
        self.parse_project_with(project, root, None).await
    }

    /// [`AstClient::parse_project`] with a [`ParseHook`]: it is called in each new or changed
    /// file's parse task, may supply a stored result instead of a parse, and what it returns
    /// is stored with the file ([`AstClient::snapshot`] gives it back).
    pub async fn parse_project_with(
        &self,
        project: &str,
        root: &Path,
        hook: Option<Arc<dyn ParseHook>>,
    ) -> Result<ParseReport, AstError> {
        let span = info_span!("ast_parse_project", project, root = %root.display());
        async move {
            let started = Instant::now();
            let root_buf = root.to_path_buf();
            let walk_root = root_buf.clone();
            let files = tokio::task::spawn_blocking(move || discover_files(&walk_root))
                .await
                .map_err(|e| AstError::Discovery {
                    path: root_buf.clone(),
                    message: e.to_string(),
                })??;
            let known = match self
                .call(RepositoryCall::KnownHashes {
                    project: project.to_owned(),
                })
                .await?
            {
                RepositoryReply::Hashes(h) => h.unwrap_or_default(),
                other => return Err(unexpected(other)),
            };
            let present: std::collections::HashSet<&str> =
                files.iter().map(|f| f.relative.as_str()).collect();
            let removed: Vec<String> = known
                .keys()
                .filter(|k| !present.contains(k.as_str()))
                .cloned()
                .collect();
            let languages: Vec<_> = files.iter().map(|f| f.language).collect();
            let n_files = files.len();
            let outcomes = self
                .parsing
                .parse_files_with(
                    project,
                    files,
                    known,
                    &self.config.parsing,
                    hook.map(|h| (h, root_buf.clone())),
                )
                .await?;
            let mut report = ParseReport {
                project: project.to_owned(),
                root: root_buf.clone(),
                files: n_files,
                parsed: 0,
                unchanged: 0,
                removed: removed.len(),
                failed: Vec::new(),
                files_with_errors: Vec::new(),
                elapsed_ms: 0,
            };
            let mut updates = Vec::new();
            for (outcome, language) in outcomes.into_iter().zip(languages) {
                match outcome {
                    FileOutcome::Unchanged { .. } => report.unchanged += 1,
                    FileOutcome::Parsed(u) => {
                        report.parsed += 1;
                        if u.model.has_errors() {
                            report.files_with_errors.push(u.model.path.clone());
                        }
                        updates.push(*u);
                    }
                    FileOutcome::Failed { path, error } => {
                        // Stored with an empty hash so the next update tries it again.
                        let d = Diagnostic::new(
                            Severity::Error,
                            DiagnosticKind::ParseTaskFailed {
                                error: error.clone(),
                            },
                            format!("parse task failed: {error}"),
                            None,
                        );
                        updates.push(FileUpdate {
                            model: FileModel::unparsed(&path, language, String::new(), 0, vec![d]),
                            source: None,
                            attachment: None,
                        });
                        report.files_with_errors.push(path.clone());
                        report.failed.push(FailedFile { path, error });
                    }
                }
            }
            match self
                .call(RepositoryCall::Apply {
                    project: project.to_owned(),
                    root: root_buf,
                    updates,
                    removed,
                })
                .await?
            {
                RepositoryReply::Applied { .. } => {}
                other => return Err(unexpected(other)),
            }
            report.elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            info!(
                files = report.files,
                parsed = report.parsed,
                unchanged = report.unchanged,
                failed = report.failed.len(),
                elapsed_ms = report.elapsed_ms,
                "project parsed"
            );
            Ok(report)
        }
        .instrument(span)
        .await
    }

    /// One file's model (path relative to the project root).
    pub async fn file(&self, project: &str, path: &str) -> Result<Arc<FileModel>, AstError> {
        match self
            .call(RepositoryCall::File {
                project: project.to_owned(),
                path: path.to_owned(),
            })
            .await?
        {
            RepositoryReply::File(Some(f)) => Ok(f),
            RepositoryReply::File(None) => Err(self.missing(project, path).await),
            other => Err(unexpected(other)),
        }
    }

    async fn missing(&self, project: &str, path: &str) -> AstError {
        match self.projects().await {
            Ok(ps) if ps.iter().any(|p| p == project) => AstError::UnknownFile(path.to_owned()),
            Ok(_) => AstError::UnknownProject(project.to_owned()),
            Err(e) => e,
        }
    }

    /// Modules with this fully qualified name (`Shop.Cart`, `crate::net`).
    pub async fn modules(&self, project: &str, name: &str) -> Result<Vec<ModuleMatch>, AstError> {
        match self
            .call(RepositoryCall::Modules {
                project: project.to_owned(),
                name: name.to_owned(),
            })
            .await?
        {
            RepositoryReply::Modules(Some(m)) => Ok(m),
            RepositoryReply::Modules(None) => Err(AstError::UnknownProject(project.to_owned())),
            other => Err(unexpected(other)),
        }
    }

    /// Functions named `name`, optionally only in `module` and with `arity`.
    pub async fn functions(
        &self,
        project: &str,
        module: Option<&str>,
        name: &str,
        arity: Option<u32>,
    ) -> Result<Vec<FunctionMatch>, AstError> {
        match self
            .call(RepositoryCall::Functions {
                project: project.to_owned(),
                module: module.map(str::to_owned),
                name: name.to_owned(),
                arity,
            })
            .await?
        {
            RepositoryReply::Functions(Some(f)) => Ok(f),
            RepositoryReply::Functions(None) => Err(AstError::UnknownProject(project.to_owned())),
            other => Err(unexpected(other)),
        }
    }

    /// Relative paths of the project's files.
    pub async fn files(&self, project: &str) -> Result<Vec<String>, AstError> {
        match self
            .call(RepositoryCall::Files {
                project: project.to_owned(),
            })
            .await?
        {
            RepositoryReply::Files(Some(f)) => Ok(f),
            RepositoryReply::Files(None) => Err(AstError::UnknownProject(project.to_owned())),
            other => Err(unexpected(other)),
        }
    }

    /// Every file of a project, sorted by path: model, kept source and the attachment of the
    /// [`ParseHook`] its last parse ran with. One repository call for the whole project.
    pub async fn snapshot(&self, project: &str) -> Result<Vec<SnapshotFile>, AstError> {
        match self
            .call(RepositoryCall::Snapshot {
                project: project.to_owned(),
            })
            .await?
        {
            RepositoryReply::Snapshot(Some(f)) => Ok(f),
            RepositoryReply::Snapshot(None) => Err(AstError::UnknownProject(project.to_owned())),
            other => Err(unexpected(other)),
        }
    }

    /// Counts and memory (bytes per file) of a project.
    pub async fn stats(&self, project: &str) -> Result<ProjectStats, AstError> {
        match self
            .call(RepositoryCall::Stats {
                project: project.to_owned(),
            })
            .await?
        {
            RepositoryReply::Stats(Some(s)) => Ok(s),
            RepositoryReply::Stats(None) => Err(AstError::UnknownProject(project.to_owned())),
            other => Err(unexpected(other)),
        }
    }

    /// Ids of the loaded projects, sorted.
    pub async fn projects(&self) -> Result<Vec<String>, AstError> {
        match self.call(RepositoryCall::Projects).await? {
            RepositoryReply::Projects(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// Forgets a project; false if it was not loaded.
    pub async fn remove_project(&self, project: &str) -> Result<bool, AstError> {
        match self
            .call(RepositoryCall::RemoveProject {
                project: project.to_owned(),
            })
            .await?
        {
            RepositoryReply::Removed(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }

    /// The file's model together with a syntax tree rebuilt from the kept source (so spans
    /// match exactly), for the CPG layer to walk function bodies. Needs
    /// [`ParsingConfig::keep_sources`]; without a kept source the error is `UnknownFile`.
    pub async fn parsed_file(&self, project: &str, path: &str) -> Result<ParsedFile, AstError> {
        let model = self.file(project, path).await?;
        let source = match self
            .call(RepositoryCall::Source {
                project: project.to_owned(),
                path: path.to_owned(),
            })
            .await?
        {
            RepositoryReply::Source(Some(s)) => s,
            RepositoryReply::Source(None) => return Err(AstError::UnknownFile(path.to_owned())),
            other => return Err(unexpected(other)),
        };
        let options = self.config.parsing.parse_options.clone();
        let language = model.language;
        let rel = path.to_owned();
        tokio::task::spawn_blocking(move || {
            parse_source(&rel, language, source.as_bytes(), &options)
        })
        .await
        .map_err(|e| AstError::Unavailable(format!("re-parse task failed: {e}")))
    }
}

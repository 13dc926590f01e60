//! ParsingTaskSupervisor: parses files in parallel, bounded, on runtime-core's TaskSupervisor.
//!
//! Each file is one supervised task; tree-sitter work runs on tokio's blocking pool so the
//! async workers stay free. A task that panics or times out becomes a failure for that file
//! alone; the others complete. Progress goes out on a broadcast channel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use elixir_scope_runtime_core::{ChildSpec, Intensity, TaskError, TaskSupervisor};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tracing::{info_span, warn, Instrument};

use crate::discovery::SourceFile;
use crate::error::AstError;
use crate::parse_hook::{ParseContext, ParseHook};
use crate::parse_options::ParseOptions;
use crate::parsed_file::{content_hash, parse_source};
use crate::repository::FileUpdate;

/// Test-only fault injection: the parse task of a file whose relative path contains `marker`
/// panics on purpose. It exists only when set explicitly in [`ParsingConfig`]; the default
/// config has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultInjection {
    pub panic_when_path_contains: String,
}

/// How projects are parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsingConfig {
    /// Files parsed at once. Default: the number of CPUs.
    pub max_concurrency: usize,
    pub parse_options: ParseOptions,
    /// Keep each file's source text in the repository so [`crate::AstClient::parsed_file`]
    /// can rebuild its syntax tree from exactly the bytes the model came from. Default true.
    pub keep_sources: bool,
    /// A file whose parse takes longer fails with a timeout. Default 60 s.
    pub file_timeout: Duration,
    /// See [`FaultInjection`]. Default none.
    pub fault_injection: Option<FaultInjection>,
}

impl Default for ParsingConfig {
    fn default() -> Self {
        ParsingConfig {
            max_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            parse_options: ParseOptions::default(),
            keep_sources: true,
            file_timeout: Duration::from_secs(60),
            fault_injection: None,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone)]
pub enum FileOutcome {
    /// Content hash equal to the stored one: not parsed again.
    Unchanged { path: String },
    /// Parsed (possibly with diagnostics). Boxed: a model is far larger than the other
    /// variants.
    Parsed(Box<FileUpdate>),
    /// The parse task panicked, was killed or timed out.
    Failed { path: String, error: String },
}

impl FileOutcome {
    pub fn path(&self) -> &str {
        match self {
            FileOutcome::Unchanged { path } | FileOutcome::Failed { path, .. } => path,
            FileOutcome::Parsed(u) => &u.model.path,
        }
    }
}

/// Per-file status in progress events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    Parsed,
    ParsedWithErrors,
    Unchanged,
    Failed,
}

/// Progress of a project parse, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ParseProgress {
    Started {
        project: String,
        total: usize,
    },
    File {
        project: String,
        path: String,
        status: FileStatus,
        done: usize,
        total: usize,
    },
    Finished {
        project: String,
        parsed: usize,
        unchanged: usize,
        failed: usize,
    },
}

/// Handle to the layer's parse task supervisor.
#[derive(Debug, Clone)]
pub struct ParsingTaskSupervisor {
    tasks: TaskSupervisor,
    progress: broadcast::Sender<ParseProgress>,
}

/// Buffered progress events per subscriber; a slow subscriber loses the oldest (it sees
/// `Lagged`), parsing never waits for it.
const PROGRESS_BUFFER: usize = 1024;

impl ParsingTaskSupervisor {
    /// The task supervisor as a child (named `parsing_tasks`) and its handle.
    pub fn child_spec(intensity: Intensity) -> (ChildSpec, ParsingTaskSupervisor) {
        let (spec, tasks) = TaskSupervisor::child_spec_with_intensity("parsing_tasks", intensity);
        let (progress, _) = broadcast::channel(PROGRESS_BUFFER);
        (spec, ParsingTaskSupervisor { tasks, progress })
    }

    /// Progress events of every parse from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ParseProgress> {
        self.progress.subscribe()
    }

    fn emit(&self, event: ParseProgress) {
        // No subscriber is fine: progress is optional.
        let _ = self.progress.send(event);
    }

    /// Parses `files` with at most `config.max_concurrency` at once. Files whose content hash
    /// equals `known[path]` are reported unchanged without parsing. Outcomes come in input
    /// order, one per file.
    pub async fn parse_files(
        &self,
        project: &str,
        files: Vec<SourceFile>,
        known: HashMap<String, String>,
        config: &ParsingConfig,
    ) -> Result<Vec<FileOutcome>, AstError> {
        self.parse_files_with(project, files, known, config, None)
            .await
    }

    /// [`ParsingTaskSupervisor::parse_files`] with a [`ParseHook`] called in each file's
    /// parse task (`hook` carries the project's root for the hook's [`ParseContext`]).
    pub async fn parse_files_with(
        &self,
        project: &str,
        files: Vec<SourceFile>,
        known: HashMap<String, String>,
        config: &ParsingConfig,
        hook: Option<(Arc<dyn ParseHook>, PathBuf)>,
    ) -> Result<Vec<FileOutcome>, AstError> {
        let span = info_span!("parsing_task_supervisor", project, files = files.len());
        async move {
            let total = files.len();
            self.emit(ParseProgress::Started {
                project: project.to_owned(),
                total,
            });
            let paths: Vec<String> = files.iter().map(|f| f.relative.clone()).collect();
            let known = Arc::new(known);
            let cfg = Arc::new(config.clone());
            let hook = Arc::new(hook.map(|(hook, root)| TaskHook {
                hook,
                project: project.to_owned(),
                root,
            }));
            let mut stream = Box::pin(self.tasks.async_stream(
                files,
                config.max_concurrency.max(1),
                move |file: SourceFile| {
                    let known = known.clone();
                    let cfg = cfg.clone();
                    let hook = hook.clone();
                    async move { parse_task(file, known, cfg, hook).await }
                },
            ));
            let mut outcomes = Vec::with_capacity(total);
            let (mut parsed, mut unchanged, mut failed) = (0, 0, 0);
            while let Some(result) = stream.next().await {
                let path = paths.get(outcomes.len()).cloned().unwrap_or_default();
                let outcome = match result {
                    Ok(o) => o,
                    Err(TaskError::NotRunning(name)) => {
                        return Err(AstError::TaskStart(format!("{name} is not running")));
                    }
                    Err(e) => {
                        warn!(%path, error = %e, "parse task failed");
                        FileOutcome::Failed {
                            path,
                            error: e.to_string(),
                        }
                    }
                };
                let status = match &outcome {
                    FileOutcome::Unchanged { .. } => {
                        unchanged += 1;
                        FileStatus::Unchanged
                    }
                    FileOutcome::Parsed(u) => {
                        parsed += 1;
                        if u.model.has_errors() {
                            FileStatus::ParsedWithErrors
                        } else {
                            FileStatus::Parsed
                        }
                    }
                    FileOutcome::Failed { .. } => {
                        failed += 1;
                        FileStatus::Failed
                    }
                };
                self.emit(ParseProgress::File {
                    project: project.to_owned(),
                    path: outcome.path().to_owned(),
                    status,
                    done: outcomes.len() + 1,
                    total,
                });
                outcomes.push(outcome);
            }
            self.emit(ParseProgress::Finished {
                project: project.to_owned(),
                parsed,
                unchanged,
                failed,
            });
            Ok(outcomes)
        }
        .instrument(span)
        .await
    }
}

/// A parse hook with the project it is called for.
struct TaskHook {
    hook: Arc<dyn ParseHook>,
    project: String,
    root: PathBuf,
}

impl TaskHook {
    fn context(&self) -> ParseContext<'_> {
        ParseContext {
            project: &self.project,
            root: &self.root,
        }
    }
}

/// One file's parse task: the CPU work runs on the blocking pool; a panic there is re-raised
/// here so the task supervisor records it as this task's panic.
async fn parse_task(
    file: SourceFile,
    known: Arc<HashMap<String, String>>,
    cfg: Arc<ParsingConfig>,
    hook: Arc<Option<TaskHook>>,
) -> FileOutcome {
    let path = file.relative.clone();
    let timeout = cfg.file_timeout;
    let work = tokio::task::spawn_blocking(move || {
        parse_blocking(&file, &known, &cfg, Option::as_ref(&hook))
    });
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Ok(Err(join)) => FileOutcome::Failed {
            path,
            error: join.to_string(),
        },
        Err(_) => FileOutcome::Failed {
            path,
            error: format!("parse timed out after {timeout:?}"),
        },
    }
}

fn parse_blocking(
    file: &SourceFile,
    known: &HashMap<String, String>,
    cfg: &ParsingConfig,
    hook: Option<&TaskHook>,
) -> FileOutcome {
    if let Some(f) = &cfg.fault_injection {
        if file.relative.contains(&f.panic_when_path_contains) {
            panic!("fault injection: parse task for {} panics", file.relative);
        }
    }
    let opts = &cfg.parse_options;
    let too_large = std::fs::metadata(&file.path)
        .map(|m| m.len() > opts.max_file_bytes)
        .unwrap_or(false);
    let parsed = if too_large {
        crate::parsed_file::parse_file(&file.path, &file.relative, opts)
    } else {
        match std::fs::read(&file.path) {
            Ok(bytes) => {
                let hash = content_hash(&bytes);
                if known.get(&file.relative) == Some(&hash) {
                    return FileOutcome::Unchanged {
                        path: file.relative.clone(),
                    };
                }
                let reused = hook.and_then(|h| h.hook.reuse(h.context(), file, &hash, &bytes));
                if let Some(reused) = reused {
                    // Only a parsed file is worth storing, and a parsed file is UTF-8.
                    let source = if cfg.keep_sources {
                        std::str::from_utf8(&bytes).ok().map(Arc::from)
                    } else {
                        None
                    };
                    return FileOutcome::Parsed(Box::new(FileUpdate {
                        model: reused.model,
                        source,
                        attachment: reused.attachment,
                    }));
                }
                parse_source(&file.relative, file.language, &bytes, opts)
            }
            Err(_) => crate::parsed_file::parse_file(&file.path, &file.relative, opts),
        }
    };
    let attachment = hook.and_then(|h| h.hook.parsed(h.context(), &parsed));
    FileOutcome::Parsed(Box::new(FileUpdate {
        model: parsed.model,
        source: if cfg.keep_sources {
            parsed.source
        } else {
            None
        },
        attachment,
    }))
}

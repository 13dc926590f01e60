//! Runs one job: each analysis as its own task under the AnalysisTaskSupervisor, so a
//! panicking analysis becomes an [`AnalysisFailure`] entry and the others still report.
//!
//! Metrics run first (one supervised task per file, bounded concurrency, a file whose task
//! panics becomes a diagnostic for that file); analyses that need metrics (smells) then run
//! on them, in parallel with each other.

use std::sync::Arc;

use elixir_scope_ast::{AstClient, FileModel, Language, Severity, SnapshotFile};
use elixir_scope_cpg::CallGraph;
use elixir_scope_runtime_core::{TaskError, TaskSupervisor};
use futures::{FutureExt, StreamExt};
use tokio::sync::broadcast;
use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;
use tracing::{info_span, warn, Instrument};

use crate::analysis_config::AnalysisConfig;
use crate::analysis_kind::AnalysisKind;
use crate::call_cycles::{find_function_cycles, find_module_cycles};
use crate::dead_code::find_dead_code;
use crate::job::{JobId, JobProgress, JobSpec};
use crate::measured_file::{measure_source, MeasuredFile};
use crate::metrics::FileMetrics;
use crate::report::Finding;
use crate::report::{AnalysisFailure, FileDiagnostic, Level, Report, Summary};
use crate::smells::find_smells;

/// Why a job produced no report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobError {
    Cancelled,
    Failed(String),
}

/// Everything a job's driver task needs.
pub(crate) struct JobContext {
    pub id: JobId,
    pub spec: JobSpec,
    pub ast: AstClient,
    pub tasks: TaskSupervisor,
    pub cancel: CancellationToken,
    pub config: Arc<AnalysisConfig>,
    pub progress: broadcast::Sender<JobProgress>,
}

/// What the metrics analysis produced.
struct MetricsOutcome {
    files: Vec<Arc<FileMetrics>>,
    diagnostics: Vec<FileDiagnostic>,
    languages: Vec<Language>,
}

/// Runs the job until it completes or is cancelled.
pub(crate) async fn run_job(ctx: JobContext) -> Result<Report, JobError> {
    let cancel = ctx.cancel.clone();
    let span = info_span!("analysis_job", job = ctx.id, project = %ctx.spec.project);
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(JobError::Cancelled),
        r = run(ctx).instrument(span) => r,
    }
}

fn injected_fault(config: &AnalysisConfig, kind: AnalysisKind) {
    if config
        .fault_injection
        .as_ref()
        .is_some_and(|f| f.panic_in == kind)
    {
        panic!(
            "fault injection: the {} analysis panics on purpose",
            kind.name()
        );
    }
}

fn failure(analysis: AnalysisKind, error: &TaskError) -> AnalysisFailure {
    warn!(analysis = analysis.name(), %error, "analysis failed");
    AnalysisFailure {
        analysis,
        error: error.to_string(),
    }
}

async fn run(ctx: JobContext) -> Result<Report, JobError> {
    let project = ctx.spec.project.clone();
    // One repository call for every file's model, source and metrics attachment.
    let files: Arc<Vec<SnapshotFile>> = Arc::new(
        ctx.ast
            .snapshot(&project)
            .await
            .map_err(|e| JobError::Failed(e.to_string()))?,
    );
    let wanted = |k: AnalysisKind| ctx.spec.analyses.contains(&k);
    let mut failures = Vec::new();
    let mut completed = Vec::new();

    let needs_metrics = wanted(AnalysisKind::Metrics) || wanted(AnalysisKind::Smells);
    let metrics: Option<Arc<MetricsOutcome>> = if needs_metrics {
        let task = metrics_analysis(&ctx, files.clone());
        let result = match ctx.tasks.async_nolink(task) {
            Ok(handle) => handle.join().await,
            Err(e) => Err(e),
        };
        emit_done(&ctx, AnalysisKind::Metrics, result.is_ok());
        match result {
            Ok(m) => {
                if wanted(AnalysisKind::Metrics) {
                    completed.push(AnalysisKind::Metrics);
                }
                Some(Arc::new(m))
            }
            Err(e) => {
                failures.push(failure(AnalysisKind::Metrics, &e));
                None
            }
        }
    } else {
        None
    };

    // The analyses after metrics run side by side, each in its own task; the call graph is
    // built once, by whichever graph analysis gets to it first.
    let graph: SharedGraph = Arc::new(OnceCell::new());
    let mut running = Vec::new();
    for kind in [
        AnalysisKind::Smells,
        AnalysisKind::DeadCode,
        AnalysisKind::Cycles,
    ] {
        if !wanted(kind) {
            continue;
        }
        let task = match kind {
            AnalysisKind::Smells => match &metrics {
                None => {
                    failures.push(AnalysisFailure {
                        analysis: kind,
                        error: "needs the metrics analysis, which failed".to_owned(),
                    });
                    continue;
                }
                Some(m) => smells_task(&ctx, m.clone()).boxed(),
            },
            _ => graph_task(&ctx, kind, files.clone(), graph.clone()).boxed(),
        };
        running.push((kind, ctx.tasks.async_nolink(task)));
    }
    let mut findings = Vec::new();
    for (kind, handle) in running {
        let result = match handle {
            Ok(h) => h.join().await,
            Err(e) => Err(e),
        };
        emit_done(&ctx, kind, result.is_ok());
        match result {
            Ok(f) => {
                findings.extend(f);
                completed.push(kind);
            }
            Err(e) => failures.push(failure(kind, &e)),
        }
    }
    Ok(assemble(
        &ctx.spec,
        files.len(),
        metrics.as_deref(),
        findings,
        completed,
        failures,
    ))
}

/// The project's call graph with the models it was built from, built once per job.
type SharedGraph = Arc<OnceCell<Arc<ProjectGraph>>>;

struct ProjectGraph {
    graph: CallGraph,
    models: Vec<Arc<FileModel>>,
}

fn smells_task(
    ctx: &JobContext,
    m: Arc<MetricsOutcome>,
) -> impl std::future::Future<Output = Vec<Finding>> + Send + 'static {
    let thresholds = ctx.spec.thresholds.clone();
    let config = ctx.config.clone();
    async move {
        injected_fault(&config, AnalysisKind::Smells);
        let functions: Vec<_> = m
            .files
            .iter()
            .flat_map(|f| f.functions.iter().cloned())
            .collect();
        let modules: Vec<_> = m
            .files
            .iter()
            .flat_map(|f| f.modules.iter().cloned())
            .collect();
        find_smells(&functions, &modules, &thresholds)
    }
}

async fn project_graph(files: &[SnapshotFile]) -> Arc<ProjectGraph> {
    let models: Vec<Arc<FileModel>> = files.iter().map(|f| f.model.clone()).collect();
    let built = tokio::task::spawn_blocking(move || {
        let graph = CallGraph::build(models.iter().map(|m| m.as_ref()));
        ProjectGraph { graph, models }
    })
    .await;
    match built {
        Ok(g) => Arc::new(g),
        // Keep a panic a panic of the analysis task, so it is reported as its failure.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("call graph task was cancelled: {e}"),
    }
}

fn graph_task(
    ctx: &JobContext,
    kind: AnalysisKind,
    files: Arc<Vec<SnapshotFile>>,
    shared: SharedGraph,
) -> impl std::future::Future<Output = Vec<Finding>> + Send + 'static {
    let roots = ctx.spec.dead_code_roots.clone();
    let config = ctx.config.clone();
    async move {
        injected_fault(&config, kind);
        let pg = shared.get_or_init(|| project_graph(&files)).await.clone();
        tokio::task::spawn_blocking(move || {
            let models: Vec<&FileModel> = pg.models.iter().map(|m| m.as_ref()).collect();
            match kind {
                AnalysisKind::DeadCode => find_dead_code(&pg.graph, &models, &roots),
                _ => {
                    let mut f = find_function_cycles(&pg.graph);
                    f.extend(find_module_cycles(&pg.graph, &models));
                    f
                }
            }
        })
        .await
        .unwrap_or_else(|e| {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic())
            }
            panic!("{} task was cancelled: {e}", kind.name())
        })
    }
}

fn emit_done(ctx: &JobContext, analysis: AnalysisKind, ok: bool) {
    // No subscriber is fine: progress is optional.
    let _ = ctx.progress.send(JobProgress::Analysis {
        job: ctx.id,
        analysis,
        ok,
    });
}

fn assemble(
    spec: &JobSpec,
    file_count: usize,
    metrics: Option<&MetricsOutcome>,
    findings: Vec<Finding>,
    analyses: Vec<AnalysisKind>,
    failures: Vec<AnalysisFailure>,
) -> Report {
    let mut summary = Summary {
        files: file_count,
        ..Summary::default()
    };
    let mut functions = Vec::new();
    let mut modules = Vec::new();
    let mut diagnostics = Vec::new();
    if let Some(m) = metrics {
        summary.elixir_files = m
            .languages
            .iter()
            .filter(|l| **l == Language::Elixir)
            .count();
        summary.rust_files = m.languages.iter().filter(|l| **l == Language::Rust).count();
        for f in &m.files {
            summary.code_lines += u64::from(f.lines.ploc);
            functions.extend(f.functions.iter().cloned());
            modules.extend(f.modules.iter().cloned());
        }
        diagnostics = m.diagnostics.clone();
    }
    summary.functions = functions.len();
    summary.modules = modules.len();
    let include_metrics = analyses.contains(&AnalysisKind::Metrics);
    let mut report = Report {
        root: spec.root.clone(),
        analyses,
        summary,
        findings,
        functions: if include_metrics {
            functions
        } else {
            Vec::new()
        },
        modules: if include_metrics { modules } else { Vec::new() },
        diagnostics,
        failures,
    };
    report.finish_findings();
    report
}

/// The parse diagnostics of a file worth reporting (errors and warnings).
fn model_diagnostics(model: &FileModel) -> Vec<FileDiagnostic> {
    model
        .diagnostics
        .iter()
        .filter_map(|d| {
            let level = match d.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Info => return None,
            };
            Some(FileDiagnostic {
                file: model.path.to_string(),
                level,
                message: d.message.to_string(),
                line: d.span.map(|s| model.start(&s).line),
            })
        })
        .collect()
}

/// One file's outcome in the metrics analysis.
struct FileOutcome {
    language: Option<Language>,
    metrics: Option<Arc<FileMetrics>>,
    diagnostics: Vec<FileDiagnostic>,
}

fn diagnostic(path: String, message: String) -> FileOutcome {
    FileOutcome {
        language: None,
        metrics: None,
        diagnostics: vec![FileDiagnostic {
            file: path,
            level: Level::Error,
            message,
            line: None,
        }],
    }
}

/// Measures one file parsed without the metrics hook, from its model and kept source: only
/// the tree-sitter parse is redone (the AST layer keeps no trees); the model is not
/// extracted again.
async fn measure_file(file: SnapshotFile) -> FileOutcome {
    let model = file.model;
    let Some(source) = file.source else {
        // Files stored without source (unreadable, binary, too large) have no tree; their
        // model's diagnostics say why.
        let mut diagnostics = model_diagnostics(&model);
        if !model.has_errors() {
            // A parsed file without a kept source: the AST layer runs without
            // `keep_sources`, so there is no tree to measure.
            diagnostics.push(FileDiagnostic {
                file: model.path.clone(),
                level: Level::Warning,
                message: "not measured: the AST layer keeps no source for it (keep_sources is off)"
                    .to_owned(),
                line: None,
            });
        }
        return FileOutcome {
            language: Some(model.language),
            metrics: None,
            diagnostics,
        };
    };
    let path = model.path.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let mut diagnostics = model_diagnostics(&model);
        let metrics = match measure_source(&model, &source) {
            Some(m) => Some(Arc::new(m)),
            None => {
                diagnostics.push(FileDiagnostic {
                    file: model.path.clone(),
                    level: Level::Error,
                    message: "tree-sitter produced no tree; not measured".to_owned(),
                    line: None,
                });
                None
            }
        };
        (model.language, metrics, diagnostics)
    })
    .await;
    match joined {
        Ok((language, metrics, diagnostics)) => FileOutcome {
            language: Some(language),
            metrics,
            diagnostics,
        },
        // Keep the panic a panic of this file's task, so it is reported like one.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => diagnostic(path, format!("measuring failed: {e}")),
    }
}

/// A file measured in its parse task: its metrics are already there.
fn measured_outcome(model: &FileModel, measured: &MeasuredFile) -> FileOutcome {
    FileOutcome {
        language: Some(model.language),
        metrics: measured.metrics.clone(),
        diagnostics: model_diagnostics(model),
    }
}

fn metrics_analysis(
    ctx: &JobContext,
    files: Arc<Vec<SnapshotFile>>,
) -> impl std::future::Future<Output = MetricsOutcome> + Send + 'static {
    let tasks = ctx.tasks.clone();
    let config = ctx.config.clone();
    let progress = ctx.progress.clone();
    let cancel = ctx.cancel.clone();
    let job = ctx.id;
    async move {
        injected_fault(&config, AnalysisKind::Metrics);
        let total = files.len();
        let mut outcome = MetricsOutcome {
            files: Vec::with_capacity(total),
            diagnostics: Vec::new(),
            languages: Vec::with_capacity(total),
        };
        // Files measured in their parse task need no work here; the others (parsed without
        // the hook, e.g. through the API) are measured on demand, one supervised task each.
        let mut slots: Vec<Option<FileOutcome>> = Vec::with_capacity(total);
        let mut pending = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let measured = file
                .attachment
                .as_ref()
                .and_then(MeasuredFile::from_attachment);
            match measured {
                Some(m) => slots.push(Some(measured_outcome(&file.model, &m))),
                None => {
                    slots.push(None);
                    pending.push((i, file.clone()));
                }
            }
        }
        if !pending.is_empty() {
            let indexes: Vec<(usize, String)> =
                pending.iter().map(|(i, f)| (*i, f.path.clone())).collect();
            let inputs: Vec<SnapshotFile> = pending.into_iter().map(|(_, f)| f).collect();
            let mut stream =
                Box::pin(tasks.async_stream(inputs, config.max_concurrency.max(1), measure_file));
            let mut indexes = indexes.into_iter();
            while let Some(result) = stream.next().await {
                if cancel.is_cancelled() {
                    break;
                }
                let Some((i, path)) = indexes.next() else {
                    break;
                };
                let file = result.unwrap_or_else(|e| FileOutcome {
                    language: None,
                    metrics: None,
                    diagnostics: vec![FileDiagnostic {
                        file: path,
                        level: Level::Error,
                        message: format!("measuring failed: {e}"),
                        line: None,
                    }],
                });
                if let Some(slot) = slots.get_mut(i) {
                    *slot = Some(file);
                }
            }
        }
        for (done, (slot, file)) in slots.into_iter().zip(files.iter()).enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            if let Some(file) = slot {
                if let Some(l) = file.language {
                    outcome.languages.push(l);
                }
                outcome.diagnostics.extend(file.diagnostics);
                if let Some(m) = file.metrics {
                    outcome.files.push(m);
                }
            }
            // No subscriber is fine: progress is optional.
            let _ = progress.send(JobProgress::File {
                job,
                path: file.path.clone(),
                done: done + 1,
                total,
            });
        }
        outcome
    }
}

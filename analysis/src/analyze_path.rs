//! `elixir-scope analyze PATH` as a library call: parse, analyse, report, on the same
//! supervised services `serve` runs, started for the run and stopped after it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use elixir_scope_ast::{discover_files, AstConfig, AstLayer, ParseProgress};
use tokio::sync::broadcast::error::RecvError;
use tracing::info;

use crate::analysis_cache::AnalysisCache;
use crate::analysis_config::AnalysisConfig;
use crate::analysis_kind::AnalysisKind;
use crate::analysis_layer::AnalysisLayer;
use crate::dead_code::DeadCodeRoots;
use crate::error::AnalyzeError;
use crate::job::{JobProgress, JobSpec};
use crate::metrics_hook::MetricsHook;
use crate::report::Report;
use crate::thresholds::Thresholds;

/// What [`analyze_path`] runs and how.
#[derive(Debug, Clone, Default)]
pub struct AnalyzeOptions {
    /// The analyses to run; empty means all of them.
    pub analyses: Vec<AnalysisKind>,
    pub thresholds: Thresholds,
    pub dead_code_roots: DeadCodeRoots,
    pub ast: AstConfig,
    pub analysis: AnalysisConfig,
    /// Base directory of the persistent analysis cache (one subdirectory per project);
    /// `None` runs without it. `elixir-scope analyze` passes [`crate::default_cache_dir`]
    /// unless told otherwise. The cache never changes the report, only how much is parsed.
    pub cache_dir: Option<PathBuf>,
}

/// Progress of [`analyze_path`], for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Source files found.
    Discovered { files: usize },
    /// Files parsed so far.
    Parsed { done: usize, total: usize },
    /// Files measured so far.
    Measured { done: usize, total: usize },
    /// An analysis finished (`ok` false: it failed, the report lists why).
    AnalysisDone { analysis: AnalysisKind, ok: bool },
}

/// Analyses the project directory `path`: discovers its `.ex`, `.exs` and `.rs` files,
/// parses them with the AST layer, runs the analyses as one job of the analysis layer, and
/// returns the report. `progress` is called on the caller's task as work advances.
///
/// A single file is refused ([`AnalyzeError::NotADirectory`]): file paths in reports are
/// relative to a project root, and the call graph analyses need the whole project. Files
/// that cannot be read or parsed do not fail the run; they are the report's diagnostics.
pub async fn analyze_path(
    path: &Path,
    options: AnalyzeOptions,
    progress: impl Fn(Progress),
) -> Result<Report, AnalyzeError> {
    let meta = std::fs::metadata(path).map_err(|_| AnalyzeError::NotFound {
        path: path.to_path_buf(),
    })?;
    if !meta.is_dir() {
        return Err(AnalyzeError::NotADirectory {
            path: path.to_path_buf(),
        });
    }
    let root = path.to_path_buf();
    // The cache's pack is read while the project is walked.
    let cache_root = path.to_path_buf();
    let cache_base = options.cache_dir.clone();
    let opening = tokio::task::spawn_blocking(move || {
        cache_base.and_then(|base| AnalysisCache::open(&base, &cache_root))
    });
    let files = tokio::task::spawn_blocking(move || discover_files(&root))
        .await
        .map_err(|e| AnalyzeError::Start(format!("file discovery task failed: {e}")))??;
    // A cache that failed to open is no cache: it only saves work.
    let cache = opening.await.ok().flatten();
    if files.is_empty() {
        return Err(AnalyzeError::NoSupportedFiles {
            path: path.to_path_buf(),
        });
    }
    progress(Progress::Discovered { files: files.len() });

    let mut ast_config = options.ast.clone();
    // Files are measured in their parse tasks; a file the hook could not measure is measured
    // on demand from its kept source.
    ast_config.parsing.keep_sources = true;
    let hook = Arc::new(MetricsHook::new(cache.clone()));
    let (ast_sup, ast) = AstLayer::start(ast_config)
        .await
        .map_err(|e| AnalyzeError::Start(e.to_string()))?;
    let started = AnalysisLayer::start(options.analysis.clone(), ast.clone()).await;
    let (analysis_sup, analysis) = match started {
        Ok(s) => s,
        Err(e) => {
            ast_sup.shutdown().await;
            return Err(AnalyzeError::Start(e.to_string()));
        }
    };
    let project = path.display().to_string();
    let mut parse_events = ast.subscribe_progress();
    let mut job_events = analysis.subscribe_progress();
    let analyses = if options.analyses.is_empty() {
        AnalysisKind::ALL.to_vec()
    } else {
        options.analyses.clone()
    };
    let spec = JobSpec {
        project: project.clone(),
        root: project.clone(),
        analyses,
        thresholds: options.thresholds.clone(),
        dead_code_roots: options.dead_code_roots.clone(),
    };
    let work = async {
        ast.parse_project_with(&project, path, Some(hook)).await?;
        // The cache is written while the analyses run.
        let saving = cache.map(|c| tokio::task::spawn_blocking(move || c.save()));
        let report = analysis.run(spec).await;
        if let Some(saving) = saving {
            // A failed write only costs parsing next time; the report stands.
            let _ = saving.await;
        }
        report
    };
    tokio::pin!(work);
    // Progress is forwarded on this task, so `progress` needs not be Send.
    let (mut parse_open, mut job_open) = (true, true);
    let result = loop {
        tokio::select! {
            r = &mut work => break r,
            e = parse_events.recv(), if parse_open => parse_open = forward_parse(e, &progress),
            e = job_events.recv(), if job_open => job_open = forward_job(e, &progress),
        }
    };
    analysis_sup.shutdown().await;
    ast_sup.shutdown().await;
    let report = result?;
    info!(
        files = report.summary.files,
        findings = report.summary.findings,
        "analysis finished"
    );
    Ok(Arc::unwrap_or_clone(report))
}

/// Forwards one parse event; false once the channel is closed (stop listening).
fn forward_parse(event: Result<ParseProgress, RecvError>, progress: &impl Fn(Progress)) -> bool {
    match event {
        Ok(ParseProgress::File { done, total, .. }) => progress(Progress::Parsed { done, total }),
        Ok(_) | Err(RecvError::Lagged(_)) => {}
        Err(RecvError::Closed) => return false,
    }
    true
}

/// Forwards one job event; false once the channel is closed (stop listening).
fn forward_job(event: Result<JobProgress, RecvError>, progress: &impl Fn(Progress)) -> bool {
    match event {
        Ok(JobProgress::File { done, total, .. }) => progress(Progress::Measured { done, total }),
        Ok(JobProgress::Analysis { analysis, ok, .. }) => {
            progress(Progress::AnalysisDone { analysis, ok })
        }
        Err(RecvError::Lagged(_)) => {}
        Err(RecvError::Closed) => return false,
    }
    true
}

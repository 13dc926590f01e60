//! The analysis layer of ElixirScope: metrics, smells, dead code and call-graph cycles over a
//! parsed Elixir or Rust project, reported as text, JSON or SARIF 2.1.0.
//!
//! It sits above `ast` (it walks the syntax trees of the sources the AST layer keeps) and
//! `cpg` (dead code and cycles use its project call graph), and below `capture` (see the
//! workspace's design). The pure parts, usable alone: [`file_metrics`] / [`measure`],
//! [`find_smells`], [`find_dead_code`], [`find_function_cycles`], [`find_module_cycles`] and
//! the renderers.
//!
//! ```
//! use elixir_scope_analysis::file_metrics;
//! use elixir_scope_ast::{parse_source, Language, ParseOptions};
//!
//! let src = br#"
//! defmodule Shop do
//!   def price(item, qty) do
//!     if qty > 10 and item.bulk, do: item.price * 0.9, else: item.price
//!   end
//! end
//! "#;
//! let parsed = parse_source("lib/shop.ex", Language::Elixir, src, &ParseOptions::default());
//! let metrics = file_metrics(&parsed).expect("parsed file has a tree");
//! let price = &metrics.functions[0];
//! assert_eq!(price.cyclomatic, 3); // 1 + if + and (Credo's rules)
//! assert_eq!(price.cognitive, 3); // if + else + one `and` sequence (SonarSource's rules)
//! ```
//!
//! ## `elixir-scope analyze PATH`
//!
//! [`analyze_path`] runs the whole pipeline on the supervised services (the AST layer parses,
//! the [`AnalysisJobManager`] runs each analysis as its own task) and returns a [`Report`];
//! [`render`] turns it into text, JSON or SARIF 2.1.0 and [`evaluate_fail_on`] decides a CI
//! exit code:
//!
//! ```
//! use elixir_scope_analysis::{analyze_path, evaluate_fail_on, render, AnalyzeOptions, FailOn, Format};
//! use std::path::Path;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let rt = tokio::runtime::Runtime::new()?;
//! # rt.block_on(async {
//! let report = analyze_path(Path::new("tests/fixtures"), AnalyzeOptions::default(), |progress| {
//!     let _ = progress; // drive a progress bar here
//! })
//! .await?;
//! let text = render(&report, Format::Text)?;
//! assert!(text.contains("nesting-depth"));
//! let verdict = evaluate_fail_on(&report, FailOn::Warning);
//! assert!(verdict.failed && verdict.matching == 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! Each file is parsed once: [`analyze_path`] parses with a hook in the AST layer's parse
//! tasks that measures the file from the same syntax tree the model came from. A job on a
//! project parsed without it (through `serve`'s API) measures files on demand from their kept
//! sources; both give the same report.
//!
//! ## Cache
//!
//! With [`AnalyzeOptions::cache_dir`] (`elixir-scope analyze` defaults it to
//! [`default_cache_dir`]), each file's model and metrics are stored per project, keyed by the
//! file's content hash, path, language and the tool version, so the next run only parses new
//! and changed files. Corrupt or truncated entries are ignored and rewritten; writes are
//! atomic; the report is the same with or without the cache.
//!
//! ## Services
//!
//! [`AnalysisLayer::child_spec`] gives the layer's one_for_one supervisor (`analysis`: the
//! `analysis_tasks` task supervisor and the `analysis_job_manager` service) and an
//! [`AnalysisClient`] to submit, wait for, list and cancel jobs. A panicking analysis becomes
//! an [`AnalysisFailure`] in its job's report; the other analyses still report.
//!
//! Counting rules of every metric are documented on the metric's field types ([`LineCounts`],
//! [`Abc`], [`Halstead`], [`Maintainability`]) and in the source modules under `metrics/`.

mod analysis_cache;
mod analysis_config;
mod analysis_kind;
mod analysis_layer;
mod analyze_path;
mod call_cycles;
mod dead_code;
mod elixir_syntax;
mod error;
mod fail_on;
mod job;
mod job_manager;
mod job_runner;
mod measured_file;
mod metrics;
mod metrics_hook;
mod render;
mod report;
mod rule;
mod smells;
mod syntax;
mod thresholds;

pub use analysis_cache::default_cache_dir;
pub use analysis_config::{AnalysisConfig, AnalysisFaultInjection};
pub use analysis_kind::AnalysisKind;
pub use analysis_layer::{AnalysisClient, AnalysisLayer};
pub use analyze_path::{analyze_path, AnalyzeOptions, Progress};
pub use call_cycles::{find_function_cycles, find_module_cycles};
pub use dead_code::{find_dead_code, DeadCodeRoots};
pub use error::AnalyzeError;
pub use fail_on::{evaluate_fail_on, FailOn, FailOnVerdict};
pub use job::{JobId, JobProgress, JobSpec, JobState, JobStatus};
pub use job_manager::{AnalysisJobManager, JobCall, JobFinished, JobReply};
pub use metrics::{
    file_metrics, measure, Abc, FileMetrics, FunctionMetrics, Halstead, LineCounts,
    Maintainability, ModuleMetrics,
};
pub use render::{
    render, render_json, render_sarif, render_text, render_text_with, to_sarif, Format, TextOptions,
};
pub use report::{AnalysisFailure, FileDiagnostic, Finding, Level, Report, Summary};
pub use rule::Rule;
pub use smells::find_smells;
pub use thresholds::{LanguageThresholds, Thresholds};

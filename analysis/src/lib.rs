//! The analysis layer of ElixirScope: metrics, smells and reports over a parsed Elixir or
//! Rust project.
//!
//! It sits above `ast` (it walks the syntax trees the AST layer parsed) and below `capture`
//! (see the workspace's design).
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
mod metrics;
mod render;
mod report;
mod rule;
mod smells;
mod syntax;
mod thresholds;

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
    file_metrics, Abc, FileMetrics, FunctionMetrics, Halstead, LineCounts, Maintainability,
    ModuleMetrics,
};
pub use render::{
    render, render_json, render_sarif, render_text, render_text_with, to_sarif, Format, TextOptions,
};
pub use report::{AnalysisFailure, FileDiagnostic, Finding, Level, Report, Summary};
pub use rule::Rule;
pub use smells::find_smells;
pub use thresholds::{LanguageThresholds, Thresholds};

//! The result of analysing a project: metrics, findings, file diagnostics and the analyses
//! that failed. Plain serde data; the renderers turn it into text, JSON or SARIF.

use elixir_scope_ast::Language;
use serde::{Deserialize, Serialize};

use crate::analysis_kind::AnalysisKind;
use crate::metrics::{FunctionMetrics, ModuleMetrics};
use crate::rule::Rule;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    /// Lowercase name (`warning`), also the SARIF level.
    pub fn name(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One rule violated at one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    pub message: String,
    /// File path relative to the project root.
    pub file: String,
    pub language: Language,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    /// The function or module it is about (`Shop.Cart.total/1`, `crate::net`).
    pub symbol: String,
    pub value: f64,
    pub threshold: f64,
}

impl Finding {
    /// How far over its threshold the finding is (value / threshold); the report's order.
    pub fn severity_ratio(&self) -> f64 {
        if self.threshold > 0.0 {
            self.value / self.threshold
        } else {
            self.value
        }
    }
}

/// A problem with one input file (unreadable, not UTF-8, syntax errors...), from the parse.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDiagnostic {
    pub file: String,
    pub level: Level,
    pub message: String,
    pub line: Option<u32>,
}

/// An analysis that did not produce results (it panicked, was cancelled or failed); the
/// others in the job still did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisFailure {
    pub analysis: AnalysisKind,
    pub error: String,
}

/// Totals for the report header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub files: usize,
    pub elixir_files: usize,
    pub rust_files: usize,
    pub modules: usize,
    pub functions: usize,
    pub code_lines: u64,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    #[serde(default)]
    pub notes: usize,
}

/// Everything one analysis run produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The analysed directory as given.
    pub root: String,
    /// The analyses that ran and produced results.
    pub analyses: Vec<AnalysisKind>,
    pub summary: Summary,
    /// Sorted worst first (see [`Report::sort_findings`]).
    pub findings: Vec<Finding>,
    pub functions: Vec<FunctionMetrics>,
    pub modules: Vec<ModuleMetrics>,
    pub diagnostics: Vec<FileDiagnostic>,
    pub failures: Vec<AnalysisFailure>,
}

impl Report {
    /// Orders findings worst first: level, then how far over the threshold, then file and
    /// line so equal findings keep a stable order.
    pub fn sort_findings(&mut self) {
        self.findings.sort_by(|a, b| {
            b.level
                .cmp(&a.level)
                .then(b.severity_ratio().total_cmp(&a.severity_ratio()))
                .then_with(|| a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
                .then(a.rule.cmp(&b.rule))
        });
    }

    /// Sorts the findings worst first and recounts them in the summary; call after changing
    /// `findings`.
    pub fn finish_findings(&mut self) {
        self.sort_findings();
        self.count_findings();
    }

    /// Recomputes the finding counts of the summary.
    fn count_findings(&mut self) {
        self.summary.findings = self.findings.len();
        self.summary.errors = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Error)
            .count();
        self.summary.warnings = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Warning)
            .count();
        self.summary.notes = self
            .findings
            .iter()
            .filter(|f| f.level == Level::Note)
            .count();
    }
}

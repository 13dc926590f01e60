//! The readable report: a summary, then findings worst first (`file:line  rule  message`),
//! the most complex functions, file diagnostics and failed analyses.

use std::fmt::Write;

use crate::report::Report;

/// How much the text report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextOptions {
    /// Findings listed at most (the rest are counted). Default 50.
    pub max_findings: usize,
    /// Functions in the "most complex" table. Default 10.
    pub top_functions: usize,
    /// Diagnostics listed at most. Default 20.
    pub max_diagnostics: usize,
}

impl Default for TextOptions {
    fn default() -> Self {
        TextOptions {
            max_findings: 50,
            top_functions: 10,
            max_diagnostics: 20,
        }
    }
}

/// The text report with default [`TextOptions`].
pub fn render_text(report: &Report) -> String {
    render_text_with(report, &TextOptions::default())
}

/// The text report. Findings are listed in the report's order (worst first).
pub fn render_text_with(report: &Report, options: &TextOptions) -> String {
    // Writing to a String cannot fail; the results are ignored for that reason.
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(out, "ElixirScope analysis of {}", report.root);
    let _ = writeln!(
        out,
        "  {} files ({} Elixir, {} Rust), {} modules, {} functions, {} code lines",
        s.files, s.elixir_files, s.rust_files, s.modules, s.functions, s.code_lines
    );
    let _ = writeln!(
        out,
        "  {} ({}, {}, {})",
        plural(s.findings, "finding"),
        plural(s.errors, "error"),
        plural(s.warnings, "warning"),
        plural(s.notes, "note")
    );
    if !report.findings.is_empty() {
        let _ = writeln!(out, "\nFindings (worst first):");
        let width = report
            .findings
            .iter()
            .take(options.max_findings)
            .map(|f| f.file.len() + digits(f.line) + 1)
            .max()
            .unwrap_or(0);
        for f in report.findings.iter().take(options.max_findings) {
            let place = format!("{}:{}", f.file, f.line);
            let _ = writeln!(
                out,
                "  {:<7} {:<width$}  {:<21}  {}",
                f.level.name(),
                place,
                f.rule.id(),
                f.message,
            );
        }
        if report.findings.len() > options.max_findings {
            let _ = writeln!(
                out,
                "  ... and {} more",
                report.findings.len() - options.max_findings
            );
        }
    }
    if !report.functions.is_empty() && options.top_functions > 0 {
        let mut worst: Vec<_> = report.functions.iter().collect();
        worst.sort_by(|a, b| {
            b.cognitive
                .cmp(&a.cognitive)
                .then(b.cyclomatic.cmp(&a.cyclomatic))
                .then_with(|| a.file.cmp(&b.file))
                .then(a.line.cmp(&b.line))
        });
        let _ = writeln!(out, "\nMost complex functions (by cognitive complexity):");
        let _ = writeln!(
            out,
            "  {:>9} {:>10} {:>7} {:>5}  function",
            "cognitive", "cyclomatic", "nesting", "loc"
        );
        for f in worst.into_iter().take(options.top_functions) {
            let _ = writeln!(
                out,
                "  {:>9} {:>10} {:>7} {:>5}  {} ({}:{})",
                f.cognitive,
                f.cyclomatic,
                f.nesting,
                f.lines.ploc,
                f.qualified_name(),
                f.file,
                f.line
            );
        }
    }
    if !report.diagnostics.is_empty() {
        let _ = writeln!(out, "\nFile diagnostics:");
        for d in report.diagnostics.iter().take(options.max_diagnostics) {
            let place = match d.line {
                Some(l) => format!("{}:{l}", d.file),
                None => d.file.clone(),
            };
            let _ = writeln!(out, "  {:<7} {place}  {}", d.level.name(), d.message);
        }
        if report.diagnostics.len() > options.max_diagnostics {
            let _ = writeln!(
                out,
                "  ... and {} more",
                report.diagnostics.len() - options.max_diagnostics
            );
        }
    }
    if !report.failures.is_empty() {
        let _ = writeln!(out, "\nFailed analyses (the report is partial):");
        for f in &report.failures {
            let _ = writeln!(out, "  {}: {}", f.analysis.name(), f.error);
        }
    }
    out
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn digits(n: u32) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

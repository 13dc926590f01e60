//! The analyses a job can run.

use serde::{Deserialize, Serialize};

/// One analysis of a job; each runs as its own supervised task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    /// Per-function and per-module metrics.
    Metrics,
    /// Threshold checks over the metrics.
    Smells,
    /// Functions unreachable in the call graph from the configured roots.
    DeadCode,
    /// Cycles in the call graph, between functions and between modules.
    Cycles,
}

impl AnalysisKind {
    /// Every analysis, in the order they are reported.
    pub const ALL: [AnalysisKind; 4] = [
        AnalysisKind::Metrics,
        AnalysisKind::Smells,
        AnalysisKind::DeadCode,
        AnalysisKind::Cycles,
    ];

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            AnalysisKind::Metrics => "metrics",
            AnalysisKind::Smells => "smells",
            AnalysisKind::DeadCode => "dead_code",
            AnalysisKind::Cycles => "cycles",
        }
    }
}

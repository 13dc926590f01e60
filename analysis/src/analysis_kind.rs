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
}

impl AnalysisKind {
    /// Every analysis, in the order they are reported.
    pub const ALL: [AnalysisKind; 2] = [AnalysisKind::Metrics, AnalysisKind::Smells];

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            AnalysisKind::Metrics => "metrics",
            AnalysisKind::Smells => "smells",
        }
    }
}

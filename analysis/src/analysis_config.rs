//! Configuration of the analysis layer.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::analysis_kind::AnalysisKind;

/// Test-only fault injection: the task of analysis `panic_in` panics on purpose. It exists
/// only when set explicitly in [`AnalysisConfig`]; the default config has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisFaultInjection {
    pub panic_in: AnalysisKind,
}

/// How the analysis layer runs jobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalysisConfig {
    /// Files measured at once. Default: the number of CPUs.
    pub max_concurrency: usize,
    /// Finished jobs kept for listing; the oldest finished ones are dropped past it.
    /// Default 100.
    pub max_stored_jobs: usize,
    /// Timeout of calls to the job manager (default 30 s).
    pub call_timeout: Duration,
    /// The layer supervisor's restart intensity: at most `max_restarts` in `restart_period`
    /// (default 5 in 10 s).
    pub max_restarts: u32,
    pub restart_period: Duration,
    /// See [`AnalysisFaultInjection`]. Default none.
    pub fault_injection: Option<AnalysisFaultInjection>,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        AnalysisConfig {
            max_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_stored_jobs: 100,
            call_timeout: Duration::from_secs(30),
            max_restarts: 5,
            restart_period: Duration::from_secs(10),
            fault_injection: None,
        }
    }
}

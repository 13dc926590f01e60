//! Analysis jobs: what is asked, and where a job stands.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::analysis_kind::AnalysisKind;
use crate::dead_code::DeadCodeRoots;
use crate::report::Report;
use crate::thresholds::Thresholds;

/// Identifies a job within one [`crate::AnalysisJobManager`] incarnation.
pub type JobId = u64;

/// A job: run `analyses` over the project the AST layer holds under `project`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    /// The project id under which the AST layer parsed the project.
    pub project: String,
    /// Shown as the report's root (the directory analysed).
    pub root: String,
    pub analyses: Vec<AnalysisKind>,
    pub thresholds: Thresholds,
    #[serde(default)]
    pub dead_code_roots: DeadCodeRoots,
}

impl JobSpec {
    /// Every analysis with default thresholds.
    pub fn all(project: impl Into<String>, root: impl Into<String>) -> Self {
        JobSpec {
            project: project.into(),
            root: root.into(),
            analyses: AnalysisKind::ALL.to_vec(),
            thresholds: Thresholds::default(),
            dead_code_roots: DeadCodeRoots::default(),
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    /// Finished; some analyses may have failed (see [`Report::failures`]).
    Completed,
    Cancelled,
    /// The job as a whole could not run (unknown project, AST layer unavailable, its driver
    /// task died).
    Failed,
}

impl JobState {
    /// True once the job will not change any more.
    pub fn is_final(self) -> bool {
        self != JobState::Running
    }
}

/// A job as listed by the manager.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobStatus {
    pub id: JobId,
    pub project: String,
    pub analyses: Vec<AnalysisKind>,
    pub state: JobState,
    /// Why the job failed as a whole, when `state` is `Failed`.
    pub error: Option<String>,
    /// The report, once `Completed`.
    #[serde(skip)]
    pub report: Option<Arc<Report>>,
}

/// Progress of running jobs, for progress bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum JobProgress {
    /// Metrics of one more file done.
    File {
        job: JobId,
        path: String,
        done: usize,
        total: usize,
    },
    /// One analysis finished (or failed).
    Analysis {
        job: JobId,
        analysis: AnalysisKind,
        ok: bool,
    },
}

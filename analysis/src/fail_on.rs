//! `--fail-on`: whether a report should make a CI run fail.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::AnalyzeError;
use crate::report::{Level, Report};

/// The lowest finding level that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Never fail on findings.
    Never,
    /// Fail on any finding, notes included.
    Note,
    /// Fail on warnings and errors.
    Warning,
    /// Fail on errors only.
    Error,
}

impl FromStr for FailOn {
    type Err = AnalyzeError;

    /// `never` (or `none`), `note`, `warning`, `error`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "never" | "none" => Ok(FailOn::Never),
            "note" => Ok(FailOn::Note),
            "warning" => Ok(FailOn::Warning),
            "error" => Ok(FailOn::Error),
            other => Err(AnalyzeError::InvalidOption(format!(
                "unknown --fail-on level {other:?} (expected never, note, warning or error)"
            ))),
        }
    }
}

/// The verdict of [`evaluate_fail_on`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailOnVerdict {
    /// True when the run should fail.
    pub failed: bool,
    /// Findings at or above the level.
    pub matching: usize,
    /// True when an analysis failed: the report is partial, so a clean verdict is not proof
    /// that the code is clean. Callers decide whether that fails the run too.
    pub partial: bool,
}

/// Whether `report` fails under `fail_on`.
pub fn evaluate_fail_on(report: &Report, fail_on: FailOn) -> FailOnVerdict {
    let min = match fail_on {
        FailOn::Never => None,
        FailOn::Note => Some(Level::Note),
        FailOn::Warning => Some(Level::Warning),
        FailOn::Error => Some(Level::Error),
    };
    let matching = min.map_or(0, |min| {
        report.findings.iter().filter(|f| f.level >= min).count()
    });
    FailOnVerdict {
        failed: matching > 0,
        matching,
        partial: !report.failures.is_empty(),
    }
}

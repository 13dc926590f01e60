//! Where a build's time went, phase by phase, so a slow rebuild can be explained from its
//! report (and the benchmark can print the breakdown).

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Wall time of each phase of one build, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildPhases {
    /// Walking the project directory for source files.
    pub discover_us: u64,
    /// Fetching the stored graph and the last build's state.
    pub previous_us: u64,
    /// Stat of every file against the last build's stamps.
    pub stamp_check_us: u64,
    /// Read, hash, parse and build tasks of files that may have changed.
    pub file_tasks_us: u64,
    /// Putting reused and rebuilt files together in discovery order.
    pub assemble_us: u64,
    /// Resolving calls into the project call graph.
    pub link_us: u64,
    /// Counting the report's totals over the linked project.
    pub report_us: u64,
    /// Handing the project to storage (persisting it with a data directory).
    pub store_us: u64,
    /// Committing (and persisting) the build state.
    pub commit_us: u64,
    /// Freeing the previous build's graph and state.
    pub release_us: u64,
}

/// Measures consecutive phases: each `lap` returns the time since the previous one.
pub(crate) struct PhaseClock(Instant);

impl PhaseClock {
    pub(crate) fn start() -> Self {
        PhaseClock(Instant::now())
    }

    pub(crate) fn lap(&mut self) -> u64 {
        let now = Instant::now();
        let us = now.duration_since(self.0).as_micros();
        self.0 = now;
        u64::try_from(us).unwrap_or(u64::MAX)
    }
}

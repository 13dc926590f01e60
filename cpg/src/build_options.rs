//! Options of a graph build.

use serde::{Deserialize, Serialize};

use crate::data_flow::DEFAULT_DATAFLOW_WORK_LIMIT;

/// How much work a build may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// Data flow node visits per method before giving up on that method's reaching
    /// definitions (reported in [`crate::MethodGraph::dataflow_truncated`]). Default
    /// [`DEFAULT_DATAFLOW_WORK_LIMIT`].
    pub dataflow_work_limit: u64,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            dataflow_work_limit: DEFAULT_DATAFLOW_WORK_LIMIT,
        }
    }
}

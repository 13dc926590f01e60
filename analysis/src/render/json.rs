//! The report as pretty-printed JSON: the [`crate::Report`] structure as is.

use crate::error::AnalyzeError;
use crate::report::Report;

/// Pretty-printed JSON of the whole report.
pub fn render_json(report: &Report) -> Result<String, AnalyzeError> {
    serde_json::to_string_pretty(report).map_err(|e| AnalyzeError::Render(e.to_string()))
}

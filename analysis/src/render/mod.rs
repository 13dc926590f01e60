//! Renderers of a [`crate::Report`]: readable text, JSON and SARIF 2.1.0.

mod json;
mod sarif;
mod text;

pub use json::render_json;
pub use sarif::{render_sarif, to_sarif};
pub use text::{render_text, render_text_with, TextOptions};

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An output format, as chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Text,
    Json,
    Sarif,
}

impl FromStr for Format {
    type Err = crate::AnalyzeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "sarif" => Ok(Format::Sarif),
            other => Err(crate::AnalyzeError::InvalidOption(format!(
                "unknown format {other:?} (expected text, json or sarif)"
            ))),
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &crate::Report, format: Format) -> Result<String, crate::AnalyzeError> {
    match format {
        Format::Text => Ok(render_text(report)),
        Format::Json => render_json(report),
        Format::Sarif => render_sarif(report),
    }
}

//! SARIF 2.1.0 (what GitHub code scanning accepts), built with `serde-sarif`'s typed model.
//!
//! One run; the tool driver lists every rule; each finding is a result with its rule id and
//! index, level, message and a physical location (project-relative URI, `%SRCROOT%` base,
//! start line/column, end line). File diagnostics and failed analyses become tool execution
//! notifications of the run's invocation, whose `executionSuccessful` is false when an
//! analysis failed.

use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingDescriptor, Result as SarifResult, ResultLevel,
    Run, Sarif, Tool, ToolComponent,
};

use crate::error::AnalyzeError;
use crate::report::{Level, Report};
use crate::rule::Rule;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(level: Level) -> ResultLevel {
    match level {
        Level::Note => ResultLevel::Note,
        Level::Warning => ResultLevel::Warning,
        Level::Error => ResultLevel::Error,
    }
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

/// The report as a typed SARIF log.
pub fn to_sarif(report: &Report) -> Sarif {
    let rules: Vec<ReportingDescriptor> = Rule::ALL
        .iter()
        .map(|r| {
            ReportingDescriptor::builder()
                .id(r.id().to_owned())
                .name(r.id().to_owned())
                .short_description(
                    MultiformatMessageString::builder()
                        .text(r.description().to_owned())
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<SarifResult> = report
        .findings
        .iter()
        .map(|f| {
            let rule_index = Rule::ALL.iter().position(|r| *r == f.rule).unwrap_or(0);
            let region = Region::builder()
                .start_line(i64::from(f.line.max(1)))
                .start_column(i64::from(f.column.max(1)))
                .end_line(i64::from(f.end_line.max(f.line).max(1)))
                .build();
            let location = Location::builder()
                .physical_location(
                    PhysicalLocation::builder()
                        .artifact_location(
                            ArtifactLocation::builder()
                                .uri(f.file.clone())
                                .uri_base_id("%SRCROOT%".to_owned())
                                .build(),
                        )
                        .region(region)
                        .build(),
                )
                .build();
            let mut props = std::collections::BTreeMap::new();
            props.insert("value".to_owned(), serde_json::json!(f.value));
            props.insert("threshold".to_owned(), serde_json::json!(f.threshold));
            props.insert("symbol".to_owned(), serde_json::json!(f.symbol));
            SarifResult::builder()
                .rule_id(f.rule.id().to_owned())
                .rule_index(rule_index as i64)
                .level(level(f.level))
                .message(text(f.message.clone()))
                .locations(vec![location])
                .properties(PropertyBag::builder().additional_properties(props).build())
                .build()
        })
        .collect();
    let mut notifications: Vec<Notification> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut region = Region::builder().build();
            region.start_line = d.line.map(|l| i64::from(l.max(1)));
            Notification::builder()
                .level(serde_json::json!(d.level.name()))
                .message(text(d.message.clone()))
                .locations(vec![Location::builder()
                    .physical_location(
                        PhysicalLocation::builder()
                            .artifact_location(
                                ArtifactLocation::builder()
                                    .uri(d.file.clone())
                                    .uri_base_id("%SRCROOT%".to_owned())
                                    .build(),
                            )
                            .region(region)
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    notifications.extend(report.failures.iter().map(|f| {
        Notification::builder()
            .level(serde_json::json!("error"))
            .message(text(format!(
                "analysis {} failed: {}",
                f.analysis.name(),
                f.error
            )))
            .build()
    }));
    let invocation = Invocation::builder()
        .execution_successful(report.failures.is_empty())
        .tool_execution_notifications(notifications)
        .build();
    let driver = ToolComponent::builder()
        .name("elixir-scope".to_owned())
        .version(env!("CARGO_PKG_VERSION").to_owned())
        .rules(rules)
        .build();
    let run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .invocations(vec![invocation])
        .results(results)
        .build();
    Sarif::builder()
        .schema(SCHEMA.to_owned())
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// The report as pretty-printed SARIF 2.1.0 JSON.
pub fn render_sarif(report: &Report) -> Result<String, AnalyzeError> {
    serde_json::to_string_pretty(&to_sarif(report)).map_err(|e| AnalyzeError::Render(e.to_string()))
}

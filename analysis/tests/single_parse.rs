//! Files are measured from the syntax tree of the parse that builds their model (the metrics
//! hook in the AST layer's parse tasks). A project parsed without the hook (through the API,
//! by `serve`) is measured on demand instead; both must give the same report, byte for byte.

use std::path::Path;

use elixir_scope_analysis::{
    analyze_path, render_json, AnalysisConfig, AnalysisKind, AnalysisLayer, AnalyzeOptions, JobSpec,
};
use elixir_scope_ast::{AstConfig, AstLayer};

mod common;

/// The report of a job on a project the AST layer parsed without the metrics hook.
async fn on_demand_report(root: &Path) -> anyhow::Result<String> {
    let (ast_sup, ast) = AstLayer::start(AstConfig::default()).await?;
    let (analysis_sup, analysis) =
        AnalysisLayer::start(AnalysisConfig::default(), ast.clone()).await?;
    let project = root.display().to_string();
    ast.parse_project(&project, root).await?;
    let report = analysis
        .run(JobSpec {
            project: project.clone(),
            root: project,
            analyses: AnalysisKind::ALL.to_vec(),
            thresholds: Default::default(),
            dead_code_roots: Default::default(),
        })
        .await?;
    analysis_sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(render_json(&report)?)
}

async fn check_same(root: &Path) -> anyhow::Result<()> {
    let single = analyze_path(root, AnalyzeOptions::default(), |_| {}).await?;
    assert!(single.summary.functions > 0);
    let on_demand = on_demand_report(root).await?;
    assert_eq!(render_json(&single)?, on_demand, "{}", root.display());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_in_the_parse_task_equals_measured_on_demand_on_the_fixtures() -> anyhow::Result<()>
{
    check_same(Path::new("tests/fixtures")).await?;
    check_same(Path::new("tests/graph_fixtures")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn measured_in_the_parse_task_equals_measured_on_demand_on_a_generated_project(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // Includes a broken file: measured with its syntax error in both paths.
    common::write_mixed_project(dir.path(), 11)?;
    check_same(dir.path()).await
}

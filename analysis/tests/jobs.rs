//! The analysis layer's services: jobs on the AnalysisTaskSupervisor, a panicking analysis
//! isolated as an error entry, cancellation, listing.

use std::path::Path;

use elixir_scope_analysis::{
    AnalysisConfig, AnalysisFaultInjection, AnalysisKind, AnalysisLayer, AnalyzeError, JobSpec,
    JobState, Rule,
};
use elixir_scope_ast::{generate_elixir_corpus, AstClient, AstConfig, AstLayer};
use elixir_scope_runtime_core::SupervisorRef;

const PROJECT: &str = "fixtures";

async fn ast_with_fixtures() -> anyhow::Result<(SupervisorRef, AstClient)> {
    let (sup, ast) = AstLayer::start(AstConfig::default()).await?;
    ast.parse_project(PROJECT, Path::new("tests/fixtures"))
        .await?;
    Ok((sup, ast))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_every_analysis_over_the_parsed_project() -> anyhow::Result<()> {
    let (ast_sup, ast) = ast_with_fixtures().await?;
    let (sup, analysis) = AnalysisLayer::start(AnalysisConfig::default(), ast).await?;
    let report = analysis
        .run(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.analyses, AnalysisKind::ALL.to_vec());
    assert_eq!(report.summary.files, 2);
    assert_eq!(
        (report.summary.elixir_files, report.summary.rust_files),
        (1, 1)
    );
    assert_eq!(report.summary.functions, 9);
    let nested = report
        .functions
        .iter()
        .find(|f| f.qualified_name() == "Fixture.Metrics.nested/1")
        .expect("nested/1 measured");
    assert_eq!((nested.cyclomatic, nested.cognitive), (6, 8));
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule, Rule::NestingDepth);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_analysis_is_one_error_entry_and_the_job_completes() -> anyhow::Result<()> {
    let (ast_sup, ast) = ast_with_fixtures().await?;
    let config = AnalysisConfig {
        fault_injection: Some(AnalysisFaultInjection {
            panic_in: AnalysisKind::Smells,
        }),
        ..AnalysisConfig::default()
    };
    let (sup, analysis) = AnalysisLayer::start(config, ast).await?;
    let id = analysis
        .submit(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    let report = analysis.wait(id).await?;
    // The smells task panicked: one error entry, with the panic's message...
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].analysis, AnalysisKind::Smells);
    assert!(
        report.failures[0].error.contains("panics on purpose"),
        "{}",
        report.failures[0].error
    );
    // ...and the other analyses still reported.
    assert_eq!(
        report.analyses,
        vec![
            AnalysisKind::Metrics,
            AnalysisKind::DeadCode,
            AnalysisKind::Cycles
        ]
    );
    assert_eq!(report.functions.len(), 9);
    assert!(report.findings.is_empty());
    assert_eq!(analysis.status(id).await?.state, JobState::Completed);
    // The layer is still up: the next job runs too.
    let again = analysis
        .run(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    assert_eq!(again.functions.len(), 9);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_that_need_failed_metrics_fail_with_a_reason() -> anyhow::Result<()> {
    let (ast_sup, ast) = ast_with_fixtures().await?;
    let config = AnalysisConfig {
        fault_injection: Some(AnalysisFaultInjection {
            panic_in: AnalysisKind::Metrics,
        }),
        ..AnalysisConfig::default()
    };
    let (sup, analysis) = AnalysisLayer::start(config, ast).await?;
    let report = analysis
        .run(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    let failed: Vec<_> = report.failures.iter().map(|f| f.analysis).collect();
    assert_eq!(failed, vec![AnalysisKind::Metrics, AnalysisKind::Smells]);
    assert!(report.failures[1].error.contains("needs the metrics"));
    assert_eq!(
        report.analyses,
        vec![AnalysisKind::DeadCode, AnalysisKind::Cycles]
    );
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_listed_and_an_unknown_project_fails_the_job() -> anyhow::Result<()> {
    let (ast_sup, ast) = ast_with_fixtures().await?;
    let (sup, analysis) = AnalysisLayer::start(AnalysisConfig::default(), ast).await?;
    let ok = analysis
        .submit(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    analysis.wait(ok).await?;
    let bad = analysis
        .submit(JobSpec::all("no-such-project", "x"))
        .await?;
    match analysis.wait(bad).await {
        Err(AnalyzeError::JobFailed { id, error }) => {
            assert_eq!(id, bad);
            assert!(error.contains("no-such-project"), "{error}");
        }
        other => panic!("expected JobFailed, got {other:?}"),
    }
    let list = analysis.list().await?;
    let states: Vec<_> = list.iter().map(|j| (j.id, j.state)).collect();
    assert_eq!(
        states,
        vec![(ok, JobState::Completed), (bad, JobState::Failed)]
    );
    assert!(matches!(
        analysis.status(999).await,
        Err(AnalyzeError::UnknownJob(999))
    ));
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_can_be_cancelled() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    generate_elixir_corpus(dir.path(), 60_000, 7)?;
    let (ast_sup, ast) = AstLayer::start(AstConfig::default()).await?;
    ast.parse_project("big", dir.path()).await?;
    // One file at a time: the job runs far longer than the cancel round trip.
    let config = AnalysisConfig {
        max_concurrency: 1,
        ..AnalysisConfig::default()
    };
    let (sup, analysis) = AnalysisLayer::start(config, ast).await?;
    let mut progress = analysis.subscribe_progress();
    let id = analysis.submit(JobSpec::all("big", "big")).await?;
    // Wait until it is measuring files, so the cancel hits a job in flight.
    loop {
        if let elixir_scope_analysis::JobProgress::File { .. } = progress.recv().await? {
            break;
        }
    }
    assert!(analysis.cancel(id).await?);
    assert!(matches!(
        analysis.wait(id).await,
        Err(AnalyzeError::Cancelled(j)) if j == id
    ));
    assert_eq!(analysis.status(id).await?.state, JobState::Cancelled);
    // Cancelling a finished job is a no-op.
    assert!(!analysis.cancel(id).await?);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_analyses_report_dead_code_and_cycles() -> anyhow::Result<()> {
    let (ast_sup, ast) = AstLayer::start(AstConfig::default()).await?;
    ast.parse_project("graph", Path::new("tests/graph_fixtures"))
        .await?;
    let (sup, analysis) = AnalysisLayer::start(AnalysisConfig::default(), ast).await?;
    let spec = JobSpec {
        analyses: vec![AnalysisKind::DeadCode, AnalysisKind::Cycles],
        ..JobSpec::all("graph", "tests/graph_fixtures")
    };
    let report = analysis.run(spec).await?;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let mut found: Vec<(Rule, &str)> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.symbol.as_str()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (Rule::DeadCode, "App.Worker.unused/1"),
            (Rule::DeadCode, "crate::Counter::stale"),
            (Rule::DeadCode, "crate::orphan"),
            (Rule::FunctionCycle, "App.A.a/1"),
            (Rule::FunctionCycle, "App.Worker.ping/1"),
            (Rule::ModuleCycle, "App.A"),
        ]
    );
    // Without the metrics analysis the report carries no metrics.
    assert!(report.functions.is_empty());
    // The module cycle is the only warning, so it is listed first.
    assert_eq!(report.findings[0].rule, Rule::ModuleCycle);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_job_manager_is_restarted_and_its_waiters_are_told() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    generate_elixir_corpus(dir.path(), 60_000, 11)?;
    let (ast_sup, ast) = AstLayer::start(AstConfig::default()).await?;
    ast.parse_project("big", dir.path()).await?;
    let config = AnalysisConfig {
        max_concurrency: 1,
        ..AnalysisConfig::default()
    };
    let (sup, analysis) = AnalysisLayer::start(config, ast.clone()).await?;
    let mut progress = analysis.subscribe_progress();
    let id = analysis.submit(JobSpec::all("big", "big")).await?;
    loop {
        if let elixir_scope_analysis::JobProgress::File { .. } = progress.recv().await? {
            break;
        }
    }
    let watched = analysis.watch(id).await?;
    let waiter = {
        let analysis = analysis.clone();
        tokio::spawn(async move { analysis.wait_watched(id, watched).await })
    };
    // The manager dies with an error while the job runs.
    let before = analysis.manager().pid();
    analysis
        .manager()
        .stop(elixir_scope_runtime_core::ExitReason::error(
            "injected crash",
        ))
        .await;
    // The waiter is told the job was lost, instead of hanging.
    match tokio::time::timeout(std::time::Duration::from_secs(10), waiter).await?? {
        Err(AnalyzeError::Unavailable(msg)) => assert!(msg.contains("lost"), "{msg}"),
        other => panic!("expected the job to be reported lost, got {other:?}"),
    }
    // The supervisor restarted the manager: a new incarnation, empty, and working.
    let jobs = analysis.list().await?;
    assert!(jobs.is_empty());
    assert_ne!(analysis.manager().pid(), before);
    ast.parse_project(PROJECT, Path::new("tests/fixtures"))
        .await?;
    // Ids are not reused after the restart: the old id names no job of the new incarnation,
    // and the crashed incarnation's late finish notice for its job cannot finish a new one.
    let new_id = analysis
        .submit(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    assert!(
        new_id > id,
        "new job {new_id} reuses an id at or below {id}"
    );
    let report = analysis.wait(new_id).await?;
    assert_eq!(report.summary.functions, 9);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_layer_supervises_the_task_supervisor_and_the_manager() -> anyhow::Result<()> {
    let (ast_sup, ast) = AstLayer::start(AstConfig::default()).await?;
    let (sup, _analysis) = AnalysisLayer::start(AnalysisConfig::default(), ast).await?;
    let children: Vec<String> = sup
        .which_children()
        .await?
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(children, vec!["analysis_tasks", "analysis_job_manager"]);
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_kept_sources_files_are_reported_not_silently_skipped() -> anyhow::Result<()> {
    let mut config = AstConfig::default();
    config.parsing.keep_sources = false;
    let (ast_sup, ast) = AstLayer::start(config).await?;
    ast.parse_project(PROJECT, Path::new("tests/fixtures"))
        .await?;
    let (sup, analysis) = AnalysisLayer::start(AnalysisConfig::default(), ast).await?;
    let report = analysis
        .run(JobSpec::all(PROJECT, "tests/fixtures"))
        .await?;
    assert!(report.functions.is_empty());
    assert_eq!(report.diagnostics.len(), 2);
    assert!(report
        .diagnostics
        .iter()
        .all(|d| d.message.contains("keep_sources")));
    sup.shutdown().await;
    ast_sup.shutdown().await;
    Ok(())
}

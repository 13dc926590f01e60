//! `analyze_path`, the library call behind `elixir-scope analyze PATH`: the whole pipeline on
//! real services, and each kind of bad input.

use std::sync::Mutex;

use elixir_scope_analysis::{analyze_path, AnalyzeError, AnalyzeOptions, Level, Progress};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyses_a_project_and_reports_progress() -> anyhow::Result<()> {
    let events = Mutex::new(Vec::new());
    let report = analyze_path(
        std::path::Path::new("tests/fixtures"),
        AnalyzeOptions::default(),
        |p| events.lock().unwrap().push(p),
    )
    .await?;
    assert_eq!(report.summary.files, 2);
    assert_eq!(report.summary.functions, 9);
    // code lines of both fixture files (34 + 33)
    assert_eq!(report.summary.code_lines, 67);
    assert_eq!(report.findings.len(), 1);
    let events = events.into_inner().unwrap();
    assert_eq!(events[0], Progress::Discovered { files: 2 });
    assert!(
        events.contains(&Progress::Parsed { done: 2, total: 2 }),
        "{events:?}"
    );
    assert!(
        events.contains(&Progress::Measured { done: 2, total: 2 }),
        "{events:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_missing_path_is_not_found() {
    let err = analyze_path(
        std::path::Path::new("tests/no/such/dir"),
        AnalyzeOptions::default(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AnalyzeError::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn a_file_is_refused_as_not_a_directory() {
    let err = analyze_path(
        std::path::Path::new("tests/fixtures/metrics.ex"),
        AnalyzeOptions::default(),
        |_| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, AnalyzeError::NotADirectory { .. }), "{err}");
    assert!(err.to_string().contains("not a directory"));
}

#[tokio::test]
async fn a_directory_without_sources_is_an_error() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("README.md"), "# nothing to analyse")?;
    let err = analyze_path(dir.path(), AnalyzeOptions::default(), |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, AnalyzeError::NoSupportedFiles { .. }),
        "{err}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_that_cannot_be_read_as_source_are_diagnostics_not_failures() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir(dir.path().join("lib"))?;
    std::fs::write(
        dir.path().join("lib/good.ex"),
        "defmodule Good do\n  def ok(x), do: x\nend\n",
    )?;
    // Not UTF-8, and binary: neither can be parsed.
    std::fs::write(
        dir.path().join("lib/latin1.ex"),
        b"defmodule Caf\xe9 do\nend\n",
    )?;
    std::fs::write(dir.path().join("lib/blob.ex"), b"\x00\x01\x02")?;
    let report = analyze_path(dir.path(), AnalyzeOptions::default(), |_| {}).await?;
    assert_eq!(report.summary.files, 3);
    assert_eq!(report.summary.functions, 1);
    let mut bad: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| d.file.as_str())
        .collect();
    bad.sort();
    assert_eq!(bad, vec!["lib/blob.ex", "lib/latin1.ex"]);
    assert!(report.failures.is_empty());
    Ok(())
}

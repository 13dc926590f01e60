//! The persistent analysis cache never changes a report: cold and warm runs, a run after a
//! one-file edit, and runs over corrupted, truncated or garbage cache entries all give the
//! report a run without the cache gives, byte for byte.

use std::path::{Path, PathBuf};

use elixir_scope_analysis::{analyze_path, render_json, AnalyzeOptions};
use elixir_scope_ast::generate_elixir_corpus;

/// A small mixed project: generated Elixir, the Rust fixture, a file with a syntax error.
fn project() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    generate_elixir_corpus(dir.path(), 3000, 5)?;
    std::fs::create_dir_all(dir.path().join("src"))?;
    std::fs::copy(
        "tests/fixtures/metrics.rs",
        dir.path().join("src/metrics.rs"),
    )?;
    std::fs::write(
        dir.path().join("lib/broken.ex"),
        "defmodule B do\n  def f(x do\nend\n",
    )?;
    Ok(dir)
}

async fn report(root: &Path, cache: Option<&Path>) -> anyhow::Result<String> {
    let options = AnalyzeOptions {
        cache_dir: cache.map(Path::to_path_buf),
        ..AnalyzeOptions::default()
    };
    Ok(render_json(&analyze_path(root, options, |_| {}).await?)?)
}

/// Asserts two reports are equal, showing the first differing line instead of both reports.
#[track_caller]
fn assert_same(actual: &str, expected: &str) {
    if actual != expected {
        let at = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .unwrap_or(0);
        let line = |s: &str| s.lines().nth(at).unwrap_or("<end>").to_owned();
        panic!(
            "reports differ at line {}: {:?} instead of {:?}",
            at + 1,
            line(actual),
            line(expected)
        );
    }
}

/// Every cache entry under `base`, sorted.
fn entries(base: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![base.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "entry") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_warm_and_after_an_edit_equal_a_run_without_cache() -> anyhow::Result<()> {
    let dir = project()?;
    let cache = tempfile::tempdir()?;
    let uncached = report(dir.path(), None).await?;
    assert!(entries(cache.path()).is_empty());
    let cold = report(dir.path(), Some(cache.path())).await?;
    assert_same(&cold, &uncached);
    let stored = entries(cache.path());
    // One entry per parsed source file (the generated project has dozens).
    assert!(stored.len() > 10, "{} entries", stored.len());
    // The cache lives outside the project.
    assert!(stored.iter().all(|p| !p.starts_with(dir.path())));
    let warm = report(dir.path(), Some(cache.path())).await?;
    assert_same(&warm, &uncached);

    // Edit one file: its function gets more complex, another file is removed.
    let edited = dir.path().join("src/metrics.rs");
    let mut text = std::fs::read_to_string(&edited)?;
    text.push_str("\npub fn added(a: u32) -> u32 {\n    if a > 1 { if a > 2 { 3 } else { 2 } } else { 1 }\n}\n");
    std::fs::write(&edited, text)?;
    std::fs::remove_file(dir.path().join("lib/broken.ex"))?;
    let uncached_after = report(dir.path(), None).await?;
    assert_ne!(uncached_after, uncached, "the edit shows in the report");
    let warm_after = report(dir.path(), Some(cache.path())).await?;
    assert_same(&warm_after, &uncached_after);
    // The edited file overwrote its own entry instead of adding one.
    assert_eq!(entries(cache.path()).len(), stored.len());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_truncated_and_garbage_entries_are_ignored_and_rebuilt() -> anyhow::Result<()> {
    let dir = project()?;
    let cache = tempfile::tempdir()?;
    let uncached = report(dir.path(), None).await?;
    assert_same(&report(dir.path(), Some(cache.path())).await?, &uncached);
    let stored = entries(cache.path());
    let originals: Vec<Vec<u8>> = stored.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    assert!(stored.len() >= 4);
    // Really damage the files: flip a byte in the middle, truncate, replace with garbage,
    // empty one.
    let mut flipped = originals[0].clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x55;
    std::fs::write(&stored[0], &flipped)?;
    std::fs::write(&stored[1], &originals[1][..originals[1].len() / 3])?;
    std::fs::write(&stored[2], b"not a cache entry at all")?;
    std::fs::write(&stored[3], b"")?;

    assert_same(&report(dir.path(), Some(cache.path())).await?, &uncached);
    // The damaged entries were rewritten with what a fresh parse gives.
    for (path, original) in stored.iter().zip(&originals).take(4) {
        assert_eq!(&std::fs::read(path)?, original, "{}", path.display());
    }
    // And the rewritten cache serves the next run.
    assert_same(&report(dir.path(), Some(cache.path())).await?, &uncached);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_cache_directory_only_means_no_cache() -> anyhow::Result<()> {
    let dir = project()?;
    let blocker = tempfile::NamedTempFile::new()?;
    // A regular file where the cache directory should be: it cannot be created.
    let report_with = report(dir.path(), Some(&blocker.path().join("cache"))).await?;
    assert_same(&report_with, &report(dir.path(), None).await?);
    Ok(())
}

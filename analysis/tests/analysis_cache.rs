//! The persistent analysis cache never changes a report: cold and warm runs, a run after a
//! one-file edit, and runs over corrupted, truncated or garbage cache entries all give the
//! report a run without the cache gives, byte for byte.

use std::path::{Path, PathBuf};

use elixir_scope_analysis::{analyze_path, render_json, AnalyzeOptions};

mod common;

/// A small mixed project: generated Elixir, the Rust fixture, a file with a syntax error.
fn project() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    common::write_mixed_project(dir.path(), 5)?;
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

/// Every cache pack under `base`, sorted.
fn packs(base: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![base.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else {
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
    assert!(packs(cache.path()).is_empty());
    let cold = report(dir.path(), Some(cache.path())).await?;
    assert_same(&cold, &uncached);
    // One pack for the project, outside it, and nothing else (no temporary files left).
    let stored = packs(cache.path());
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].extension().is_some_and(|e| e == "pack"));
    assert!(!stored[0].starts_with(dir.path()));
    let cold_pack = std::fs::read(&stored[0])?;
    let warm = report(dir.path(), Some(cache.path())).await?;
    assert_same(&warm, &uncached);
    // Nothing changed, nothing rewritten.
    assert_eq!(std::fs::read(&stored[0])?, cold_pack);

    // Edit one file: its function gets more complex; another file is removed.
    let edited = dir.path().join("src/metrics.rs");
    let mut text = std::fs::read_to_string(&edited)?;
    text.push_str(
        "\npub fn added(a: u32) -> u32 {\n    if a > 1 { if a > 2 { 3 } else { 2 } } else { 1 }\n}\n",
    );
    std::fs::write(&edited, text)?;
    std::fs::remove_file(dir.path().join("lib/broken.ex"))?;
    let uncached_after = report(dir.path(), None).await?;
    assert_ne!(uncached_after, uncached, "the edit shows in the report");
    let warm_after = report(dir.path(), Some(cache.path())).await?;
    assert_same(&warm_after, &uncached_after);
    assert_ne!(
        std::fs::read(&stored[0])?,
        cold_pack,
        "the pack follows the edit"
    );
    assert_eq!(packs(cache.path()), stored);
    let warm_again = report(dir.path(), Some(cache.path())).await?;
    assert_same(&warm_again, &uncached_after);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_truncated_and_garbage_packs_are_ignored_and_rebuilt() -> anyhow::Result<()> {
    let dir = project()?;
    let cache = tempfile::tempdir()?;
    let uncached = report(dir.path(), None).await?;
    assert_same(&report(dir.path(), Some(cache.path())).await?, &uncached);
    let pack = packs(cache.path())
        .pop()
        .ok_or_else(|| anyhow::anyhow!("no pack"))?;
    let original = std::fs::read(&pack)?;
    assert!(original.len() > 1000);

    let mut flipped_middle = original.clone();
    let mid = flipped_middle.len() / 2;
    flipped_middle[mid] ^= 0x55;
    let mut flipped_lengths = original.clone();
    // Inside the first record's length prefix, right after the header (magic, format,
    // model version, tool version length, tool version): the records cannot be found any
    // more.
    let header = 8 + 4 + 4 + 4 + env!("CARGO_PKG_VERSION").len();
    flipped_lengths[header + 1] ^= 0x7f;
    // Written by an extractor with another model version: its models may miss calls this
    // one finds, so none of them may be served.
    let mut other_extractor = original.clone();
    other_extractor[12..16].copy_from_slice(&(elixir_scope_ast::MODEL_VERSION - 1).to_le_bytes());
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("a byte flipped in the middle", flipped_middle),
        ("a byte flipped near the start", flipped_lengths),
        ("from another model version", other_extractor),
        (
            "truncated to a third",
            original[..original.len() / 3].to_vec(),
        ),
        ("truncated inside the header", original[..5].to_vec()),
        ("garbage", b"not a cache pack at all".repeat(100)),
        ("empty", Vec::new()),
    ];
    for (what, bytes) in damaged {
        std::fs::write(&pack, &bytes)?;
        let r = report(dir.path(), Some(cache.path())).await?;
        assert_same(&r, &uncached);
        // The damaged records were parsed again and the pack rewritten as a fresh run
        // writes it.
        assert_eq!(
            std::fs::read(&pack)?,
            original,
            "pack {what} was not rebuilt"
        );
    }
    // And the rebuilt pack serves the next run.
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

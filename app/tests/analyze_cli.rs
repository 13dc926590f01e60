//! `elixir-scope analyze`: formats, exit codes for CI use, and clear errors on bad input.

use std::process::Command;

fn analyze(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_elixir-scope"))
        .arg("analyze")
        .args(args)
        .env_remove("RUST_LOG")
        // The default cache location, kept out of the user's home.
        .env(
            "XDG_CACHE_HOME",
            concat!(env!("CARGO_TARGET_TMPDIR"), "/analyze-cli-cache"),
        )
        .output()
        .expect("run elixir-scope analyze")
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.rs"),
        "pub fn wide(a: u8, b: u8, c: u8, d: u8, e: u8, f: u8, g: u8, h: u8) -> u8 { a + b + c + d + e + f + g + h }\n\
         fn unused() -> u8 { 1 }\n",
    )
    .unwrap();
    dir
}

#[test]
fn text_json_and_sarif_reports_with_fail_on() {
    let dir = project();
    let path = dir.path().to_str().unwrap();
    let text = analyze(&[path]);
    assert!(text.status.success());
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("too-many-arguments") || stdout.contains("arity"),
        "{stdout}"
    );
    assert!(
        text.stderr.is_empty(),
        "no logs or progress bar when piped: {}",
        String::from_utf8_lossy(&text.stderr)
    );

    let json = analyze(&[path, "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json report");
    assert!(report["functions"].as_array().unwrap().len() >= 2);

    let out = dir.path().join("report.sarif");
    let sarif = analyze(&[path, "--format", "sarif", "-o", out.to_str().unwrap()]);
    assert!(sarif.status.success());
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    let failing = analyze(&[path, "--fail-on", "warning"]);
    assert_eq!(failing.status.code(), Some(1));
}

#[test]
fn bad_input_gets_a_clear_message_and_exit_code_2() {
    let dir = project();
    let file = dir.path().join("lib.rs");
    let empty = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["/definitely/not/here"], "does not exist"),
        (vec![file.to_str().unwrap()], "not a directory"),
        (vec![empty.path().to_str().unwrap()], "no Elixir"),
        (
            vec![dir.path().to_str().unwrap(), "--format", "xml"],
            "unknown format",
        ),
        (
            vec![dir.path().to_str().unwrap(), "--fail-on", "sometimes"],
            "sometimes",
        ),
        (
            vec![dir.path().to_str().unwrap(), "--analyses", "astrology"],
            "unknown analysis",
        ),
    ] {
        let output = analyze(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

/// Files under `dir`, recursively.
fn files_under(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                files_under(&p)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn cache_dir_and_no_cache_flags() {
    let dir = project();
    let path = dir.path().to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("c");
    let cache_arg = cache_dir.to_str().unwrap();

    let uncached = analyze(&[path, "--format", "json", "--no-cache"]);
    assert!(uncached.status.success());
    let cold = analyze(&[path, "--format", "json", "--cache-dir", cache_arg]);
    assert!(cold.status.success());
    assert_eq!(
        files_under(&cache_dir),
        1,
        "one entry for the one source file"
    );
    let warm = analyze(&[path, "--format", "json", "--cache-dir", cache_arg]);
    assert_eq!(warm.stdout, cold.stdout);
    assert_eq!(warm.stdout, uncached.stdout);

    // --no-cache neither reads nor writes it.
    std::fs::remove_dir_all(&cache_dir).unwrap();
    let again = analyze(&[path, "--format", "json", "--no-cache"]);
    assert_eq!(again.stdout, uncached.stdout);
    assert!(!cache_dir.exists());

    let both = analyze(&[path, "--no-cache", "--cache-dir", cache_arg]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "conflicting flags are bad input"
    );
}

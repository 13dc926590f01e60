//! End-to-end `analyze` (discover, parse, metrics, smells, dead code, cycles) against parsing
//! alone, on the same files in the same run, and against `rust-code-analysis-cli` when it is
//! installed.
//!
//! `cargo bench -p elixir-scope-analysis --bench analyze_corpus`
//!
//! Corpora: a generated Elixir project (`generate_elixir_corpus`, deterministic, size from
//! `BENCH_ELIXIR_LINES`, default 300000) and the `tokio` crate's source from the cargo
//! registry (real Rust), or any directory named by `ELIXIR_SCOPE_BENCH_DIR`. Each round runs
//! the baseline (the AST layer's `parse_project` on fresh services) and then `analyze_path`,
//! alternating, `BENCH_ROUNDS` times (default 3); medians are reported with their ratio.
//! Peak memory (VmHWM) is measured per phase, reset through `/proc/self/clear_refs`.
//! For Rust corpora, `rust-code-analysis-cli -m -O json -p DIR` runs in the same rounds when it
//! is on `PATH` (its output goes to /dev/null).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use elixir_scope_analysis::{analyze_path, AnalyzeOptions};
use elixir_scope_ast::{discover_files, generate_elixir_corpus, AstConfig, AstLayer};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn reset_peak() {
    // "5" resets the peak resident set size (Linux >= 4.0); without it VmHWM is the
    // process-wide peak and the numbers below are upper bounds.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn tokio_src() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let registry = home.join("registry/src");
    let mut found: Vec<PathBuf> = std::fs::read_dir(registry)
        .ok()?
        .flatten()
        .flat_map(|index| {
            std::fs::read_dir(index.path())
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tokio-1."))
        })
        .collect();
    found.sort();
    found.pop().map(|p| p.join("src"))
}

struct Corpus {
    name: String,
    root: PathBuf,
    rust: bool,
}

fn sizes(root: &Path) -> (usize, usize, u64) {
    let files = discover_files(root).unwrap_or_default();
    let mut lines = 0;
    let mut bytes = 0;
    for f in &files {
        if let Ok(text) = std::fs::read_to_string(&f.path) {
            lines += text.lines().count();
            bytes += text.len() as u64;
        }
    }
    (files.len(), lines, bytes)
}

async fn parse_only(root: &Path) -> Duration {
    let start = Instant::now();
    let (sup, ast) = AstLayer::start(AstConfig::default())
        .await
        .expect("bench: AST layer starts");
    ast.parse_project("bench", root)
        .await
        .expect("bench: corpus parses");
    sup.shutdown().await;
    start.elapsed()
}

async fn analyze(root: &Path) -> (Duration, usize) {
    let start = Instant::now();
    let report = analyze_path(root, AnalyzeOptions::default(), |_| {})
        .await
        .expect("bench: corpus analyses");
    (start.elapsed(), report.summary.functions)
}

fn rust_code_analysis(root: &Path) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new("rust-code-analysis-cli")
        .args(["-m", "-O", "json", "-p"])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| start.elapsed())
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let lines = env_usize("BENCH_ELIXIR_LINES", 300_000);
    let dir = tempfile::tempdir().expect("bench: temp dir");
    let generated = generate_elixir_corpus(dir.path(), lines, 42).expect("bench: corpus");
    let mut corpora = vec![Corpus {
        name: format!("generated Elixir ({} lines)", generated.lines),
        root: dir.path().to_path_buf(),
        rust: false,
    }];
    if let Some(tokio) = tokio_src() {
        corpora.push(Corpus {
            name: format!("tokio crate ({})", tokio.display()),
            root: tokio,
            rust: true,
        });
    }
    if let Some(extra) = std::env::var_os("ELIXIR_SCOPE_BENCH_DIR") {
        let root = PathBuf::from(extra);
        corpora.push(Corpus {
            name: root.display().to_string(),
            rust: true,
            root,
        });
    }
    let rt = tokio::runtime::Runtime::new().expect("bench: runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("analyze_corpus: {rounds} rounds, {cores} cores, medians");
    for corpus in corpora {
        let (files, lines, bytes) = sizes(&corpus.root);
        let mut parse_times = Vec::new();
        let mut analyze_times = Vec::new();
        let mut rca_times = Vec::new();
        let mut functions = 0;
        let (mut parse_peak, mut analyze_peak, mut rca_ok) = (0.0f64, 0.0f64, true);
        for _ in 0..rounds {
            reset_peak();
            parse_times.push(rt.block_on(parse_only(&corpus.root)));
            parse_peak = parse_peak.max(peak_mib());
            reset_peak();
            let (t, f) = rt.block_on(analyze(&corpus.root));
            analyze_peak = analyze_peak.max(peak_mib());
            analyze_times.push(t);
            functions = f;
            if corpus.rust && rca_ok {
                match rust_code_analysis(&corpus.root) {
                    Some(t) => rca_times.push(t),
                    None => rca_ok = false,
                }
            }
        }
        let parse = median(parse_times);
        let analyze = median(analyze_times);
        let mb = bytes as f64 / 1e6;
        println!(
            "\n{}: {files} files, {lines} lines, {mb:.1} MB, {functions} functions",
            corpus.name
        );
        println!(
            "  parse only (baseline):  {:>8.3} s  {:>6.1} MB/s  peak {:>6.0} MiB",
            parse.as_secs_f64(),
            mb / parse.as_secs_f64(),
            parse_peak
        );
        println!(
            "  analyze (end to end):   {:>8.3} s  {:>6.1} MB/s  peak {:>6.0} MiB  ({:.2}x parse time)",
            analyze.as_secs_f64(),
            mb / analyze.as_secs_f64(),
            analyze_peak,
            analyze.as_secs_f64() / parse.as_secs_f64()
        );
        if corpus.rust {
            if rca_ok && !rca_times.is_empty() {
                let rca = median(rca_times);
                println!(
                    "  rust-code-analysis-cli: {:>8.3} s  {:>6.1} MB/s  (its time / ours: {:.2})",
                    rca.as_secs_f64(),
                    mb / rca.as_secs_f64(),
                    rca.as_secs_f64() / analyze.as_secs_f64()
                );
            } else {
                println!("  rust-code-analysis-cli: not on PATH (or failed); no comparison");
            }
        }
    }
}

//! End-to-end `analyze` (discover, parse, metrics, smells, dead code, cycles), cold and with
//! its cache, against `rust-code-analysis-cli`, against parsing alone and against the raw
//! tree-sitter parse of the same files (the floor of any tool that parses them), all in the
//! same rounds.
//!
//! `cargo bench -p elixir-scope-analysis --bench analyze_corpus`
//!
//! Corpora: a generated Elixir project (`generate_elixir_corpus`, deterministic, size from
//! `BENCH_ELIXIR_LINES`, default 300000) and the `tokio` crate's source from the cargo
//! registry (real Rust), or any directory named by `ELIXIR_SCOPE_BENCH_DIR`; each is copied to
//! a temporary directory first (the one-file edit must not touch the registry). Each round
//! (`BENCH_ROUNDS`, default 3) runs, in this order:
//! * tree-sitter only: read every file and run tree-sitter on it, on every core, nothing else;
//! * parse only: the AST layer's `parse_project` on fresh services (model extraction);
//! * analyze cold: `analyze_path` without a cache;
//! * analyze cold, filling the cache: with a fresh, empty cache directory;
//! * analyze warm: again with that cache, no file changed;
//! * analyze warm after an edit: one file gets a comment line appended (so it is re-parsed),
//!   then again with the cache (the file is restored after the run);
//! * `rust-code-analysis-cli -m -O json -p DIR` (Rust corpora, when on `PATH`; output to
//!   /dev/null).
//!
//! Medians; ratios are rust-code-analysis's time over ours. Peak memory (VmHWM) of each
//! analysis row is measured once more, after the timed rounds, with the analysis alone in a
//! fresh process (this binary run again in child mode); the in-process peaks (reset through
//! `/proc/self/clear_refs`) are printed too, as upper bounds.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elixir_scope_analysis::{analyze_path, AnalyzeOptions};
use elixir_scope_ast::{
    discover_files, generate_elixir_corpus, parse_tree, AstConfig, AstLayer, Language, SourceFile,
};

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

/// Reads every file and runs tree-sitter on it, on every core: the floor.
fn tree_sitter_only(files: &[SourceFile]) -> Duration {
    let start = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let nodes = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let Ok(bytes) = std::fs::read(&f.path) else {
                    continue;
                };
                if let Some(tree) = parse_tree(f.language, &bytes) {
                    nodes.fetch_add(tree.root_node().child_count() as usize, Ordering::Relaxed);
                }
            });
        }
    });
    assert!(
        nodes.load(Ordering::Relaxed) > 0,
        "bench: tree-sitter parsed nothing"
    );
    start.elapsed()
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

async fn analyze(root: &Path, cache: Option<&Path>) -> (Duration, usize) {
    let options = AnalyzeOptions {
        cache_dir: cache.map(Path::to_path_buf),
        ..AnalyzeOptions::default()
    };
    let start = Instant::now();
    let report = analyze_path(root, options, |_| {})
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

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// One measured phase: times and peak memory over the rounds.
#[derive(Default)]
struct Phase {
    times: Vec<Duration>,
    peak_mib: f64,
}

impl Phase {
    fn run<R>(&mut self, f: impl FnOnce() -> (Duration, R)) -> R {
        reset_peak();
        let (t, r) = f();
        self.peak_mib = self.peak_mib.max(peak_mib());
        self.times.push(t);
        r
    }

    fn median(&self) -> Duration {
        median(self.times.clone())
    }
}

/// Child mode of the memory pass: `ANALYZE_CORPUS_CHILD=ROOT` (and `ANALYZE_CORPUS_CACHE=DIR`
/// for a run with the cache) runs one analysis in this fresh process and prints its peak
/// resident memory, so each row's peak is its own and not what earlier phases left mapped.
fn child(root: &Path) {
    let cache = std::env::var_os("ANALYZE_CORPUS_CACHE").map(PathBuf::from);
    let rt = tokio::runtime::Runtime::new().expect("bench child: runtime");
    rt.block_on(analyze(root, cache.as_deref()));
    println!("peak_mib={:.1}", peak_mib());
}

/// Peak resident memory of one analysis in a fresh process (see [`child`]).
fn peak_in_child(root: &Path, cache: Option<&Path>) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let mut command = Command::new(exe);
    command.env("ANALYZE_CORPUS_CHILD", root);
    match cache {
        Some(c) => command.env("ANALYZE_CORPUS_CACHE", c),
        None => command.env_remove("ANALYZE_CORPUS_CACHE"),
    };
    let out = command.stderr(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("peak_mib="))
        .and_then(|v| v.trim().parse().ok())
}

fn main() {
    if let Some(root) = std::env::var_os("ANALYZE_CORPUS_CHILD") {
        child(Path::new(&root));
        return;
    }
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let lines = env_usize("BENCH_ELIXIR_LINES", 300_000);
    let dir = tempfile::tempdir().expect("bench: temp dir");
    let elixir_root = dir.path().join("elixir");
    let generated = generate_elixir_corpus(&elixir_root, lines, 42).expect("bench: corpus");
    let mut corpora = vec![Corpus {
        name: format!("generated Elixir ({} lines, seed 42)", generated.lines),
        root: elixir_root,
        rust: false,
    }];
    let mut extra = Vec::new();
    if let Some(tokio) = tokio_src() {
        extra.push((format!("tokio crate ({})", tokio.display()), tokio));
    }
    if let Some(d) = std::env::var_os("ELIXIR_SCOPE_BENCH_DIR") {
        let root = PathBuf::from(d);
        extra.push((root.display().to_string(), root));
    }
    for (i, (name, root)) in extra.into_iter().enumerate() {
        let copy = dir.path().join(format!("rust{i}"));
        copy_tree(&root, &copy).expect("bench: copy corpus");
        corpora.push(Corpus {
            name,
            root: copy,
            rust: true,
        });
    }
    let rt = tokio::runtime::Runtime::new().expect("bench: runtime");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("analyze_corpus: {rounds} rounds, {cores} cores, medians");
    for corpus in corpora {
        let (files, lines, bytes) = sizes(&corpus.root);
        let sources = discover_files(&corpus.root).expect("bench: discover");
        // The file the edit rows change: the largest one, the worst case for one edit.
        let edited = sources
            .iter()
            .max_by_key(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
            .expect("bench: a file to edit")
            .clone();
        let original = std::fs::read(&edited.path).expect("bench: read edited file");
        let mut floor = Phase::default();
        let mut parse = Phase::default();
        let mut cold = Phase::default();
        let mut filling = Phase::default();
        let mut warm = Phase::default();
        let mut after_edit = Phase::default();
        let mut rca_times = Vec::new();
        let (mut functions, mut rca_ok) = (0, true);
        for round in 0..rounds {
            floor.run(|| (tree_sitter_only(&sources), ()));
            parse.run(|| (rt.block_on(parse_only(&corpus.root)), ()));
            functions = cold.run(|| rt.block_on(analyze(&corpus.root, None)));
            let cache = tempfile::tempdir().expect("bench: cache dir");
            filling.run(|| rt.block_on(analyze(&corpus.root, Some(cache.path()))));
            warm.run(|| rt.block_on(analyze(&corpus.root, Some(cache.path()))));
            let comment = match edited.language {
                Language::Elixir => "#",
                Language::Rust => "//",
            };
            let mut changed = original.clone();
            changed.extend_from_slice(format!("\n{comment} bench edit {round}\n").as_bytes());
            std::fs::write(&edited.path, &changed).expect("bench: edit");
            after_edit.run(|| rt.block_on(analyze(&corpus.root, Some(cache.path()))));
            std::fs::write(&edited.path, &original).expect("bench: restore");
            if corpus.rust && rca_ok {
                match rust_code_analysis(&corpus.root) {
                    Some(t) => rca_times.push(t),
                    None => rca_ok = false,
                }
            }
        }
        // Peak memory, each analysis alone in a fresh process: cold, filling a cache, warm,
        // warm after the edit.
        let peaks = {
            let cache = tempfile::tempdir().expect("bench: cache dir");
            let cold = peak_in_child(&corpus.root, None);
            let filling = peak_in_child(&corpus.root, Some(cache.path()));
            let warm = peak_in_child(&corpus.root, Some(cache.path()));
            let mut changed = original.clone();
            changed.extend_from_slice(b"\n");
            std::fs::write(&edited.path, &changed).expect("bench: edit");
            let after_edit = peak_in_child(&corpus.root, Some(cache.path()));
            std::fs::write(&edited.path, &original).expect("bench: restore");
            [cold, filling, warm, after_edit]
        };
        let mb = bytes as f64 / 1e6;
        println!(
            "\n{}: {files} files, {lines} lines, {mb:.1} MB, {functions} functions; edit rows change {}",
            corpus.name, edited.relative
        );
        let rca = (corpus.rust && rca_ok && !rca_times.is_empty()).then(|| median(rca_times));
        println!(
            "  {:<34} {:>8}  {:>8}  {:>10}  {:>10}",
            "phase", "time", "MB/s", "rca / ours", "peak (own process)"
        );
        let row = |label: &str, phase: &Phase, peak: Option<f64>| {
            let t = phase.median();
            let ratio = rca.map_or_else(
                || "n/a".to_owned(),
                |r| format!("{:.2}x", r.as_secs_f64() / t.as_secs_f64()),
            );
            let peak = peak.map_or_else(|| "-".to_owned(), |p| format!("{p:.0} MiB"));
            println!(
                "  {label:<34} {:>6.3} s  {:>8.1}  {:>10}  {:>10}",
                t.as_secs_f64(),
                mb / t.as_secs_f64(),
                ratio,
                peak
            );
        };
        let [cold_peak, filling_peak, warm_peak, edit_peak] = peaks;
        row("tree-sitter only (floor)", &floor, None);
        row("parse only (AST layer)", &parse, None);
        row("analyze cold (no cache)", &cold, cold_peak);
        row("analyze cold, filling the cache", &filling, filling_peak);
        row("analyze warm (cache, unchanged)", &warm, warm_peak);
        row("analyze warm after a one-file edit", &after_edit, edit_peak);
        println!(
            "  (in-process peaks, upper bounds: memory earlier phases left mapped counts: floor {:.0}, parse {:.0}, cold {:.0}, filling {:.0}, warm {:.0}, after edit {:.0} MiB)",
            floor.peak_mib, parse.peak_mib, cold.peak_mib, filling.peak_mib, warm.peak_mib, after_edit.peak_mib
        );
        match rca {
            Some(r) => println!(
                "  {:<34} {:>6.3} s  {:>8.1}",
                "rust-code-analysis-cli",
                r.as_secs_f64(),
                mb / r.as_secs_f64()
            ),
            None if corpus.rust => {
                println!("  rust-code-analysis-cli: not on PATH (or failed); no comparison")
            }
            None => {}
        }
    }
}

//! Parse throughput of the AST layer against raw tree-sitter on the same files, in the same run.
//!
//! `cargo bench -p elixir-scope-ast --bench parse_throughput`
//!
//! Corpora: the `tokio` crate's source from the cargo registry (real Rust), a generated
//! Elixir project (`generate_elixir_corpus`, deterministic), and any directory named by
//! `ELIXIR_SCOPE_BENCH_DIR`. For each: MB/s of raw tree-sitter parsing and of our full parse
//! (tree-sitter + extraction + diagnostics) on 1 thread, alternating rounds; the same on 2
//! threads (speed-up); the whole service path (`AstClient::parse_project`, discovery, hashing,
//! parse tasks, repository) at concurrency 1 and 2; and model memory against source size.
//! Environment: `BENCH_ROUNDS` (default 5), `BENCH_ELIXIR_LINES` (default 60000).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elixir_scope_ast::{
    discover_files, generate_elixir_corpus, parse_source, parse_tree, AstConfig, AstLayer,
    HeapSize, Language, ParseOptions, ParsingConfig, DEFAULT_MAX_FILE_BYTES,
};

struct Input {
    rel: String,
    language: Language,
    bytes: Vec<u8>,
}

fn load(root: &Path) -> Vec<Input> {
    let files = match discover_files(root) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("skipping {}: {e}", root.display());
            return Vec::new();
        }
    };
    files
        .into_iter()
        .filter_map(|f| {
            let bytes = std::fs::read(&f.path).ok()?;
            (bytes.len() as u64 <= DEFAULT_MAX_FILE_BYTES).then_some(Input {
                rel: f.relative,
                language: f.language,
                bytes,
            })
        })
        .collect()
}

/// Runs `work` over all inputs on `threads` threads (work queue), returns the wall time.
fn timed(
    inputs: &[Input],
    threads: usize,
    work: &(dyn Fn(&Input) -> usize + Sync),
) -> (Duration, usize) {
    let next = AtomicUsize::new(0);
    let sink = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(i) else { break };
                sink.fetch_add(work(input), Ordering::Relaxed);
            });
        }
    });
    (start.elapsed(), sink.load(Ordering::Relaxed))
}

fn raw(input: &Input) -> usize {
    parse_tree(input.language, &input.bytes).map_or(0, |t| t.root_node().child_count() as usize)
}

fn ours(input: &Input) -> usize {
    let p = parse_source(
        &input.rel,
        input.language,
        &input.bytes,
        &ParseOptions::default(),
    );
    p.model.functions.len()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mbs(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1_000_000.0 / d.as_secs_f64()
}

/// Wall time of `parse_project`, and the worst latency of repository queries made meanwhile
/// (shows whether parsing starves the async runtime).
async fn service_time(root: &Path, concurrency: usize) -> Option<(Duration, Duration)> {
    let (sup, ast) = AstLayer::start(AstConfig {
        parsing: ParsingConfig {
            max_concurrency: concurrency,
            keep_sources: false,
            ..ParsingConfig::default()
        },
        ..AstConfig::default()
    })
    .await
    .ok()?;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let probe = {
        let (ast, done) = (ast.clone(), done.clone());
        tokio::spawn(async move {
            let mut worst = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                if ast.projects().await.is_err() {
                    break;
                }
                worst = worst.max(t.elapsed());
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            worst
        })
    };
    let start = Instant::now();
    let report = ast.parse_project("bench", root).await.ok()?;
    let elapsed = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let worst = probe.await.ok()?;
    assert!(report.failed.is_empty());
    sup.shutdown().await;
    Some((elapsed, worst))
}

fn bench(name: &str, root: &Path, rounds: usize, rt: &tokio::runtime::Runtime) {
    let inputs = load(root);
    if inputs.is_empty() {
        println!("| {name} | no files | | | | | | | | |");
        return;
    }
    let bytes: u64 = inputs.iter().map(|i| i.bytes.len() as u64).sum();
    // Warm-up: page cache, thread-local parsers.
    timed(&inputs, 2, &ours);
    let (mut raw1, mut ours1, mut raw2, mut ours2) = (vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        raw1.push(timed(&inputs, 1, &raw).0);
        ours1.push(timed(&inputs, 1, &ours).0);
        raw2.push(timed(&inputs, 2, &raw).0);
        ours2.push(timed(&inputs, 2, &ours).0);
    }
    let (r1, o1, r2, o2) = (median(raw1), median(ours1), median(raw2), median(ours2));
    let (mut svc1, mut svc2, mut worst) = (vec![], vec![], Duration::ZERO);
    for _ in 0..rounds {
        if let Some((d, w)) = rt.block_on(service_time(root, 1)) {
            svc1.push(d);
            worst = worst.max(w);
        }
        if let Some((d, w)) = rt.block_on(service_time(root, 2)) {
            svc2.push(d);
            worst = worst.max(w);
        }
    }
    let model_bytes: usize = inputs
        .iter()
        .map(|i| {
            parse_source(&i.rel, i.language, &i.bytes, &ParseOptions::default())
                .model
                .heap_bytes()
        })
        .sum();
    let svc = if svc1.is_empty() || svc2.is_empty() {
        "n/a".to_owned()
    } else {
        let (s1, s2) = (median(svc1), median(svc2));
        format!(
            "{:.1} / {:.1} MB/s ({:.2}×)",
            mbs(bytes, s1),
            mbs(bytes, s2),
            s1.as_secs_f64() / s2.as_secs_f64()
        )
    };
    println!(
        "| {name} | {} files, {:.2} MB | {:.1} | {:.1} | {:.2} | {:.2}× | {:.2}× | {svc} | {:.1} ms | {:.2} |",
        inputs.len(),
        bytes as f64 / 1e6,
        mbs(bytes, r1),
        mbs(bytes, o1),
        o1.as_secs_f64() / r1.as_secs_f64(),
        o1.as_secs_f64() / o2.as_secs_f64(),
        r1.as_secs_f64() / r2.as_secs_f64(),
        worst.as_secs_f64() * 1000.0,
        model_bytes as f64 / bytes as f64,
    );
}

/// The newest `tokio-*` source directory in the cargo registry.
fn tokio_source() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|index| std::fs::read_dir(index.path()).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tokio-1."))
        })
        .collect();
    found.sort();
    found.pop()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs us without it: stay quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds = if quick {
        1
    } else {
        std::env::var("BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5)
    };
    let lines = if quick {
        2_000
    } else {
        std::env::var("BENCH_ELIXIR_LINES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(60_000)
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return;
        }
    };
    println!(
        "rounds: {rounds} (median), cores: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!("| corpus | size | raw tree-sitter 1 thread MB/s | ours 1 thread MB/s | ours/raw time | ours 2-thread speed-up | raw 2-thread speed-up | service c=1 / c=2 | worst query latency while parsing | model bytes / source bytes |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let corpus = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            return;
        }
    };
    match generate_elixir_corpus(corpus.path(), lines, 42) {
        Ok(s) => bench(
            &format!("elixir corpus ({} lines, seed 42)", s.lines),
            corpus.path(),
            rounds,
            &rt,
        ),
        Err(e) => eprintln!("corpus: {e}"),
    }
    match tokio_source() {
        Some(dir) => {
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            bench(&format!("{name} (registry source)"), &dir, rounds, &rt);
        }
        None => eprintln!("no tokio source in the cargo registry; skipped"),
    }
    if let Some(dir) = std::env::var_os("ELIXIR_SCOPE_BENCH_DIR") {
        let dir = PathBuf::from(dir);
        bench(&dir.display().to_string(), &dir, rounds, &rt);
    }
}

//! Whole-project CPG build time on the generated Elixir corpus, against parsing alone (the
//! baseline) in the same run.
//!
//! `cargo bench -p elixir-scope-cpg --bench cpg_build`
//!
//! Per round, alternating: (a) parse every file (`parse_source`), (b) parse and build every
//! file's graphs (`parse_source` + `build_file`), then link the call graph
//! (`CallGraph::build`). One thread. Then the service path (`CpgClient::build`: discovery,
//! read, parse and build tasks at concurrency 1 and 2, link, store). Reports lines/s, the
//! build/parse ratio, the share of call sites resolved, the rebuild after a one-file change
//! against the full build (in memory, and with a data directory as `elixir-scope serve`
//! runs it), the CPG's own memory (a counting global allocator: bytes allocated above the
//! level before the build, at peak during it and retained after it) and the process's peak
//! RSS.
//! Then the same in-process comparison (and the CPG's memory) on real Rust: a `tokio-*`
//! crate's source from the cargo registry, or the directory in `BENCH_RUST_DIR`.
//! Environment: `BENCH_ROUNDS` (default 3), `BENCH_ELIXIR_LINES` (default 60000).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use elixir_scope_ast::{
    discover_files, generate_elixir_corpus, parse_source, Language, ParseOptions,
};
use elixir_scope_cpg::{
    build_file, BuildOptions, BuildPhases, CallGraph, CpgConfig, CpgLayer, UnresolvedReason,
};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated now; resets the peak to it.
fn start_counting() -> usize {
    let live = LIVE.load(Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    live
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

struct Input {
    rel: String,
    language: Language,
    bytes: Vec<u8>,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn load(root: &Path) -> Vec<Input> {
    discover_files(root)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| {
            Some(Input {
                bytes: std::fs::read(&f.path).ok()?,
                rel: f.relative,
                language: f.language,
            })
        })
        .collect()
}

/// The last (by name) `tokio-*` source directory in the cargo registry.
fn registry_tokio() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found = Vec::new();
    for index in std::fs::read_dir(home.join("registry/src")).ok()?.flatten() {
        let Ok(crates) = std::fs::read_dir(index.path()) else {
            continue;
        };
        for krate in crates.flatten() {
            let name = krate.file_name().to_string_lossy().into_owned();
            let version = name.strip_prefix("tokio-");
            if version.is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit())) {
                found.push(krate.path());
            }
        }
    }
    found.sort();
    found.pop()
}

/// Rust corpus: parse only against parse + CPG + link, one thread, alternating; and the
/// bytes the CPG holds (files' graphs, models, call graph) at peak and after the build.
fn rust_corpus(rounds: usize) {
    let dir = std::env::var_os("BENCH_RUST_DIR")
        .map(PathBuf::from)
        .or_else(registry_tokio);
    let Some(dir) = dir else {
        println!("rust corpus: none (no tokio source in the cargo registry, no BENCH_RUST_DIR)");
        return;
    };
    let inputs: Vec<Input> = load(&dir)
        .into_iter()
        .filter(|i| i.language == Language::Rust)
        .collect();
    let lines = inputs
        .iter()
        .map(|i| i.bytes.iter().filter(|&&b| b == b'\n').count())
        .sum::<usize>() as f64;
    println!(
        "rust corpus {}: {} files, {:.0} lines",
        dir.display(),
        inputs.len(),
        lines
    );
    let (opts, build_opts) = (ParseOptions::default(), BuildOptions::default());
    let (mut parse_times, mut build_times) = (Vec::new(), Vec::new());
    let mut memory = (0usize, 0usize);
    let mut resolved = (0usize, 0usize);
    for _ in 0..rounds {
        let t = Instant::now();
        let mut n = 0usize;
        for i in &inputs {
            n += parse_source(&i.rel, i.language, &i.bytes, &opts)
                .model
                .functions
                .len();
        }
        parse_times.push(t.elapsed());
        std::hint::black_box(n);

        let before = start_counting();
        let t = Instant::now();
        let mut models = Vec::with_capacity(inputs.len());
        let mut files = Vec::with_capacity(inputs.len());
        for i in &inputs {
            let parsed = parse_source(&i.rel, i.language, &i.bytes, &opts);
            files.push(build_file(&parsed, &build_opts));
            models.push(parsed.model);
        }
        let graph = CallGraph::build(models.iter());
        build_times.push(t.elapsed());
        memory = (
            PEAK.load(Ordering::Relaxed).saturating_sub(before),
            LIVE.load(Ordering::Relaxed).saturating_sub(before),
        );
        resolved = (
            graph.calls.len() - graph.unresolved().count(),
            graph.calls.len(),
        );
        std::hint::black_box((files.len(), graph.methods.len()));
    }
    parse_times.sort();
    build_times.sort();
    let (parse, build) = (parse_times[rounds / 2], build_times[rounds / 2]);
    println!(
        "  1 thread, median of {rounds}: parse only {:.0} ms ({:.0} lines/s); parse + CPG + link {:.0} ms ({:.0} lines/s); ratio build/parse {:.2}",
        parse.as_secs_f64() * 1e3,
        lines / parse.as_secs_f64(),
        build.as_secs_f64() * 1e3,
        lines / build.as_secs_f64(),
        build.as_secs_f64() / parse.as_secs_f64()
    );
    println!(
        "  CPG memory (counting allocator): peak {:.0} MB during the build, {:.0} MB held after it (graphs, models, call graph); call sites resolved {} of {} ({:.1}%)",
        mb(memory.0),
        mb(memory.1),
        resolved.0,
        resolved.1,
        100.0 * resolved.0 as f64 / resolved.1.max(1) as f64
    );
}

/// A build's phases in milliseconds, in the order they run.
fn phases_line(p: &BuildPhases) -> String {
    let ms = |us: u64| us as f64 / 1e3;
    format!(
        "discover {:.1}, previous {:.1}, stamp check {:.1}, file tasks {:.1}, assemble {:.1}, link {:.1}, report {:.1}, store {:.1}, commit {:.1}, release {:.1} (ms)",
        ms(p.discover_us),
        ms(p.previous_us),
        ms(p.stamp_check_us),
        ms(p.file_tasks_us),
        ms(p.assemble_us),
        ms(p.link_us),
        ms(p.report_us),
        ms(p.store_us),
        ms(p.commit_us),
        ms(p.release_us)
    )
}

fn main() {
    let rounds = env_usize("BENCH_ROUNDS", 3).max(1);
    let target_lines = env_usize("BENCH_ELIXIR_LINES", 60_000);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("no temp dir: {e}");
            return;
        }
    };
    let summary = match generate_elixir_corpus(dir.path(), target_lines, 42) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("corpus generation failed: {e}");
            return;
        }
    };
    let inputs = load(dir.path());
    let lines = summary.lines as f64;
    println!(
        "corpus: {} files, {} lines, {} bytes, {} functions",
        summary.files, summary.lines, summary.bytes, summary.functions
    );
    let opts = ParseOptions::default();
    let build_opts = BuildOptions::default();
    let mut parse_times = Vec::new();
    let mut build_times = Vec::new();
    let mut link_times = Vec::new();
    let mut resolved = (0usize, 0usize);
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for _ in 0..rounds {
        let t = Instant::now();
        let mut n = 0usize;
        for i in &inputs {
            n += parse_source(&i.rel, i.language, &i.bytes, &opts)
                .model
                .functions
                .len();
        }
        parse_times.push(t.elapsed());
        std::hint::black_box(n);

        let t = Instant::now();
        let mut models = Vec::with_capacity(inputs.len());
        let mut files = Vec::with_capacity(inputs.len());
        for i in &inputs {
            let parsed = parse_source(&i.rel, i.language, &i.bytes, &opts);
            files.push(build_file(&parsed, &build_opts));
            models.push(parsed.model);
        }
        let built = t.elapsed();
        let t = Instant::now();
        let graph = CallGraph::build(models.iter());
        let linked = t.elapsed();
        build_times.push(built + linked);
        link_times.push(linked);
        resolved = (
            graph.calls.len() - graph.unresolved().count(),
            graph.calls.len(),
        );
        reasons.clear();
        for (_, reason) in graph.unresolved() {
            let key = match reason {
                UnresolvedReason::ExternalModule { .. } => "external_module".to_owned(),
                UnresolvedReason::NoSuchFunction { .. } => "no_such_function".to_owned(),
                UnresolvedReason::Ambiguous { .. } => "ambiguous".to_owned(),
                other => format!("{other:?}"),
            };
            *reasons.entry(key).or_default() += 1;
        }
        std::hint::black_box(files.len());
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let parse = median(&mut parse_times);
    let build = median(&mut build_times);
    let link = median(&mut link_times);
    println!(
        "1 thread, median of {rounds}: parse only {:.0} ms ({:.0} lines/s); parse + CPG + link {:.0} ms ({:.0} lines/s), of which link {:.0} ms; ratio build/parse {:.2}",
        parse.as_secs_f64() * 1e3,
        lines / parse.as_secs_f64(),
        build.as_secs_f64() * 1e3,
        lines / build.as_secs_f64(),
        link.as_secs_f64() * 1e3,
        build.as_secs_f64() / parse.as_secs_f64()
    );
    println!(
        "call sites resolved: {} of {} ({:.1}%)",
        resolved.0,
        resolved.1,
        100.0 * resolved.0 as f64 / resolved.1.max(1) as f64
    );
    println!("unresolved by reason: {reasons:?}");

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("no runtime: {e}");
            return;
        }
    };
    // (concurrency, persisted): in memory at 1 and 2 tasks, then with a data directory.
    for (concurrency, persisted) in [(1usize, false), (2, false), (2, true)] {
        let data = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("no temp dir: {e}");
                return;
            }
        };
        let config = CpgConfig {
            max_concurrency: concurrency,
            data_dir: persisted.then(|| data.path().to_path_buf()),
            ..CpgConfig::default()
        };
        let project = format!("bench{concurrency}{persisted}");
        let result = runtime.block_on(async {
            let (sup, cpg) = CpgLayer::start(config.clone())
                .await
                .map_err(|e| e.to_string())?;
            let before = start_counting();
            let t = Instant::now();
            let report = cpg
                .build(&project, dir.path())
                .await
                .map_err(|e| e.to_string())?;
            let elapsed = t.elapsed();
            let memory = (
                PEAK.load(Ordering::Relaxed).saturating_sub(before),
                LIVE.load(Ordering::Relaxed).saturating_sub(before),
            );
            // Incremental: one file changes, the project is built again; median of 3 such
            // rebuilds (each after its own change), since one sample is noisy.
            let changed = inputs
                .iter()
                .find(|i| i.rel.ends_with(".ex"))
                .map(|i| dir.path().join(&i.rel))
                .ok_or("no .ex file")?;
            let mut rebuilds = Vec::new();
            let mut again = None;
            for change in 0..3 {
                let mut text = std::fs::read_to_string(&changed).map_err(|e| e.to_string())?;
                text.push_str(&format!(
                    "\ndefmodule BenchExtra{concurrency}{persisted}{change} do\n  def f(x), do: x\nend\n"
                ));
                std::fs::write(&changed, text).map_err(|e| e.to_string())?;
                let t = Instant::now();
                let report = cpg
                    .build(&project, dir.path())
                    .await
                    .map_err(|e| e.to_string())?;
                rebuilds.push((t.elapsed(), report.phases));
                again = Some(report);
            }
            rebuilds.sort_by_key(|r| r.0);
            let incremental = rebuilds[1];
            let again = again.ok_or("no rebuild")?;
            sup.shutdown().await;
            // With a data directory: a new layer over it (as after a process restart) loads
            // the graphs and build state, then a build of the unchanged tree reuses them.
            let rss_built = peak_rss_mb().unwrap_or(0.0);
            let restart = if persisted {
                let t = Instant::now();
                let (sup, cpg) = CpgLayer::start(config).await.map_err(|e| e.to_string())?;
                let loaded = t.elapsed();
                let t = Instant::now();
                let unchanged = cpg
                    .build(&project, dir.path())
                    .await
                    .map_err(|e| e.to_string())?;
                let build = t.elapsed();
                sup.shutdown().await;
                if unchanged.rebuilt != 0 {
                    return Err(format!("{} files rebuilt after a restart", unchanged.rebuilt));
                }
                Some((loaded, build))
            } else {
                None
            };
            let rss = (rss_built, peak_rss_mb().unwrap_or(0.0));
            Ok::<_, String>((report, elapsed, memory, again, incremental, restart, rss))
        });
        match result {
            Ok((report, elapsed, (peak, retained), again, incremental, restart, rss)) => {
                let mode = if persisted {
                    "with data dir"
                } else {
                    "in memory"
                };
                println!(
                    "service path, concurrency {concurrency}, {mode}: {:.0} ms ({:.0} lines/s), {} files, {} methods, {} failures",
                    elapsed.as_secs_f64() * 1e3,
                    lines / elapsed.as_secs_f64(),
                    report.files,
                    report.methods,
                    report.failures.len()
                );
                println!(
                    "  CPG memory (counting allocator, above the level before the build): peak {:.0} MB during the build, {:.0} MB retained (graphs in storage, models in the build state)",
                    mb(peak),
                    mb(retained)
                );
                println!(
                    "  after a one-file change (median of 3): {:.1} ms ({} rebuilt, {} reused, calls of {} files resolved again), {:.1}% of the full build",
                    incremental.0.as_secs_f64() * 1e3,
                    again.rebuilt,
                    again.reused,
                    again.relinked,
                    100.0 * incremental.0.as_secs_f64() / elapsed.as_secs_f64()
                );
                println!("  full build phases: {}", phases_line(&report.phases));
                println!("  median rebuild phases: {}", phases_line(&incremental.1));
                if let Some((loaded, build)) = restart {
                    println!(
                        "  restart: a new layer loads the graphs in {:.0} ms, then builds the unchanged tree in {:.0} ms (nothing rebuilt; the build state loads with the project's first build)",
                        loaded.as_secs_f64() * 1e3,
                        build.as_secs_f64() * 1e3
                    );
                }
                // The process's high-water mark so far (it also holds the corpus and what the
                // earlier modes freed but the allocator kept): after this mode's builds, and
                // after its restart when there is one.
                println!(
                    "  peak RSS of the process so far: {:.0} MB after the builds, {:.0} MB after the restart",
                    rss.0, rss.1
                );
            }
            Err(e) => eprintln!("service build failed: {e}"),
        }
    }
    rust_corpus(rounds);
    if let Some(mb) = peak_rss_mb() {
        println!("peak RSS of the whole bench process: {mb:.0} MB");
    }
}

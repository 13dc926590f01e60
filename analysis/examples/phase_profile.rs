//! Where `analyze`'s cold time goes: each phase of the pipeline timed on its own, with the
//! pure functions the services run, on the same files, then `analyze_path` end to end.
//!
//! `cargo run --release -p elixir-scope-analysis --example phase_profile -- [DIR]`
//!
//! Without DIR it generates the Elixir corpus (`BENCH_ELIXIR_LINES`, default 300000, seed
//! 42). Parallel phases run on as many threads as there are cores (files handed out one at a
//! time, as the parse tasks do); the call graph and later phases are single-threaded, as in
//! the job. "re-parse for metrics" is what the metrics task did per file before files were
//! measured in their parse task (tree-sitter again, then the walk); "tree-sitter only" is the
//! floor any tool parsing these files with tree-sitter pays.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use elixir_scope_analysis::{
    analyze_path, find_dead_code, find_function_cycles, find_module_cycles, find_smells, measure,
    render, AnalyzeOptions, DeadCodeRoots, Format, Thresholds,
};
use elixir_scope_ast::{
    content_hash, discover_files, generate_elixir_corpus, parse_source, parse_tree, FileModel,
    ParseOptions, ParsedFile, SourceFile,
};
use elixir_scope_cpg::CallGraph;

/// Runs `f` over `items` on every core, one item at a time; results in input order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                out.lock().map(|mut o| o.push((i, r))).ok();
            });
        }
    });
    let mut out = out.into_inner().unwrap_or_default();
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

fn timed<R>(label: &str, f: impl FnOnce() -> R) -> (R, Duration) {
    let start = Instant::now();
    let r = f();
    let t = start.elapsed();
    println!("  {label:<34} {:>8.3} s", t.as_secs_f64());
    (r, t)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let temp = tempfile::tempdir()?;
    let root: PathBuf = match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let lines = std::env::var("BENCH_ELIXIR_LINES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(300_000);
            generate_elixir_corpus(temp.path(), lines, 42)?;
            temp.path().to_path_buf()
        }
    };
    profile(&root)
}

/// `PROFILE_WARM_ONLY=N`: fills a cache, then runs N warm analyses (for a profiler).
fn warm_only(root: &Path, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Runtime::new()?;
    let cache = tempfile::tempdir()?;
    let cached = AnalyzeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..AnalyzeOptions::default()
    };
    rt.block_on(analyze_path(root, cached.clone(), |_| {}))?;
    for _ in 0..runs {
        timed("analyze_path, warm cache", || {
            rt.block_on(analyze_path(root, cached.clone(), |_| {}))
        })
        .0?;
    }
    Ok(())
}

/// `PROFILE_METRICS_ONLY=N`: parses every file once, then measures them all N times on one
/// thread (for a profiler).
fn metrics_only(root: &Path, runs: usize) -> Result<(), Box<dyn std::error::Error>> {
    let options = ParseOptions::default();
    let parsed: Vec<ParsedFile> = discover_files(root)?
        .iter()
        .filter_map(|f| {
            let bytes = std::fs::read(&f.path).ok()?;
            Some(parse_source(&f.relative, f.language, &bytes, &options))
        })
        .collect();
    for _ in 0..runs {
        timed("metrics, one thread", || {
            parsed
                .iter()
                .filter_map(|p| Some(measure(&p.model, p.source.as_deref()?, p.tree.as_ref()?)))
                .count()
        });
    }
    Ok(())
}

fn profile(root: &Path) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(runs) = std::env::var("PROFILE_WARM_ONLY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return warm_only(root, runs);
    }
    if let Some(runs) = std::env::var("PROFILE_METRICS_ONLY")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        return metrics_only(root, runs);
    }
    println!("phase profile of {}", root.display());
    let (files, _) = timed("discovery", || discover_files(root));
    let files: Vec<SourceFile> = files?;
    let (contents, _) = timed("read + hash", || {
        parallel(&files, |f| {
            let bytes = std::fs::read(&f.path).unwrap_or_default();
            let hash = content_hash(&bytes);
            (bytes, hash)
        })
    });
    let options = ParseOptions::default();
    let inputs: Vec<(&SourceFile, &Vec<u8>)> =
        files.iter().zip(contents.iter().map(|(b, _)| b)).collect();
    timed("tree-sitter only (floor)", || {
        parallel(&inputs, |(f, bytes)| {
            parse_tree(f.language, bytes).map(|t| t.root_node().child_count())
        })
    });
    let (parsed, _) = timed("parse + extract (parse_source)", || {
        parallel(&inputs, |(f, bytes)| {
            parse_source(&f.relative, f.language, bytes, &options)
        })
    });
    let measure_one = |p: &ParsedFile| match (&p.tree, p.source.as_deref()) {
        (Some(tree), Some(source)) => Some(measure(&p.model, source, tree)),
        _ => None,
    };
    let (metrics, _) = timed("metrics from the same tree", || {
        parallel(&parsed, measure_one)
    });
    timed("re-parse for metrics (before)", || {
        parallel(&parsed, |p| {
            let source = p.source.as_deref()?;
            let tree = parse_tree(p.model.language, source.as_bytes())?;
            Some(measure(&p.model, source, &tree))
        })
    });
    let models: Vec<&FileModel> = parsed.iter().map(|p| &p.model).collect();
    codecs(&models, &metrics);
    let (graph, _) = timed("call graph", || CallGraph::build(models.iter().copied()));
    let (dead, _) = timed("dead code", || {
        find_dead_code(&graph, &models, &DeadCodeRoots::default())
    });
    let (cycles, _) = timed("cycles", || {
        let mut f = find_function_cycles(&graph);
        f.extend(find_module_cycles(&graph, &models));
        f
    });
    let functions: Vec<_> = metrics
        .iter()
        .flatten()
        .flat_map(|m| m.functions.iter().cloned())
        .collect();
    let modules: Vec<_> = metrics
        .iter()
        .flatten()
        .flat_map(|m| m.modules.iter().cloned())
        .collect();
    timed("smells", || {
        find_smells(&functions, &modules, &Thresholds::default())
    });
    println!(
        "  ({} files, {} functions, {} dead-code and {} cycle findings)",
        files.len(),
        functions.len(),
        dead.len(),
        cycles.len()
    );
    drop(parsed);

    let rt = tokio::runtime::Runtime::new()?;
    let (report, _) = timed("analyze_path end to end (no cache)", || {
        rt.block_on(analyze_path(root, AnalyzeOptions::default(), |_| {}))
    });
    let report = report?;
    for format in [Format::Text, Format::Json, Format::Sarif] {
        timed(&format!("render {format:?}"), || render(&report, format))
            .0
            .map(|_| ())?;
    }
    let cache = tempfile::tempdir()?;
    let cached = AnalyzeOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..AnalyzeOptions::default()
    };
    timed("analyze_path, cache being filled", || {
        rt.block_on(analyze_path(root, cached.clone(), |_| {}))
    })
    .0?;
    timed("analyze_path, warm cache", || {
        rt.block_on(analyze_path(root, cached.clone(), |_| {}))
    })
    .0?;
    Ok(())
}

/// What the cache's entry codec costs on these files, serial (MessagePack is the cache's
/// format; JSON for comparison).
fn codecs(models: &[&FileModel], metrics: &[Option<elixir_scope_analysis::FileMetrics>]) {
    let pairs: Vec<_> = models.iter().zip(metrics).collect();
    let (rmp, _) = timed("encode MessagePack (serial)", || {
        pairs
            .iter()
            .map(|p| rmp_serde::to_vec(p).unwrap_or_default())
            .collect::<Vec<_>>()
    });
    timed("decode MessagePack (serial)", || {
        rmp.iter()
            .filter_map(|b| {
                rmp_serde::from_slice::<(FileModel, Option<elixir_scope_analysis::FileMetrics>)>(b)
                    .ok()
            })
            .count()
    });
    println!(
        "  (MessagePack {:.1} MB)",
        rmp.iter().map(Vec::len).sum::<usize>() as f64 / 1e6
    );
    let (json, _) = timed("encode JSON (serial)", || {
        pairs
            .iter()
            .map(|p| serde_json::to_vec(p).unwrap_or_default())
            .collect::<Vec<_>>()
    });
    timed("decode JSON (serial)", || {
        json.iter()
            .filter_map(|b| {
                serde_json::from_slice::<(FileModel, Option<elixir_scope_analysis::FileMetrics>)>(b)
                    .ok()
            })
            .count()
    });
    println!(
        "  (JSON {:.1} MB)",
        json.iter().map(Vec::len).sum::<usize>() as f64 / 1e6
    );
}

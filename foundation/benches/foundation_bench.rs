//! Foundation benchmarks, each side by side with its baseline in the same run:
//!
//! 1. durable ingest of ~200-byte events with 1/4/16 concurrent writers: our SQLite backend
//!    (group commit) vs raw rusqlite batched inserts (row per event, same schema and indexes,
//!    WAL + synchronous=FULL, one connection per writer);
//! 2. query p99 by correlation id and by a 1k-event time range on a large store;
//! 3. config read through the client, and telemetry `execute` vs a message-per-event channel.
//!
//! Run: `cargo bench -p elixir-scope-foundation --bench foundation_bench`
//! Env: `BENCH_INGEST_EVENTS` (per run, default 100000), `BENCH_STORE_EVENTS` (large store,
//! default 1000000), `BENCH_ROUNDS` (alternating rounds, default 2).

use elixir_scope_foundation::event::{NewEvent, Source, Timestamp};
use elixir_scope_foundation::event_store::{
    EventBackend, EventQuery, SqliteBackend, SqliteBlockBackend, SqliteOptions, BLOCK_DB_FILE_NAME,
    INSERT_SQL, SCHEMA_SQL,
};
use elixir_scope_foundation::telemetry::{MetricDef, Telemetry};
use elixir_scope_foundation::{Foundation, FoundationOptions};
use serde_json::json;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A ~200-byte event (type, source, correlation and ~110 bytes of JSON data).
fn event(i: usize) -> NewEvent {
    NewEvent::new(
        "function_call",
        json!({"module": "MyApp.Accounts", "fun": "get_user", "arity": 1, "i": i, "dur_us": 1234}),
    )
    .source(Source::new("app@node1", "<0.4242.0>"))
    .correlation(format!("corr-{}", i / 10))
    .at(Timestamp(1_700_000_000_000_000 + i as i64))
}

#[derive(Clone, Copy, PartialEq)]
enum Layout {
    Rows,
    Blocks,
}

fn open_store(layout: Layout, dir: &Path, max_batch: usize) -> Arc<dyn EventBackend> {
    let mut o = SqliteOptions::in_dir(dir);
    o.max_batch = max_batch;
    match layout {
        Layout::Rows => Arc::new(SqliteBackend::open(o).expect("open")),
        Layout::Blocks => {
            o.path = dir.join(BLOCK_DB_FILE_NAME);
            Arc::new(SqliteBlockBackend::open(o).expect("open"))
        }
    }
}

fn ours_ingest(
    rt: &tokio::runtime::Runtime,
    layout: Layout,
    dir: &Path,
    writers: usize,
    total: usize,
    batch_size: usize,
) -> f64 {
    let store = open_store(layout, dir, 10_000);
    let per = total / writers;
    let start = Instant::now();
    rt.block_on(async {
        let mut tasks = Vec::new();
        for w in 0..writers {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let mut i = w * per;
                let end = i + per;
                while i < end {
                    let n = batch_size.min(end - i);
                    let batch: Vec<NewEvent> = (i..i + n).map(event).collect();
                    store.store_batch(batch).await.expect("store");
                    i += n;
                }
            }));
        }
        for t in tasks {
            t.await.expect("writer");
        }
    });
    let secs = start.elapsed().as_secs_f64();
    rt.block_on(store.close());
    (per * writers) as f64 / secs
}

fn baseline_conn(dir: &Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(dir.join("events.db")).expect("open");
    c.busy_timeout(Duration::from_secs(60))
        .expect("busy timeout");
    c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0))
        .expect("wal");
    c.execute_batch("PRAGMA synchronous=FULL;").expect("sync");
    c
}

/// Raw rusqlite: each writer thread has its own connection and commits its own batches.
fn baseline_ingest(dir: &Path, writers: usize, total: usize, batch_size: usize) -> f64 {
    baseline_conn(dir)
        .execute_batch(SCHEMA_SQL)
        .expect("schema");
    let per = total / writers;
    let start = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let dir = dir.to_path_buf();
            std::thread::spawn(move || {
                let mut c = baseline_conn(&dir);
                let mut i = w * per;
                let end = i + per;
                while i < end {
                    let n = batch_size.min(end - i);
                    let batch: Vec<NewEvent> = (i..i + n).map(event).collect();
                    let tx = c
                        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                        .expect("begin");
                    {
                        let mut st = tx.prepare_cached(INSERT_SQL).expect("prepare");
                        for e in &batch {
                            let data = serde_json::to_string(&e.data).expect("json");
                            st.execute(rusqlite::params![
                                e.event_type,
                                e.timestamp.map(|t| t.0),
                                e.source.node,
                                e.source.process,
                                e.correlation_id,
                                e.parent_id.map(|p| p.0),
                                data
                            ])
                            .expect("insert");
                        }
                    }
                    tx.commit().expect("commit");
                    i += n;
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    (per * writers) as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let idx = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[idx]
}

fn bench_ingest(rt: &tokio::runtime::Runtime) {
    let total = env_usize("BENCH_INGEST_EVENTS", 100_000);
    let rounds = env_usize("BENCH_ROUNDS", 2);
    println!("\n## Durable ingest, ~200-byte events, {total} events per run, median of {rounds} alternating rounds\n");
    println!("| events per store_batch | writers | ours, rows (events/s) | ours, blocks (events/s) | raw rusqlite baseline (events/s) | rows/baseline | blocks/baseline |");
    println!("|---|---|---|---|---|---|---|");
    for batch_size in [100usize, 1000] {
        for writers in [1usize, 4, 16] {
            let (mut rows, mut blocks, mut base) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..rounds {
                let d = tempfile::tempdir().expect("tempdir");
                rows.push(ours_ingest(
                    rt,
                    Layout::Rows,
                    d.path(),
                    writers,
                    total,
                    batch_size,
                ));
                let d = tempfile::tempdir().expect("tempdir");
                blocks.push(ours_ingest(
                    rt,
                    Layout::Blocks,
                    d.path(),
                    writers,
                    total,
                    batch_size,
                ));
                let d = tempfile::tempdir().expect("tempdir");
                base.push(baseline_ingest(d.path(), writers, total, batch_size));
            }
            let (r, k, b) = (median(rows), median(blocks), median(base));
            println!(
                "| {batch_size} | {writers} | {r:.0} | {k:.0} | {b:.0} | {:.2}x | {:.2}x |",
                r / b,
                k / b
            );
        }
    }
}

fn bench_queries(rt: &tokio::runtime::Runtime) {
    let size = env_usize("BENCH_STORE_EVENTS", 1_000_000);
    for layout in [Layout::Rows, Layout::Blocks] {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = open_store(layout, dir.path(), 10_000);
        let build = Instant::now();
        rt.block_on(async {
            let writers = 4;
            let per = size / writers;
            let mut tasks = Vec::new();
            for w in 0..writers {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    let mut i = w * per;
                    let end = i + per;
                    while i < end {
                        let n = 5_000.min(end - i);
                        store
                            .store_batch((i..i + n).map(event).collect())
                            .await
                            .expect("store");
                        i += n;
                    }
                }));
            }
            for t in tasks {
                t.await.expect("writer");
            }
        });
        let built = build.elapsed();
        let stats = rt.block_on(store.stats()).expect("stats");
        let name = if layout == Layout::Rows {
            "rows"
        } else {
            "blocks"
        };
        println!(
            "\n## Queries, {name} layout, {}-event store (built in {:.1} s = {:.0} events/s, {:.0} MB on disk)\n",
            stats.total_events,
            built.as_secs_f64(),
            stats.total_events as f64 / built.as_secs_f64(),
            stats.storage_bytes as f64 / 1e6
        );
        let n_queries = 1000;
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move |m: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m as u64) as usize
        };
        let total = stats.total_events as usize;
        let (mut by_corr, mut by_range) = (Vec::new(), Vec::new());
        rt.block_on(async {
            for _ in 0..n_queries {
                let c = rand(total / 10);
                let t = Instant::now();
                let page = store
                    .query(EventQuery::all().correlation(format!("corr-{c}")))
                    .await
                    .expect("q");
                by_corr.push(t.elapsed());
                assert_eq!(page.events.len(), 10);
                let from = 1_700_000_000_000_000 + rand(total - 1000) as i64;
                let t = Instant::now();
                let page = store
                    .query(
                        EventQuery::all()
                            .between(Timestamp(from), Timestamp(from + 1000))
                            .limit(1000),
                    )
                    .await
                    .expect("q");
                by_range.push(t.elapsed());
                assert_eq!(page.events.len(), 1000);
            }
        });
        println!("| query ({n_queries} random) | p50 | p99 |");
        println!("|---|---|---|");
        for (q, v) in [
            ("by correlation id (10 events)", by_corr),
            ("1k-event time range", by_range),
        ] {
            let (p50, p99) = (percentile(v.clone(), 0.50), percentile(v, 0.99));
            println!(
                "| {q} | {:.3} ms | {:.3} ms |",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
        rt.block_on(store.close());
    }
}

fn ns_per_op(iters: u64, f: impl Fn(u64)) -> f64 {
    for i in 0..iters / 10 {
        f(i);
    }
    let t = Instant::now();
    for i in 0..iters {
        f(i);
    }
    t.elapsed().as_nanos() as f64 / iters as f64
}

fn bench_hot_paths(rt: &tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fd = rt
        .block_on(Foundation::start(
            FoundationOptions::new(dir.path()).with_env(vec![]),
        ))
        .expect("foundation");
    let iters = 2_000_000;
    println!("\n## Hot paths (single thread, {iters} iterations)\n");
    println!("| operation | ns/op | baseline | baseline ns/op | ratio |");
    println!("|---|---|---|---|---|");
    let cfg = fd.config.clone();
    let read = ns_per_op(iters, |_| {
        black_box(cfg.get(black_box("capture.batch_size")).expect("read"));
    });
    let typed = ns_per_op(iters, |_| {
        black_box(cfg.config().capture.batch_size);
    });
    // Baseline: the same value behind a plain RwLock (what a hand-rolled shared config costs).
    let plain = Arc::new(parking_lot::RwLock::new(cfg.config().as_ref().clone()));
    let base = ns_per_op(iters, |_| {
        black_box(plain.read().capture.batch_size);
    });
    println!("| config get by path via ConfigClient | {read:.0} | RwLock<Config> field read | {base:.0} | {:.1}x |", read / base);
    println!("| typed config via ConfigClient::config() | {typed:.0} | RwLock<Config> field read | {base:.0} | {:.1}x |", typed / base);

    let t = fd.telemetry.clone();
    rt.block_on(t.define(MetricDef::counter("bench.count", "bench.metric")))
        .expect("define");
    rt.block_on(t.define(MetricDef::distribution(
        "bench.duration",
        "bench.metric",
        "us",
    )))
    .expect("define");
    let bare = ns_per_op(iters, |i| t.execute("bench.bare", &[("us", i as f64)], &[]));
    let metric = ns_per_op(iters, |i| {
        t.execute("bench.metric", &[("us", (i % 5000) as f64)], &[("k", "v")])
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Vec<(String, f64)>)>();
    let drain = std::thread::spawn(move || while rx.blocking_recv().is_some() {});
    let msg = ns_per_op(iters, |i| {
        let _ = tx.send((
            "bench.metric".to_string(),
            vec![("us".to_string(), i as f64)],
        ));
    });
    drop(tx);
    let _ = drain.join();
    let raw = Telemetry::new();
    let direct = ns_per_op(iters, |i| {
        raw.execute("bench.bare", &[("us", i as f64)], &[])
    });
    println!("| telemetry execute, no metrics (client) | {bare:.0} | message per execute (mpsc send) | {msg:.0} | {:.2}x |", bare / msg);
    println!("| telemetry execute, counter + histogram (client) | {metric:.0} | message per execute (mpsc send) | {msg:.0} | {:.2}x |", metric / msg);
    println!("| telemetry execute, no metrics (bare registry) | {direct:.0} | message per execute (mpsc send) | {msg:.0} | {:.2}x |", direct / msg);
    rt.block_on(fd.supervisor.shutdown());
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    println!(
        "# foundation benchmarks ({} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    if only.is_empty() || only == "hot" {
        bench_hot_paths(&rt);
    }
    if only.is_empty() || only == "ingest" {
        bench_ingest(&rt);
    }
    if only.is_empty() || only == "query" {
        bench_queries(&rt);
    }
}

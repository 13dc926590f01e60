//! The baseline: plain tokio tasks with an unbounded mpsc mailbox and oneshot replies, JoinSet
//! for tasks, and a JoinHandle loop as the least a restart can cost.

use crate::alloc::{heap_mark, live_bytes};
use crate::common::{Latch, WorkerCfg, CRASH};
use crate::outcome::{since, Outcome};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use tokio::task::{JoinHandle, JoinSet};

pub enum Msg {
    Ping(u64, oneshot::Sender<u64>),
    Count,
    Panic,
}

type Tx = mpsc::UnboundedSender<Msg>;

async fn worker(cfg: WorkerCfg, mut rx: mpsc::UnboundedReceiver<Msg>) {
    cfg.on_start();
    let mut seen = 0;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Ping(x, reply) => {
                let _ = reply.send(x + 1);
            }
            Msg::Count => cfg.on_count(&mut seen),
            Msg::Panic => panic!("{CRASH}"),
        }
    }
}

fn spawn_worker(cfg: WorkerCfg) -> (Tx, JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (tx, tokio::spawn(worker(cfg, rx)))
}

async fn stop(workers: Vec<(Tx, JoinHandle<()>)>) {
    for (tx, handle) in workers {
        drop(tx);
        let _ = handle.await;
    }
}

async fn call_once(tx: &Tx, x: u64) -> Option<u64> {
    let (reply, rx) = oneshot::channel();
    tx.send(Msg::Ping(x, reply)).ok()?;
    rx.await.ok()
}

pub async fn spawn(n: usize) -> Outcome {
    let ready = Latch::new(n);
    let cfg = WorkerCfg {
        ready: Some(ready.clone()),
        ..WorkerCfg::default()
    };
    let heap_before = heap_mark();
    let start = Instant::now();
    let workers: Vec<_> = (0..n).map(|_| spawn_worker(cfg.clone())).collect();
    ready.wait().await;
    let mut out = Outcome::time(since(start));
    out.note = Some(crate::report::heap_per_item(heap_before, heap_mark(), n));
    stop(workers).await;
    out
}

pub async fn call(batch: usize) -> Outcome {
    let (tx, handle) = spawn_worker(WorkerCfg::default());
    let start = Instant::now();
    for i in 0..batch as u64 {
        let r = call_once(&tx, i).await;
        debug_assert_eq!(r, Some(i + 1));
    }
    let mut out = Outcome::time(since(start) / batch as f64);
    for i in 0..batch as u64 {
        let t = Instant::now();
        let _ = call_once(&tx, i).await;
        out.per_op.push(since(t));
    }
    stop(vec![(tx, handle)]).await;
    out
}

pub async fn fan_in(producers: usize, total: usize) -> Outcome {
    let done = Latch::new(1);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: total as u64,
        ..WorkerCfg::default()
    };
    let (tx, handle) = spawn_worker(cfg);
    let per = total / producers;
    let start = Instant::now();
    for _ in 0..producers {
        let tx = tx.clone();
        tokio::spawn(async move {
            for _ in 0..per {
                let _ = tx.send(Msg::Count);
            }
        });
    }
    done.wait().await;
    let out = Outcome::time(since(start));
    stop(vec![(tx, handle)]).await;
    out
}

pub async fn round_robin(services: usize, total: usize) -> Outcome {
    let done = Latch::new(services);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: (total / services) as u64,
        ..WorkerCfg::default()
    };
    let workers: Vec<_> = (0..services).map(|_| spawn_worker(cfg.clone())).collect();
    let start = Instant::now();
    for i in 0..(total / services) * services {
        let _ = workers[i % services].0.send(Msg::Count);
    }
    done.wait().await;
    let out = Outcome::time(since(start));
    stop(workers).await;
    out
}

/// A hand-written restart loop: the mailbox survives in a mutex, each incarnation is a fresh
/// task, a panic seen through the JoinHandle starts the next one.
pub async fn restart_latency(count: usize) -> Outcome {
    let (tx, rx) = mpsc::unbounded_channel::<Msg>();
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let supervisor = tokio::spawn(async move {
        loop {
            let rx = rx.clone();
            let incarnation = tokio::spawn(async move {
                let mut rx = rx.lock_owned().await;
                while let Some(msg) = rx.recv().await {
                    match msg {
                        Msg::Ping(x, reply) => {
                            let _ = reply.send(x + 1);
                        }
                        Msg::Count => {}
                        Msg::Panic => panic!("{CRASH}"),
                    }
                }
            });
            match incarnation.await {
                Err(e) if e.is_panic() => continue,
                _ => return,
            }
        }
    });
    let mut out = Outcome::default();
    for _ in 0..count {
        let t = Instant::now();
        let _ = tx.send(Msg::Panic);
        while call_once(&tx, 1).await != Some(2) {}
        out.per_op.push(since(t));
    }
    out.ns = out.per_op.median();
    out.headline_per_op = true;
    drop(tx);
    let _ = supervisor.await;
    out
}

pub async fn churn(n: usize) -> Outcome {
    let warm = spawn_worker(WorkerCfg::default());
    stop(vec![warm]).await;
    let before = live_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let (tx, handle) = spawn_worker(WorkerCfg::default());
        // Graceful: the worker sees its mailbox close and returns.
        drop(tx);
        let _ = handle.await;
    }
    let ns = since(start);
    let after = live_bytes();
    Outcome {
        ns,
        note: Some(crate::report::memory_note(before, after)),
        ..Outcome::default()
    }
}

pub async fn tasks(n: usize) -> Outcome {
    let start = Instant::now();
    let mut set = JoinSet::new();
    for i in 0..n as u64 {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(r) = set.join_next().await {
        sum += r.expect("task succeeds");
    }
    let out = Outcome::time(since(start));
    assert_eq!(sum, (n as u64) * (n as u64 - 1) / 2);
    out
}

//! The workloads on kameo 0.22 (default features off), with unbounded mailboxes to match the
//! other implementations and its `supervise` builder for supervised scenarios.

use crate::alloc::{heap_mark, live_bytes};
use crate::common::{Latch, WorkerCfg, CRASH};
use crate::outcome::{since, Outcome};
use kameo::actor::{Actor, ActorRef, Spawn};
use kameo::error::Infallible;
use kameo::mailbox;
use kameo::message::{Context, Message};
use kameo::supervision::RestartPolicy;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct KWorker {
    cfg: WorkerCfg,
    seen: u64,
}

impl Actor for KWorker {
    type Args = WorkerCfg;
    type Error = Infallible;

    async fn on_start(cfg: WorkerCfg, actor_ref: ActorRef<Self>) -> Result<Self, Infallible> {
        cfg.on_start();
        if cfg.crash_on_start {
            let _ = actor_ref.tell(KPanic).try_send();
        }
        Ok(KWorker { cfg, seen: 0 })
    }
}

pub struct KPing(u64);
pub struct KCount;
pub struct KPanic;

impl Message<KPing> for KWorker {
    type Reply = u64;

    async fn handle(&mut self, msg: KPing, _: &mut Context<Self, u64>) -> u64 {
        msg.0 + 1
    }
}

impl Message<KCount> for KWorker {
    type Reply = ();

    async fn handle(&mut self, _: KCount, _: &mut Context<Self, ()>) {
        self.cfg.on_count(&mut self.seen);
    }
}

impl Message<KPanic> for KWorker {
    type Reply = ();

    async fn handle(&mut self, _: KPanic, _: &mut Context<Self, ()>) {
        panic!("{CRASH}");
    }
}

/// A parent for supervised children; kameo supervision lives in the parent actor.
pub struct KSup;

impl Actor for KSup {
    type Args = ();
    type Error = Infallible;

    async fn on_start(_: (), _: ActorRef<Self>) -> Result<Self, Infallible> {
        Ok(KSup)
    }
}

fn start(cfg: WorkerCfg) -> ActorRef<KWorker> {
    KWorker::spawn_with_mailbox(cfg, mailbox::unbounded())
}

async fn stop(actors: Vec<ActorRef<KWorker>>) {
    for actor in &actors {
        let _ = actor.stop_gracefully().await;
    }
    for actor in actors {
        actor.wait_for_shutdown().await;
    }
}

async fn call_once(actor: &ActorRef<KWorker>, x: u64) -> Option<u64> {
    actor.ask(KPing(x)).await.ok()
}

pub async fn spawn(n: usize) -> Outcome {
    let ready = Latch::new(n);
    let cfg = WorkerCfg {
        ready: Some(ready.clone()),
        ..WorkerCfg::default()
    };
    let heap_before = heap_mark();
    let start_at = Instant::now();
    let actors: Vec<_> = (0..n).map(|_| start(cfg.clone())).collect();
    ready.wait().await;
    let mut out = Outcome::time(since(start_at));
    out.note = Some(crate::report::heap_per_item(heap_before, heap_mark(), n));
    stop(actors).await;
    out
}

pub async fn call(batch: usize) -> Outcome {
    let actor = start(WorkerCfg::default());
    actor.wait_for_startup().await;
    let start_at = Instant::now();
    for i in 0..batch as u64 {
        let r = call_once(&actor, i).await;
        debug_assert_eq!(r, Some(i + 1));
    }
    let mut out = Outcome::time(since(start_at) / batch as f64);
    for i in 0..batch as u64 {
        let t = Instant::now();
        let _ = call_once(&actor, i).await;
        out.per_op.push(since(t));
    }
    stop(vec![actor]).await;
    out
}

pub async fn fan_in(producers: usize, total: usize) -> Outcome {
    let done = Latch::new(1);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: total as u64,
        ..WorkerCfg::default()
    };
    let actor = start(cfg);
    actor.wait_for_startup().await;
    let per = total / producers;
    let start_at = Instant::now();
    for _ in 0..producers {
        let target = actor.clone();
        tokio::spawn(async move {
            for _ in 0..per {
                let _ = target.tell(KCount).try_send();
            }
        });
    }
    done.wait().await;
    let out = Outcome::time(since(start_at));
    stop(vec![actor]).await;
    out
}

pub async fn round_robin(services: usize, total: usize) -> Outcome {
    let done = Latch::new(services);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: (total / services) as u64,
        ..WorkerCfg::default()
    };
    let actors: Vec<_> = (0..services).map(|_| start(cfg.clone())).collect();
    for actor in &actors {
        actor.wait_for_startup().await;
    }
    let start_at = Instant::now();
    for i in 0..(total / services) * services {
        let _ = actors[i % services].tell(KCount).try_send();
    }
    done.wait().await;
    let out = Outcome::time(since(start_at));
    stop(actors).await;
    out
}

pub async fn restart_latency(count: usize) -> Outcome {
    let sup = KSup::spawn(());
    let child = KWorker::supervise(&sup, WorkerCfg::default())
        .restart_policy(RestartPolicy::Permanent)
        .restart_limit(u32::MAX, Duration::from_millis(1))
        .spawn_with_mailbox(mailbox::unbounded())
        .await;
    child.wait_for_startup().await;
    let mut out = Outcome::default();
    for _ in 0..count {
        let t = Instant::now();
        let _ = child.tell(KPanic).try_send();
        // kameo keeps the mailbox across restarts: the ask is answered by the next instance.
        while call_once(&child, 1).await != Some(2) {}
        out.per_op.push(since(t));
    }
    out.ns = out.per_op.median();
    out.headline_per_op = true;
    let _ = sup.stop_gracefully().await;
    sup.wait_for_shutdown().await;
    out
}

pub async fn storm(max_restarts: u32) -> Outcome {
    let starts = Arc::new(AtomicUsize::new(0));
    let crashing = Arc::new(AtomicBool::new(false));
    let sup = KSup::spawn(());
    let factory = {
        let starts = starts.clone();
        let crashing = crashing.clone();
        move || WorkerCfg {
            starts: Some(starts.clone()),
            crash_on_start: crashing.load(Ordering::Relaxed),
            ..WorkerCfg::default()
        }
    };
    let child = KWorker::supervise_with(&sup, factory)
        .restart_policy(RestartPolicy::Permanent)
        .restart_limit(max_restarts, Duration::from_secs(5))
        .spawn_with_mailbox(mailbox::unbounded())
        .await;
    child.wait_for_startup().await;
    let start_at = Instant::now();
    crashing.store(true, Ordering::Relaxed);
    let _ = child.tell(KPanic).try_send();
    let escalated = tokio::time::timeout(Duration::from_secs(10), sup.wait_for_shutdown())
        .await
        .is_ok();
    let ns = since(start_at);
    let restarts = starts.load(Ordering::Relaxed).saturating_sub(1);
    if !escalated {
        sup.kill();
    }
    Outcome {
        ns,
        note: Some(format!(
            "restarts {restarts}/{max_restarts}, escalated: {}",
            if escalated { "yes" } else { "no" }
        )),
        ..Outcome::default()
    }
}

pub async fn churn(n: usize) -> Outcome {
    let sup = KSup::spawn(());
    let cycle = |sup: ActorRef<KSup>| async move {
        let child = KWorker::supervise(&sup, WorkerCfg::default())
            .restart_policy(RestartPolicy::Never)
            .spawn_with_mailbox(mailbox::unbounded())
            .await;
        let _ = child.stop_gracefully().await;
        child.wait_for_shutdown().await;
    };
    cycle(sup.clone()).await;
    let before = live_bytes();
    let start_at = Instant::now();
    for _ in 0..n {
        cycle(sup.clone()).await;
    }
    let ns = since(start_at);
    // The parent learns of each exit through its own mailbox; let it drain.
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let after = live_bytes();
    let _ = sup.stop_gracefully().await;
    sup.wait_for_shutdown().await;
    Outcome {
        ns,
        note: Some(crate::report::memory_note(before, after)),
        ..Outcome::default()
    }
}

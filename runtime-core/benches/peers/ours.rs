//! The workloads on elixir-scope-runtime-core.

use crate::alloc::{heap_mark, live_bytes};
use crate::common::{Latch, WorkerCfg, CRASH};
use crate::outcome::{since, Outcome};
use elixir_scope_runtime_core::{
    ChildSpec, Context, DynamicSupervisorSpec, ExitReason, Restart, Service, ServiceRef, Shutdown,
    Strategy, SupervisorSpec, TaskSupervisor,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Worker {
    cfg: WorkerCfg,
    seen: u64,
}

pub enum Cast {
    Count,
    Panic,
    Block,
}

impl Worker {
    fn new(cfg: WorkerCfg) -> Worker {
        Worker { cfg, seen: 0 }
    }
}

impl Service for Worker {
    type Call = u64;
    type Reply = u64;
    type Cast = Cast;
    type Info = ();

    async fn init(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Result<(), elixir_scope_runtime_core::InitError> {
        self.cfg.on_start();
        if self.cfg.crash_on_start {
            let _ = ctx.myself().cast(Cast::Panic);
        }
        Ok(())
    }

    async fn handle_call(&mut self, x: u64, _: &mut Context<Self>) -> u64 {
        x + 1
    }

    async fn handle_cast(&mut self, msg: Cast, _: &mut Context<Self>) {
        match msg {
            Cast::Count => self.cfg.on_count(&mut self.seen),
            Cast::Panic => panic!("{CRASH}"),
            Cast::Block => std::future::pending::<()>().await,
        }
    }
}

fn name() -> Arc<str> {
    Arc::from("w")
}

async fn stop_all(refs: Vec<ServiceRef<Worker>>) {
    for r in refs {
        r.stop(ExitReason::Shutdown(None)).await;
    }
}

pub async fn spawn(n: usize) -> Outcome {
    let ready = Latch::new(n);
    let cfg = WorkerCfg {
        ready: Some(ready.clone()),
        ..WorkerCfg::default()
    };
    let name = name();
    let heap_before = heap_mark();
    let start = Instant::now();
    let refs: Vec<_> = (0..n)
        .map(|_| ServiceRef::spawn_unsupervised(name.clone(), Worker::new(cfg.clone())))
        .collect();
    ready.wait().await;
    let mut out = Outcome::time(since(start));
    out.note = Some(crate::report::heap_per_item(heap_before, heap_mark(), n));
    stop_all(refs).await;
    out
}

pub async fn call(batch: usize) -> Outcome {
    let svc = ServiceRef::start_unsupervised(name(), Worker::new(WorkerCfg::default()))
        .await
        .expect("bench worker starts");
    let start = Instant::now();
    for i in 0..batch as u64 {
        let r = svc.call(i).await;
        debug_assert_eq!(r, Ok(i + 1));
    }
    let mut out = Outcome::time(since(start) / batch as f64);
    for i in 0..batch as u64 {
        let t = Instant::now();
        let _ = svc.call(i).await;
        out.per_op.push(since(t));
    }
    stop_all(vec![svc]).await;
    out
}

pub async fn fan_in(producers: usize, total: usize) -> Outcome {
    let done = Latch::new(1);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: total as u64,
        ..WorkerCfg::default()
    };
    let svc = ServiceRef::start_unsupervised(name(), Worker::new(cfg))
        .await
        .expect("bench worker starts");
    let per = total / producers;
    let start = Instant::now();
    for _ in 0..producers {
        let svc = svc.clone();
        tokio::spawn(async move {
            for _ in 0..per {
                let _ = svc.cast(Cast::Count);
            }
        });
    }
    done.wait().await;
    let out = Outcome::time(since(start));
    stop_all(vec![svc]).await;
    out
}

pub async fn round_robin(services: usize, total: usize) -> Outcome {
    let done = Latch::new(services);
    let cfg = WorkerCfg {
        done: Some(done.clone()),
        target: (total / services) as u64,
        ..WorkerCfg::default()
    };
    let mut refs = Vec::with_capacity(services);
    for _ in 0..services {
        refs.push(
            ServiceRef::start_unsupervised(name(), Worker::new(cfg.clone()))
                .await
                .expect("bench worker starts"),
        );
    }
    let start = Instant::now();
    for i in 0..(total / services) * services {
        let _ = refs[i % services].cast(Cast::Count);
    }
    done.wait().await;
    let out = Outcome::time(since(start));
    stop_all(refs).await;
    out
}

pub async fn restart_latency(count: usize) -> Outcome {
    let (spec, svc) = ChildSpec::service("child", || Worker::new(WorkerCfg::default()));
    let root = SupervisorSpec::new("restart-latency")
        .intensity(1_000_000, Duration::from_millis(1))
        .child(spec)
        .start()
        .await
        .expect("supervisor starts");
    let mut out = Outcome::default();
    for _ in 0..count {
        let t = Instant::now();
        let _ = svc.cast(Cast::Panic);
        // Queued in the mailbox, answered by the next incarnation.
        while svc.call(1).await != Ok(2) {}
        out.per_op.push(since(t));
    }
    out.ns = out.per_op.median();
    out.headline_per_op = true;
    root.shutdown().await;
    out
}

pub async fn storm(max_restarts: u32) -> Outcome {
    let starts = Arc::new(AtomicUsize::new(0));
    let cfg = WorkerCfg {
        starts: Some(starts.clone()),
        ..WorkerCfg::default()
    };
    let crash_cfg = WorkerCfg {
        crash_on_start: true,
        ..cfg.clone()
    };
    // Start healthy, then every incarnation after the first crash crashes at once.
    let crashing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = crashing.clone();
    let (spec, svc) = ChildSpec::service("stormy", move || {
        if flag.load(Ordering::Relaxed) {
            Worker::new(crash_cfg.clone())
        } else {
            Worker::new(cfg.clone())
        }
    });
    let root = SupervisorSpec::new("storm")
        .intensity(max_restarts, Duration::from_secs(5))
        .child(spec)
        .start()
        .await
        .expect("supervisor starts");
    let monitor = root.monitor().expect("root is running");
    let start = Instant::now();
    crashing.store(true, Ordering::Relaxed);
    let _ = svc.cast(Cast::Panic);
    let down = monitor.down().await;
    let ns = since(start);
    let restarts = starts.load(Ordering::Relaxed) - 1;
    let escalated =
        matches!(&down.reason, ExitReason::Shutdown(Some(r)) if r.contains("max_restart"));
    Outcome {
        ns,
        note: Some(format!(
            "restarts {restarts}/{max_restarts}, escalated: {}",
            if escalated { "yes" } else { "no" }
        )),
        ..Outcome::default()
    }
}

/// Root → `mids` supervisors → `leaves` workers each; one stubborn worker blocks in a handler.
pub async fn shutdown_tree(mids: usize, leaves: usize, timeout: Duration) -> Outcome {
    let mut root = SupervisorSpec::new("root").strategy(Strategy::OneForOne);
    let mut stubborn = None;
    for m in 0..mids {
        let mut mid = SupervisorSpec::new(format!("mid{m}"));
        for l in 0..leaves {
            let (spec, svc) =
                ChildSpec::service(format!("w{l}"), || Worker::new(WorkerCfg::default()));
            mid = mid.child(spec.shutdown(Shutdown::Timeout(timeout)));
            if m == mids / 2 && l == leaves / 2 {
                stubborn = Some(svc);
            }
        }
        root = root.child(mid.into_child_spec());
    }
    let root = root.start().await.expect("tree starts");
    let stubborn = stubborn.expect("a stubborn worker was chosen");
    let _ = stubborn.cast(Cast::Block);
    // The block is in effect once the worker has taken it off its queue.
    while stubborn.mailbox_len() != 0 {
        tokio::task::yield_now().await;
    }
    let start = Instant::now();
    root.shutdown().await;
    Outcome::time(since(start))
}

pub async fn churn(n: usize) -> Outcome {
    let sup = DynamicSupervisorSpec::new("churn")
        .start()
        .await
        .expect("dynamic supervisor starts");
    // One cycle first, so lazily built statics (tracing callsites, timers) are not counted.
    let (spec, _) = ChildSpec::service("w", || Worker::new(WorkerCfg::default()));
    let pid = sup
        .start_child(spec.restart(Restart::Temporary))
        .await
        .expect("starts");
    sup.terminate_child(pid).await.expect("terminates");
    let before = live_bytes();
    let start = Instant::now();
    for _ in 0..n {
        let (spec, _) = ChildSpec::service("w", || Worker::new(WorkerCfg::default()));
        let pid = sup
            .start_child(spec.restart(Restart::Temporary))
            .await
            .expect("child starts");
        sup.terminate_child(pid).await.expect("child terminates");
    }
    let ns = since(start);
    let after = live_bytes();
    sup.shutdown().await;
    Outcome {
        ns,
        note: Some(crate::report::memory_note(before, after)),
        ..Outcome::default()
    }
}

pub async fn tasks(n: usize) -> Outcome {
    let sup = TaskSupervisor::start("tasks")
        .await
        .expect("task supervisor starts");
    let start = Instant::now();
    let handles: Vec<_> = (0..n as u64)
        .map(|i| sup.async_nolink(async move { i }).expect("running"))
        .collect();
    let mut sum = 0;
    for h in handles {
        sum += h.join().await.expect("task succeeds");
    }
    let out = Outcome::time(since(start));
    assert_eq!(sum, (n as u64) * (n as u64 - 1) / 2);
    sup.shutdown().await;
    out
}

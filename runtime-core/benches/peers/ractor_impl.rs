//! The workloads on ractor 0.16 (message_span_propogation off, its fastest configuration), with
//! ractor-supervisor 0.2 (default features off) for supervised scenarios.

use crate::alloc::{heap_mark, live_bytes};
use crate::common::{Latch, WorkerCfg, CRASH};
use crate::outcome::{since, Outcome};
use ractor::rpc::CallResult;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use ractor_supervisor::{
    ChildSpec, DynamicSupervisor, DynamicSupervisorOptions, Restart, SpawnFn, Supervisor,
    SupervisorArguments, SupervisorOptions, SupervisorStrategy,
};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

pub struct RWorker;

pub struct RState {
    cfg: WorkerCfg,
    seen: u64,
}

pub enum RMsg {
    Ping(u64, RpcReplyPort<u64>),
    Count,
    Panic,
    Block,
}

impl Actor for RWorker {
    type Msg = RMsg;
    type State = RState;
    type Arguments = WorkerCfg;

    async fn pre_start(
        &self,
        myself: ActorRef<RMsg>,
        cfg: WorkerCfg,
    ) -> Result<RState, ActorProcessingErr> {
        cfg.on_start();
        if cfg.crash_on_start {
            let _ = myself.cast(RMsg::Panic);
        }
        Ok(RState { cfg, seen: 0 })
    }

    async fn handle(
        &self,
        _myself: ActorRef<RMsg>,
        msg: RMsg,
        state: &mut RState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RMsg::Ping(x, port) => {
                let _ = port.send(x + 1);
            }
            RMsg::Count => state.cfg.on_count(&mut state.seen),
            RMsg::Panic => panic!("{CRASH}"),
            RMsg::Block => std::future::pending::<()>().await,
        }
        Ok(())
    }
}

/// ractor-supervisor registers every child and supervisor by name in ractor's global registry.
fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

async fn start(cfg: WorkerCfg) -> (ActorRef<RMsg>, JoinHandle<()>) {
    Actor::spawn(None, RWorker, cfg)
        .await
        .expect("ractor worker starts")
}

async fn stop(actors: Vec<(ActorRef<RMsg>, JoinHandle<()>)>) {
    for (actor, _) in &actors {
        actor.stop(None);
    }
    for (_, handle) in actors {
        let _ = handle.await;
    }
}

async fn call_once(actor: &ActorRef<RMsg>, x: u64) -> Option<u64> {
    match actor.call(|port| RMsg::Ping(x, port), None).await {
        Ok(CallResult::Success(v)) => Some(v),
        _ => None,
    }
}

pub async fn spawn(n: usize) -> Outcome {
    let ready = Latch::new(n);
    let cfg = WorkerCfg {
        ready: Some(ready.clone()),
        ..WorkerCfg::default()
    };
    let heap_before = heap_mark();
    let start_at = Instant::now();
    let mut actors = Vec::with_capacity(n);
    for _ in 0..n {
        // ractor's spawn returns once pre_start has run, so each start is awaited.
        actors.push(start(cfg.clone()).await);
    }
    ready.wait().await;
    let mut out = Outcome::time(since(start_at));
    out.note = Some(crate::report::heap_per_item(heap_before, heap_mark(), n));
    stop(actors).await;
    out
}

pub async fn call(batch: usize) -> Outcome {
    let actor = start(WorkerCfg::default()).await;
    let start_at = Instant::now();
    for i in 0..batch as u64 {
        let r = call_once(&actor.0, i).await;
        debug_assert_eq!(r, Some(i + 1));
    }
    let mut out = Outcome::time(since(start_at) / batch as f64);
    for i in 0..batch as u64 {
        let t = Instant::now();
        let _ = call_once(&actor.0, i).await;
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
    let actor = start(cfg).await;
    let per = total / producers;
    let start_at = Instant::now();
    for _ in 0..producers {
        let target = actor.0.clone();
        tokio::spawn(async move {
            for _ in 0..per {
                let _ = target.cast(RMsg::Count);
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
    let mut actors = Vec::with_capacity(services);
    for _ in 0..services {
        actors.push(start(cfg.clone()).await);
    }
    let start_at = Instant::now();
    for i in 0..(total / services) * services {
        let _ = actors[i % services].0.cast(RMsg::Count);
    }
    done.wait().await;
    let out = Outcome::time(since(start_at));
    stop(actors).await;
    out
}

fn child_spec(id: &str, factory: Arc<dyn Fn() -> WorkerCfg + Send + Sync>) -> ChildSpec {
    ChildSpec {
        id: id.to_string(),
        restart: Restart::Permanent,
        spawn_fn: SpawnFn::new(move |sup: ActorCell, id: String| {
            let cfg = factory();
            async move {
                let (child, _) = Supervisor::spawn_linked(id, RWorker, cfg, sup).await?;
                Ok(child.get_cell())
            }
        }),
        backoff_fn: None,
        reset_after: None,
    }
}

/// ractor has no handle that survives a restart: the new incarnation is found by name.
async fn incarnation_after(id: &str, old: Option<ractor::ActorId>) -> ActorRef<RMsg> {
    loop {
        if let Some(cell) = ractor::registry::where_is(id) {
            if Some(cell.get_id()) != old {
                return cell.into();
            }
        }
        tokio::task::yield_now().await;
    }
}

async fn stop_supervisor<M: ractor::Message>(sup: ActorRef<M>, handle: JoinHandle<()>) {
    sup.get_cell().stop_children_and_wait(None, None).await;
    sup.stop(None);
    let _ = handle.await;
}

pub async fn restart_latency(count: usize) -> Outcome {
    let id = unique("rl-child");
    let spec = child_spec(&id, Arc::new(WorkerCfg::default));
    let options = SupervisorOptions {
        strategy: SupervisorStrategy::OneForOne,
        max_restarts: 1_000_000,
        max_window: Duration::from_millis(1),
        reset_after: None,
    };
    let (sup, handle) = Supervisor::spawn(
        unique("rl-sup"),
        SupervisorArguments {
            child_specs: vec![spec],
            options,
        },
    )
    .await
    .expect("ractor supervisor starts");
    let mut current = incarnation_after(&id, None).await;
    let mut out = Outcome::default();
    for _ in 0..count {
        let t = Instant::now();
        let old = current.get_id();
        let _ = current.cast(RMsg::Panic);
        loop {
            let next = incarnation_after(&id, Some(old)).await;
            if call_once(&next, 1).await == Some(2) {
                current = next;
                break;
            }
        }
        out.per_op.push(since(t));
    }
    out.ns = out.per_op.median();
    out.headline_per_op = true;
    stop_supervisor(sup, handle).await;
    out
}

pub async fn storm(max_restarts: u32) -> Outcome {
    let starts = Arc::new(AtomicUsize::new(0));
    let crashing = Arc::new(AtomicBool::new(false));
    let id = unique("storm-child");
    let factory = {
        let starts = starts.clone();
        let crashing = crashing.clone();
        Arc::new(move || WorkerCfg {
            starts: Some(starts.clone()),
            crash_on_start: crashing.load(Ordering::Relaxed),
            ..WorkerCfg::default()
        })
    };
    let options = SupervisorOptions {
        strategy: SupervisorStrategy::OneForOne,
        max_restarts: max_restarts as usize,
        max_window: Duration::from_secs(5),
        reset_after: None,
    };
    let (sup, handle) = Supervisor::spawn(
        unique("storm-sup"),
        SupervisorArguments {
            child_specs: vec![child_spec(&id, factory)],
            options,
        },
    )
    .await
    .expect("ractor supervisor starts");
    let first = incarnation_after(&id, None).await;
    let start_at = Instant::now();
    crashing.store(true, Ordering::Relaxed);
    let _ = first.cast(RMsg::Panic);
    let escalated = tokio::time::timeout(Duration::from_secs(10), handle)
        .await
        .is_ok();
    let ns = since(start_at);
    let restarts = starts.load(Ordering::Relaxed).saturating_sub(1);
    if !escalated {
        sup.kill();
    }
    // A meltdown leaves the last incarnation's registration behind if it is still alive.
    if let Some(cell) = ractor::registry::where_is(id) {
        cell.kill();
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

/// A node of the hand-built tree: ractor has no ordered shutdown, so each node stops its
/// children in reverse start order in `post_stop`, waiting `timeout` before killing.
struct Node;

struct NodeArgs {
    mids: usize,
    leaves: usize,
    timeout: Duration,
    /// Where the stubborn worker's handle is put; Some only on the path to it.
    stubborn: Option<Arc<parking_lot::Mutex<Option<ActorRef<RMsg>>>>>,
    level: u8,
}

struct NodeState {
    children: Vec<ActorCell>,
    timeout: Duration,
}

enum NodeMsg {}

impl Actor for Node {
    type Msg = NodeMsg;
    type State = NodeState;
    type Arguments = NodeArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<NodeMsg>,
        args: NodeArgs,
    ) -> Result<NodeState, ActorProcessingErr> {
        let mut children = Vec::new();
        if args.level == 0 {
            for m in 0..args.mids {
                let mut child_args = args_copy(&args);
                child_args.level = 1;
                if m == args.mids / 2 {
                    child_args.stubborn = args.stubborn.clone();
                }
                let (child, _) =
                    Actor::spawn_linked(None, Node, child_args, myself.get_cell()).await?;
                children.push(child.get_cell());
            }
        } else {
            for l in 0..args.leaves {
                let (child, _) =
                    Actor::spawn_linked(None, RWorker, WorkerCfg::default(), myself.get_cell())
                        .await?;
                if l == args.leaves / 2 {
                    if let Some(slot) = &args.stubborn {
                        *slot.lock() = Some(child.clone());
                    }
                }
                children.push(child.get_cell());
            }
        }
        Ok(NodeState {
            children,
            timeout: args.timeout,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<NodeMsg>,
        msg: NodeMsg,
        _state: &mut NodeState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {}
    }

    async fn handle_supervisor_evt(
        &self,
        _myself: ActorRef<NodeMsg>,
        _event: SupervisionEvent,
        _state: &mut NodeState,
    ) -> Result<(), ActorProcessingErr> {
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<NodeMsg>,
        state: &mut NodeState,
    ) -> Result<(), ActorProcessingErr> {
        for child in state.children.iter().rev() {
            if child
                .stop_and_wait(None, Some(state.timeout))
                .await
                .is_err()
            {
                let _ = child.kill_and_wait(None).await;
            }
        }
        Ok(())
    }
}

fn args_copy(args: &NodeArgs) -> NodeArgs {
    NodeArgs {
        mids: args.mids,
        leaves: args.leaves,
        timeout: args.timeout,
        stubborn: None,
        level: args.level,
    }
}

pub async fn shutdown_tree(mids: usize, leaves: usize, timeout: Duration) -> Outcome {
    let slot = Arc::new(parking_lot::Mutex::new(None));
    let (root, handle) = Actor::spawn(
        None,
        Node,
        NodeArgs {
            mids,
            leaves,
            timeout,
            stubborn: Some(slot.clone()),
            level: 0,
        },
    )
    .await
    .expect("ractor tree starts");
    let stubborn = slot.lock().take().expect("stubborn worker recorded");
    let _ = stubborn.cast(RMsg::Block);
    // A ping queued behind the block goes unanswered once the block is in effect.
    while answers_ping(&stubborn).await {}
    let start_at = Instant::now();
    let _ = root.stop_and_wait(None, None).await;
    let out = Outcome::time(since(start_at));
    let _ = handle.await;
    out
}

/// Whether the worker answers a ping within 1 ms (it does not once it is blocked).
async fn answers_ping(worker: &ActorRef<RMsg>) -> bool {
    matches!(
        worker
            .call(|port| RMsg::Ping(0, port), Some(Duration::from_millis(1)))
            .await,
        Ok(CallResult::Success(_))
    )
}

pub async fn churn(n: usize) -> Outcome {
    let options = DynamicSupervisorOptions {
        max_children: None,
        max_restarts: 1_000_000,
        max_window: Duration::from_secs(1),
        reset_after: None,
    };
    let (sup, handle) = DynamicSupervisor::spawn(unique("churn-sup"), options)
        .await
        .expect("ractor dynamic supervisor starts");
    let cycle = |sup: ActorRef<ractor_supervisor::DynamicSupervisorMsg>| async move {
        let id = unique("churn");
        let mut spec = child_spec(&id, Arc::new(WorkerCfg::default));
        spec.restart = Restart::Temporary;
        DynamicSupervisor::spawn_child(sup.clone(), spec)
            .await
            .expect("child starts");
        DynamicSupervisor::terminate_child(sup, id)
            .await
            .expect("child terminates");
    };
    cycle(sup.clone()).await;
    let before = live_bytes();
    let start_at = Instant::now();
    for _ in 0..n {
        cycle(sup.clone()).await;
    }
    let ns = since(start_at);
    // terminate_child returns before the child's task is gone; let the exits settle.
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    let after = live_bytes();
    stop_supervisor(sup, handle).await;
    Outcome {
        ns,
        note: Some(crate::report::memory_note(before, after)),
        ..Outcome::default()
    }
}

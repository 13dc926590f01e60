//! Property test: random sequences of crashes, normal exits, shutdown exits and time steps
//! against a small reference model of OTP's strategies, restart types and sliding window. After
//! every step the real supervisor's children (running, present, start counts) and its own
//! liveness must equal the model's.

mod common;

use common::*;
use elixir_scope_runtime_core::{ExitReason, Restart, ServiceRef, Strategy, SupervisorSpec};
use proptest::prelude::{prop_oneof, proptest, Just, ProptestConfig};
use proptest::strategy::Strategy as _;
use std::sync::atomic::Ordering;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
enum Exit {
    Crash,
    Normal,
    Shutdown,
}

#[derive(Debug, Clone)]
enum Op {
    Exit(usize, Exit),
    Advance(u64),
}

#[derive(Debug, Clone)]
struct Model {
    strategy: Strategy,
    max_restarts: usize,
    period: u64,
    restart: Vec<Restart>,
    running: Vec<bool>,
    present: Vec<bool>,
    starts: Vec<u64>,
    restarts_at: Vec<u64>,
    now: u64,
    alive: bool,
}

impl Model {
    fn new(strategy: Strategy, max_restarts: usize, period: u64, restart: Vec<Restart>) -> Self {
        let n = restart.len();
        Model {
            strategy,
            max_restarts,
            period,
            restart,
            running: vec![true; n],
            present: vec![true; n],
            starts: vec![1; n],
            restarts_at: Vec::new(),
            now: 0,
            alive: true,
        }
    }

    fn stop(&mut self, j: usize) {
        self.running[j] = false;
        if self.restart[j] == Restart::Temporary {
            self.present[j] = false;
        }
    }

    fn start_from(&mut self, first: usize, last: usize) {
        for j in first..last {
            if self.present[j] && !self.running[j] {
                self.running[j] = true;
                self.starts[j] += 1;
            }
        }
    }

    fn exit(&mut self, i: usize, how: Exit) {
        self.running[i] = false;
        // The model's own rule, independent of the library's `Restart::restarts_after`.
        let restarts = match self.restart[i] {
            Restart::Permanent => true,
            Restart::Transient => matches!(how, Exit::Crash),
            Restart::Temporary => false,
        };
        if !restarts {
            if self.restart[i] == Restart::Temporary {
                self.present[i] = false;
            }
            return;
        }
        self.restarts_at.push(self.now);
        let now = self.now;
        let period = self.period;
        self.restarts_at.retain(|t| now - t <= period);
        if self.restarts_at.len() > self.max_restarts {
            self.alive = false;
            for j in 0..self.running.len() {
                self.running[j] = false;
            }
            return;
        }
        let n = self.running.len();
        match self.strategy {
            Strategy::OneForOne => self.start_from(i, i + 1),
            Strategy::OneForAll => {
                for j in (0..n).rev() {
                    if j != i && self.present[j] {
                        self.stop(j);
                    }
                }
                self.start_from(0, n);
            }
            Strategy::RestForOne => {
                for j in (i + 1..n).rev() {
                    if self.present[j] {
                        self.stop(j);
                    }
                }
                self.start_from(i, n);
            }
        }
    }
}

fn restart_type() -> impl proptest::strategy::Strategy<Value = Restart> {
    prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ]
}

fn strategy() -> impl proptest::strategy::Strategy<Value = Strategy> {
    prop_oneof![
        Just(Strategy::OneForOne),
        Just(Strategy::OneForAll),
        Just(Strategy::RestForOne)
    ]
}

fn op(n: usize) -> impl proptest::strategy::Strategy<Value = Op> {
    prop_oneof![
        6 => (0..n, prop_oneof![Just(Exit::Crash), Just(Exit::Normal), Just(Exit::Shutdown)])
            .prop_map(|(i, e)| Op::Exit(i, e)),
        1 => (1u64..8).prop_map(Op::Advance),
    ]
}

const IDS: [&str; 4] = ["c0", "c1", "c2", "c3"];

async fn run_case(
    strategy: Strategy,
    max_restarts: usize,
    period: u64,
    types: Vec<Restart>,
    ops: Vec<Op>,
) {
    let log = Log::default();
    let mut spec = SupervisorSpec::new("sup")
        .strategy(strategy)
        .intensity(max_restarts as u32, Duration::from_secs(period));
    let mut handles: Vec<ServiceRef<Probe>> = Vec::new();
    let mut knobs = Vec::new();
    for (i, restart) in types.iter().enumerate() {
        let (child, handle, k) = probe(IDS[i], &log);
        spec = spec.child(child.restart(*restart));
        handles.push(handle);
        knobs.push(k);
    }
    let sup = spec.start().await.unwrap();
    let mut model = Model::new(strategy, max_restarts, period, types.clone());
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            Op::Advance(s) => {
                tokio::time::advance(Duration::from_secs(s)).await;
                model.now += s;
            }
            Op::Exit(i, how) => {
                if !model.running[i] {
                    continue;
                }
                let monitor = handles[i]
                    .monitor()
                    .expect("running in the model and for real");
                handles[i]
                    .cast(match how {
                        Exit::Crash => ProbeCast::Panic,
                        Exit::Normal => ProbeCast::Exit(ExitReason::Normal),
                        Exit::Shutdown => ProbeCast::Exit(ExitReason::Shutdown(None)),
                    })
                    .unwrap();
                monitor.down().await;
                model.exit(i, how);
            }
        }
        if !model.alive {
            let sup_monitor = sup.monitor();
            if let Some(m) = sup_monitor {
                m.down().await;
            }
            assert!(
                !sup.is_running(),
                "step {step}: supervisor should have escalated"
            );
            for h in &handles {
                assert!(!h.is_running());
            }
            return;
        }
        // A management call is answered only after the exit queued before it was handled.
        let children = sup
            .which_children()
            .await
            .expect("supervisor alive as in the model");
        for i in 0..types.len() {
            let listed = children.iter().find(|c| &*c.id == IDS[i]);
            assert_eq!(
                listed.is_some(),
                model.present[i],
                "step {step}: presence of {}",
                IDS[i]
            );
            assert_eq!(
                handles[i].is_running(),
                model.running[i],
                "step {step}: running {}",
                IDS[i]
            );
            assert_eq!(
                knobs[i].starts.load(Ordering::SeqCst),
                model.starts[i],
                "step {step}: starts of {}",
                IDS[i]
            );
        }
    }
    sup.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]
    #[test]
    fn supervisor_matches_the_reference_model(
        strategy in strategy(),
        max_restarts in 0usize..4,
        period in 1u64..20,
        types in proptest::collection::vec(restart_type(), 1..=4),
        ops in proptest::collection::vec(op(4), 1..25),
    ) {
        let n = types.len();
        let ops: Vec<Op> = ops.into_iter().map(|o| match o {
            Op::Exit(i, e) => Op::Exit(i % n, e),
            other => other,
        }).collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(run_case(strategy, max_restarts, period, types, ops));
    }
}

//! Peer benchmark: elixir-scope-runtime-core against ractor 0.16 (+ ractor-supervisor 0.2),
//! kameo 0.22 and a raw tokio baseline, in one process, alternating implementations every
//! round, on a current_thread and a multi_thread(2) runtime.
//!
//! `cargo bench -p elixir-scope-runtime-core --bench peers` runs the full set (about ten minutes
//! on two cores); `-- --quick` or `ELIXIR_SCOPE_BENCH_QUICK=1` runs a smoke version in about a
//! minute. The output is markdown: medians with ratios, then p50/p99 per implementation.

#[path = "peers/alloc.rs"]
mod alloc;
#[path = "peers/common.rs"]
mod common;
#[path = "peers/kameo_impl.rs"]
mod kameo_impl;
#[path = "peers/ours.rs"]
mod ours;
#[path = "peers/outcome.rs"]
mod outcome;
#[path = "peers/ractor_impl.rs"]
mod ractor_impl;
#[path = "peers/raw.rs"]
mod raw;
#[path = "peers/report.rs"]
mod report;
#[path = "peers/stats.rs"]
mod stats;

use outcome::Outcome;
use report::{Agg, Row};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// The implementations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Imp {
    Ours,
    Raw,
    Ractor,
    Kameo,
}

const ALL: [Imp; 4] = [Imp::Ours, Imp::Raw, Imp::Ractor, Imp::Kameo];

impl Imp {
    pub fn label(self) -> &'static str {
        match self {
            Imp::Ours => "ours",
            Imp::Raw => "raw tokio",
            Imp::Ractor => "ractor",
            Imp::Kameo => "kameo",
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Scenario {
    Spawn(usize),
    Call(usize),
    FanIn { producers: usize, total: usize },
    RoundRobin { services: usize, total: usize },
    RestartLatency(usize),
    Storm(u32),
    Shutdown { mids: usize, leaves: usize },
    Churn(usize),
    Tasks(usize),
}

const SHUTDOWN_TIMEOUT: Duration = Duration::from_millis(50);

impl Scenario {
    fn label(self) -> String {
        match self {
            Scenario::Spawn(n) => format!("spawn {} services", thousands(n)),
            Scenario::Call(_) => "call round trip".to_string(),
            Scenario::FanIn { producers, total } => {
                format!("fan-in {producers} producers, {} msgs", thousands(total))
            }
            Scenario::RoundRobin { services, total } => {
                format!("round-robin cast to {services}, {} msgs", thousands(total))
            }
            Scenario::RestartLatency(_) => "restart latency (panic → reply)".to_string(),
            Scenario::Storm(n) => format!("restart storm ({n} allowed, then escalate)"),
            Scenario::Shutdown { mids, leaves } => format!(
                "ordered shutdown, {} services, 1 stubborn ({} ms)",
                1 + mids + mids * leaves,
                SHUTDOWN_TIMEOUT.as_millis()
            ),
            Scenario::Churn(n) => format!("dynamic churn {} start+terminate", thousands(n)),
            Scenario::Tasks(n) => format!("{} tasks + join (JoinSet baseline)", thousands(n)),
        }
    }

    /// Which implementations can run it: kameo has no shutdown timeout (a stubborn child hangs
    /// its parent's stop) and no task supervisor; the raw baseline has no supervision tree.
    fn supports(self, imp: Imp) -> bool {
        match self {
            Scenario::Storm(_) | Scenario::Shutdown { .. } => {
                matches!(imp, Imp::Ours | Imp::Ractor)
                    || (matches!(self, Scenario::Storm(_)) && imp == Imp::Kameo)
            }
            Scenario::Tasks(_) => matches!(imp, Imp::Ours | Imp::Raw),
            _ => true,
        }
    }

    /// A smaller version for warm-up, so first-touch costs do not land in round one.
    fn warmup(self) -> Scenario {
        match self {
            Scenario::Spawn(n) => Scenario::Spawn((n / 10).max(100)),
            Scenario::Call(n) => Scenario::Call((n / 10).max(100)),
            Scenario::FanIn { producers, total } => Scenario::FanIn {
                producers,
                total: (total / 10).max(producers),
            },
            Scenario::RoundRobin { services, total } => Scenario::RoundRobin {
                services,
                total: (total / 10).max(services),
            },
            Scenario::RestartLatency(n) => Scenario::RestartLatency((n / 10).max(5)),
            Scenario::Churn(n) => Scenario::Churn((n / 100).max(100)),
            Scenario::Tasks(n) => Scenario::Tasks((n / 10).max(100)),
            other => other,
        }
    }

    async fn run(self, imp: Imp) -> Outcome {
        match (self, imp) {
            (Scenario::Spawn(n), Imp::Ours) => ours::spawn(n).await,
            (Scenario::Spawn(n), Imp::Raw) => raw::spawn(n).await,
            (Scenario::Spawn(n), Imp::Ractor) => ractor_impl::spawn(n).await,
            (Scenario::Spawn(n), Imp::Kameo) => kameo_impl::spawn(n).await,
            (Scenario::Call(n), Imp::Ours) => ours::call(n).await,
            (Scenario::Call(n), Imp::Raw) => raw::call(n).await,
            (Scenario::Call(n), Imp::Ractor) => ractor_impl::call(n).await,
            (Scenario::Call(n), Imp::Kameo) => kameo_impl::call(n).await,
            (Scenario::FanIn { producers, total }, imp) => match imp {
                Imp::Ours => ours::fan_in(producers, total).await,
                Imp::Raw => raw::fan_in(producers, total).await,
                Imp::Ractor => ractor_impl::fan_in(producers, total).await,
                Imp::Kameo => kameo_impl::fan_in(producers, total).await,
            },
            (Scenario::RoundRobin { services, total }, imp) => match imp {
                Imp::Ours => ours::round_robin(services, total).await,
                Imp::Raw => raw::round_robin(services, total).await,
                Imp::Ractor => ractor_impl::round_robin(services, total).await,
                Imp::Kameo => kameo_impl::round_robin(services, total).await,
            },
            (Scenario::RestartLatency(n), Imp::Ours) => ours::restart_latency(n).await,
            (Scenario::RestartLatency(n), Imp::Raw) => raw::restart_latency(n).await,
            (Scenario::RestartLatency(n), Imp::Ractor) => ractor_impl::restart_latency(n).await,
            (Scenario::RestartLatency(n), Imp::Kameo) => kameo_impl::restart_latency(n).await,
            (Scenario::Storm(n), Imp::Ours) => ours::storm(n).await,
            (Scenario::Storm(n), Imp::Ractor) => ractor_impl::storm(n).await,
            (Scenario::Storm(n), Imp::Kameo) => kameo_impl::storm(n).await,
            (Scenario::Shutdown { mids, leaves }, Imp::Ours) => {
                ours::shutdown_tree(mids, leaves, SHUTDOWN_TIMEOUT).await
            }
            (Scenario::Shutdown { mids, leaves }, Imp::Ractor) => {
                ractor_impl::shutdown_tree(mids, leaves, SHUTDOWN_TIMEOUT).await
            }
            (Scenario::Churn(n), Imp::Ours) => ours::churn(n).await,
            (Scenario::Churn(n), Imp::Raw) => raw::churn(n).await,
            (Scenario::Churn(n), Imp::Ractor) => ractor_impl::churn(n).await,
            (Scenario::Churn(n), Imp::Kameo) => kameo_impl::churn(n).await,
            (Scenario::Tasks(n), Imp::Ours) => ours::tasks(n).await,
            (Scenario::Tasks(n), Imp::Raw) => raw::tasks(n).await,
            (scenario, imp) => unreachable!("{scenario:?} is not run for {imp:?}"),
        }
    }
}

fn thousands(n: usize) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000 && n % 1_000 == 0 {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// The scenarios and how many measured rounds each gets.
fn plan(quick: bool) -> Vec<(Scenario, usize)> {
    let s = |full: usize, smoke: usize| if quick { smoke } else { full };
    let messages = s(1_000_000, 100_000);
    vec![
        (Scenario::Spawn(10_000), s(31, 2)),
        (Scenario::Spawn(100_000), s(9, 1)),
        // Many short rounds: the median then shrugs off load from other processes.
        (Scenario::Call(s(2_000, 1_000)), s(201, 7)),
        (
            Scenario::FanIn {
                producers: 1,
                total: messages,
            },
            s(11, 1),
        ),
        (
            Scenario::FanIn {
                producers: 16,
                total: messages,
            },
            s(11, 1),
        ),
        (
            Scenario::FanIn {
                producers: 100,
                total: messages,
            },
            s(11, 1),
        ),
        (
            Scenario::RoundRobin {
                services: 100,
                total: messages,
            },
            s(15, 2),
        ),
        (Scenario::RestartLatency(s(300, 50)), s(15, 2)),
        (Scenario::Storm(50), s(31, 2)),
        (
            Scenario::Shutdown {
                mids: 10,
                leaves: 110,
            },
            s(15, 2),
        ),
        (Scenario::Churn(s(100_000, 10_000)), s(5, 1)),
        (Scenario::Tasks(s(100_000, 10_000)), s(15, 2)),
    ]
}

#[derive(Clone, Copy)]
enum Flavor {
    CurrentThread,
    MultiThread2,
}

impl Flavor {
    fn label(self) -> &'static str {
        match self {
            Flavor::CurrentThread => "current_thread",
            Flavor::MultiThread2 => "multi_thread(2)",
        }
    }

    fn runtime(self) -> tokio::runtime::Runtime {
        let mut builder = match self {
            Flavor::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavor::MultiThread2 => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(2);
                b
            }
        };
        builder.enable_all().build().expect("tokio runtime builds")
    }
}

fn measure(rt: &tokio::runtime::Runtime, scenario: Scenario, imp: Imp) -> Outcome {
    // Spawned, so on multi_thread the workload runs on a worker like any service would.
    rt.block_on(async move { tokio::spawn(scenario.run(imp)).await })
        .expect("benchmark workload does not panic")
}

/// The 1-minute load average, to judge how much other processes disturbed the run.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

fn arg_value(flag: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("ELIXIR_SCOPE_BENCH_QUICK").is_ok_and(|v| v == "1");
    // Deliberate crashes are the workload of the restart scenarios; only other panics print.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let deliberate = info
            .payload()
            .downcast_ref::<String>()
            .is_some_and(|m| m.contains(common::CRASH));
        if !deliberate {
            default_hook(info);
        }
    }));

    // `--only <text>` keeps the scenarios whose label contains it, `--imp <label>[,<label>]`
    // the implementations named, `--flavor <label>` one runtime (to profile one code path under
    // perf).
    let only = arg_value("--only");
    let only_imp = arg_value("--imp");
    let only_flavor = arg_value("--flavor");
    let load_at_start = load_average();
    let began = Instant::now();
    let mut rows = Vec::new();
    for flavor in [Flavor::CurrentThread, Flavor::MultiThread2] {
        if only_flavor.as_ref().is_some_and(|f| f != flavor.label()) {
            continue;
        }
        let rt = flavor.runtime();
        for (scenario, rounds) in plan(quick) {
            if only
                .as_ref()
                .is_some_and(|o| !scenario.label().contains(o.as_str()))
            {
                continue;
            }
            let imps: Vec<Imp> = ALL
                .into_iter()
                .filter(|i| scenario.supports(*i))
                .filter(|i| {
                    only_imp
                        .as_ref()
                        .is_none_or(|l| l.split(',').any(|l| l == i.label()))
                })
                .collect();
            for &imp in &imps {
                measure(&rt, scenario.warmup(), imp);
            }
            let mut per_imp: BTreeMap<Imp, Agg> = BTreeMap::new();
            for round in 0..rounds {
                // Rotate the order every round so no implementation always runs first.
                for k in 0..imps.len() {
                    let imp = imps[(round + k) % imps.len()];
                    let outcome = measure(&rt, scenario, imp);
                    let agg = per_imp.entry(imp).or_default();
                    agg.rounds.push(outcome.ns);
                    agg.per_op.extend(&outcome.per_op);
                    agg.notes.extend(outcome.note);
                    agg.headline_per_op |= outcome.headline_per_op;
                }
            }
            if let Scenario::Shutdown { .. } = scenario {
                for agg in per_imp.values_mut() {
                    let beyond = report::beyond_timeout(agg.median(), SHUTDOWN_TIMEOUT);
                    agg.notes.push(format!("median {beyond}"));
                }
            }
            eprintln!(
                "[{:>6.1}s] {} / {} done",
                began.elapsed().as_secs_f64(),
                flavor.label(),
                scenario.label()
            );
            rows.push(Row {
                scenario: scenario.label(),
                flavor: flavor.label(),
                per_imp,
            });
        }
    }
    println!(
        "## runtime-core vs peers ({} run, {:.0} s; load average at start {}, at end {})\n",
        if quick { "quick" } else { "full" },
        began.elapsed().as_secs_f64(),
        load_at_start,
        load_average()
    );
    println!("{}", report::render(&rows));
}

//! A small supervision tree in action: a crash and its restart, then a crash loop that exceeds
//! the restart intensity and escalates to the parent, which restarts the whole subtree.
//!
//! Run: `cargo run -p elixir-scope-runtime-core --example supervision_demo`

use elixir_scope_runtime_core::{
    ChildSpec, Context, ExitReason, Service, Strategy, SupervisionEvent, SupervisorSpec,
    TaskSupervisor,
};
use std::time::Duration;

struct Counter {
    count: u64,
}

enum CounterCast {
    Increment,
    Crash(&'static str),
}

impl Service for Counter {
    type Call = ();
    type Reply = u64;
    type Cast = CounterCast;
    type Info = ();

    async fn handle_call(&mut self, _: (), _: &mut Context<Self>) -> u64 {
        self.count
    }

    async fn handle_cast(&mut self, message: CounterCast, _: &mut Context<Self>) {
        match message {
            CounterCast::Increment => self.count += 1,
            CounterCast::Crash(why) => panic!("{why}"),
        }
    }
}

fn describe(event: &SupervisionEvent) -> String {
    match event {
        SupervisionEvent::ChildStarted {
            supervisor,
            child,
            pid,
        } => format!("started    {supervisor}/{child} as {pid}"),
        SupervisionEvent::ChildExited {
            supervisor,
            child,
            reason,
            ..
        } => format!("exited     {supervisor}/{child}: {reason}"),
        SupervisionEvent::ChildRestarted {
            supervisor,
            child,
            pid,
            restart_count,
        } => {
            format!("restarted  {supervisor}/{child} as {pid} (restart #{restart_count})")
        }
        SupervisionEvent::ChildTerminated {
            supervisor,
            child,
            reason,
            ..
        } => format!("terminated {supervisor}/{child}: {reason}"),
        SupervisionEvent::IntensityExceeded {
            supervisor,
            max_restarts,
            period,
        } => {
            format!("ESCALATION {supervisor}: more than {max_restarts} restarts in {period:?}")
        }
        SupervisionEvent::SupervisorShutdown { supervisor, reason } => {
            format!("shut down  {supervisor}: {reason}")
        }
        other => format!("{other:?}"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One line per panic keeps the demo readable; supervision events say the rest.
    std::panic::set_hook(Box::new(|info| println!("  panic:  {info}")));
    let (counter_spec, counter) = ChildSpec::service("counter", || Counter { count: 0 });
    let (tasks_spec, tasks) = TaskSupervisor::child_spec("tasks");
    let workers = SupervisorSpec::new("workers")
        .strategy(Strategy::OneForOne)
        .intensity(2, Duration::from_secs(5))
        .child(counter_spec)
        .child(tasks_spec);
    let events = elixir_scope_runtime_core::EventBus::default();
    let mut log = events.subscribe();
    let printer = tokio::spawn(async move {
        while let Ok(event) = log.recv().await {
            println!("  event: {}", describe(&event));
        }
    });

    println!("1. start the tree");
    let root = SupervisorSpec::new("app")
        .intensity(3, Duration::from_secs(5))
        .child(workers.into_child_spec())
        .start_with_events(events)
        .await?;
    print!("{}", root.snapshot().await?.render_text());

    println!("\n2. three increments, then a crash: the counter restarts with fresh state");
    for _ in 0..3 {
        counter.cast(CounterCast::Increment)?;
    }
    println!("  count before crash: {}", counter.call(()).await?);
    counter.cast(CounterCast::Crash("demo crash"))?;
    println!(
        "  count after restart: {} (same handle, new incarnation)",
        counter.call(()).await?
    );

    println!("\n3. a panicking task is a value for its caller, not a crash of anything else");
    let outcome = tasks
        .async_nolink(async { panic!("bad input") as u32 })?
        .join()
        .await;
    println!("  task outcome: {outcome:?}");

    println!("\n4. a crash loop: the third restart within 5 s exceeds 'workers' intensity (2)");
    for n in 0..3 {
        counter.cast(CounterCast::Crash("crash loop"))?;
        counter.call(()).await?;
        println!("  crash {} handled", n + 1);
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    print!("{}", root.snapshot().await?.render_text());

    println!("\n5. ordered shutdown");
    let reason = root.shutdown().await.unwrap_or(ExitReason::Normal);
    println!("  root exited: {reason}");
    tokio::time::sleep(Duration::from_millis(20)).await;
    printer.abort();
    Ok(())
}

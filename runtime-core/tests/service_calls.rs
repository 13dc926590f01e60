//! Calls, casts, timers, monitors and what a call sees across crashes and restarts.

mod common;

use common::*;
use elixir_scope_runtime_core::{
    CallError, ChildSpec, Context, ExitReason, Info, Registry, Service, ServiceRef, SupervisorSpec,
};
use std::time::Duration;

#[tokio::test]
async fn call_timeout_not_running_and_crashed_are_distinct_errors() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .child(a)
        .start_with_events(events)
        .await
        .unwrap();

    let timeout = a_ref
        .call_timeout(
            ProbeCall::Sleep(Duration::from_millis(200)),
            Duration::from_millis(20),
        )
        .await;
    assert!(matches!(timeout, Err(CallError::Timeout { .. })));

    let crashed = a_ref.call(ProbeCall::PanicNow).await;
    assert!(
        matches!(crashed, Err(CallError::Crashed { .. })),
        "{crashed:?}"
    );
    wait_for(&mut rx, restarted("a")).await;

    sup.shutdown().await;
    assert!(matches!(
        a_ref.call(ProbeCall::Get).await,
        Err(CallError::NotRunning { .. })
    ));
    assert!(matches!(
        a_ref.cast(ProbeCast::Add(1)),
        Err(CallError::NotRunning { .. })
    ));
}

#[tokio::test]
async fn messages_sent_during_a_restart_reach_the_next_incarnation() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let sup = SupervisorSpec::new("sup").child(a).start().await.unwrap();
    // Queue a crash and then work behind it: the work is done by the new incarnation.
    a_ref.cast(ProbeCast::Panic).unwrap();
    a_ref.cast(ProbeCast::Add(3)).unwrap();
    assert_eq!(a_ref.call(ProbeCall::Get).await.unwrap(), 3);
    assert_eq!(a_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    sup.shutdown().await;
}

#[tokio::test]
async fn a_monitor_reports_the_exit_reason() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let sup = SupervisorSpec::new("sup").child(a).start().await.unwrap();
    let monitor = a_ref.monitor().unwrap();
    let pid = monitor.pid();
    a_ref
        .cast(ProbeCast::Exit(ExitReason::error("disk full")))
        .unwrap();
    let down = monitor.down().await;
    assert_eq!(down.pid, pid);
    assert_eq!(down.reason, ExitReason::error("disk full"));
    sup.shutdown().await;
}

struct Watcher {
    seen: Vec<String>,
}

enum WatcherCall {
    Watch(ServiceRef<Probe>),
    Seen,
}

impl Service for Watcher {
    type Call = WatcherCall;
    type Reply = Vec<String>;
    type Cast = ();
    type Info = &'static str;

    async fn init(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> Result<(), elixir_scope_runtime_core::InitError> {
        ctx.send_after("tick", Duration::from_millis(10));
        Ok(())
    }

    async fn handle_call(&mut self, request: WatcherCall, ctx: &mut Context<Self>) -> Vec<String> {
        match request {
            WatcherCall::Watch(target) => {
                ctx.monitor(&target);
                Vec::new()
            }
            WatcherCall::Seen => self.seen.clone(),
        }
    }

    async fn handle_info(&mut self, info: Info<&'static str>, _ctx: &mut Context<Self>) {
        match info {
            Info::Message(m) => self.seen.push(m.to_string()),
            Info::Down(notice) => self
                .seen
                .push(format!("down:{}:{}", notice.name, notice.reason)),
        }
    }
}

#[tokio::test]
async fn timers_and_monitor_notices_arrive_as_info() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (w, w_ref) = ChildSpec::service("watcher", || Watcher { seen: Vec::new() });
    let sup = SupervisorSpec::new("sup")
        .child(a)
        .child(w)
        .start()
        .await
        .unwrap();
    w_ref.call(WatcherCall::Watch(a_ref.clone())).await.unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    let want = [
        "down:sup/a:panic: a was told to panic".to_string(),
        "tick".to_string(),
    ];
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let mut seen = w_ref.call(WatcherCall::Seen).await.unwrap();
            seen.sort();
            if seen == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("timer and down notice");
    sup.shutdown().await;
}

#[tokio::test]
async fn unsupervised_services_start_stop_and_refuse_calls_after() {
    let log = Log::default();
    let (spec, _, _) = probe("a", &log);
    drop(spec);
    let svc = ServiceRef::start_unsupervised("lonely", Watcher { seen: Vec::new() })
        .await
        .unwrap();
    assert!(svc.is_running());
    assert_eq!(svc.stop(ExitReason::Normal).await, Some(ExitReason::Normal));
    assert!(matches!(
        svc.call(WatcherCall::Seen).await,
        Err(CallError::NotRunning { .. })
    ));
}

#[tokio::test]
async fn the_registry_finds_live_services_by_name() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let sup = SupervisorSpec::new("sup")
        .child(a.restart(elixir_scope_runtime_core::Restart::Temporary))
        .start()
        .await
        .unwrap();
    let registry = Registry::new();
    registry
        .register("probe", a_ref.clone(), |s: &ServiceRef<Probe>| {
            s.is_accepting()
        })
        .unwrap();
    let found: ServiceRef<Probe> = registry.whereis("probe").unwrap();
    found.cast(ProbeCast::Add(2)).unwrap();
    assert_eq!(a_ref.call(ProbeCall::Get).await.unwrap(), 2);
    sup.terminate_child("a").await.unwrap();
    assert!(
        registry.whereis::<ServiceRef<Probe>>("probe").is_none(),
        "stopped services vanish"
    );
    sup.shutdown().await;
}

//! Dynamic supervisors: run-time children, max_children, restarts, concurrent shutdown.

mod common;

use common::*;
use elixir_scope_runtime_core::{
    DynamicSupervisorSpec, Restart, Shutdown, StartError, SupervisionEvent, SupervisorError,
};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn children_start_at_run_time_up_to_max_children() {
    let log = Log::default();
    let dynsup = DynamicSupervisorSpec::new("dyn")
        .max_children(2)
        .start()
        .await
        .unwrap();
    let (a, a_ref, _) = probe("a", &log);
    let (b, _, _) = probe("b", &log);
    let (c, _, _) = probe("c", &log);
    let a_pid = dynsup.start_child(a).await.unwrap();
    dynsup.start_child(b).await.unwrap();
    assert_eq!(
        dynsup.start_child(c.clone()).await,
        Err(SupervisorError::Start(StartError::MaxChildren { max: 2 }))
    );
    dynsup.terminate_child(a_pid).await.unwrap();
    assert!(!a_ref.is_running());
    assert_eq!(
        dynsup.terminate_child(a_pid).await,
        Err(SupervisorError::NotFound)
    );
    dynsup.start_child(c).await.unwrap();
    assert_eq!(dynsup.count_children().await.unwrap().active, 2);
    dynsup.shutdown().await;
}

#[tokio::test]
async fn crashed_children_restart_one_for_one_and_temporary_ones_go_away() {
    let log = Log::default();
    let (events, mut rx) = bus();
    let dynsup = DynamicSupervisorSpec::new("dyn")
        .start_with_events(events)
        .await
        .unwrap();
    let (a, a_ref, _) = probe("a", &log);
    let (t, t_ref, _) = probe("t", &log);
    dynsup.start_child(a).await.unwrap();
    dynsup
        .start_child(t.restart(Restart::Temporary))
        .await
        .unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;
    assert_eq!(a_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    t_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, exited("t")).await;
    assert_eq!(dynsup.count_children().await.unwrap().specs, 1);
    dynsup.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_children_concurrently() {
    let log = Log::default();
    let dynsup = DynamicSupervisorSpec::new("dyn").start().await.unwrap();
    for id in ["s1", "s2", "s3", "s4"] {
        let (spec, _, knobs) = probe(id, &log);
        knobs.stubborn.store(true, Ordering::SeqCst);
        dynsup
            .start_child(spec.shutdown(Shutdown::Timeout(Duration::from_secs(1))))
            .await
            .unwrap();
    }
    let started = tokio::time::Instant::now();
    dynsup.shutdown().await;
    let took = started.elapsed();
    // Four stubborn children with 1 s timeouts each: sequential would take 4 s.
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn dynamic_intensity_exceeded_stops_the_supervisor() {
    let log = Log::default();
    let (events, mut rx) = bus();
    let dynsup = DynamicSupervisorSpec::new("dyn")
        .intensity(1, Duration::from_secs(5))
        .start_with_events(events)
        .await
        .unwrap();
    let (a, a_ref, _) = probe("a", &log);
    dynsup.start_child(a).await.unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    eventually(|| !dynsup.is_running()).await;
    assert!(!a_ref.is_running());
}

#[tokio::test(start_paused = true)]
async fn a_child_down_when_the_dynamic_supervisor_gives_up_refuses_calls_at_once() {
    let log = Log::default();
    let (events, mut rx) = bus();
    let dynsup = DynamicSupervisorSpec::new("dyn")
        .intensity(1, Duration::from_secs(5))
        .start_with_events(events)
        .await
        .unwrap();
    let (a, a_ref, knobs) = probe("a", &log);
    dynsup.start_child(a).await.unwrap();
    knobs.fail_init.store(true, Ordering::SeqCst);
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    eventually(|| !dynsup.is_running()).await;
    assert!(matches!(
        a_ref.call(ProbeCall::Get).await,
        Err(elixir_scope_runtime_core::CallError::NotRunning { .. })
    ));
}

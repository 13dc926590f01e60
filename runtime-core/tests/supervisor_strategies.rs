//! Strategy, restart-type and intensity rules of static supervisors, each with a test that would
//! fail if the rule were broken.

mod common;

use common::*;
use elixir_scope_runtime_core::{
    ChildStatus, ExitReason, Restart, Shutdown, Strategy, SupervisionEvent, SupervisorSpec,
};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn one_for_one_restarts_only_the_crashed_child_with_fresh_state() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (b, b_ref, _) = probe("b", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .child(a)
        .child(b)
        .start_with_events(events)
        .await
        .unwrap();
    b_ref.cast(ProbeCast::Add(5)).unwrap();
    a_ref.cast(ProbeCast::Add(7)).unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;
    assert_eq!(a_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    assert_eq!(
        a_ref.call(ProbeCall::Get).await.unwrap(),
        0,
        "restarted with fresh state"
    );
    assert_eq!(
        b_ref.call(ProbeCall::Incarnation).await.unwrap(),
        1,
        "sibling untouched"
    );
    assert_eq!(b_ref.call(ProbeCall::Get).await.unwrap(), 5);
    assert_eq!(log.take(), ["start:a", "start:b", "start:a"]);
    sup.shutdown().await;
}

#[tokio::test]
async fn one_for_all_stops_siblings_in_reverse_then_restarts_all_in_order() {
    let log = Log::default();
    let (a, _, _) = probe("a", &log);
    let (b, b_ref, _) = probe("b", &log);
    let (c, c_ref, _) = probe("c", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .strategy(Strategy::OneForAll)
        .children([a, b, c])
        .start_with_events(events)
        .await
        .unwrap();
    log.take();
    b_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("c")).await;
    // b crashed (no terminate); c then a are stopped in reverse order; all start again in order.
    assert_eq!(
        log.take(),
        ["stop:c", "stop:a", "start:a", "start:b", "start:c"]
    );
    assert_eq!(c_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    sup.shutdown().await;
}

#[tokio::test]
async fn rest_for_one_restarts_the_crashed_child_and_those_after_it() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (b, b_ref, _) = probe("b", &log);
    let (c, c_ref, _) = probe("c", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .strategy(Strategy::RestForOne)
        .children([a, b, c])
        .start_with_events(events)
        .await
        .unwrap();
    log.take();
    b_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("c")).await;
    assert_eq!(log.take(), ["stop:c", "start:b", "start:c"]);
    assert_eq!(a_ref.call(ProbeCall::Incarnation).await.unwrap(), 1);
    assert_eq!(b_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    assert_eq!(c_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    sup.shutdown().await;
}

#[tokio::test]
async fn transient_child_exiting_normally_or_with_shutdown_is_not_restarted() {
    for reason in [ExitReason::Normal, ExitReason::shutdown_with("done")] {
        let log = Log::default();
        let (t, t_ref, _) = probe("t", &log);
        let (events, mut rx) = bus();
        let sup = SupervisorSpec::new("sup")
            .child(t.restart(Restart::Transient))
            .start_with_events(events)
            .await
            .unwrap();
        t_ref.cast(ProbeCast::Exit(reason.clone())).unwrap();
        wait_for(&mut rx, exited("t")).await;
        let children = sup.which_children().await.unwrap();
        assert_eq!(children.len(), 1, "transient spec is kept");
        assert_eq!(children[0].status, ChildStatus::Terminated);
        assert!(children[0].pid.is_none());
        assert_eq!(
            log.take(),
            ["start:t", "stop:t"],
            "not restarted after {reason}"
        );
        // A call now fails fast instead of waiting for a restart that will not come.
        assert!(matches!(
            t_ref.call(ProbeCall::Get).await,
            Err(elixir_scope_runtime_core::CallError::NotRunning { .. })
        ));
        sup.shutdown().await;
    }
}

#[tokio::test]
async fn transient_child_crashing_is_restarted() {
    let log = Log::default();
    let (t, t_ref, _) = probe("t", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .child(t.restart(Restart::Transient))
        .start_with_events(events)
        .await
        .unwrap();
    t_ref
        .cast(ProbeCast::Exit(ExitReason::error("bad")))
        .unwrap();
    wait_for(&mut rx, restarted("t")).await;
    assert_eq!(t_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);
    sup.shutdown().await;
}

#[tokio::test]
async fn temporary_child_is_never_restarted_and_its_spec_is_removed() {
    let log = Log::default();
    let (t, t_ref, _) = probe("t", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .child(t.restart(Restart::Temporary))
        .start_with_events(events)
        .await
        .unwrap();
    t_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, exited("t")).await;
    assert!(sup.which_children().await.unwrap().is_empty());
    sup.shutdown().await;
}

#[tokio::test]
async fn temporary_sibling_under_rest_for_one_is_not_restarted_and_its_spec_is_gone() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (tmp, tmp_ref, _) = probe("tmp", &log);
    let (c, _, _) = probe("c", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .strategy(Strategy::RestForOne)
        .children([a, tmp.restart(Restart::Temporary), c])
        .start_with_events(events)
        .await
        .unwrap();
    log.take();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("c")).await;
    assert_eq!(log.take(), ["stop:c", "stop:tmp", "start:a", "start:c"]);
    let ids: Vec<_> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id.to_string())
        .collect();
    assert_eq!(ids, ["a", "c"]);
    assert!(!tmp_ref.is_running());
    sup.shutdown().await;
}

#[tokio::test]
async fn temporary_sibling_under_one_for_all_is_not_restarted() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (tmp, _, _) = probe("tmp", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .strategy(Strategy::OneForAll)
        .children([tmp.restart(Restart::Temporary), a])
        .start_with_events(events)
        .await
        .unwrap();
    log.take();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;
    assert_eq!(log.take(), ["stop:tmp", "start:a"]);
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    sup.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn the_restart_past_the_intensity_escalates_to_the_parent() {
    let log = Log::default();
    let (w, w_ref, _) = probe("w", &log);
    let (sibling, sibling_ref, _) = probe("sibling", &log);
    let inner = SupervisorSpec::new("inner")
        .intensity(2, Duration::from_secs(10))
        .child(w);
    let inner_ref = inner.handle();
    let (events, mut rx) = bus();
    let root = SupervisorSpec::new("root")
        .intensity(5, Duration::from_secs(10))
        .child(inner.into_child_spec())
        .child(sibling)
        .start_with_events(events)
        .await
        .unwrap();
    let inner_pid = inner_ref.pid().unwrap();
    for _ in 0..2 {
        w_ref.cast(ProbeCast::Panic).unwrap();
        wait_for(&mut rx, restarted("w")).await;
    }
    assert_eq!(
        inner_ref.pid(),
        Some(inner_pid),
        "two restarts are within the intensity"
    );
    w_ref.cast(ProbeCast::Panic).unwrap();
    let exceeded = wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    assert!(
        matches!(exceeded, SupervisionEvent::IntensityExceeded { supervisor, max_restarts: 2, .. } if &*supervisor == "root/inner")
    );
    // The inner supervisor exits with shutdown and the root restarts it like any child.
    let inner_exit = wait_for(&mut rx, exited("inner")).await;
    assert!(
        matches!(inner_exit, SupervisionEvent::ChildExited { reason: ExitReason::Shutdown(Some(r)), .. } if &*r == "reached_max_restart_intensity")
    );
    wait_for(&mut rx, restarted("inner")).await;
    assert_ne!(inner_ref.pid(), Some(inner_pid));
    assert_eq!(w_ref.call(ProbeCall::Get).await.unwrap(), 0);
    assert_eq!(
        sibling_ref.call(ProbeCall::Incarnation).await.unwrap(),
        1,
        "one_for_one at the root"
    );
    root.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn restarts_outside_the_sliding_window_do_not_count() {
    let log = Log::default();
    let (w, w_ref, _) = probe("w", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .intensity(1, Duration::from_secs(5))
        .child(w)
        .start_with_events(events)
        .await
        .unwrap();
    for _ in 0..4 {
        w_ref.cast(ProbeCast::Panic).unwrap();
        wait_for(&mut rx, restarted("w")).await;
        tokio::time::advance(Duration::from_secs(6)).await;
    }
    assert!(sup.is_running());
    w_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("w")).await;
    let monitor = sup.monitor().expect("supervisor is running");
    w_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    assert_eq!(
        monitor.down().await.reason,
        ExitReason::shutdown_with("reached_max_restart_intensity")
    );
    assert!(!sup.is_running());
}

#[tokio::test(start_paused = true)]
async fn a_stubborn_child_is_killed_after_its_timeout_and_then_the_next_sibling_stops() {
    let log = Log::default();
    let (first, _, _) = probe("first", &log);
    let (stubborn, _, knobs) = probe("stubborn", &log);
    knobs.stubborn.store(true, Ordering::SeqCst);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .child(first)
        .child(stubborn.shutdown(Shutdown::Timeout(Duration::from_millis(300))))
        .start_with_events(events)
        .await
        .unwrap();
    log.take();
    let started = tokio::time::Instant::now();
    sup.shutdown().await;
    let killed = wait_for(
        &mut rx,
        |e| matches!(e, SupervisionEvent::ChildTerminated { child, .. } if &**child == "stubborn"),
    )
    .await;
    assert!(matches!(
        killed,
        SupervisionEvent::ChildTerminated {
            reason: ExitReason::Killed,
            ..
        }
    ));
    let first_stop = wait_for(
        &mut rx,
        |e| matches!(e, SupervisionEvent::ChildTerminated { child, .. } if &**child == "first"),
    )
    .await;
    assert!(matches!(
        first_stop,
        SupervisionEvent::ChildTerminated {
            reason: ExitReason::Shutdown(None),
            ..
        }
    ));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(log.take(), ["stop:stubborn", "stop:first"]);
}

#[tokio::test]
async fn brutal_kill_skips_terminate() {
    let log = Log::default();
    let (w, _, _) = probe("w", &log);
    let sup = SupervisorSpec::new("sup")
        .child(w.shutdown(Shutdown::BrutalKill))
        .start()
        .await
        .unwrap();
    log.take();
    sup.shutdown().await;
    assert!(
        log.take().is_empty(),
        "terminate must not run on brutal kill"
    );
}

#[tokio::test]
async fn a_failing_start_rolls_back_the_started_children_in_reverse() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (b, _, _) = probe("b", &log);
    let (c, _, c_knobs) = probe("c", &log);
    let (d, _, _) = probe("d", &log);
    c_knobs.fail_init.store(true, Ordering::SeqCst);
    let result = SupervisorSpec::new("sup")
        .children([a, b, c, d])
        .start()
        .await;
    let error = result.expect_err("start must fail");
    assert!(error.to_string().contains("c refuses to start"), "{error}");
    assert_eq!(
        log.take(),
        ["start:a", "start:b", "init_failed:c", "stop:b", "stop:a"]
    );
    assert!(!a_ref.is_running());
}

#[tokio::test(start_paused = true)]
async fn a_child_whose_restart_keeps_failing_exhausts_the_intensity_without_a_busy_loop() {
    let log = Log::default();
    let (w, w_ref, knobs) = probe("w", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .intensity(3, Duration::from_secs(5))
        .child(w)
        .start_with_events(events)
        .await
        .unwrap();
    knobs.fail_init.store(true, Ordering::SeqCst);
    w_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    // One crash, then the first restart and three retries are attempted; the fourth restart
    // within the window exceeds 3 and the supervisor gives up.
    assert_eq!(knobs.starts.load(Ordering::SeqCst), 1 + 3);
    eventually(|| !sup.is_running()).await;
}

#[tokio::test]
async fn auto_shutdown_any_significant_stops_the_supervisor() {
    use elixir_scope_runtime_core::AutoShutdown;
    let log = Log::default();
    let (sig, sig_ref, _) = probe("sig", &log);
    let (other, _, _) = probe("other", &log);
    let sup = SupervisorSpec::new("sup")
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(other)
        .child(sig.restart(Restart::Transient).significant(true))
        .start()
        .await
        .unwrap();
    let monitor = sup.monitor().unwrap();
    sig_ref.cast(ProbeCast::Exit(ExitReason::Normal)).unwrap();
    assert_eq!(monitor.down().await.reason, ExitReason::Shutdown(None));
    assert_eq!(
        log.take(),
        ["start:other", "start:sig", "stop:sig", "stop:other"]
    );
}

#[tokio::test]
async fn auto_shutdown_all_significant_waits_for_the_last_one() {
    use elixir_scope_runtime_core::AutoShutdown;
    let log = Log::default();
    let (s1, s1_ref, _) = probe("s1", &log);
    let (s2, s2_ref, _) = probe("s2", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .auto_shutdown(AutoShutdown::AllSignificant)
        .child(s1.restart(Restart::Temporary).significant(true))
        .child(s2.restart(Restart::Transient).significant(true))
        .start_with_events(events)
        .await
        .unwrap();
    s1_ref.cast(ProbeCast::Exit(ExitReason::Normal)).unwrap();
    wait_for(&mut rx, exited("s1")).await;
    assert!(sup.is_running(), "one significant child still runs");
    let monitor = sup.monitor().unwrap();
    s2_ref.cast(ProbeCast::Exit(ExitReason::Normal)).unwrap();
    assert_eq!(monitor.down().await.reason, ExitReason::Shutdown(None));
}

#[tokio::test]
async fn terminate_child_on_a_significant_child_does_not_trigger_auto_shutdown() {
    use elixir_scope_runtime_core::AutoShutdown;
    let log = Log::default();
    let (sig, _, _) = probe("sig", &log);
    let sup = SupervisorSpec::new("sup")
        .auto_shutdown(AutoShutdown::AnySignificant)
        .child(sig.restart(Restart::Transient).significant(true))
        .start()
        .await
        .unwrap();
    sup.terminate_child("sig").await.unwrap();
    assert!(sup.is_running());
    assert_eq!(sup.count_children().await.unwrap().active, 0);
    sup.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn after_the_supervisor_gives_up_calls_to_its_children_fail_at_once() {
    let log = Log::default();
    let (w, w_ref, knobs) = probe("w", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .intensity(1, Duration::from_secs(5))
        .child(w)
        .start_with_events(events)
        .await
        .unwrap();
    let monitor = sup.monitor().unwrap();
    knobs.fail_init.store(true, Ordering::SeqCst);
    w_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(e, SupervisionEvent::IntensityExceeded { .. })
    })
    .await;
    monitor.down().await;
    // The child's last restart failed, so it was down when the supervisor gave up; its handle
    // must say so rather than leave callers waiting for their timeout.
    assert!(matches!(
        w_ref.call(ProbeCall::Get).await,
        Err(elixir_scope_runtime_core::CallError::NotRunning { .. })
    ));
    assert!(!w_ref.is_accepting());
}

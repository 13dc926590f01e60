//! The management API with OTP's error cases, and spec validation at start.

mod common;

use common::*;
use elixir_scope_runtime_core::{
    ChildSpec, ChildStatus, Restart, SpecError, StartError, SupervisorError, SupervisorSpec,
};
use std::sync::atomic::Ordering;
use std::time::Duration;

#[tokio::test]
async fn start_child_adds_and_refuses_duplicates() {
    let log = Log::default();
    let sup = SupervisorSpec::new("sup").start().await.unwrap();
    let (a, a_ref, _) = probe("a", &log);
    let pid = sup.start_child(a.clone()).await.unwrap();
    assert_eq!(a_ref.pid(), Some(pid));
    assert_eq!(
        sup.start_child(a.clone()).await,
        Err(SupervisorError::AlreadyStarted(pid))
    );
    sup.terminate_child("a").await.unwrap();
    assert_eq!(
        sup.start_child(a).await,
        Err(SupervisorError::AlreadyPresent)
    );
    sup.shutdown().await;
}

#[tokio::test]
async fn start_child_that_fails_is_not_kept() {
    let log = Log::default();
    let sup = SupervisorSpec::new("sup").start().await.unwrap();
    let (a, _, knobs) = probe("a", &log);
    knobs.fail_init.store(true, Ordering::SeqCst);
    assert!(matches!(
        sup.start_child(a).await,
        Err(SupervisorError::Start(StartError::InitFailed { .. }))
    ));
    assert!(sup.which_children().await.unwrap().is_empty());
    sup.shutdown().await;
}

#[tokio::test]
async fn terminate_restart_and_delete_follow_otp() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let sup = SupervisorSpec::new("sup").child(a).start().await.unwrap();
    assert_eq!(sup.restart_child("a").await, Err(SupervisorError::Running));
    assert_eq!(sup.delete_child("a").await, Err(SupervisorError::Running));
    assert_eq!(
        sup.terminate_child("nope").await,
        Err(SupervisorError::NotFound)
    );
    assert_eq!(
        sup.restart_child("nope").await,
        Err(SupervisorError::NotFound)
    );
    assert_eq!(
        sup.delete_child("nope").await,
        Err(SupervisorError::NotFound)
    );

    sup.terminate_child("a").await.unwrap();
    let info = &sup.which_children().await.unwrap()[0];
    assert_eq!((info.status, info.pid), (ChildStatus::Terminated, None));
    assert_eq!(sup.get_childspec("a").await.unwrap().id(), "a");

    let pid = sup.restart_child("a").await.unwrap();
    assert_eq!(a_ref.pid(), Some(pid));
    assert_eq!(a_ref.call(ProbeCall::Incarnation).await.unwrap(), 2);

    sup.terminate_child("a").await.unwrap();
    sup.delete_child("a").await.unwrap();
    assert!(matches!(
        sup.get_childspec("a").await,
        Err(SupervisorError::NotFound)
    ));
    assert_eq!(log.take(), ["start:a", "stop:a", "start:a", "stop:a"]);
    sup.shutdown().await;
}

#[tokio::test]
async fn terminating_a_temporary_child_removes_its_spec() {
    let log = Log::default();
    let (t, _, _) = probe("t", &log);
    let sup = SupervisorSpec::new("sup")
        .child(t.restart(Restart::Temporary))
        .start()
        .await
        .unwrap();
    sup.terminate_child("t").await.unwrap();
    assert_eq!(sup.restart_child("t").await, Err(SupervisorError::NotFound));
    sup.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_child_whose_restart_failed_reports_restarting() {
    let log = Log::default();
    let (a, a_ref, knobs) = probe("a", &log);
    let (events, mut rx) = bus();
    let sup = SupervisorSpec::new("sup")
        .intensity(1000, Duration::from_secs(1))
        .child(a)
        .start_with_events(events)
        .await
        .unwrap();
    knobs.fail_init.store(true, Ordering::SeqCst);
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, |e| {
        matches!(
            e,
            elixir_scope_runtime_core::SupervisionEvent::RestartFailed { .. }
        )
    })
    .await;
    // While it keeps failing, management calls still interleave with the retries.
    let mut saw_restarting = false;
    for _ in 0..50 {
        match sup.restart_child("a").await {
            Err(SupervisorError::Restarting) => {
                saw_restarting = true;
                break;
            }
            Err(SupervisorError::Running) | Ok(_) => panic!("child cannot be running"),
            Err(_) => {}
        }
    }
    assert!(saw_restarting);
    assert_eq!(
        sup.delete_child("a").await,
        Err(SupervisorError::Restarting)
    );
    knobs.fail_init.store(false, Ordering::SeqCst);
    wait_for(&mut rx, restarted("a")).await;
    assert!(a_ref.is_running());
    sup.shutdown().await;
}

#[tokio::test]
async fn count_children_counts_kinds_and_active() {
    let log = Log::default();
    let (a, _, _) = probe("a", &log);
    let (b, _, _) = probe("b", &log);
    let nested = SupervisorSpec::new("nested").into_child_spec();
    let sup = SupervisorSpec::new("sup")
        .children([a, b, nested])
        .start()
        .await
        .unwrap();
    sup.terminate_child("b").await.unwrap();
    let counts = sup.count_children().await.unwrap();
    assert_eq!(
        (
            counts.specs,
            counts.active,
            counts.supervisors,
            counts.workers
        ),
        (3, 2, 1, 2)
    );
    sup.shutdown().await;
}

#[tokio::test]
async fn invalid_specs_are_typed_errors_at_start() {
    let log = Log::default();
    let (a, _, _) = probe("a", &log);
    let dup = SupervisorSpec::new("sup")
        .child(a.clone())
        .child(a.clone())
        .start()
        .await;
    assert_eq!(
        dup.err(),
        Some(StartError::InvalidSpec(SpecError::DuplicateId("a".into())))
    );

    let sig_perm = SupervisorSpec::new("sup")
        .auto_shutdown(elixir_scope_runtime_core::AutoShutdown::AnySignificant)
        .child(a.clone().significant(true))
        .start()
        .await;
    assert_eq!(
        sig_perm.err(),
        Some(StartError::InvalidSpec(SpecError::SignificantPermanent(
            "a".into()
        )))
    );

    let sig_never = SupervisorSpec::new("sup")
        .child(a.clone().restart(Restart::Transient).significant(true))
        .start()
        .await;
    assert_eq!(
        sig_never.err(),
        Some(StartError::InvalidSpec(
            SpecError::SignificantWithoutAutoShutdown("a".into())
        ))
    );

    let zero = SupervisorSpec::new("sup")
        .intensity(3, Duration::ZERO)
        .child(a)
        .start()
        .await;
    assert_eq!(
        zero.err(),
        Some(StartError::InvalidSpec(SpecError::ZeroPeriod))
    );

    let empty = SupervisorSpec::new("sup")
        .child(ChildSpec::task(
            "",
            |mut s| async move { s.requested().await },
        ))
        .start()
        .await;
    assert_eq!(
        empty.err(),
        Some(StartError::InvalidSpec(SpecError::EmptyId))
    );
    assert!(
        log.lines().is_empty(),
        "nothing starts when the spec is invalid"
    );
}

#[tokio::test]
async fn start_child_validates_the_spec() {
    let log = Log::default();
    let (a, _, _) = probe("a", &log);
    let sup = SupervisorSpec::new("sup").start().await.unwrap();
    assert_eq!(
        sup.start_child(a.restart(Restart::Transient).significant(true))
            .await,
        Err(SupervisorError::Start(StartError::InvalidSpec(
            SpecError::SignificantWithoutAutoShutdown("a".into())
        )))
    );
    sup.shutdown().await;
}

//! The tree snapshot and the supervision event stream.

mod common;

use common::*;
use elixir_scope_runtime_core::{
    ChildStatus, DynamicSupervisorSpec, NodeKind, Strategy, SupervisionEvent, SupervisorSpec,
    TaskSupervisor, TreeSnapshot,
};

#[tokio::test]
async fn the_snapshot_describes_the_whole_tree_and_serialises() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (b, _, _) = probe("b", &log);
    let (tasks_spec, tasks) = TaskSupervisor::child_spec("tasks");
    let sessions = DynamicSupervisorSpec::new("sessions");
    let sessions_ref = sessions.handle();
    let layer = SupervisorSpec::new("layer")
        .strategy(Strategy::RestForOne)
        .child(b);
    let (events, mut rx) = bus();
    let root = SupervisorSpec::new("root")
        .children([
            a,
            layer.into_child_spec(),
            tasks_spec,
            sessions.into_child_spec(),
        ])
        .start_with_events(events)
        .await
        .unwrap();
    let (c, _, _) = probe("c", &log);
    sessions_ref.start_child(c).await.unwrap();
    let _running = tasks.async_nolink(std::future::pending::<()>()).unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;

    let snap = root.snapshot().await.unwrap();
    assert_eq!(snap.kind, NodeKind::Supervisor);
    assert_eq!(snap.strategy, Some(Strategy::OneForOne));
    let ids: Vec<_> = snap.children.iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["a", "layer", "tasks", "sessions"]);
    let a = snap.find("a").unwrap();
    assert_eq!(
        (a.kind, a.status, a.restart_count),
        (NodeKind::Worker, ChildStatus::Running, 1)
    );
    assert_eq!(a.mailbox_len, Some(0));
    assert!(a.uptime_ms.is_some());
    let layer = snap.find("layer").unwrap();
    assert_eq!(layer.strategy, Some(Strategy::RestForOne));
    assert_eq!(snap.find("layer/b").unwrap().status, ChildStatus::Running);
    let tasks_node = snap.find("tasks").unwrap();
    assert_eq!(
        (tasks_node.kind, tasks_node.mailbox_len),
        (NodeKind::TaskSupervisor, Some(1))
    );
    let sessions_node = snap.find("sessions").unwrap();
    assert_eq!(sessions_node.kind, NodeKind::DynamicSupervisor);
    assert_eq!(sessions_node.children.len(), 1);

    let json = serde_json::to_string(&snap).unwrap();
    let back: TreeSnapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
    let text = snap.render_text();
    assert!(
        text.contains("├── layer [supervisor RestForOne] Running"),
        "{text}"
    );
    assert!(text.contains("restarts=1"), "{text}");
    root.shutdown().await;
}

#[tokio::test]
async fn the_event_stream_reports_start_exit_restart_and_shutdown() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (events, mut rx) = bus();
    let mut all = events.subscribe();
    let root = SupervisorSpec::new("root")
        .child(a)
        .start_with_events(events)
        .await
        .unwrap();
    a_ref.cast(ProbeCast::Panic).unwrap();
    wait_for(&mut rx, restarted("a")).await;
    root.shutdown().await;
    let mut seen = Vec::new();
    while let Ok(event) = all.try_recv() {
        seen.push(match event {
            SupervisionEvent::ChildStarted { child, .. } => format!("started {child}"),
            SupervisionEvent::ChildExited { child, reason, .. } => {
                format!("exited {child} {reason}")
            }
            SupervisionEvent::ChildRestarted {
                child,
                restart_count,
                ..
            } => {
                format!("restarted {child} {restart_count}")
            }
            SupervisionEvent::ChildTerminated { child, reason, .. } => {
                format!("terminated {child} {reason}")
            }
            SupervisionEvent::SupervisorShutdown { supervisor, reason } => {
                format!("shutdown {supervisor} {reason}")
            }
            other => format!("{other:?}"),
        });
    }
    assert_eq!(
        seen,
        [
            "started a",
            "exited a panic: a was told to panic",
            "restarted a 1",
            "terminated a shutdown",
            "shutdown root shutdown"
        ]
    );
}

#[tokio::test]
async fn describe_shows_the_static_shape_without_starting_anything() {
    let log = Log::default();
    let (a, a_ref, _) = probe("a", &log);
    let (tasks, _) = TaskSupervisor::child_spec("tasks");
    let spec = SupervisorSpec::new("root")
        .child(
            SupervisorSpec::new("layer")
                .strategy(Strategy::RestForOne)
                .child(a)
                .into_child_spec(),
        )
        .child(tasks)
        .child(DynamicSupervisorSpec::new("sessions").into_child_spec());
    let shape = spec.describe();
    assert_eq!(
        shape.find("layer").unwrap().strategy,
        Some(Strategy::RestForOne)
    );
    assert_eq!(shape.find("layer/a").unwrap().kind, NodeKind::Worker);
    assert_eq!(shape.find("tasks").unwrap().kind, NodeKind::TaskSupervisor);
    assert_eq!(
        shape.find("sessions").unwrap().kind,
        NodeKind::DynamicSupervisor
    );
    assert!(shape
        .children
        .iter()
        .all(|c| c.status == ChildStatus::NotStarted && c.pid.is_none()));
    assert!(log.lines().is_empty() && !a_ref.is_running());
}

//! The Foundation layer under real faults: services panicking under load, a server kept down,
//! unusable databases, and bad input through the typed handles.

use elixir_scope_foundation::config::{ConfigError, Rule};
use elixir_scope_foundation::config_server::CONFIG_EVENT_TYPE;
use elixir_scope_foundation::event::{EventError, EventId, NewEvent};
use elixir_scope_foundation::event_store::{EventQuery, StoreError};
use elixir_scope_foundation::telemetry::MetricDef;
use elixir_scope_foundation::{
    Foundation, FoundationError, FoundationHandles, FoundationOptions, UpdateOutcome,
};
use elixir_scope_runtime_core::{EventBus, SupervisionEvent, TreeSnapshot};
use serde_json::json;
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

const WAIT: Duration = Duration::from_secs(20);

fn options(dir: &Path) -> FoundationOptions {
    FoundationOptions::new(dir).with_env(Vec::new())
}

async fn start(dir: &Path) -> (FoundationHandles, broadcast::Receiver<SupervisionEvent>) {
    start_with_env(dir, Vec::new()).await
}

async fn start_with_env(
    dir: &Path,
    env: Vec<(String, String)>,
) -> (FoundationHandles, broadcast::Receiver<SupervisionEvent>) {
    let bus = EventBus::new(1024);
    let rx = bus.subscribe();
    let handles = Foundation::start_with_events(options(dir).with_env(env), bus)
        .await
        .expect("foundation starts");
    (handles, rx)
}

async fn wait_for(
    rx: &mut broadcast::Receiver<SupervisionEvent>,
    what: &str,
    pred: impl Fn(&SupervisionEvent) -> bool,
) -> SupervisionEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            match rx.recv().await {
                Ok(e) if pred(&e) => return e,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => {
                    panic!("event bus closed while waiting for {what}")
                }
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
}

async fn collect_until(
    target: usize,
    acked: &mut Vec<EventId>,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<EventId>>,
) -> Result<(), tokio::time::error::Elapsed> {
    tokio::time::timeout(WAIT, async {
        while acked.len() < target {
            match rx.recv().await {
                Some(ids) => acked.extend(ids),
                None => break,
            }
        }
    })
    .await
}

fn child<'a>(tree: &'a TreeSnapshot, id: &str) -> &'a TreeSnapshot {
    tree.children
        .iter()
        .find(|c| &*c.id == id)
        .unwrap_or_else(|| panic!("no child {id} in {tree:?}"))
}

async fn all_ids(h: &FoundationHandles, q: EventQuery) -> Vec<EventId> {
    let mut ids = Vec::new();
    let mut q = q.limit(1000);
    loop {
        let page = h.events.query(q.clone()).await.expect("query");
        ids.extend(page.events.iter().map(|e| e.id));
        match page.next_cursor {
            Some(c) => q = q.after(c),
            None => return ids,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_store_panic_under_load_loses_nothing_acknowledged_and_spares_siblings() {
    panic_under_load(Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn block_event_store_panic_under_load_loses_nothing_acknowledged() {
    let env = vec![(
        "ELIXIR_SCOPE_EVENT_STORE__BACKEND".to_string(),
        "sqlite_blocks".to_string(),
    )];
    panic_under_load(env).await;
}

async fn panic_under_load(env: Vec<(String, String)>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_file = if env.is_empty() {
        "events.db"
    } else {
        "event-blocks.db"
    };
    let (h, mut bus) = start_with_env(dir.path(), env).await;
    assert!(
        dir.path().join(db_file).exists(),
        "{db_file} is the configured store"
    );
    let before = h.supervisor.snapshot().await.expect("snapshot");

    let stop = Arc::new(AtomicBool::new(false));
    let (acked_tx, mut acked_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<EventId>>();
    let mut writers = Vec::new();
    for w in 0..8 {
        let (h, stop, acked_tx) = (h.clone(), stop.clone(), acked_tx.clone());
        writers.push(tokio::spawn(async move {
            let mut failures = 0u64;
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let batch = (0..20)
                    .map(|i| NewEvent::new("load", json!({"w": w, "n": n, "i": i})))
                    .collect();
                n += 1;
                match h.events.store_batch(batch).await {
                    Ok(ids) => {
                        let _ = acked_tx.send(ids);
                    }
                    // Unacknowledged: may or may not be stored; the test only checks acked ones.
                    Err(_) => failures += 1,
                }
            }
            failures
        }));
    }
    drop(acked_tx);
    let mut acked: Vec<EventId> = Vec::new();
    collect_until(2_000, &mut acked, &mut acked_rx)
        .await
        .expect("acks before the crash");

    h.events.inject_crash().await;
    wait_for(&mut bus, "event_store restart", |e| {
        matches!(e, SupervisionEvent::ChildRestarted { child, .. } if &**child == "event_store")
    })
    .await;
    let target = acked.len() + 2_000;
    collect_until(target, &mut acked, &mut acked_rx)
        .await
        .expect("acks after the restart");
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    while let Ok(ids) = acked_rx.try_recv() {
        acked.extend(ids);
    }

    let stored: HashSet<EventId> = all_ids(&h, EventQuery::all().event_type("load"))
        .await
        .into_iter()
        .collect();
    let missing: Vec<&EventId> = acked.iter().filter(|id| !stored.contains(id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert!(acked.len() >= 4_000);

    let after = h.supervisor.snapshot().await.expect("snapshot");
    assert_eq!(child(&after, "event_store").restart_count, 1);
    for id in ["config_server", "telemetry", "task_supervisor"] {
        assert_eq!(child(&after, id).restart_count, 0, "{id} was restarted");
        assert_eq!(
            child(&after, id).pid,
            child(&before, id).pid,
            "{id} is not the same incarnation"
        );
    }
    h.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_server_outage_serves_cache_queues_updates_and_keeps_them_after_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (h, mut bus) = start(dir.path()).await;
    let cfg = &h.config;
    assert!(matches!(
        cfg.update("capture.batch_size", json!(42)).await,
        Ok(UpdateOutcome::Applied(_))
    ));
    let mut changes = cfg.subscribe();
    assert!(
        changes.try_recv().is_err(),
        "a new subscriber sees only later changes"
    );

    let release = cfg.hold_next_start();
    cfg.inject_crash().await;
    wait_for(
        &mut bus,
        "config_server exit",
        |e| matches!(e, SupervisionEvent::ChildExited { child, .. } if &**child == "config_server"),
    )
    .await;
    assert!(cfg.is_degraded());
    let read = cfg.get("capture.batch_size").expect("cached read");
    assert_eq!(read.value, json!(42));
    assert!(read.degraded, "the read says it came from the cache");

    assert_eq!(
        cfg.update("capture.sampling_rate", json!(0.5)).await,
        Ok(UpdateOutcome::Queued { pending: 1 })
    );
    assert_eq!(
        cfg.update("capture.batch_size", json!(7)).await,
        Ok(UpdateOutcome::Queued { pending: 2 })
    );
    assert!(
        matches!(
            cfg.update("capture.batch_size", json!(0)).await,
            Err(ConfigError::InvalidValue { .. })
        ),
        "bad input is refused even while the server is down"
    );
    assert_eq!(cfg.pending_updates(), 2);
    let health = h.health();
    assert!(!health.config_server && health.event_store && !health.is_healthy());
    assert_eq!(health.pending_config_updates, 2);
    assert_eq!(
        cfg.get("capture.batch_size").expect("read").value,
        json!(42),
        "queued is not yet applied"
    );

    drop(release);
    let first = tokio::time::timeout(WAIT, changes.recv())
        .await
        .expect("first change")
        .expect("open");
    let second = tokio::time::timeout(WAIT, changes.recv())
        .await
        .expect("second change")
        .expect("open");
    assert_eq!(
        (first.path.as_str(), first.new.clone()),
        ("capture.sampling_rate", json!(0.5))
    );
    assert_eq!(
        (second.path.as_str(), second.new.clone()),
        ("capture.batch_size", json!(7))
    );
    assert!(!cfg.is_degraded());
    assert_eq!(cfg.pending_updates(), 0);
    assert!(h.health().is_healthy());
    assert_eq!(cfg.config().capture.batch_size, 7);

    // Every applied update is recorded in the event store (asynchronously, with retries).
    let recorded = tokio::time::timeout(WAIT, async {
        loop {
            let page = h
                .events
                .query(EventQuery::all().event_type(CONFIG_EVENT_TYPE))
                .await
                .expect("query");
            if page.events.len() >= 3 {
                return page.events;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("config events recorded");
    let paths: Vec<&str> = recorded
        .iter()
        .filter_map(|e| e.data["path"].as_str())
        .collect();
    assert_eq!(
        paths,
        vec![
            "capture.batch_size",
            "capture.sampling_rate",
            "capture.batch_size"
        ]
    );

    let tree = h.supervisor.snapshot().await.expect("snapshot");
    assert_eq!(child(&tree, "config_server").restart_count, 1);
    assert_eq!(child(&tree, "event_store").restart_count, 0);

    // Runtime updates survive a restart of the whole layer.
    h.supervisor.shutdown().await;
    let (again, _bus) = start(dir.path()).await;
    assert_eq!(
        again.config.get("capture.batch_size").expect("read").value,
        json!(7)
    );
    assert_eq!(
        again
            .config
            .get("capture.sampling_rate")
            .expect("read")
            .value,
        json!(0.5)
    );
    assert!(
        !again
            .config
            .get("capture.batch_size")
            .expect("read")
            .degraded
    );
    again.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_subscribers_are_removed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (h, _bus) = start(dir.path()).await;
    let mut keep = h.config.subscribe();
    let gone = h.config.subscribe();
    assert_eq!(h.config.subscriber_count(), 2);
    drop(gone);
    assert_eq!(h.config.subscriber_count(), 1);
    h.config
        .update("debug.enabled", json!(true))
        .await
        .expect("update");
    assert_eq!(
        keep.try_recv().expect("change delivered").path,
        "debug.enabled"
    );
    drop(keep);
    assert_eq!(h.config.subscriber_count(), 0);
    h.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_database_at_start_is_a_clear_error_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("events.db"), vec![0x5Au8; 16 * 1024]).expect("corrupt file");
    let started = tokio::time::timeout(WAIT, Foundation::start(options(dir.path())))
        .await
        .expect("no hang");
    match started {
        Err(FoundationError::Start(e)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("event_store") && msg.contains("cannot open event store"),
                "{msg}"
            );
        }
        other => panic!("expected a start error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_unusable_after_a_crash_exhausts_intensity_and_escalates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bus = EventBus::new(1024);
    let mut rx = bus.subscribe();
    let opts = options(dir.path()).with_intensity(3, Duration::from_secs(30));
    let h = Foundation::start_with_events(opts, bus)
        .await
        .expect("start");
    h.events
        .store(NewEvent::new("before", json!(1)))
        .await
        .expect("store");

    // The database path becomes a directory: no incarnation can open it any more.
    let db = dir.path().join("events.db");
    std::fs::remove_file(&db).expect("remove db");
    std::fs::create_dir(&db).expect("block path");
    let down = h.supervisor.monitor().expect("supervisor running");
    h.events.inject_crash().await;

    let failure = wait_for(
        &mut rx,
        "a failed restart",
        |e| matches!(e, SupervisionEvent::RestartFailed { child, .. } if &**child == "event_store"),
    )
    .await;
    if let SupervisionEvent::RestartFailed { error, .. } = failure {
        assert!(error.contains("cannot open event store"), "{error}");
    }
    wait_for(&mut rx, "intensity exceeded", |e| matches!(e, SupervisionEvent::IntensityExceeded { supervisor, .. } if &**supervisor == "foundation")).await;
    wait_for(&mut rx, "foundation shutdown", |e| matches!(e, SupervisionEvent::SupervisorShutdown { supervisor, .. } if &**supervisor == "foundation")).await;
    tokio::time::timeout(WAIT, down.down())
        .await
        .expect("the supervisor exits");
    assert!(!h.supervisor.is_running());
    let err = tokio::time::timeout(WAIT, h.events.store(NewEvent::new("after", json!(1))))
        .await
        .expect("no hang");
    assert!(matches!(err, Err(StoreError::Unavailable(_))), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_typed_errors_and_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (h, _bus) = start(dir.path()).await;

    let mut batch: Vec<NewEvent> = (0..3).map(|i| NewEvent::new("ok", json!(i))).collect();
    batch.push(NewEvent::new("ok", json!({"blob": "z".repeat(70 * 1024)})));
    match h.events.store_batch(batch).await {
        Err(StoreError::InvalidEvent {
            index: 3,
            source: EventError::DataTooLarge { limit: 65_536, .. },
        }) => {}
        Err(e) => panic!("expected oversize refusal, got {e:?}"),
        Ok(ids) => panic!("oversize batch stored as {ids:?}"),
    }
    let big = NewEvent::new("ok", json!("z".repeat(70 * 1024)));
    assert!(h
        .events
        .store(big)
        .await
        .expect_err("refused")
        .is_caller_error());
    assert_eq!(
        h.events.stats().await.expect("stats").total_events,
        0,
        "nothing half-stored"
    );

    match h.events.query(EventQuery::all().limit(5_000)).await {
        Err(StoreError::InvalidQuery(msg)) => assert!(msg.contains("query.max_results"), "{msg}"),
        other => panic!("expected InvalidQuery, got {other:?}"),
    }

    let cfg = &h.config;
    assert_eq!(
        cfg.update("capture.nope", json!(1)).await,
        Err(ConfigError::UnknownPath {
            path: "capture.nope".into()
        })
    );
    assert_eq!(
        cfg.update("api.port", json!(8080)).await,
        Err(ConfigError::NotUpdatable {
            path: "api.port".into()
        })
    );
    match cfg.update("capture.sampling_rate", json!(1.5)).await {
        Err(ConfigError::InvalidValue {
            path,
            rule: Rule::FloatRange { min, max },
            ..
        }) => {
            assert_eq!(path, "capture.sampling_rate");
            assert_eq!((min, max), (0.0, 1.0));
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    match cfg.update("debug.log_level", json!("shouty")).await {
        Err(e @ ConfigError::InvalidValue { .. }) => {
            assert!(
                e.to_string()
                    .contains("one of trace, debug, info, warn, error"),
                "{e}"
            );
        }
        other => panic!("expected InvalidValue, got {other:?}"),
    }
    assert!(cfg
        .update("api.port", json!(1))
        .await
        .expect_err("refused")
        .is_caller_error());
    assert!(cfg.overrides().is_empty());
    assert!(
        !dir.path().join("config-overrides.json").exists(),
        "nothing persisted"
    );
    assert_eq!(cfg.config().capture.sampling_rate, 1.0);
    h.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telemetry_crash_keeps_definitions_and_spares_siblings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (h, mut bus) = start(dir.path()).await;
    let t = &h.telemetry;
    t.define(MetricDef::distribution("req.duration", "req", "us"))
        .await
        .expect("define");
    for v in 1..=100 {
        t.execute("req", &[("us", v as f64)], &[]);
    }
    assert_eq!(t.snapshot().histograms["req.duration"].p99, 99);
    let before = h.supervisor.snapshot().await.expect("snapshot");

    t.inject_crash().await;
    wait_for(
        &mut bus,
        "telemetry restart",
        |e| matches!(e, SupervisionEvent::ChildRestarted { child, .. } if &**child == "telemetry"),
    )
    .await;
    t.execute("req", &[("us", 5.0)], &[]);
    let s = t.snapshot();
    assert_eq!(
        s.histograms["req.duration"].count, 1,
        "fresh aggregates, same definitions"
    );
    assert!(t.prometheus().contains("req_duration_count 1"));

    let after = h.supervisor.snapshot().await.expect("snapshot");
    for id in ["config_server", "event_store"] {
        assert_eq!(
            child(&after, id).pid,
            child(&before, id).pid,
            "{id} restarted"
        );
    }
    h.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_and_query_feed_the_default_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (h, _bus) = start(dir.path()).await;
    h.events
        .store_batch((0..3).map(|i| NewEvent::new("m", json!(i))).collect())
        .await
        .expect("store");
    h.events
        .store(NewEvent::new("m", json!(null)))
        .await
        .expect("store");
    let _ = h
        .events
        .store(NewEvent::new("", json!(null)))
        .await
        .expect_err("refused");
    h.events.query(EventQuery::all()).await.expect("query");
    let s = h.telemetry.snapshot();
    assert_eq!(s.counters["event_store.store.calls"], 3);
    assert_eq!(s.sums["event_store.events.stored"], 4.0);
    assert_eq!(s.histograms["event_store.store.duration_us"].count, 3);
    assert_eq!(s.histograms["event_store.query.duration_us"].count, 1);
    let text = h.telemetry.prometheus();
    assert!(text.contains("event_store_events_stored 4\n"), "{text}");
    assert!(
        text.contains("# HELP event_store_events_stored Events acknowledged as durable."),
        "{text}"
    );
    h.supervisor.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_persisted_config_is_a_clear_start_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("config-overrides.json"),
        b"{\"capture.batch_size\": ",
    )
    .expect("write");
    let started = tokio::time::timeout(WAIT, Foundation::start(options(dir.path())))
        .await
        .expect("no hang");
    match started {
        Err(FoundationError::Start(e)) => {
            let msg = e.to_string();
            assert!(
                msg.contains("config_server") && msg.contains("config-overrides.json"),
                "{msg}"
            );
        }
        other => panic!("expected a start error, got {other:?}"),
    }
}

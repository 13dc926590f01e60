//! Faults in the whole running tree: the EventStore panics while HTTP writers are storing. It is
//! restarted by the foundation supervisor, every acknowledged batch is present and complete, and
//! nothing else in the tree restarted (same pids, zero restart counts).

use elixir_scope::{Scope, ScopeOptions};
use elixir_scope_runtime_core::TreeSnapshot;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BATCH: usize = 20;

fn node<'a>(tree: &'a TreeSnapshot, path: &str) -> &'a TreeSnapshot {
    tree.find(path)
        .unwrap_or_else(|| panic!("{path} missing from the tree"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_store_crash_during_ingest_loses_nothing_and_restarts_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope::start(ScopeOptions::new(
        dir.path(),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .unwrap();
    let base = format!("http://{}", scope.local_addr());
    let before = scope.root.snapshot().await.unwrap();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));

    let mut writers = Vec::new();
    for w in 0..4 {
        let (http, base, acknowledged, stop) = (
            http.clone(),
            base.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            let mut b = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let batch_id = format!("w{w}-b{b}");
                b += 1;
                let events: Vec<Value> = (0..BATCH)
                    .map(|i| json!({"event_type": "ingest", "correlation_id": batch_id, "data": {"i": i}}))
                    .collect();
                let response = http.post(format!("{base}/api/events")).json(&events).send().await.unwrap();
                if response.status() == 201 {
                    acknowledged.lock().unwrap().insert(batch_id);
                }
            }
        }));
    }
    let wait_for_acks = |n: usize| {
        let acknowledged = acknowledged.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(30), async {
                while acknowledged.lock().unwrap().len() < n {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            })
            .await
            .expect("ingest progresses");
        }
    };
    wait_for_acks(20).await;
    scope.foundation.events.inject_crash().await;
    let after_crash = acknowledged.lock().unwrap().len();
    wait_for_acks(after_crash + 20).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }

    let mut per_batch: BTreeMap<String, usize> = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/events?type=ingest&limit=1000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        for e in page["events"].as_array().unwrap() {
            *per_batch
                .entry(e["correlation_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    for batch in acknowledged.lock().unwrap().iter() {
        assert_eq!(
            per_batch.get(batch),
            Some(&BATCH),
            "acknowledged batch {batch} lost or partial"
        );
    }
    assert!(
        per_batch.values().all(|n| *n == BATCH),
        "a partial batch is stored"
    );

    let after = scope.root.snapshot().await.unwrap();
    assert_eq!(node(&after, "foundation/event_store").restart_count, 1);
    assert_ne!(
        node(&after, "foundation/event_store").pid,
        node(&before, "foundation/event_store").pid
    );
    for untouched in [
        "foundation",
        "foundation/config_server",
        "foundation/telemetry",
        "foundation/task_supervisor",
        "ast",
        "api",
    ] {
        assert_eq!(
            node(&after, untouched).restart_count,
            0,
            "{untouched} restarted"
        );
        assert_eq!(
            node(&after, untouched).pid,
            node(&before, untouched).pid,
            "{untouched} changed incarnation"
        );
    }
    scope.shutdown().await;
}

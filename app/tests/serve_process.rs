//! The `elixir-scope serve` process for real: SIGKILL during concurrent batch ingest over HTTP
//! loses no acknowledged event and leaves no batch partial; SIGTERM shuts down in order, exit 0.

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BATCH: usize = 40;
const WRITERS: usize = 4;

fn spawn_server(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_elixir-scope"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn elixir-scope");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read listen line");
    let base = line
        .trim()
        .strip_prefix("elixir-scope listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, base)
}

async fn all_events(http: &reqwest::Client, base: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/events?type=ingest&limit=1000");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={c}"));
        }
        let page: Value = http.get(url).send().await.unwrap().json().await.unwrap();
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return events,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_batches_survive_sigkill_and_none_is_partial() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = spawn_server(dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));

    let mut writers = Vec::new();
    for w in 0..WRITERS {
        let http = http.clone();
        let base = base.clone();
        let acknowledged = acknowledged.clone();
        writers.push(tokio::spawn(async move {
            for b in 0..10_000 {
                let batch_id = format!("w{w}-b{b}");
                let events: Vec<Value> = (0..BATCH)
                    .map(|i| json!({"event_type": "ingest", "correlation_id": batch_id, "data": {"i": i, "pad": "p".repeat(120)}}))
                    .collect();
                match http.post(format!("{base}/api/events")).json(&events).send().await {
                    Ok(r) if r.status() == 201 => {
                        acknowledged.lock().unwrap().insert(batch_id);
                    }
                    _ => return, // the server is gone
                }
            }
        }));
    }
    // Let ingest run until a good number of batches are acknowledged, then kill without warning.
    tokio::time::timeout(Duration::from_secs(60), async {
        while acknowledged.lock().unwrap().len() < 60 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("ingest makes progress");
    server.kill().expect("SIGKILL");
    server.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();

    let (mut server, base) = spawn_server(dir.path());
    let events = all_events(&http, &base).await;
    let mut per_batch: BTreeMap<String, usize> = BTreeMap::new();
    for e in &events {
        *per_batch
            .entry(e["correlation_id"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for batch in &acknowledged {
        assert_eq!(
            per_batch.get(batch),
            Some(&BATCH),
            "acknowledged batch {batch} lost or partial"
        );
    }
    for (batch, count) in &per_batch {
        assert_eq!(*count, BATCH, "batch {batch} is partial");
    }
    assert!(per_batch.len() >= acknowledged.len());
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_the_tree_down_in_order_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, base) = spawn_server(dir.path());
    let http = reqwest::Client::new();
    let stored = http
        .post(format!("{base}/api/events"))
        .json(&json!({"event_type": "ingest", "correlation_id": "term", "data": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 201);
    let status = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || server.wait().unwrap())
        .await
        .unwrap();
    assert!(
        exit.success(),
        "elixir-scope exited with {exit:?} after SIGTERM"
    );

    let (mut server, base) = spawn_server(dir.path());
    let page: Value = http
        .get(format!("{base}/api/events?correlation_id=term"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    server.kill().unwrap();
    server.wait().unwrap();
}

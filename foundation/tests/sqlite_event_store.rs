//! The SQLite backend: the shared contract, reopening, crash durability (SIGKILL of a writing
//! process) and refusal of unusable database files.

mod support;

use elixir_scope_foundation::event::{NewEvent, Timestamp};
use elixir_scope_foundation::event_store::{
    EventBackend, EventQuery, SqliteBackend, SqliteBlockBackend, SqliteOptions, StoreError,
    BLOCK_DB_FILE_NAME,
};
use serde_json::json;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_backend_fulfils_the_event_store_contract() {
    let root = tempfile::tempdir().expect("tempdir");
    let n = AtomicUsize::new(0);
    support::backend_suite::run_all(|| {
        let dir = root
            .path()
            .join(format!("case-{}", n.fetch_add(1, Ordering::SeqCst)));
        async move {
            let b = SqliteBackend::open(SqliteOptions::in_dir(dir)).expect("open");
            Arc::new(b) as support::backend_suite::Backend
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_block_backend_fulfils_the_event_store_contract() {
    let root = tempfile::tempdir().expect("tempdir");
    let n = AtomicUsize::new(0);
    support::backend_suite::run_all(|| {
        let dir = root
            .path()
            .join(format!("case-{}", n.fetch_add(1, Ordering::SeqCst)));
        async move {
            let mut opts = SqliteOptions::in_dir(&dir);
            opts.path = dir.join(BLOCK_DB_FILE_NAME);
            let b = SqliteBlockBackend::open(opts).expect("open");
            Arc::new(b) as support::backend_suite::Backend
        }
    })
    .await;
}

#[tokio::test]
async fn reopening_serves_everything_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let b = SqliteBackend::open(SqliteOptions::in_dir(dir.path())).expect("open");
    let batch = (0..500)
        .map(|i| NewEvent::new("t", json!({ "i": i })).at(Timestamp(i)))
        .collect();
    let ids = b.store_batch(batch).await.expect("store");
    b.close().await;
    assert!(matches!(
        b.store(NewEvent::new("t", json!(1))).await,
        Err(StoreError::Closed)
    ));
    drop(b);
    let again = SqliteBackend::open(SqliteOptions::in_dir(dir.path())).expect("reopen");
    assert_eq!(again.stats().await.expect("stats").total_events, 500);
    for id in [ids[0], ids[250], ids[499]] {
        assert!(again.get(id).await.expect("get").is_some());
    }
    let next = again
        .store(NewEvent::new("t", json!(null)))
        .await
        .expect("store");
    assert!(next > ids[499], "ids keep increasing after reopen");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_runs_automatically_in_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = SqliteOptions::in_dir(dir.path());
    opts.retention = elixir_scope_foundation::event_store::Retention {
        max_age: None,
        max_count: Some(10),
    };
    opts.retention_interval = std::time::Duration::from_millis(20);
    let b = SqliteBackend::open(opts).expect("open");
    let ids = b
        .store_batch((0..50).map(|i| NewEvent::new("t", json!(i))).collect())
        .await
        .expect("store");
    // Wait for the writer's own timer to trim the store (no explicit retention call).
    let stats = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        loop {
            let s = b.stats().await.expect("stats");
            if s.total_events == 10 {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("automatic retention ran");
    assert_eq!(stats.retention_deleted, 40);
    assert!(b.get(ids[39]).await.expect("get").is_none());
    assert!(
        b.get(ids[40]).await.expect("get").is_some(),
        "the newest 10 are kept"
    );
}

#[tokio::test]
async fn corrupt_database_file_is_an_open_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let opts = SqliteOptions::in_dir(dir.path());
    let mut f = std::fs::File::create(&opts.path).expect("create");
    f.write_all(&[0xA5; 8192]).expect("write garbage");
    drop(f);
    match SqliteBackend::open(opts) {
        Err(StoreError::Open { location, reason }) => {
            assert!(location.ends_with("events.db"), "{location}");
            assert!(!reason.is_empty());
        }
        other => panic!("expected Open error, got {other:?}"),
    }
}

#[tokio::test]
async fn unwritable_location_is_an_open_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A regular file where the data directory should be: no user, root included, can create
    // the database below it.
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let err = SqliteBackend::open(SqliteOptions::in_dir(&blocker)).expect_err("must fail");
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
}

const CHILD_DIR_ENV: &str = "ES_TEST_CHILD_DB_DIR";
const CHILD_BATCH: usize = 50;

/// Runs only as the child process of `sigkill_during_ingest_loses_nothing_acknowledged`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "helper process for the SIGKILL test"]
async fn child_writer_process() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let b = SqliteBackend::open(SqliteOptions::in_dir(dir)).expect("open");
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let mut tasks = Vec::new();
    for w in 0..4u64 {
        let (b, out) = (b.clone(), out.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0u64.. {
                let tag = format!("{w}-{n}");
                let batch = (0..CHILD_BATCH)
                    .map(|i| NewEvent::new("ingest", json!({ "batch": tag, "i": i })))
                    .collect();
                let ids = b.store_batch(batch).await.expect("store");
                let mut o = out.lock().expect("stdout");
                writeln!(o, "ACK {tag} {} {}", ids[0].0, ids[CHILD_BATCH - 1].0).expect("print");
                o.flush().expect("flush");
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_ingest_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "child_writer_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut acked: Vec<(String, i64, i64)> = Vec::new();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("ACK ") {
                let parts: Vec<&str> = rest.split(' ').collect();
                if let [tag, first, last] = parts[..] {
                    acked.push((
                        tag.to_string(),
                        first.parse().expect("id"),
                        last.parse().expect("id"),
                    ));
                    if acked.len() >= 200 {
                        break;
                    }
                }
            }
        }
        acked
    });
    let acked = tokio::task::spawn_blocking(move || reader.join().expect("reader"))
        .await
        .expect("join");
    assert!(
        acked.len() >= 200,
        "child stopped early after {} acks",
        acked.len()
    );
    child.kill().expect("SIGKILL child");
    let _ = child.wait();

    let b = SqliteBackend::open(SqliteOptions::in_dir(dir.path())).expect("reopen after kill");
    for (tag, first, last) in &acked {
        for id in [*first, *last] {
            let e = b
                .get(elixir_scope_foundation::event::EventId(id))
                .await
                .expect("get");
            let e = e.unwrap_or_else(|| panic!("acknowledged event {id} of batch {tag} lost"));
            assert_eq!(e.data["batch"], json!(tag));
        }
    }
    // No batch is partial: every batch present has all its events.
    let mut per_batch: HashMap<String, usize> = HashMap::new();
    let mut q = EventQuery::all().limit(10_000);
    loop {
        let page = b.query(q.clone()).await.expect("query");
        for e in &page.events {
            let tag = e.data["batch"].as_str().expect("tag").to_string();
            *per_batch.entry(tag).or_default() += 1;
        }
        match page.next_cursor {
            Some(c) => q = q.after(c),
            None => break,
        }
    }
    assert!(per_batch.len() >= acked.len());
    for (tag, n) in per_batch {
        assert_eq!(n, CHILD_BATCH, "batch {tag} is partial");
    }
}

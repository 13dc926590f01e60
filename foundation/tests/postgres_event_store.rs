//! The PostgreSQL backend against a real server that the test starts itself; the same contract
//! suite as the SQLite backend.

mod support;

use elixir_scope_foundation::event::NewEvent;
use elixir_scope_foundation::event_store::{
    EventBackend, PostgresBackend, PostgresOptions, StoreError,
};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use support::postgres_server::PostgresServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_backend_fulfils_the_event_store_contract() {
    let Some(server) = PostgresServer::start().await else {
        return;
    };
    let n = AtomicUsize::new(0);
    let server = &server;
    support::backend_suite::run_all(|| {
        let name = format!("case_{}", n.fetch_add(1, Ordering::SeqCst));
        async move {
            let conn = server.create_database(&name).await;
            let b = PostgresBackend::connect(PostgresOptions::new(conn))
                .await
                .expect("connect");
            Arc::new(b) as support::backend_suite::Backend
        }
    })
    .await;

    // Two backends (two nodes) on one database share the store without id collisions.
    let conn = server.create_database("shared").await;
    let a = PostgresBackend::connect(PostgresOptions::new(conn.clone()))
        .await
        .expect("a");
    let b = PostgresBackend::connect(PostgresOptions::new(conn))
        .await
        .expect("b");
    let ia = a.store_batch((0..100).map(|i| NewEvent::new("a", json!(i))).collect());
    let ib = b.store_batch((0..100).map(|i| NewEvent::new("b", json!(i))).collect());
    let (ia, ib) = tokio::join!(ia, ib);
    let (ia, ib) = (ia.expect("a"), ib.expect("b"));
    assert!(ia.iter().all(|id| !ib.contains(id)));
    assert_eq!(a.stats().await.expect("stats").total_events, 200);
}

#[tokio::test]
async fn unreachable_server_is_an_open_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    // Nothing listens on the port once the listener above is dropped.
    let opts = PostgresOptions::new(format!(
        "host=127.0.0.1 port={port} user=postgres connect_timeout=5"
    ));
    match PostgresBackend::connect(opts).await {
        Err(StoreError::Open { .. }) => {}
        other => panic!("expected Open error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn foundation_runs_on_postgres_when_configured_by_environment() {
    let Some(server) = PostgresServer::start().await else {
        return;
    };
    let conn = server.create_database("layer").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = vec![
        (
            "ELIXIR_SCOPE_EVENT_STORE__BACKEND".to_string(),
            "postgres".to_string(),
        ),
        ("ELIXIR_SCOPE_EVENT_STORE__POSTGRES_URL".to_string(), conn),
    ];
    let fd = elixir_scope_foundation::Foundation::start(
        elixir_scope_foundation::FoundationOptions::new(dir.path()).with_env(env),
    )
    .await
    .expect("foundation on postgres");
    let id = fd
        .events
        .store(NewEvent::new("pg", json!({"ok": true})))
        .await
        .expect("store");
    assert_eq!(fd.events.stats().await.expect("stats").total_events, 1);
    assert!(fd.events.get(id).await.expect("get").is_some());
    assert!(
        !dir.path().join("events.db").exists(),
        "no SQLite file when PostgreSQL is configured"
    );
    fd.supervisor.shutdown().await;
}

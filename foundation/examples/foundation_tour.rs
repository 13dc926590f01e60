//! A tour of the Foundation layer: start it on a data directory, store and query events, change
//! configuration, emit telemetry, and print the supervision tree and Prometheus metrics.
//!
//! Run: `cargo run -p elixir-scope-foundation --example foundation_tour [DATA_DIR]`
//! (a temporary directory when none is given).

use elixir_scope_foundation::event::{NewEvent, Source};
use elixir_scope_foundation::event_store::EventQuery;
use elixir_scope_foundation::{Foundation, FoundationOptions};
use serde_json::json;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let temp = tempfile::tempdir()?;
    let dir = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    let fd = Foundation::start(FoundationOptions::new(&dir)).await?;

    let src = Source::new("demo@localhost", "<0.100.0>");
    let root = fd
        .events
        .store(
            NewEvent::new("http_request", json!({"path": "/users/1"}))
                .source(src.clone())
                .correlation("req-1"),
        )
        .await?;
    fd.events
        .store_batch(vec![
            NewEvent::new("db_query", json!({"sql": "SELECT …"}))
                .source(src.clone())
                .correlation("req-1")
                .parent(root),
            NewEvent::new("render", json!({"template": "show"}))
                .source(src)
                .correlation("req-1")
                .parent(root),
        ])
        .await?;
    for link in fd.events.correlation_chain("req-1").await? {
        println!(
            "{}{} #{}",
            "  ".repeat(link.depth),
            link.event.event_type,
            link.event.id.0
        );
    }
    let page = fd
        .events
        .query(EventQuery::all().event_type("db_query"))
        .await?;
    println!("db_query events: {}", page.events.len());

    println!(
        "update: {:?}",
        fd.config
            .update("capture.sampling_rate", json!(0.5))
            .await?
    );
    println!(
        "refused: {}",
        fd.config
            .update("capture.sampling_rate", json!(3))
            .await
            .expect_err("out of range")
    );

    fd.telemetry.execute("demo.tick", &[("value", 1.0)], &[]);
    println!("{}", fd.supervisor.snapshot().await?.render_text());
    println!("{}", fd.telemetry.prometheus());
    println!("health: {:?}", fd.health());
    fd.supervisor.shutdown().await;
    Ok(())
}

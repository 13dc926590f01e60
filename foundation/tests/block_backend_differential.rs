//! The compressed-block backend against the row backend as an oracle: the same events stored
//! in both, then every query, chain, retention and restart must give identical answers.

use elixir_scope_foundation::event::{EventId, NewEvent, Source, Timestamp};
use elixir_scope_foundation::event_store::{
    EventBackend, EventQuery, Order, Retention, SqliteBackend, SqliteBlockBackend, SqliteOptions,
    BLOCK_DB_FILE_NAME,
};
use serde_json::json;
use std::time::Duration;

fn events(seed: u64, n: usize) -> Vec<NewEvent> {
    let mut x = seed;
    (0..n)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mostly increasing timestamps with jitter and ties, as real producers send them.
            let ts = 1_000_000 + (i as i64) * 10 + (x % 25) as i64;
            let t = ["call", "return", "error"][(x % 3) as usize];
            let node = ["a@h", "b@h"][(x >> 3) as usize % 2];
            let mut e = NewEvent::new(t, json!({"i": i, "x": x % 1000}))
                .source(Source::new(node, format!("<0.{}.0>", x % 7)))
                .at(Timestamp(ts));
            if x % 4 != 0 {
                e = e.correlation(format!("c{}", (i / 6) % 400));
            }
            if i > 0 && x % 5 == 0 {
                e = e.parent(EventId(1 + (x as i64 % i as i64)));
            }
            e
        })
        .collect()
}

async fn pages(b: &dyn EventBackend, mut q: EventQuery) -> Vec<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    loop {
        let page = b.query(q.clone()).await.expect("query");
        out.push(
            page.events
                .iter()
                .map(|e| (e.id.0, e.timestamp.0))
                .collect(),
        );
        match page.next_cursor {
            Some(c) if out.len() < 200 => q = q.after(c),
            _ => return out,
        }
    }
}

async fn compare(row: &SqliteBackend, block: &SqliteBlockBackend) {
    let queries = vec![
        EventQuery::all().limit(333),
        EventQuery::all().order(Order::Desc).limit(250),
        EventQuery::all().event_type("error").limit(100),
        EventQuery::all()
            .event_type("call")
            .event_type("return")
            .order(Order::Desc)
            .limit(500),
        EventQuery::all()
            .between(Timestamp(1_012_345), Timestamp(1_023_456))
            .limit(77),
        EventQuery::all()
            .between(Timestamp(1_012_345), Timestamp(1_023_456))
            .order(Order::Desc)
            .limit(64),
        EventQuery::all().correlation("c17"),
        EventQuery::all()
            .correlation("c399")
            .order(Order::Desc)
            .limit(2),
        EventQuery::all().source("b@h", None).limit(1000),
        EventQuery::all()
            .source("a@h", Some("<0.3.0>".into()))
            .event_type("call")
            .limit(90),
        EventQuery::all().between(Timestamp(0), Timestamp(1_000_050)),
        EventQuery::all().between(Timestamp(5_000_000), Timestamp(6_000_000)),
    ];
    for q in queries {
        let (a, b) = (pages(row, q.clone()).await, pages(block, q.clone()).await);
        assert_eq!(a, b, "query {q:?}");
    }
    for c in ["c0", "c17", "c250", "missing"] {
        let a = row.correlation_chain(c).await.expect("chain");
        let b = block.correlation_chain(c).await.expect("chain");
        assert_eq!(a, b, "chain {c}");
    }
    for id in [1, 777, 2048, 5000, 5001] {
        assert_eq!(
            row.get(EventId(id)).await.expect("get"),
            block.get(EventId(id)).await.expect("get")
        );
        assert_eq!(
            row.ancestors(EventId(id), 50).await.expect("a"),
            block.ancestors(EventId(id), 50).await.expect("a")
        );
    }
    let (sa, sb) = (
        row.stats().await.expect("stats"),
        block.stats().await.expect("stats"),
    );
    assert_eq!(
        (sa.total_events, sa.oldest, sa.newest, sa.by_type),
        (sb.total_events, sb.oldest, sb.newest, sb.by_type)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn block_backend_answers_like_the_row_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let row = SqliteBackend::open(SqliteOptions::in_dir(dir.path())).expect("row");
    let mut bopts = SqliteOptions::in_dir(dir.path());
    bopts.path = dir.path().join(BLOCK_DB_FILE_NAME);
    let block = SqliteBlockBackend::open(bopts.clone()).expect("block");

    // One large batch spans several blocks; small ones make small blocks.
    let all = events(0x9E37_79B9_7F4A_7C15, 5000);
    let (big, small) = all.split_at(4000);
    let a = row.store_batch(big.to_vec()).await.expect("row store");
    let b = block.store_batch(big.to_vec()).await.expect("block store");
    assert_eq!(a, b, "same ids in the same order");
    for chunk in small.chunks(37) {
        assert_eq!(
            row.store_batch(chunk.to_vec()).await.expect("row"),
            block.store_batch(chunk.to_vec()).await.expect("block")
        );
    }
    compare(&row, &block).await;

    // Retention cutting through the middle of blocks.
    // Cutoff near event 2500 (inside a 1024-event block); then keep 1000 of what is left.
    let now = Timestamp(1_025_000 + 60_000_000);
    let age = Retention {
        max_age: Some(Duration::from_secs(60)),
        max_count: None,
    };
    let by_age = row.apply_retention(age, now).await.expect("row");
    assert!(by_age > 2000, "{by_age}");
    assert_eq!(
        by_age,
        block.apply_retention(age, now).await.expect("block")
    );
    let count = Retention {
        max_age: None,
        max_count: Some(1_000),
    };
    let by_count = row.apply_retention(count, now).await.expect("row");
    assert!(by_count > 1000, "{by_count}");
    assert_eq!(
        by_count,
        block.apply_retention(count, now).await.expect("block")
    );
    compare(&row, &block).await;

    // After a reopen the block store serves the same, and new ids keep increasing.
    block.close().await;
    drop(block);
    let block = SqliteBlockBackend::open(bopts).expect("reopen");
    compare(&row, &block).await;
    let extra = events(7, 10);
    assert_eq!(
        row.store_batch(extra.clone()).await.expect("row"),
        block.store_batch(extra).await.expect("block")
    );
    compare(&row, &block).await;
}

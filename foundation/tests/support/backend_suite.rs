//! The event-store contract, run against every backend.

use elixir_scope_foundation::event::{EventError, EventId, NewEvent, Source, Timestamp};
use elixir_scope_foundation::event_store::{
    EventBackend, EventQuery, Order, Retention, StoreError,
};
use serde_json::json;
use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub type Backend = Arc<dyn EventBackend>;

/// Runs every case, each on a fresh, empty backend from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Backend>,
{
    round_trip(make().await).await;
    batch_is_all_or_nothing(make().await).await;
    filters_and_order(make().await).await;
    cursor_pagination_visits_each_event_once(make().await).await;
    correlation_chain_and_ancestors(make().await).await;
    retention_by_age_and_count(make().await).await;
    stats_count_by_type(make().await).await;
    concurrent_writers_share_commits(make().await).await;
    invalid_queries_are_typed_errors(make().await).await;
}

fn ev(t: &str, ts: i64) -> NewEvent {
    NewEvent::new(t, json!({"n": ts, "pad": "x".repeat(40)})).at(Timestamp(ts))
}

async fn count(b: &Backend) -> u64 {
    b.stats().await.expect("stats").total_events
}

pub async fn round_trip(b: Backend) {
    let e = NewEvent::new("call", json!({"m": "Mod", "args": [1, 2]}))
        .source(Source::new("n1@host", "<0.1.0>"))
        .correlation("req-1")
        .at(Timestamp(1_000));
    let id = b.store(e.clone()).await.expect("store");
    let got = b.get(id).await.expect("get").expect("present");
    assert_eq!(got.id, id);
    assert_eq!(got.event_type, "call");
    assert_eq!(got.timestamp, Timestamp(1_000));
    assert_eq!(got.source, Source::new("n1@host", "<0.1.0>"));
    assert_eq!(got.correlation_id.as_deref(), Some("req-1"));
    assert_eq!(got.data, json!({"m": "Mod", "args": [1, 2]}));
    assert_eq!(b.get(EventId(id.0 + 1000)).await.expect("get"), None);
}

pub async fn batch_is_all_or_nothing(b: Backend) {
    let ids = b
        .store_batch((0..10).map(|i| ev("a", i)).collect())
        .await
        .expect("batch");
    assert_eq!(ids.len(), 10);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids ascend in batch order: {ids:?}"
    );

    let mut bad: Vec<NewEvent> = (0..5).map(|i| ev("b", i)).collect();
    bad.push(NewEvent::new("b", json!({"big": "y".repeat(200_000)})));
    match b.store_batch(bad).await {
        Err(StoreError::InvalidEvent {
            index: 5,
            source: EventError::DataTooLarge { .. },
        }) => {}
        other => panic!("expected InvalidEvent at 5, got {other:?}"),
    }
    let empty_type = vec![ev("c", 1), NewEvent::new("", json!(null))];
    assert!(matches!(
        b.store_batch(empty_type).await,
        Err(StoreError::InvalidEvent {
            index: 1,
            source: EventError::EmptyField { .. }
        })
    ));
    assert_eq!(count(&b).await, 10, "nothing of a refused batch is stored");
    let page = b
        .query(EventQuery::all().event_type("b"))
        .await
        .expect("query");
    assert!(page.events.is_empty());
}

pub async fn filters_and_order(b: Backend) {
    let mut batch = Vec::new();
    for i in 0..30i64 {
        let t = if i % 3 == 0 { "x" } else { "y" };
        let node = if i % 2 == 0 { "even@h" } else { "odd@h" };
        let mut e = ev(t, 100 + i).source(Source::new(node, format!("<0.{i}.0>")));
        if i < 10 {
            e = e.correlation("c-1");
        }
        batch.push(e);
    }
    b.store_batch(batch).await.expect("batch");

    let xs = b
        .query(EventQuery::all().event_type("x").limit(100))
        .await
        .expect("q");
    assert_eq!(xs.events.len(), 10);
    assert!(xs.events.iter().all(|e| e.event_type == "x"));
    assert!(xs.next_cursor.is_none());

    let range = b
        .query(EventQuery::all().between(Timestamp(110), Timestamp(120)))
        .await
        .expect("q");
    let ts: Vec<i64> = range.events.iter().map(|e| e.timestamp.0).collect();
    assert_eq!(ts, (110..120).collect::<Vec<_>>());

    let desc = b
        .query(
            EventQuery::all()
                .between(Timestamp(110), Timestamp(120))
                .order(Order::Desc)
                .limit(3),
        )
        .await
        .expect("q");
    let ts: Vec<i64> = desc.events.iter().map(|e| e.timestamp.0).collect();
    assert_eq!(ts, vec![119, 118, 117]);
    assert!(desc.next_cursor.is_some());

    let even = b
        .query(EventQuery::all().source("even@h", None))
        .await
        .expect("q");
    assert_eq!(even.events.len(), 15);
    let one = b
        .query(EventQuery::all().source("even@h", Some("<0.4.0>".into())))
        .await
        .expect("q");
    assert_eq!(one.events.len(), 1);
    assert_eq!(one.events[0].timestamp, Timestamp(104));

    let corr = b
        .query(EventQuery::all().correlation("c-1").event_type("x"))
        .await
        .expect("q");
    let ts: Vec<i64> = corr.events.iter().map(|e| e.timestamp.0).collect();
    assert_eq!(ts, vec![100, 103, 106, 109]);

    let multi = b
        .query(
            EventQuery::all()
                .event_type("x")
                .event_type("y")
                .limit(1000),
        )
        .await
        .expect("q");
    assert_eq!(multi.events.len(), 30);
}

pub async fn cursor_pagination_visits_each_event_once(b: Backend) {
    // Equal timestamps force the id tie-breaker to matter.
    let batch: Vec<NewEvent> = (0..57).map(|i| ev("p", 500 + i / 4)).collect();
    b.store_batch(batch).await.expect("batch");
    for order in [Order::Asc, Order::Desc] {
        let mut seen = Vec::new();
        let mut q = EventQuery::all().order(order).limit(10);
        let mut pages = 0;
        loop {
            let page = b.query(q.clone()).await.expect("page");
            pages += 1;
            seen.extend(page.events.iter().map(|e| (e.timestamp, e.id)));
            match page.next_cursor {
                Some(c) => q = q.after(c),
                None => break,
            }
            assert!(pages < 20, "pagination does not end");
        }
        assert_eq!(seen.len(), 57);
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 57);
        let mut sorted = seen.clone();
        sorted.sort();
        if order == Order::Desc {
            sorted.reverse();
        }
        assert_eq!(seen, sorted, "{order:?} order holds across pages");
    }
}

pub async fn correlation_chain_and_ancestors(b: Backend) {
    let root = b
        .store(ev("req", 1).correlation("trace"))
        .await
        .expect("root");
    let child_a = b
        .store(ev("db", 2).correlation("trace").parent(root))
        .await
        .expect("a");
    let child_b = b
        .store(ev("cache", 3).correlation("trace").parent(root))
        .await
        .expect("b");
    let grandchild = b
        .store(ev("row", 4).correlation("trace").parent(child_a))
        .await
        .expect("g");
    b.store(ev("other", 5).correlation("other"))
        .await
        .expect("other");

    let chain = b.correlation_chain("trace").await.expect("chain");
    let got: Vec<(EventId, usize)> = chain.iter().map(|l| (l.event.id, l.depth)).collect();
    assert_eq!(
        got,
        vec![(root, 0), (child_a, 1), (grandchild, 2), (child_b, 1)]
    );

    let up = b.ancestors(grandchild, 10).await.expect("ancestors");
    let ids: Vec<EventId> = up.iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![child_a, root]);
    assert_eq!(
        b.ancestors(grandchild, 1).await.expect("ancestors").len(),
        1
    );
    assert!(b
        .correlation_chain("missing")
        .await
        .expect("chain")
        .is_empty());
}

pub async fn retention_by_age_and_count(b: Backend) {
    let now = Timestamp(10_000_000_000);
    let old: Vec<NewEvent> = (0..20)
        .map(|i| ev("old", now.0 - 3_600_000_000 - i))
        .collect();
    let fresh: Vec<NewEvent> = (0..30).map(|i| ev("new", now.0 - i)).collect();
    b.store_batch(old).await.expect("old");
    b.store_batch(fresh).await.expect("fresh");
    let by_age = Retention {
        max_age: Some(Duration::from_secs(60)),
        max_count: None,
    };
    assert_eq!(b.apply_retention(by_age, now).await.expect("retention"), 20);
    assert_eq!(count(&b).await, 30);
    let by_count = Retention {
        max_age: None,
        max_count: Some(12),
    };
    assert_eq!(
        b.apply_retention(by_count, now).await.expect("retention"),
        18
    );
    let left = b.query(EventQuery::all().limit(100)).await.expect("q");
    assert_eq!(left.events.len(), 12);
    let max_id = left.events.iter().map(|e| e.id).max().expect("non-empty");
    let min_kept = left.events.iter().map(|e| e.id).min().expect("non-empty");
    assert_eq!(max_id.0 - min_kept.0, 11, "the newest 12 by id are kept");
    assert_eq!(b.stats().await.expect("stats").retention_deleted, 38);
}

pub async fn stats_count_by_type(b: Backend) {
    let empty = b.stats().await.expect("stats");
    assert_eq!(empty.total_events, 0);
    assert_eq!(empty.oldest, None);
    b.store_batch(vec![ev("a", 5), ev("b", 9), ev("a", 7)])
        .await
        .expect("batch");
    let s = b.stats().await.expect("stats");
    assert_eq!(s.total_events, 3);
    assert_eq!(s.oldest, Some(Timestamp(5)));
    assert_eq!(s.newest, Some(Timestamp(9)));
    assert_eq!(s.by_type, vec![("a".to_string(), 2), ("b".to_string(), 1)]);
    assert!(s.storage_bytes > 0);
    assert_eq!(s.events_written, 3);
}

pub async fn concurrent_writers_share_commits(b: Backend) {
    let writers = 16;
    let per_writer = 25;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let b = b.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..per_writer {
                let batch = vec![ev("w", w * 1000 + i), ev("w", w * 1000 + i)];
                ids.extend(b.store_batch(batch).await.expect("store"));
            }
            ids
        }));
    }
    let mut all = HashSet::new();
    for t in tasks {
        for id in t.await.expect("writer task") {
            assert!(all.insert(id), "duplicate id {id:?}");
        }
    }
    let requests = (writers * per_writer) as u64;
    assert_eq!(all.len() as u64, requests * 2);
    let s = b.stats().await.expect("stats");
    assert_eq!(s.total_events, requests * 2);
    assert!(
        s.commits < requests,
        "group commit should merge concurrent requests: {} commits for {requests} requests",
        s.commits
    );
    assert!(s.largest_commit > 2);
}

pub async fn invalid_queries_are_typed_errors(b: Backend) {
    for q in [
        EventQuery::all().limit(0),
        EventQuery::all().limit(10_000_000),
        EventQuery::all().between(Timestamp(10), Timestamp(1)),
    ] {
        assert!(matches!(b.query(q).await, Err(StoreError::InvalidQuery(_))));
    }
}

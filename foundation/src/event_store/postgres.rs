//! The PostgreSQL backend, for several ElixirScope nodes sharing one store.
//!
//! Same contract as the SQLite backend. Writes go through one writer task per backend that does
//! group commit like the SQLite writer: it drains every queued request into one transaction and
//! inserts all rows with a single `INSERT … SELECT FROM UNNEST(arrays)` statement (one round
//! trip however many rows), acknowledging after COMMIT. Ids come from the table's sequence, so
//! nodes sharing the table never collide.

use super::chain::{build_chain, ChainLink};
use super::query::{build_sql, into_page, EventPage, EventQuery, SqlParam};
use super::{validate_batch, walk_ancestors, EventBackend, Retention, StoreError, StoreStats};
use crate::event::{
    Event, EventId, NewEvent, Source, Timestamp, ValidEvent, DEFAULT_MAX_DATA_BYTES,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls};

const MAX_EVENTS_PER_COMMIT: usize = 64 * 1024;
const RETENTION_CHUNK: i64 = 20_000;
/// Serialises schema creation between nodes starting at the same time.
const SCHEMA_LOCK_KEY: i64 = 0x454c_5853_4350; // "ELXSCP"

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS events (
    id BIGSERIAL PRIMARY KEY,
    event_type TEXT NOT NULL,
    ts BIGINT NOT NULL,
    source_node TEXT NOT NULL,
    source_process TEXT NOT NULL,
    correlation_id TEXT,
    parent_id BIGINT,
    data JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type_ts ON events(event_type, ts, id);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts, id);
CREATE INDEX IF NOT EXISTS events_corr ON events(correlation_id, ts, id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_source ON events(source_node, ts, id);
";

const PG_COLUMNS: &str =
    "id, event_type, ts, source_node, source_process, correlation_id, parent_id, data::text";

/// Settings of the PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// libpq-style connection string, e.g. `host=127.0.0.1 port=5432 user=es dbname=es`.
    pub connection: String,
    /// Limit on serialized event data.
    pub max_data_bytes: usize,
    /// Limit on events per `store_batch` call.
    pub max_batch: usize,
    /// Largest page a query may ask for.
    pub max_query_limit: usize,
    /// Automatic retention policy.
    pub retention: Retention,
    /// How often the writer applies retention when a policy is set.
    pub retention_interval: Duration,
}

impl PostgresOptions {
    /// Defaults for a connection string.
    pub fn new(connection: impl Into<String>) -> Self {
        PostgresOptions {
            connection: connection.into(),
            max_data_bytes: DEFAULT_MAX_DATA_BYTES,
            max_batch: 10_000,
            max_query_limit: 10_000,
            retention: Retention::default(),
            retention_interval: Duration::from_secs(60),
        }
    }
}

type Ack = oneshot::Sender<Result<Vec<EventId>, StoreError>>;

enum WriterMsg {
    Write {
        events: Vec<ValidEvent>,
        ack: Ack,
    },
    Retention {
        policy: Retention,
        now: Timestamp,
        ack: oneshot::Sender<Result<u64, StoreError>>,
    },
}

#[derive(Default)]
struct Counters {
    commits: AtomicU64,
    events_written: AtomicU64,
    largest_commit: AtomicU64,
    retention_deleted: AtomicU64,
}

/// The PostgreSQL event store. Cheap to clone; the writer task stops when the last clone is
/// dropped, after writing what is queued.
#[derive(Clone)]
pub struct PostgresBackend {
    options: Arc<PostgresOptions>,
    sender: mpsc::UnboundedSender<WriterMsg>,
    reader: Arc<Client>,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend").finish_non_exhaustive()
    }
}

fn pg_err(e: tokio_postgres::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

async fn connect(options: &PostgresOptions) -> Result<Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(&options.connection, NoTls)
        .await
        .map_err(|e| StoreError::Open {
            location: "postgresql".into(),
            reason: e.to_string(),
        })?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "postgresql connection ended");
        }
    });
    Ok(client)
}

impl PostgresBackend {
    /// Connects, creates the schema when missing and starts the writer task.
    pub async fn connect(options: PostgresOptions) -> Result<PostgresBackend, StoreError> {
        let mut writer = connect(&options).await?;
        let open_err = |e: tokio_postgres::Error| StoreError::Open {
            location: "postgresql".into(),
            reason: e.to_string(),
        };
        let tx = writer.transaction().await.map_err(open_err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK_KEY])
            .await
            .map_err(open_err)?;
        tx.batch_execute(SCHEMA_SQL).await.map_err(open_err)?;
        tx.commit().await.map_err(open_err)?;
        let reader = connect(&options).await?;
        let (sender, rx) = mpsc::unbounded_channel();
        let counters = Arc::new(Counters::default());
        tokio::spawn(writer_task(
            writer,
            rx,
            counters.clone(),
            options.retention,
            options.retention_interval,
        ));
        tracing::info!("event store opened (postgresql)");
        Ok(PostgresBackend {
            options: Arc::new(options),
            sender,
            reader: Arc::new(reader),
            counters,
        })
    }

    async fn select(&self, sql: &str, params: &[SqlParam]) -> Result<Vec<Event>, StoreError> {
        let owned: Vec<Box<dyn ToSql + Sync + Send>> = params
            .iter()
            .map(|p| -> Box<dyn ToSql + Sync + Send> {
                match p {
                    SqlParam::Int(i) => Box::new(*i),
                    SqlParam::Text(s) => Box::new(s.clone()),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = owned
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let rows = self.reader.query(sql, &refs).await.map_err(pg_err)?;
        rows.iter().map(row_to_event).collect()
    }
}

fn row_to_event(row: &tokio_postgres::Row) -> Result<Event, StoreError> {
    let get_err = |e: tokio_postgres::Error| StoreError::Database(e.to_string());
    let data: String = row.try_get(7).map_err(get_err)?;
    let id: i64 = row.try_get(0).map_err(get_err)?;
    Ok(Event {
        id: EventId(id),
        event_type: row.try_get(1).map_err(get_err)?,
        timestamp: Timestamp(row.try_get(2).map_err(get_err)?),
        source: Source {
            node: row.try_get(3).map_err(get_err)?,
            process: row.try_get(4).map_err(get_err)?,
        },
        correlation_id: row.try_get(5).map_err(get_err)?,
        parent_id: row
            .try_get::<_, Option<i64>>(6)
            .map_err(get_err)?
            .map(EventId),
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Database(format!("event {id} has corrupt data: {e}")))?,
    })
}

async fn insert_group(
    client: &mut Client,
    groups: &[Vec<ValidEvent>],
) -> Result<Vec<Vec<EventId>>, tokio_postgres::Error> {
    let total: usize = groups.iter().map(Vec::len).sum();
    let tx = client.transaction().await?;
    let n = i64::try_from(total).unwrap_or(i64::MAX);
    let id_rows = tx
        .query("SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1::int8, $1::int8)", &[&n])
        .await?;
    let mut ids: Vec<i64> = id_rows.iter().map(|r| r.get::<_, i64>(0)).collect();
    ids.sort_unstable();
    let mut types = Vec::with_capacity(total);
    let mut ts = Vec::with_capacity(total);
    let mut nodes = Vec::with_capacity(total);
    let mut procs = Vec::with_capacity(total);
    let mut corrs: Vec<Option<&str>> = Vec::with_capacity(total);
    let mut parents: Vec<Option<i64>> = Vec::with_capacity(total);
    let mut datas = Vec::with_capacity(total);
    for e in groups.iter().flatten() {
        types.push(e.event_type.as_str());
        ts.push(e.timestamp.0);
        nodes.push(e.source.node.as_str());
        procs.push(e.source.process.as_str());
        corrs.push(e.correlation_id.as_deref());
        parents.push(e.parent_id.map(|p| p.0));
        datas.push(e.data.as_str());
    }
    tx.execute(
        "INSERT INTO events (id, event_type, ts, source_node, source_process, correlation_id, parent_id, data) \
         SELECT u.id, u.t, u.ts, u.n, u.p, u.c, u.par, u.d::jsonb FROM UNNEST($1::int8[], $2::text[], $3::int8[], \
         $4::text[], $5::text[], $6::text[], $7::int8[], $8::text[]) AS u(id, t, ts, n, p, c, par, d)",
        &[&ids, &types, &ts, &nodes, &procs, &corrs, &parents, &datas],
    )
    .await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(groups.len());
    let mut it = ids.into_iter().map(EventId);
    for g in groups {
        out.push(it.by_ref().take(g.len()).collect());
    }
    Ok(out)
}

async fn write_groups(client: &mut Client, batch: Vec<(Vec<ValidEvent>, Ack)>, c: &Counters) {
    let (groups, acks): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
    let total: u64 = groups.iter().map(|g| g.len() as u64).sum();
    match insert_group(client, &groups).await {
        Ok(all) => {
            c.commits.fetch_add(1, Ordering::Relaxed);
            c.events_written.fetch_add(total, Ordering::Relaxed);
            c.largest_commit.fetch_max(total, Ordering::Relaxed);
            for (ack, ids) in acks.into_iter().zip(all) {
                let _ = ack.send(Ok(ids));
            }
        }
        Err(e) if groups.len() > 1 => {
            tracing::warn!(error = %e, "group commit failed; retrying requests one by one");
            for (g, ack) in groups.into_iter().zip(acks) {
                let r = insert_group(client, std::slice::from_ref(&g)).await;
                let r = r.map(|mut v| v.pop().unwrap_or_default()).map_err(pg_err);
                if r.is_ok() {
                    c.commits.fetch_add(1, Ordering::Relaxed);
                    c.events_written
                        .fetch_add(g.len() as u64, Ordering::Relaxed);
                }
                let _ = ack.send(r);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "event store commit failed");
            let msg = e.to_string();
            for ack in acks {
                let _ = ack.send(Err(StoreError::Database(msg.clone())));
            }
        }
    }
}

async fn retention(
    client: &Client,
    policy: Retention,
    now: Timestamp,
) -> Result<u64, tokio_postgres::Error> {
    let mut deleted = 0u64;
    if let Some(age) = policy.max_age {
        let cutoff = now
            .0
            .saturating_sub(i64::try_from(age.as_micros()).unwrap_or(i64::MAX));
        loop {
            let n = client
                .execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < $1 LIMIT $2)",
                    &[&cutoff, &RETENTION_CHUNK],
                )
                .await?;
            deleted += n;
            if (n as i64) < RETENTION_CHUNK {
                break;
            }
        }
    }
    if let Some(max) = policy.max_count {
        let offset = i64::try_from(max.saturating_sub(1)).unwrap_or(i64::MAX);
        let row = client
            .query_opt(
                "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET $1",
                &[&offset],
            )
            .await?;
        if let Some(row) = row {
            let boundary: i64 = row.get(0);
            loop {
                let n = client
                    .execute(
                        "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < $1 ORDER BY id LIMIT $2)",
                        &[&boundary, &RETENTION_CHUNK],
                    )
                    .await?;
                deleted += n;
                if (n as i64) < RETENTION_CHUNK {
                    break;
                }
            }
        }
    }
    Ok(deleted)
}

async fn writer_task(
    mut client: Client,
    mut rx: mpsc::UnboundedReceiver<WriterMsg>,
    counters: Arc<Counters>,
    policy: Retention,
    interval: Duration,
) {
    let span = tracing::info_span!("event_store_writer", backend = "postgres");
    let _enter = span.enter();
    let has_policy = policy.max_age.is_some() || policy.max_count.is_some();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let first = tokio::select! {
            m = rx.recv() => match m { Some(m) => m, None => break },
            _ = ticker.tick(), if has_policy => {
                match retention(&client, policy, Timestamp::now()).await {
                    Ok(n) => { counters.retention_deleted.fetch_add(n, Ordering::Relaxed); }
                    Err(e) => tracing::error!(error = %e, "retention failed"),
                }
                continue;
            }
        };
        let mut group = Vec::new();
        let mut queued = 0usize;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                WriterMsg::Write { events, ack } => {
                    queued += events.len();
                    group.push((events, ack));
                }
                WriterMsg::Retention { policy, now, ack } => {
                    if !group.is_empty() {
                        write_groups(&mut client, std::mem::take(&mut group), &counters).await;
                        queued = 0;
                    }
                    let r = retention(&client, policy, now).await.map_err(pg_err);
                    if let Ok(n) = r {
                        counters.retention_deleted.fetch_add(n, Ordering::Relaxed);
                    }
                    let _ = ack.send(r);
                }
            }
            if queued < MAX_EVENTS_PER_COMMIT {
                next = rx.try_recv().ok();
            }
        }
        if !group.is_empty() {
            write_groups(&mut client, group, &counters).await;
        }
    }
}

#[async_trait::async_trait]
impl EventBackend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn store_batch(&self, events: Vec<NewEvent>) -> Result<Vec<EventId>, StoreError> {
        let events = validate_batch(events, self.options.max_data_bytes, self.options.max_batch)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (ack, done) = oneshot::channel();
        self.sender
            .send(WriterMsg::Write { events, ack })
            .map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?
    }

    async fn get(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        let sql = format!("SELECT {PG_COLUMNS} FROM events WHERE id = $1");
        Ok(self.select(&sql, &[SqlParam::Int(id.0)]).await?.pop())
    }

    async fn query(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        let q = build_sql(&query, self.options.max_query_limit, |n| format!("${n}"))?;
        let sql = q.sql.replacen(super::query::EVENT_COLUMNS, PG_COLUMNS, 1);
        let events = self.select(&sql, &q.params).await?;
        Ok(into_page(events, q.limit))
    }

    async fn correlation_chain(&self, correlation_id: &str) -> Result<Vec<ChainLink>, StoreError> {
        let sql = format!(
            "SELECT {PG_COLUMNS} FROM events WHERE correlation_id = $1 ORDER BY ts, id LIMIT $2"
        );
        let max = i64::try_from(self.options.max_query_limit).unwrap_or(i64::MAX);
        let events = self
            .select(
                &sql,
                &[
                    SqlParam::Text(correlation_id.to_string()),
                    SqlParam::Int(max),
                ],
            )
            .await?;
        Ok(build_chain(events))
    }

    async fn ancestors(&self, id: EventId, max_depth: usize) -> Result<Vec<Event>, StoreError> {
        walk_ancestors(self, id, max_depth).await
    }

    async fn apply_retention(&self, policy: Retention, now: Timestamp) -> Result<u64, StoreError> {
        let (ack, done) = oneshot::channel();
        self.sender
            .send(WriterMsg::Retention { policy, now, ack })
            .map_err(|_| StoreError::Closed)?;
        done.await.map_err(|_| StoreError::Closed)?
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let row = self
            .reader
            .query_one(
                "SELECT count(*), min(ts), max(ts), max(id), pg_total_relation_size('events') FROM events",
                &[],
            )
            .await
            .map_err(pg_err)?;
        let by_type = self
            .reader
            .query(
                "SELECT event_type, count(*) FROM events GROUP BY event_type ORDER BY event_type",
                &[],
            )
            .await
            .map_err(pg_err)?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        let c = &self.counters;
        Ok(StoreStats {
            total_events: row.get::<_, i64>(0) as u64,
            oldest: row.get::<_, Option<i64>>(1).map(Timestamp),
            newest: row.get::<_, Option<i64>>(2).map(Timestamp),
            max_id: row.get::<_, Option<i64>>(3).map(EventId),
            by_type,
            storage_bytes: row.get::<_, i64>(4) as u64,
            commits: c.commits.load(Ordering::Relaxed),
            events_written: c.events_written.load(Ordering::Relaxed),
            largest_commit: c.largest_commit.load(Ordering::Relaxed),
            retention_deleted: c.retention_deleted.load(Ordering::Relaxed),
        })
    }
}

//! The embedded SQLite backend: WAL, `synchronous=FULL`, and a dedicated writer thread doing
//! group commit.
//!
//! Every store request goes to one writer thread. The thread blocks for the first request, then
//! drains everything else already queued and writes it all in one transaction, acknowledging
//! each request only after COMMIT returned. Concurrent writers therefore share one fsync, which
//! is why throughput rises with the number of writers. Reads use a small pool of separate
//! connections (WAL lets them run beside the writer).

use super::chain::{build_chain, ChainLink};
use super::query::{build_sql, into_page, EventPage, EventQuery, SqlParam, EVENT_COLUMNS};
use super::reader_pool::ReaderPool;
use super::{validate_batch, walk_ancestors, EventBackend, Retention, StoreError, StoreStats};
use crate::event::{
    Event, EventId, NewEvent, Source, Timestamp, ValidEvent, DEFAULT_MAX_DATA_BYTES,
};
use parking_lot::{Mutex, RwLock};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// File name of the database inside a data directory.
pub const DB_FILE_NAME: &str = "events.db";
const SCHEMA_VERSION: &str = "1";
/// Upper bound on events written in one group commit, so one transaction stays short.
const MAX_EVENTS_PER_COMMIT: usize = 64 * 1024;
/// Rows deleted per retention transaction, so retention never stalls writers for long.
const RETENTION_CHUNK: i64 = 20_000;

/// The schema, shared with the benchmark baseline so both maintain the same indexes.
pub const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_type TEXT NOT NULL,
    ts INTEGER NOT NULL,
    source_node TEXT NOT NULL,
    source_process TEXT NOT NULL,
    correlation_id TEXT,
    parent_id INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_type_ts ON events(event_type, ts, id);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts, id);
CREATE INDEX IF NOT EXISTS events_corr ON events(correlation_id, ts, id) WHERE correlation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_source ON events(source_node, ts, id);
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// The insert statement, shared with the benchmark baseline.
pub const INSERT_SQL: &str = "INSERT INTO events (event_type, ts, source_node, source_process, \
     correlation_id, parent_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// Settings of the SQLite backend.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Database file.
    pub path: PathBuf,
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
    /// How long a connection waits for a lock held by another connection.
    pub busy_timeout: Duration,
}

impl SqliteOptions {
    /// Defaults with the database file `events.db` in `data_dir`.
    pub fn in_dir(data_dir: impl AsRef<Path>) -> Self {
        SqliteOptions {
            path: data_dir.as_ref().join(DB_FILE_NAME),
            max_data_bytes: DEFAULT_MAX_DATA_BYTES,
            max_batch: 10_000,
            max_query_limit: 10_000,
            retention: Retention::default(),
            retention_interval: Duration::from_secs(60),
            busy_timeout: Duration::from_secs(5),
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
struct WriterCounters {
    commits: AtomicU64,
    events_written: AtomicU64,
    largest_commit: AtomicU64,
    retention_deleted: AtomicU64,
}

struct Inner {
    options: SqliteOptions,
    sender: RwLock<Option<mpsc::Sender<WriterMsg>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    readers: Arc<ReaderPool>,
    counters: Arc<WriterCounters>,
    retention: Arc<Mutex<Retention>>,
}

/// The SQLite event store. Cheap to clone; the writer thread stops when the last clone is
/// dropped (after writing everything already queued) or on [`SqliteBackend::close`].
#[derive(Clone)]
pub struct SqliteBackend {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("path", &self.inner.options.path)
            .finish()
    }
}

pub(crate) fn open_err(path: &Path, e: impl std::fmt::Display) -> StoreError {
    StoreError::Open {
        location: path.display().to_string(),
        reason: e.to_string(),
    }
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// Opens a connection with the durability settings every connection of the store uses.
pub(crate) fn open_connection(options: &SqliteOptions) -> Result<Connection, StoreError> {
    let path = &options.path;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_err(path, e))?;
    conn.busy_timeout(options.busy_timeout)
        .map_err(|e| open_err(path, e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(|e| open_err(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(open_err(
            path,
            format!("journal mode is {mode}, WAL could not be enabled"),
        ));
    }
    conn.execute_batch("PRAGMA synchronous=FULL;")
        .map_err(|e| open_err(path, e))?;
    Ok(conn)
}

impl SqliteBackend {
    /// Opens (creating when absent) the store, checks the schema and starts the writer thread.
    ///
    /// An unwritable location or a file that is not a valid store gives [`StoreError::Open`].
    pub fn open(options: SqliteOptions) -> Result<SqliteBackend, StoreError> {
        let path = options.path.clone();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(&path, e))?;
        }
        let writer_conn = open_connection(&options)?;
        writer_conn
            .execute_batch(SCHEMA_SQL)
            .map_err(|e| open_err(&path, e))?;
        let version: Option<String> = writer_conn
            .query_row(
                "SELECT value FROM store_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| open_err(&path, e))?;
        match version.as_deref() {
            None => {
                writer_conn
                    .execute(
                        "INSERT INTO store_meta (key, value) VALUES ('schema_version', ?1)",
                        [SCHEMA_VERSION],
                    )
                    .map_err(|e| open_err(&path, e))?;
            }
            Some(SCHEMA_VERSION) => {}
            Some(other) => {
                return Err(open_err(
                    &path,
                    format!("schema version {other} is not supported (expected {SCHEMA_VERSION})"),
                ))
            }
        }
        // A read connection opened now surfaces permission problems at start, not at first query.
        let first_reader = open_connection(&options)?;
        writer_conn.set_prepared_statement_cache_capacity(16);

        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(WriterCounters::default());
        let retention = Arc::new(Mutex::new(options.retention));
        let writer = {
            let counters = counters.clone();
            let retention = retention.clone();
            let interval = options.retention_interval;
            std::thread::Builder::new()
                .name("event-store-writer".into())
                .spawn(move || writer_loop(writer_conn, rx, counters, retention, interval))
                .map_err(|e| open_err(&path, e))?
        };
        tracing::info!(path = %path.display(), "event store opened (sqlite, WAL, synchronous=FULL)");
        Ok(SqliteBackend {
            inner: Arc::new(Inner {
                readers: ReaderPool::new(options.clone(), first_reader),
                options,
                sender: RwLock::new(Some(tx)),
                writer: Mutex::new(Some(writer)),
                counters,
                retention,
            }),
        })
    }

    /// Options in force.
    pub fn options(&self) -> &SqliteOptions {
        &self.inner.options
    }

    /// Replaces the automatic retention policy.
    pub fn set_retention(&self, policy: Retention) {
        *self.inner.retention.lock() = policy;
    }

    /// Stops accepting writes, lets the writer finish what is queued, and waits for it.
    pub async fn shutdown(&self) {
        self.inner.sender.write().take();
        let handle = self.inner.writer.lock().take();
        if let Some(h) = handle {
            let joined = tokio::task::spawn_blocking(move || h.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                tracing::error!("event store writer thread ended abnormally");
            }
        }
    }

    fn send(&self, msg: WriterMsg) -> Result<(), StoreError> {
        let guard = self.inner.sender.read();
        let tx = guard.as_ref().ok_or(StoreError::Closed)?;
        tx.send(msg).map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on a pooled read connection in the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.inner.readers.read(f).await
    }
}

fn row_to_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Event, String)> {
    let data: String = row.get(7)?;
    Ok((
        Event {
            id: EventId(row.get(0)?),
            event_type: row.get(1)?,
            timestamp: Timestamp(row.get(2)?),
            source: Source {
                node: row.get(3)?,
                process: row.get(4)?,
            },
            correlation_id: row.get(5)?,
            parent_id: row.get::<_, Option<i64>>(6)?.map(EventId),
            data: serde_json::Value::Null,
        },
        data,
    ))
}

fn finish_event((mut e, data): (Event, String)) -> Result<Event, StoreError> {
    e.data = serde_json::from_str(&data)
        .map_err(|err| StoreError::Database(format!("event {} has corrupt data: {err}", e.id.0)))?;
    Ok(e)
}

fn run_select(conn: &Connection, sql: &str, params: &[SqlParam]) -> Result<Vec<Event>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err)?;
    let values: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|p| match p {
            SqlParam::Int(i) => rusqlite::types::Value::Integer(*i),
            SqlParam::Text(s) => rusqlite::types::Value::Text(s.clone()),
        })
        .collect();
    let rows = stmt
        .query_map(rusqlite::params_from_iter(values.iter()), row_to_event)
        .map_err(db_err)?;
    rows.map(|r| r.map_err(db_err).and_then(finish_event))
        .collect()
}

fn insert_events(
    tx: &rusqlite::Transaction<'_>,
    events: &[ValidEvent],
) -> rusqlite::Result<Vec<EventId>> {
    let mut stmt = tx.prepare_cached(INSERT_SQL)?;
    let mut ids = Vec::with_capacity(events.len());
    for e in events {
        stmt.execute(params![
            e.event_type,
            e.timestamp.0,
            e.source.node,
            e.source.process,
            e.correlation_id,
            e.parent_id.map(|p| p.0),
            e.data,
        ])?;
        ids.push(EventId(tx.last_insert_rowid()));
    }
    Ok(ids)
}

/// Writes each request in its own transaction; used after a shared transaction failed so one
/// failing request cannot take the others down with it.
fn write_individually(
    conn: &mut Connection,
    batch: Vec<(Vec<ValidEvent>, Ack)>,
    c: &WriterCounters,
) {
    for (events, ack) in batch {
        let result = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .and_then(|tx| {
                let ids = insert_events(&tx, &events)?;
                tx.commit()?;
                Ok(ids)
            })
            .map_err(db_err);
        if result.is_ok() {
            c.commits.fetch_add(1, Ordering::Relaxed);
            c.events_written
                .fetch_add(events.len() as u64, Ordering::Relaxed);
        }
        let _ = ack.send(result);
    }
}

fn write_group(conn: &mut Connection, batch: Vec<(Vec<ValidEvent>, Ack)>, c: &WriterCounters) {
    let total: usize = batch.iter().map(|(e, _)| e.len()).sum();
    let attempt = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .and_then(|tx| {
            let mut all = Vec::with_capacity(batch.len());
            for (events, _) in &batch {
                all.push(insert_events(&tx, events)?);
            }
            tx.commit()?;
            Ok(all)
        });
    match attempt {
        Ok(all) => {
            c.commits.fetch_add(1, Ordering::Relaxed);
            c.events_written.fetch_add(total as u64, Ordering::Relaxed);
            c.largest_commit.fetch_max(total as u64, Ordering::Relaxed);
            for ((_, ack), ids) in batch.into_iter().zip(all) {
                // A caller that gave up waiting still has its events stored; nothing to undo.
                let _ = ack.send(Ok(ids));
            }
        }
        Err(e) if batch.len() > 1 => {
            tracing::warn!(error = %e, requests = batch.len(), "group commit failed; retrying requests one by one");
            write_individually(conn, batch, c);
        }
        Err(e) => {
            tracing::error!(error = %e, "event store commit failed");
            let msg = e.to_string();
            for (_, ack) in batch {
                let _ = ack.send(Err(StoreError::Database(msg.clone())));
            }
        }
    }
}

fn apply_retention_sync(
    conn: &mut Connection,
    policy: Retention,
    now: Timestamp,
) -> rusqlite::Result<u64> {
    let mut deleted = 0u64;
    if let Some(age) = policy.max_age {
        let cutoff = now
            .0
            .saturating_sub(i64::try_from(age.as_micros()).unwrap_or(i64::MAX));
        loop {
            let n = conn.execute(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < ?1 LIMIT ?2)",
                params![cutoff, RETENTION_CHUNK],
            )?;
            deleted += n as u64;
            if (n as i64) < RETENTION_CHUNK {
                break;
            }
        }
    }
    if let Some(max) = policy.max_count {
        let keep_from: Option<i64> = conn
            .query_row(
                "SELECT id FROM events ORDER BY id DESC LIMIT 1 OFFSET ?1",
                [i64::try_from(max.saturating_sub(1)).unwrap_or(i64::MAX)],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(boundary) = keep_from {
            loop {
                let n = conn.execute(
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ?1 ORDER BY id LIMIT ?2)",
                    params![boundary, RETENTION_CHUNK],
                )?;
                deleted += n as u64;
                if (n as i64) < RETENTION_CHUNK {
                    break;
                }
            }
        }
    }
    Ok(deleted)
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<WriterMsg>,
    counters: Arc<WriterCounters>,
    retention: Arc<Mutex<Retention>>,
    interval: Duration,
) {
    let span = tracing::info_span!("event_store_writer", backend = "sqlite");
    let _enter = span.enter();
    let mut last_retention = Instant::now();
    loop {
        let policy = *retention.lock();
        let has_policy = policy.max_age.is_some() || policy.max_count.is_some();
        let first = if has_policy {
            let wait = interval.saturating_sub(last_retention.elapsed());
            match rx.recv_timeout(wait) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            }
        };
        if has_policy && last_retention.elapsed() >= interval {
            last_retention = Instant::now();
            match apply_retention_sync(&mut conn, policy, Timestamp::now()) {
                Ok(n) => {
                    counters.retention_deleted.fetch_add(n, Ordering::Relaxed);
                    if n > 0 {
                        tracing::info!(deleted = n, "retention applied");
                    }
                }
                Err(e) => tracing::error!(error = %e, "retention failed"),
            }
        }
        let Some(first) = first else { continue };
        // Group commit: take everything already waiting, up to the per-commit bound.
        let mut group: Vec<(Vec<ValidEvent>, Ack)> = Vec::new();
        let mut queued_events = 0usize;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                WriterMsg::Write { events, ack } => {
                    queued_events += events.len();
                    group.push((events, ack));
                }
                WriterMsg::Retention { policy, now, ack } => {
                    // Keep order: what was queued before the retention request is written first.
                    if !group.is_empty() {
                        write_group(&mut conn, std::mem::take(&mut group), &counters);
                        queued_events = 0;
                    }
                    let r = apply_retention_sync(&mut conn, policy, now).map_err(db_err);
                    if let Ok(n) = r {
                        counters.retention_deleted.fetch_add(n, Ordering::Relaxed);
                    }
                    let _ = ack.send(r);
                }
            }
            if queued_events < MAX_EVENTS_PER_COMMIT {
                next = rx.try_recv().ok();
            }
        }
        if !group.is_empty() {
            write_group(&mut conn, group, &counters);
        }
    }
    tracing::info!("event store writer stopped");
}

#[async_trait::async_trait]
impl EventBackend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn store_batch(&self, events: Vec<NewEvent>) -> Result<Vec<EventId>, StoreError> {
        let opts = &self.inner.options;
        let events = validate_batch(events, opts.max_data_bytes, opts.max_batch)?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let (ack, done) = oneshot::channel();
        self.send(WriterMsg::Write { events, ack })?;
        done.await.map_err(|_| StoreError::Closed)?
    }

    async fn get(&self, id: EventId) -> Result<Option<Event>, StoreError> {
        self.read(move |conn| {
            let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1");
            let mut found = run_select(conn, &sql, &[SqlParam::Int(id.0)])?;
            Ok(found.pop())
        })
        .await
    }

    async fn query(&self, query: EventQuery) -> Result<EventPage, StoreError> {
        let sql = build_sql(&query, self.inner.options.max_query_limit, |n| {
            format!("?{n}")
        })?;
        self.read(move |conn| {
            let events = run_select(conn, &sql.sql, &sql.params)?;
            Ok(into_page(events, sql.limit))
        })
        .await
    }

    async fn correlation_chain(&self, correlation_id: &str) -> Result<Vec<ChainLink>, StoreError> {
        let cid = correlation_id.to_string();
        let max = self.inner.options.max_query_limit;
        let events = self
            .read(move |conn| {
                let sql = format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE correlation_id = ?1 ORDER BY ts, id LIMIT ?2"
                );
                run_select(conn, &sql, &[SqlParam::Text(cid), SqlParam::Int(max as i64)])
            })
            .await?;
        Ok(build_chain(events))
    }

    async fn ancestors(&self, id: EventId, max_depth: usize) -> Result<Vec<Event>, StoreError> {
        walk_ancestors(self, id, max_depth).await
    }

    async fn apply_retention(&self, policy: Retention, now: Timestamp) -> Result<u64, StoreError> {
        let (ack, done) = oneshot::channel();
        self.send(WriterMsg::Retention { policy, now, ack })?;
        done.await.map_err(|_| StoreError::Closed)?
    }

    async fn close(&self) {
        self.shutdown().await;
    }

    async fn stats(&self) -> Result<StoreStats, StoreError> {
        let path = self.inner.options.path.clone();
        let c = self.inner.counters.clone();
        self.read(move |conn| {
            let (total, oldest, newest, max_id): (i64, Option<i64>, Option<i64>, Option<i64>) = conn
                .query_row("SELECT count(*), min(ts), max(ts), max(id) FROM events", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(db_err)?;
            let mut stmt = conn
                .prepare_cached(
                    "SELECT event_type, count(*) FROM events GROUP BY event_type ORDER BY event_type",
                )
                .map_err(db_err)?;
            let by_type = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))
                .map_err(db_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db_err)?;
            let file_len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
            let mut wal = path.clone().into_os_string();
            wal.push("-wal");
            Ok(StoreStats {
                total_events: total as u64,
                oldest: oldest.map(Timestamp),
                newest: newest.map(Timestamp),
                max_id: max_id.map(EventId),
                by_type,
                storage_bytes: file_len(&path) + file_len(Path::new(&wal)),
                commits: c.commits.load(Ordering::Relaxed),
                events_written: c.events_written.load(Ordering::Relaxed),
                largest_commit: c.largest_commit.load(Ordering::Relaxed),
                retention_deleted: c.retention_deleted.load(Ordering::Relaxed),
            })
        })
        .await
    }
}

//! Read connections for the SQLite backends: reads run on the blocking pool, each on a pooled
//! connection (opened on demand, a few kept idle), so queries never wait for the writer thread.

use super::sqlite::{open_connection, SqliteOptions};
use super::StoreError;
use parking_lot::Mutex;
use rusqlite::Connection;
use std::sync::Arc;

/// Idle read connections kept open between queries.
const IDLE_READERS_KEPT: usize = 8;

pub(crate) struct ReaderPool {
    options: SqliteOptions,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    /// A pool starting with `first`, opening more from `options` when all are busy.
    pub(crate) fn new(options: SqliteOptions, first: Connection) -> Arc<ReaderPool> {
        Arc::new(ReaderPool {
            options,
            idle: Mutex::new(vec![first]),
        })
    }

    /// Runs `f` on a pooled read connection in the blocking pool.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = pool.idle.lock().pop();
            let conn = match pooled {
                Some(c) => c,
                None => open_connection(&pool.options)?,
            };
            let out = f(&conn);
            let mut idle = pool.idle.lock();
            if idle.len() < IDLE_READERS_KEPT {
                idle.push(conn);
            }
            out
        })
        .await
        .map_err(|e| StoreError::Database(format!("read task failed: {e}")))?
    }
}

//! A table of one value per (project, source file path): a project's file graphs, call
//! graph parts or models. Storing a project again writes only the rows whose value changed
//! and deletes the rows of files that are gone, inside the caller's transaction.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use rusqlite::{params, Connection, ErrorCode, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::row_codec::{decode, encode};

/// Why rows could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RowError {
    #[error(transparent)]
    Db(#[from] rusqlite::Error),
    /// A value that does not encode, or a row that does not decode (or is missing).
    #[error("{0}")]
    Value(String),
}

impl RowError {
    /// Whether the database file itself is damaged (as opposed to one row's value).
    pub(crate) fn is_corruption(&self) -> bool {
        match self {
            RowError::Db(e) => matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            ),
            RowError::Value(_) => false,
        }
    }
}

/// One such table.
pub(crate) struct FileRows {
    pub(crate) table: &'static str,
}

impl FileRows {
    /// Writes the rows of `project` so the table holds `current`: values that are not the
    /// same `Arc` as in `previous` (what the table is known to hold) are encoded and
    /// upserted, rows of other paths deleted. Returns the number of rows written.
    pub(crate) fn sync<T: Serialize>(
        &self,
        tx: &Transaction<'_>,
        project: &str,
        current: &[(&str, &Arc<T>)],
        previous: &HashMap<&str, &Arc<T>>,
    ) -> Result<usize, RowError> {
        let mut upsert = tx.prepare_cached(&format!(
            "INSERT INTO {} (project, path, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (project, path) DO UPDATE SET value = excluded.value",
            self.table
        ))?;
        let mut written = 0;
        for (path, value) in current {
            if previous
                .get(path)
                .is_some_and(|old| Arc::ptr_eq(old, value))
            {
                continue;
            }
            let bytes = encode(&***value).map_err(|e| RowError::Value(format!("{path}: {e}")))?;
            upsert.execute(params![project, path, bytes])?;
            written += 1;
        }
        // Asked of the table rather than of `previous`, so rows a failed earlier load did
        // not know about are deleted too.
        let live: HashSet<&str> = current.iter().map(|(p, _)| *p).collect();
        let stored: Vec<String> = tx
            .prepare_cached(&format!(
                "SELECT path FROM {} WHERE project = ?1",
                self.table
            ))?
            .query_map([project], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut delete = tx.prepare_cached(&format!(
            "DELETE FROM {} WHERE project = ?1 AND path = ?2",
            self.table
        ))?;
        for path in stored.iter().filter(|p| !live.contains(p.as_str())) {
            delete.execute(params![project, path])?;
        }
        Ok(written)
    }

    /// The values of `paths` in `project`, in that order; `prepare` finishes each (indexes)
    /// before it is shared. A missing or undecodable row is an error.
    pub(crate) fn load<T: DeserializeOwned>(
        &self,
        conn: &Connection,
        project: &str,
        paths: &[String],
        mut prepare: impl FnMut(&mut T),
    ) -> Result<Vec<Arc<T>>, RowError> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT path, value FROM {} WHERE project = ?1",
            self.table
        ))?;
        let mut rows = stmt.query([project])?;
        let mut by_path: HashMap<String, Arc<T>> = HashMap::with_capacity(paths.len());
        while let Some(row) = rows.next()? {
            let path: String = row.get(0)?;
            let bytes = row
                .get_ref(1)?
                .as_blob()
                .map_err(|e| RowError::Value(format!("{} {path}: {e}", self.table)))?;
            let mut value: T = decode(bytes)
                .map_err(|e| RowError::Value(format!("{} {path}: {e}", self.table)))?;
            prepare(&mut value);
            by_path.insert(path, Arc::new(value));
        }
        paths
            .iter()
            .map(|p| {
                by_path
                    .get(p)
                    .cloned()
                    .ok_or_else(|| RowError::Value(format!("{}: no row for {p}", self.table)))
            })
            .collect()
    }
}

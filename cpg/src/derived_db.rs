//! The SQLite database files this layer keeps its derived data in (project graphs, build
//! states): how they are opened, what happens to one that is not a usable database, and
//! the removal of the blob files earlier versions wrote instead.
//!
//! Everything here is derived from source files, so durability is traded for speed: WAL
//! with `synchronous=NORMAL` keeps every committed transaction atomic and the file
//! consistent after a crash, but a power loss may lose the last transactions. That costs
//! the projects they held a rebuild, nothing else. A file that is not a database (or is
//! damaged) is moved aside as `<name>.corrupt` and replaced by an empty one, for the same
//! reason: what it held can be built again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use tracing::{info, warn};

/// How long a statement waits for another connection's write (build states of different
/// projects share one file) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Page size of a new database file.
const PAGE_SIZE: i64 = 65_536;

/// Bytes of WAL kept after a checkpoint.
const WAL_SIZE_LIMIT: i64 = 16 * 1024 * 1024;

/// A connection whose closing stays off the runtime's worker threads: closing the last
/// connection checkpoints the WAL into the database file, which is blocking I/O. Close it
/// with [`DbConnection::close`] from blocking code; dropped instead (a service killed or
/// panicking), the close is handed to the blocking pool.
pub(crate) struct DbConnection(Option<Connection>);

impl DbConnection {
    /// Closes the connection here (call it off the runtime, e.g. within [`off_runtime`]).
    pub(crate) fn close(mut self) {
        drop(self.0.take());
    }
}

impl std::ops::Deref for DbConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        // Only `close` and `drop` take the connection, and both consume the value.
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("connection used after close"))
    }
}

impl std::ops::DerefMut for DbConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        self.0
            .as_mut()
            .unwrap_or_else(|| unreachable!("connection used after close"))
    }
}

impl Drop for DbConnection {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn_blocking(move || drop(conn))),
                Err(_) => drop(conn),
            }
        }
    }
}

/// The version a database file is stamped with (`PRAGMA user_version`): its `schema`, and
/// the versions of what its rows were derived by (the AST layer's model, this layer's call
/// resolution), so that after an upgrade rows an older extractor or resolver produced are
/// rebuilt, never served.
pub(crate) fn derived_version(schema: i32) -> i32 {
    let model = i32::try_from(elixir_scope_ast::MODEL_VERSION % 1000).unwrap_or(0);
    schema * 1_000_000 + model * 1_000 + crate::call_resolution::RESOLUTION_VERSION
}

/// Why a database could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// The file holds something this version cannot use (another schema version).
    #[error("{path}: {message}")]
    Unusable { path: PathBuf, message: String },
    /// Written by another version (schema, or what its rows were derived by).
    #[error("{path}: version {found}, this build writes {expected}")]
    Outdated {
        path: PathBuf,
        found: i32,
        expected: i32,
    },
    /// The file system cannot give the database what it needs (WAL); the file is kept.
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DbError {
    pub(crate) fn sqlite(path: &Path, source: rusqlite::Error) -> Self {
        DbError::Sqlite {
            path: path.to_owned(),
            source,
        }
    }

    /// Whether the file itself is unusable (not a database, damaged pages, a schema this
    /// version does not know), as opposed to a failure to reach it (permissions, disk).
    pub(crate) fn is_corruption(&self) -> bool {
        match self {
            DbError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
            ),
            DbError::Unusable { .. } => true,
            DbError::Outdated { .. } | DbError::Unsupported { .. } | DbError::Io { .. } => false,
        }
    }
}

/// One database file and the schema it must hold.
pub(crate) struct DerivedDb {
    pub(crate) path: PathBuf,
    /// `CREATE TABLE IF NOT EXISTS` statements.
    pub(crate) schema: &'static str,
    /// Stored as `PRAGMA user_version`; a file with another non-zero version is replaced.
    pub(crate) version: i32,
}

impl DerivedDb {
    /// Opens the database (created with its schema when missing).
    pub(crate) fn open(&self) -> Result<DbConnection, DbError> {
        let path = &self.path;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| DbError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        let fail = |e| DbError::sqlite(path, e);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(fail)?;
        // Rows are whole files' graphs and models, tens of KB each: with the default 4 KB
        // pages each spans a chain of overflow pages, and a first build's store took twice
        // as long (measured, BENCHMARKS.part.md). Takes effect only on a new file.
        conn.pragma_update(None, "page_size", PAGE_SIZE)
            .map_err(fail)?;
        // The first statement that reads the file: a file that is not a database fails here.
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(fail)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(DbError::Unsupported {
                path: path.clone(),
                message: format!("journal mode is {mode}, WAL could not be enabled"),
            });
        }
        conn.execute_batch("PRAGMA synchronous=NORMAL;")
            .map_err(fail)?;
        // A first build's transaction grows the WAL to the size of the whole project; it is
        // cut back after the checkpoint rather than kept at that size.
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
            .map_err(fail)?;
        let version: i32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(fail)?;
        if version != 0 && version != self.version {
            return Err(DbError::Outdated {
                path: path.clone(),
                found: version,
                expected: self.version,
            });
        }
        conn.execute_batch(self.schema).map_err(fail)?;
        if version == 0 {
            conn.pragma_update(None, "user_version", self.version)
                .map_err(fail)?;
        }
        Ok(DbConnection(Some(conn)))
    }

    /// Opens the database; one that is not usable is moved aside, one written by another
    /// version is deleted, and either is replaced by an empty one. Returns the connection
    /// and whether that happened.
    pub(crate) fn open_or_replace(&self) -> Result<(DbConnection, bool), DbError> {
        match self.open() {
            Ok(conn) => Ok((conn, false)),
            Err(error) if error.is_corruption() => {
                self.move_aside(&error)?;
                Ok((self.open()?, true))
            }
            Err(error @ DbError::Outdated { .. }) => {
                info!(%error, "derived data of another version; starting empty");
                remove_if_present(&self.path)?;
                remove_if_present(&with_suffix(&self.path, "-wal"))?;
                remove_if_present(&with_suffix(&self.path, "-shm"))?;
                Ok((self.open()?, true))
            }
            Err(error) => Err(error),
        }
    }

    /// Renames the file to `<name>.corrupt` (with its WAL, which belongs to it and must not
    /// be replayed into the new file), replacing an earlier one.
    pub(crate) fn move_aside(&self, why: &DbError) -> Result<(), DbError> {
        let aside = with_suffix(&self.path, ".corrupt");
        warn!(path = %self.path.display(), aside = %aside.display(), error = %why,
            "database unusable; moved aside, starting empty");
        rename_if_present(&self.path, &aside)?;
        rename_if_present(
            &with_suffix(&self.path, "-wal"),
            &with_suffix(&aside, "-wal"),
        )?;
        remove_if_present(&with_suffix(&self.path, "-shm"))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn rename_if_present(from: &Path, to: &Path) -> Result<(), DbError> {
    match std::fs::rename(from, to) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DbError::Io {
            path: from.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn remove_if_present(path: &Path) -> Result<(), DbError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(DbError::Io {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

/// Removes, directly under `dir`, what earlier versions persisted instead of a database:
/// files whose names end with one of `file_suffixes`, and the blob directories `<stem><dir
/// suffix>` of each manifest `<stem><manifest_suffix>` (only those: the data directory is
/// shared, so a directory is removed only when its manifest says it is ours). One log line;
/// best effort, a leftover costs only disk.
pub(crate) fn remove_earlier_format(
    dir: &Path,
    manifest_suffix: &str,
    file_suffixes: &[&str],
    dir_suffixes: &[&str],
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in entries.flatten() {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => dirs.push(name),
            Ok(kind) if kind.is_file() => files.push(name),
            _ => {}
        }
    }
    let stems: Vec<&str> = files
        .iter()
        .filter_map(|f| f.strip_suffix(manifest_suffix))
        .collect();
    let owned_dir = |d: &str| {
        dir_suffixes.iter().any(|suffix| {
            d.strip_suffix(suffix)
                .is_some_and(|stem| stems.contains(&stem))
        })
    };
    let (mut removed, mut failed) = (0usize, 0usize);
    let mut count = |result: std::io::Result<()>| match result {
        Ok(()) => removed += 1,
        Err(_) => failed += 1,
    };
    for d in dirs.iter().filter(|d| owned_dir(d)) {
        count(std::fs::remove_dir_all(dir.join(d)));
    }
    let ours =
        |f: &str| f.ends_with(manifest_suffix) || file_suffixes.iter().any(|s| f.ends_with(s));
    for f in files.iter().filter(|f| ours(f)) {
        count(std::fs::remove_file(dir.join(f)));
    }
    if removed + failed > 0 {
        info!(dir = %dir.display(), removed, failed, "removed graph files of an earlier format");
    }
}

/// Runs blocking database work on tokio's blocking pool, off the runtime's worker threads
/// (a large project's store takes long enough to stall other services sharing a worker).
/// A panic in `work` is resumed in the caller, so the calling service crashes as if it had
/// panicked itself.
pub(crate) async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, crate::error::CpgError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => Ok(value),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(crate::error::CpgError::Persist(e.to_string().into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(dir: &Path, version: i32) -> DerivedDb {
        DerivedDb {
            path: dir.join("test.sqlite3"),
            schema: "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v BLOB NOT NULL);",
            version,
        }
    }

    #[test]
    fn a_new_database_is_wal_with_large_pages_normal_sync_and_its_schema() {
        let dir = tempfile::tempdir().unwrap();
        let conn = db(dir.path(), 3).open().unwrap();
        let pragma = |name: &str| -> String {
            conn.query_row(&format!("PRAGMA {name}"), [], |r| {
                r.get::<_, rusqlite::types::Value>(0)
            })
            .map(|v| format!("{v:?}"))
            .unwrap()
        };
        assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
        // NORMAL is 1 (OFF 0, FULL 2).
        assert_eq!(pragma("synchronous"), "Integer(1)");
        assert_eq!(pragma("page_size"), format!("Integer({PAGE_SIZE})"));
        assert_eq!(pragma("user_version"), "Integer(3)");
        conn.execute("INSERT INTO t VALUES ('a', x'01')", [])
            .unwrap();
    }

    #[test]
    fn garbage_is_moved_aside_and_other_versions_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.sqlite3");
        std::fs::write(&path, vec![0xA5u8; 8192]).unwrap();
        let error = db(dir.path(), 1).open().err().unwrap();
        assert!(error.is_corruption(), "{error}");
        let (conn, replaced) = db(dir.path(), 1).open_or_replace().unwrap();
        assert!(replaced);
        let aside = dir.path().join("test.sqlite3.corrupt");
        assert_eq!(std::fs::read(&aside).unwrap(), vec![0xA5u8; 8192]);
        conn.execute("INSERT INTO t VALUES ('a', x'01')", [])
            .unwrap();
        drop(conn);

        // A usable file is kept; one of another version is deleted (not kept aside: it is
        // not damaged, only stale) and replaced.
        let (_, replaced) = db(dir.path(), 1).open_or_replace().unwrap();
        assert!(!replaced);
        let error = db(dir.path(), 2).open().err().unwrap();
        assert!(
            matches!(
                error,
                DbError::Outdated {
                    found: 1,
                    expected: 2,
                    ..
                }
            ),
            "{error}"
        );
        let (conn, replaced) = db(dir.path(), 2).open_or_replace().unwrap();
        assert!(replaced);
        assert_eq!(std::fs::read(&aside).unwrap(), vec![0xA5u8; 8192]);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn an_unreachable_location_is_an_error_not_a_replacement() {
        let dir = tempfile::tempdir().unwrap();
        // The database's parent is a file: nothing to move aside, the error is returned.
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        let db = db(&dir.path().join("file"), 1);
        let error = db.open_or_replace().err().unwrap();
        assert!(!error.is_corruption(), "{error}");
        assert_eq!(std::fs::read(dir.path().join("file")).unwrap(), b"x");
    }
}

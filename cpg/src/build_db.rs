//! The build database, `cpg-builds.sqlite3` in the data directory: per project a row (when
//! its last successful build started, and per file its path, content hash and stamp) and
//! per source file a row of its model. Each project's [`ProjectState`](crate::ProjectState)
//! opens its own connection; saving a state is one transaction that writes only the models
//! of files that changed. The orchestrator prepares the file when it starts (removing the
//! files of the earlier format, replacing an unusable database) before any project state
//! opens it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use elixir_scope_ast::FileModel;
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::build_state::{BuildState, FileStamp, FileState};
use crate::derived_db::{derived_version, remove_earlier_format, DbConnection, DbError, DerivedDb};
use crate::file_rows::{FileRows, RowError};
use crate::row_codec::{decode, encode};

/// File name of the build database in the data directory.
pub const BUILD_DATABASE: &str = "cpg-builds.sqlite3";

/// Where earlier versions kept build states, under the data directory.
const EARLIER_STATE_DIR: &str = "builds";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS builds (
    project TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    project TEXT NOT NULL,
    path TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (project, path)
);
";
/// Also the version of the rows' encoding (see `row_codec.rs`).
const SCHEMA_VERSION: i32 = 1;

const MODELS: FileRows = FileRows { table: "models" };

/// Per file: path, hash and stamp.
#[derive(Serialize, Deserialize)]
struct StateRow {
    started_ns: Option<u64>,
    files: Vec<(String, String, Option<FileStamp>)>,
}

fn database(dir: &Path) -> DerivedDb {
    DerivedDb {
        path: dir.join(BUILD_DATABASE),
        schema: SCHEMA,
        version: derived_version(SCHEMA_VERSION),
    }
}

/// Makes the build database under `dir` ready for the project states: removes the build
/// states of the earlier format, and moves an unusable database aside for an empty one.
pub(crate) fn prepare(dir: &Path) -> Result<(), DbError> {
    let earlier = dir.join(EARLIER_STATE_DIR);
    if earlier.is_dir() {
        remove_earlier_format(&earlier, ".build.json", &[".build.tmp"], &[".models"]);
        // Only when nothing else is left in it.
        if std::fs::remove_dir(&earlier).is_ok() {
            info!(dir = %earlier.display(), "removed the earlier build state directory");
        }
    }
    database(dir)
        .open_or_replace()
        .map(|(conn, _)| conn.close())
}

/// One project state's connection to the build database.
pub(crate) struct BuildDb {
    conn: DbConnection,
}

impl BuildDb {
    pub(crate) fn open(dir: &Path) -> Result<BuildDb, DbError> {
        Ok(BuildDb {
            conn: database(dir).open()?,
        })
    }

    /// Closes the connection here, off the runtime.
    pub(crate) fn close(self) {
        self.conn.close();
    }

    /// The persisted state of `project`; empty when there is none. A row that does not
    /// decode is an error the caller decides about (the state service logs it and starts
    /// from scratch).
    pub(crate) fn load(&self, project: &str) -> Result<BuildState, RowError> {
        let row: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM builds WHERE project = ?1",
                [project],
                |r| r.get(0),
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(BuildState::default());
        };
        let row: StateRow = decode(&row).map_err(|e| RowError::Value(format!("build row: {e}")))?;
        let paths: Vec<String> = row.files.iter().map(|(p, _, _)| p.clone()).collect();
        let models = MODELS.load(&self.conn, project, &paths, |_: &mut FileModel| {})?;
        let files = row
            .files
            .into_iter()
            .zip(models)
            .map(|((path, hash, stamp), model)| (path, FileState { hash, model, stamp }))
            .collect();
        Ok(BuildState {
            files,
            started_ns: row.started_ns,
        })
    }

    /// Writes `state` as `project`'s, in one transaction. `previous` is what the database
    /// is known to hold: models that are the same `Arc`s are not written again.
    pub(crate) fn save(
        &mut self,
        project: &str,
        state: &BuildState,
        previous: Option<&BuildState>,
    ) -> Result<(), RowError> {
        let tx = self.conn.transaction()?;
        let mut entries: Vec<(&String, &FileState)> = state.files.iter().collect();
        // A stable row order, so equal states encode equally.
        entries.sort_unstable_by_key(|(p, _)| p.as_str());
        let models: Vec<(&str, &Arc<FileModel>)> = entries
            .iter()
            .map(|(p, f)| (p.as_str(), &f.model))
            .collect();
        let before: HashMap<&str, &Arc<FileModel>> = previous
            .map(|p| {
                p.files
                    .iter()
                    .map(|(k, f)| (k.as_str(), &f.model))
                    .collect()
            })
            .unwrap_or_default();
        MODELS.sync(&tx, project, &models, &before)?;
        let row = StateRow {
            started_ns: state.started_ns,
            files: entries
                .iter()
                .map(|(p, f)| ((*p).clone(), f.hash.clone(), f.stamp))
                .collect(),
        };
        let bytes = encode(&row).map_err(RowError::Value)?;
        tx.execute(
            "INSERT INTO builds (project, value) VALUES (?1, ?2) \
             ON CONFLICT (project) DO UPDATE SET value = excluded.value",
            params![project, bytes],
        )?;
        tx.commit()?;
        Ok(())
    }
}

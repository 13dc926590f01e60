//! CpgStorage's database, `cpg-graphs.sqlite3` in the data directory: per project a row
//! (failures, the order of its files, and the whole call graph when it was linked without
//! per-file parts), and per source file a row of its graphs and a row of its part of the
//! call graph. Storing a project is one transaction, so the database holds either the
//! previous graph of a project or the new one, never a mix; it writes only the rows of
//! files whose graphs or parts changed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::{params, Connection};
use serde::{Deserialize, Serialize};
use tracing::warn;

use crate::call_graph::CallGraph;
use crate::derived_db::{derived_version, remove_earlier_format, DbConnection, DbError, DerivedDb};
use crate::file_cpg::FileCpg;
use crate::file_link::{assemble, FileLink};
use crate::file_rows::{FileRows, RowError};
use crate::project_cpg::{BuildFailure, ProjectCpg};
use crate::row_codec::{decode, encode};

/// File name of the graph database in the data directory.
pub const GRAPH_DATABASE: &str = "cpg-graphs.sqlite3";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS projects (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS file_graphs (
    project TEXT NOT NULL,
    path TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (project, path)
);
CREATE TABLE IF NOT EXISTS file_links (
    project TEXT NOT NULL,
    path TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (project, path)
);
";
/// Also the version of the rows' encoding (see `row_codec.rs`).
const SCHEMA_VERSION: i32 = 1;

const FILE_GRAPHS: FileRows = FileRows {
    table: "file_graphs",
};
const FILE_LINKS: FileRows = FileRows {
    table: "file_links",
};

#[derive(Serialize)]
struct ProjectRowRef<'a> {
    /// The whole call graph, only for a project linked without per-file parts.
    call_graph: Option<&'a CallGraph>,
    failures: &'a [BuildFailure],
    /// Source paths of the file graphs, in the project's order.
    files: Vec<&'a str>,
    /// Source paths of the call graph parts, in the project's order.
    links: Vec<&'a str>,
}

#[derive(Deserialize)]
struct ProjectRow {
    call_graph: Option<CallGraph>,
    failures: Vec<BuildFailure>,
    files: Vec<String>,
    links: Vec<String>,
}

/// An open graph database.
pub(crate) struct GraphDb {
    conn: DbConnection,
    /// Makes the next store panic halfway, after rows were written (fault-injection builds).
    #[cfg(feature = "fault-injection")]
    pub(crate) crash_mid_store: bool,
}

fn database(dir: &Path) -> DerivedDb {
    DerivedDb {
        path: dir.join(GRAPH_DATABASE),
        schema: SCHEMA,
        version: derived_version(SCHEMA_VERSION),
    }
}

impl GraphDb {
    fn new(conn: DbConnection) -> Self {
        GraphDb {
            conn,
            #[cfg(feature = "fault-injection")]
            crash_mid_store: false,
        }
    }

    /// Opens the database under `dir` (created when missing) and loads every project. The
    /// blob files of earlier versions are removed; a database that is not usable is moved
    /// aside and replaced by an empty one; a project whose rows do not decode is skipped.
    pub(crate) fn open_and_load(
        dir: &Path,
    ) -> Result<(GraphDb, HashMap<String, Arc<ProjectCpg>>), DbError> {
        remove_earlier_format(dir, ".cpg.json", &[".cpg.json.tmp"], &[".files", ".links"]);
        let db = database(dir);
        let (conn, _) = db.open_or_replace()?;
        match load_all(&conn) {
            Ok(projects) => Ok((GraphDb::new(conn), projects)),
            Err(error) if error.is_corruption() => {
                conn.close();
                let error = DbError::Unusable {
                    path: db.path.clone(),
                    message: error.to_string(),
                };
                db.move_aside(&error)?;
                Ok((GraphDb::new(db.open()?), HashMap::new()))
            }
            Err(error) => Err(DbError::Unusable {
                path: db.path.clone(),
                message: error.to_string(),
            }),
        }
    }

    /// Opens the database under `dir` without loading it (after a failed store lost the
    /// connection).
    pub(crate) fn open(dir: &Path) -> Result<GraphDb, DbError> {
        Ok(GraphDb::new(database(dir).open()?))
    }

    /// Closes the connection here, off the runtime.
    pub(crate) fn close(self) {
        self.conn.close();
    }

    /// Stores `cpg` as `project`, in one transaction. `previous` is what the database is
    /// known to hold for it: files whose values are the same `Arc`s are not written again.
    pub(crate) fn store(
        &mut self,
        project: &str,
        cpg: &ProjectCpg,
        previous: Option<&ProjectCpg>,
    ) -> Result<(), RowError> {
        let tx = self.conn.transaction()?;
        let files: Vec<(&str, &Arc<FileCpg>)> =
            cpg.files.iter().map(|f| (f.path.as_str(), f)).collect();
        let before: HashMap<&str, &Arc<FileCpg>> = previous
            .map(|p| p.files.iter().map(|f| (f.path.as_str(), f)).collect())
            .unwrap_or_default();
        FILE_GRAPHS.sync(&tx, project, &files, &before)?;
        #[cfg(feature = "fault-injection")]
        if self.crash_mid_store {
            panic!("injected fault: cpg_storage crashes in the middle of storing {project}");
        }
        let links: Vec<(&str, &Arc<FileLink>)> =
            cpg.links.iter().map(|l| (l.path.as_str(), l)).collect();
        let before: HashMap<&str, &Arc<FileLink>> = previous
            .map(|p| p.links.iter().map(|l| (l.path.as_str(), l)).collect())
            .unwrap_or_default();
        FILE_LINKS.sync(&tx, project, &links, &before)?;
        // A call graph linked whole (no parts) is kept whole.
        let whole = cpg.links.is_empty() && !cpg.call_graph.methods.is_empty();
        let row = ProjectRowRef {
            call_graph: whole.then_some(&cpg.call_graph),
            failures: &cpg.failures,
            files: files.iter().map(|(p, _)| *p).collect(),
            links: links.iter().map(|(p, _)| *p).collect(),
        };
        let bytes = encode(&row).map_err(RowError::Value)?;
        tx.execute(
            "INSERT INTO projects (name, value) VALUES (?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            params![project, bytes],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// Every project in the database; a project whose rows do not decode is skipped (it costs
/// that project a rebuild). An error is returned only when the database itself fails.
fn load_all(conn: &Connection) -> Result<HashMap<String, Arc<ProjectCpg>>, RowError> {
    // Read as dynamically typed values, so a damaged row (a value of another type) is one
    // project to skip rather than a failed load.
    let rows: Vec<(Value, Value)> = conn
        .prepare("SELECT name, value FROM projects")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut projects = HashMap::new();
    for (name, value) in rows {
        let (Value::Text(name), Value::Blob(bytes)) = (name, value) else {
            warn!("skipping a persisted graph row of the wrong type");
            continue;
        };
        match load_project(conn, &name, &bytes) {
            Ok(cpg) => {
                projects.insert(name, Arc::new(cpg));
            }
            Err(error) if error.is_corruption() => return Err(error),
            Err(error) => warn!(project = %name, %error, "skipping unreadable persisted graph"),
        }
    }
    Ok(projects)
}

fn load_project(conn: &Connection, name: &str, row: &[u8]) -> Result<ProjectCpg, RowError> {
    let row: ProjectRow = decode(row).map_err(|e| RowError::Value(format!("project row: {e}")))?;
    let files = FILE_GRAPHS.load(conn, name, &row.files, |f: &mut FileCpg| {
        for method in &mut f.methods {
            method.graph.index();
        }
    })?;
    let (call_graph, links) = match row.call_graph {
        Some(whole) => (whole, Vec::new()),
        None => {
            let links = FILE_LINKS.load(conn, name, &row.links, |_: &mut FileLink| {})?;
            let graph = assemble(&links)
                .ok_or_else(|| RowError::Value("call graph parts do not fit".into()))?;
            (graph, links)
        }
    };
    Ok(ProjectCpg::assemble(files, call_graph, links, row.failures))
}

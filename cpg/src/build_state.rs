//! What the last successful build of a project knew about each file: its content hash and
//! its model. A rebuild reuses files whose hash is unchanged. Persisted in the data
//! directory (the build database, `cpg-builds.sqlite3`) so a restart of the builder, the layer or the process
//! does not force a full rebuild.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use elixir_scope_ast::FileModel;
use serde::{Deserialize, Serialize};

/// What the file system said about a file before it was read: size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    /// Nanoseconds since the Unix epoch.
    pub modified_ns: u64,
}

impl FileStamp {
    /// The stamp of `path`; None when the file system cannot say.
    pub fn of(path: &Path) -> Option<FileStamp> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(FileStamp {
            size: meta.len(),
            modified_ns: u64::try_from(modified.as_nanos()).ok()?,
        })
    }
}

/// Now, in nanoseconds since the Unix epoch.
pub(crate) fn now_ns() -> Option<u64> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(now.as_nanos()).ok()
}

/// A file modified less than this before a build started may have changed again within the
/// file system's timestamp granularity without its stamp changing; it is read and hashed.
const RACY_WINDOW_NS: u64 = 2_000_000_000;

/// One file as the last build saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// blake3 of the file's bytes, as [`FileModel::content_hash`].
    pub hash: String,
    /// Shared so a rebuild carries unchanged files over without copying them.
    pub model: Arc<FileModel>,
    /// Size and modification time taken before the file was read.
    pub stamp: Option<FileStamp>,
}

/// Per file path (relative to the project root), what the last successful build used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildState {
    pub files: HashMap<String, FileState>,
    /// When that build started (nanoseconds since the Unix epoch).
    pub started_ns: Option<u64>,
}

impl BuildState {
    /// Whether the file at `path` is, by its stamp alone, the one the last build used: same
    /// size and modification time, modified clearly before that build started.
    pub fn unchanged_by_stamp(&self, path: &str, now: Option<FileStamp>) -> bool {
        let (Some(state), Some(started), Some(now)) = (self.files.get(path), self.started_ns, now)
        else {
            return false;
        };
        state.stamp == Some(now) && now.modified_ns.saturating_add(RACY_WINDOW_NS) < started
    }

    /// The hash the last build saw for `path`.
    pub fn hash(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|f| f.hash.as_str())
    }
}

//! What the last successful build of a project knew about each file: its content hash and
//! its model. A rebuild reuses files whose hash is unchanged. Persisted in the data
//! directory so a restart of the builder, the layer or the process does not force a full
//! rebuild: a manifest `<project>.build.json` (path, hash and blob name per file, written to
//! a temporary file and renamed) and one blob per model in `<project>.models/`, written only
//! when the file changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use elixir_scope_ast::FileModel;
use serde::{Deserialize, Serialize};

use crate::blob_dir::BlobDir;
use crate::error::CpgError;

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

/// Suffix of persisted build state manifests.
const STATE_SUFFIX: &str = ".build.json";
/// Suffix of a project's model blob directory.
const MODELS_SUFFIX: &str = ".models";

/// Per file: path, hash, blob name and stamp.
#[derive(Serialize, Deserialize)]
struct StateManifest {
    started_ns: Option<u64>,
    files: Vec<(String, String, String, Option<FileStamp>)>,
}

/// A file name for a project name: safe characters kept, the rest `%XX`-escaped, so two
/// project names never share a file.
pub(crate) fn escaped_file_name(project: &str, suffix: &str) -> String {
    let mut out = String::new();
    for b in project.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out + suffix
}

impl BuildState {
    /// Where the state of `project` lives under `dir`.
    pub fn path(dir: &Path, project: &str) -> PathBuf {
        dir.join(escaped_file_name(project, STATE_SUFFIX))
    }

    /// The blob directory of `project`'s models under `dir`.
    pub(crate) fn blobs(dir: &Path, project: &str) -> BlobDir<FileModel> {
        BlobDir::new(dir.join(escaped_file_name(project, MODELS_SUFFIX)))
    }

    /// The persisted state of `project`; empty when there is none. A corrupt manifest or
    /// blob is an error the caller decides about (the state service logs it and starts
    /// from scratch).
    pub(crate) fn load(
        dir: &Path,
        project: &str,
        blobs: &mut BlobDir<FileModel>,
    ) -> Result<BuildState, CpgError> {
        let path = Self::path(dir, project);
        let fail = |e: &dyn std::fmt::Display| {
            CpgError::Persist(format!("{}: {e}", path.display()).into())
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BuildState::default()),
            Err(e) => return Err(fail(&e)),
        };
        let manifest: StateManifest = serde_json::from_slice(&bytes).map_err(|e| fail(&e))?;
        let mut state = BuildState {
            started_ns: manifest.started_ns,
            ..BuildState::default()
        };
        for (file, hash, blob, stamp) in manifest.files {
            let model = blobs.load(&file, &blob, |_| {}).map_err(|e| fail(&e))?;
            state.files.insert(file, FileState { hash, model, stamp });
        }
        blobs.collect_garbage();
        Ok(state)
    }

    /// Writes the state of `project` under `dir` (created when missing): changed models'
    /// blobs, then the manifest atomically, then removes blobs no longer named.
    pub(crate) fn save(
        &self,
        dir: &Path,
        project: &str,
        blobs: &mut BlobDir<FileModel>,
    ) -> Result<(), CpgError> {
        let fail = |e: &dyn std::fmt::Display| CpgError::Persist(format!("{project}: {e}").into());
        std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
        let entries: Vec<(&String, &FileState)> = self.files.iter().collect();
        let names = blobs
            .write_all(entries.iter().map(|(p, f)| (p.as_str(), &f.model)))
            .map_err(|e| fail(&e))?;
        let manifest = StateManifest {
            started_ns: self.started_ns,
            files: entries
                .iter()
                .zip(names)
                .map(|((p, f), blob)| ((*p).clone(), f.hash.clone(), blob, f.stamp))
                .collect(),
        };
        let bytes = serde_json::to_vec(&manifest).map_err(|e| fail(&e))?;
        let target = Self::path(dir, project);
        let tmp = target.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| fail(&e))?;
        std::fs::rename(&tmp, &target).map_err(|e| fail(&e))?;
        blobs.commit();
        Ok(())
    }

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

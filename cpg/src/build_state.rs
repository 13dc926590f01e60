//! What the last successful build of a project knew about each file: its content hash and
//! its model. A rebuild reuses files whose hash is unchanged. Persisted in the data
//! directory so a restart of the builder, the layer or the process does not force a full
//! rebuild: a manifest `<project>.build.json` (path, hash and blob name per file, written to
//! a temporary file and renamed) and one blob per model in `<project>.models/`, written only
//! when the file changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use elixir_scope_ast::FileModel;
use serde::{Deserialize, Serialize};

use crate::blob_dir::BlobDir;
use crate::error::CpgError;

/// One file as the last build saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// blake3 of the file's bytes, as [`FileModel::content_hash`].
    pub hash: String,
    /// Shared so a rebuild carries unchanged files over without copying them.
    pub model: Arc<FileModel>,
}

/// Per file path (relative to the project root), what the last successful build used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildState {
    pub files: HashMap<String, FileState>,
}

/// Suffix of persisted build state manifests.
const STATE_SUFFIX: &str = ".build.json";
/// Suffix of a project's model blob directory.
const MODELS_SUFFIX: &str = ".models";

/// (path, hash, blob name) per file.
#[derive(Serialize, Deserialize)]
struct StateManifest {
    files: Vec<(String, String, String)>,
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
        let mut state = BuildState::default();
        for (file, hash, blob) in manifest.files {
            let model = blobs.load(&file, &blob, |_| {}).map_err(|e| fail(&e))?;
            state.files.insert(file, FileState { hash, model });
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
            files: entries
                .iter()
                .zip(names)
                .map(|((p, f), blob)| ((*p).clone(), f.hash.clone(), blob))
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

    /// The hash the last build saw for `path`.
    pub fn hash(&self, path: &str) -> Option<&str> {
        self.files.get(path).map(|f| f.hash.as_str())
    }
}

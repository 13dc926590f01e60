//! A directory of JSON blobs, one per source file path, named by the hash of their bytes. A
//! project's graphs and build state are persisted as a small manifest naming one blob per
//! file, so storing a project again after a one-file change writes one blob and the
//! manifest instead of the whole project.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use elixir_scope_ast::content_hash;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Blobs under one directory; remembers which value each path's blob holds, so an
/// unchanged value (the same `Arc`) is not serialised again.
pub(crate) struct BlobDir<T> {
    dir: PathBuf,
    /// Per path: the value last written or loaded, and its blob's name.
    known: HashMap<String, (Arc<T>, String)>,
    /// Blobs the last `write_all` stopped referring to, deleted by `commit`.
    obsolete: Vec<String>,
}

impl<T: Serialize + DeserializeOwned> BlobDir<T> {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Self {
        BlobDir {
            dir: dir.into(),
            known: HashMap::new(),
            obsolete: Vec::new(),
        }
    }

    /// Writes the values that changed since they were last written or loaded; returns the
    /// blob name of every item, in order. Blob files are complete before they are named
    /// (written to a temporary file and renamed).
    pub(crate) fn write_all<'a>(
        &mut self,
        items: impl IntoIterator<Item = (&'a str, &'a Arc<T>)>,
    ) -> Result<Vec<String>, String>
    where
        T: 'a,
    {
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut names = Vec::new();
        let mut known = HashMap::new();
        for (path, value) in items {
            let name = match self.known.get(path) {
                Some((old, name)) if Arc::ptr_eq(old, value) => name.clone(),
                _ => {
                    let bytes = serde_json::to_vec(&**value).map_err(|e| format!("{path}: {e}"))?;
                    let name = format!("{}.json", &content_hash(&bytes)[..32]);
                    let target = self.dir.join(&name);
                    if !target.exists() {
                        let tmp = self.dir.join(format!("{name}.tmp"));
                        std::fs::write(&tmp, &bytes).map_err(|e| format!("{path}: {e}"))?;
                        std::fs::rename(&tmp, &target).map_err(|e| format!("{path}: {e}"))?;
                    }
                    name
                }
            };
            known.insert(path.to_owned(), (value.clone(), name.clone()));
            names.push(name);
        }
        let live: HashSet<&str> = names.iter().map(String::as_str).collect();
        self.obsolete = self
            .known
            .values()
            .map(|(_, n)| n.clone())
            .filter(|n| !live.contains(n.as_str()))
            .collect();
        self.known = known;
        Ok(names)
    }

    /// Deletes the blobs the last `write_all` no longer uses; call it once the manifest
    /// naming the new ones is in place, so a crash in between leaves a readable manifest.
    pub(crate) fn commit(&mut self) {
        for name in self.obsolete.drain(..) {
            let _ = std::fs::remove_file(self.dir.join(name));
        }
    }

    /// Reads the blob `name` as the value of `path`; `prepare` finishes it (indexes) before
    /// it is shared.
    pub(crate) fn load(
        &mut self,
        path: &str,
        name: &str,
        prepare: impl FnOnce(&mut T),
    ) -> Result<Arc<T>, String> {
        let file = self.dir.join(name);
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let mut value: T =
            serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        prepare(&mut value);
        let value = Arc::new(value);
        self.known
            .insert(path.to_owned(), (value.clone(), name.to_owned()));
        Ok(value)
    }

    /// Deletes blob files no current path refers to (left by earlier versions of files, or
    /// by a write interrupted before its manifest). Best effort: a leftover costs only disk.
    pub(crate) fn collect_garbage(&self) {
        let live: HashSet<&str> = self.known.values().map(|(_, n)| n.as_str()).collect();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if !live.contains(name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

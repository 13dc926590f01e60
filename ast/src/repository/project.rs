//! One loaded project inside the repository: its files' models and the indexes queries use.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::heap_size::HeapSize;
use crate::model::{FileModel, Function, FunctionId, Module, ModuleId};
use crate::name::Name;
use crate::parse_hook::FileAttachment;
use crate::span::Position;

/// A file as stored: its model, its source (for re-parsing on demand), what a parse hook
/// attached to it, and its memory cost.
#[derive(Debug, Clone)]
pub(crate) struct StoredFile {
    pub model: Arc<FileModel>,
    pub source: Option<Arc<str>>,
    pub attachment: Option<FileAttachment>,
    pub model_bytes: usize,
}

impl StoredFile {
    pub fn new(model: FileModel, source: Option<Arc<str>>) -> Self {
        let model_bytes = model.heap_bytes();
        StoredFile {
            model: Arc::new(model),
            source,
            attachment: None,
            model_bytes,
        }
    }
}

/// One file of a project snapshot ([`crate::AstClient::snapshot`]).
#[derive(Debug, Clone)]
pub struct SnapshotFile {
    pub path: String,
    pub model: Arc<FileModel>,
    pub source: Option<Arc<str>>,
    /// What the [`crate::ParseHook`] of the file's last parse attached, if any.
    pub attachment: Option<FileAttachment>,
}

/// A module found by a query, with its file and where its span starts and ends (spans hold
/// byte offsets only; lines come from the file's line index).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleMatch {
    pub path: String,
    pub module: Module,
    pub start: Position,
    pub end: Position,
}

/// A function found by a query, with its file, module name and span positions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionMatch {
    pub path: String,
    pub module: Option<Name>,
    pub function: Function,
    pub start: Position,
    pub end: Position,
}

/// Memory and size of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStats {
    pub path: String,
    pub source_bytes: u64,
    /// Estimated heap bytes of the stored model (see [`crate::HeapSize`]).
    pub model_bytes: u64,
    pub functions: usize,
    pub diagnostics: usize,
    pub has_errors: bool,
}

/// Totals for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStats {
    pub project: String,
    pub root: PathBuf,
    pub files: usize,
    pub files_with_errors: usize,
    pub modules: usize,
    pub functions: usize,
    pub calls: usize,
    pub source_bytes: u64,
    pub model_bytes: u64,
    /// Bytes of source text kept for re-parsing on demand.
    pub kept_source_bytes: u64,
    /// Times a file was parsed since the project was loaded (incremental updates skip
    /// unchanged files, so this grows only with changes).
    pub parses: u64,
    pub per_file: Vec<FileStats>,
}

#[derive(Debug)]
pub(crate) struct Project {
    pub root: PathBuf,
    pub files: BTreeMap<String, StoredFile>,
    pub parses: u64,
    modules: HashMap<Name, Vec<(String, ModuleId)>>,
    functions: HashMap<Name, Vec<(String, FunctionId)>>,
}

impl Project {
    pub fn new(root: PathBuf) -> Self {
        Project {
            root,
            files: BTreeMap::new(),
            parses: 0,
            modules: HashMap::new(),
            functions: HashMap::new(),
        }
    }

    /// Rebuilds the name indexes after files changed.
    pub fn reindex(&mut self) {
        self.modules.clear();
        self.functions.clear();
        for (path, f) in &self.files {
            for m in &f.model.modules {
                self.modules
                    .entry(m.name.clone())
                    .or_default()
                    .push((path.clone(), m.id));
            }
            for func in &f.model.functions {
                self.functions
                    .entry(func.name.clone())
                    .or_default()
                    .push((path.clone(), func.id));
            }
        }
    }

    /// Every file, sorted by path.
    pub fn snapshot(&self) -> Vec<SnapshotFile> {
        self.files
            .iter()
            .map(|(path, f)| SnapshotFile {
                path: path.clone(),
                model: f.model.clone(),
                source: f.source.clone(),
                attachment: f.attachment.clone(),
            })
            .collect()
    }

    pub fn modules_named(&self, name: &str) -> Vec<ModuleMatch> {
        self.modules
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|(path, id)| {
                let model = &self.files.get(path)?.model;
                let m = model.module(*id)?;
                Some(ModuleMatch {
                    path: path.clone(),
                    module: m.clone(),
                    start: model.start(&m.span),
                    end: model.end(&m.span),
                })
            })
            .collect()
    }

    /// Functions named `name`, optionally only in module `module` and with `arity`.
    pub fn functions_named(
        &self,
        module: Option<&str>,
        name: &str,
        arity: Option<u32>,
    ) -> Vec<FunctionMatch> {
        self.functions
            .get(name)
            .into_iter()
            .flatten()
            .filter_map(|(path, id)| {
                let model = &self.files.get(path)?.model;
                let f = model.function(*id)?;
                let module_name = f
                    .module
                    .and_then(|m| model.module(m))
                    .map(|m| m.name.clone());
                if module.is_some() && module != module_name.as_deref() {
                    return None;
                }
                if arity.is_some_and(|a| a != u32::from(f.arity)) {
                    return None;
                }
                Some(FunctionMatch {
                    path: path.clone(),
                    module: module_name,
                    function: f.clone(),
                    start: model.start(&f.span),
                    end: model.end(&f.span),
                })
            })
            .collect()
    }

    pub fn stats(&self, project: &str) -> ProjectStats {
        let mut s = ProjectStats {
            project: project.to_owned(),
            root: self.root.clone(),
            files: self.files.len(),
            files_with_errors: 0,
            modules: 0,
            functions: 0,
            calls: 0,
            source_bytes: 0,
            model_bytes: 0,
            kept_source_bytes: 0,
            parses: self.parses,
            per_file: Vec::with_capacity(self.files.len()),
        };
        for (path, f) in &self.files {
            let m = &f.model;
            let has_errors = m.has_errors();
            s.files_with_errors += usize::from(has_errors);
            s.modules += m.modules.len();
            s.functions += m.functions.len();
            s.calls += m.functions.iter().map(|f| f.calls.len()).sum::<usize>()
                + m.module_level_calls.len();
            s.source_bytes += m.size_bytes;
            s.model_bytes += f.model_bytes as u64;
            s.kept_source_bytes += f.source.as_ref().map_or(0, |t| t.len() as u64);
            s.per_file.push(FileStats {
                path: path.clone(),
                source_bytes: m.size_bytes,
                model_bytes: f.model_bytes as u64,
                functions: m.functions.len(),
                diagnostics: m.diagnostics.len(),
                has_errors,
            });
        }
        s
    }
}

//! AstRepository: the service holding every loaded project's models, queryable by file,
//! module and function.
//!
//! Parsing never runs inside the service (it would block its mailbox): the client parses on
//! the ParsingTaskSupervisor and hands finished models over with [`RepositoryCall::Apply`].
//! State is in memory; after a restart the repository is empty and projects are parsed again.

mod project;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, Service};
use tracing::{debug, info_span};

use crate::model::FileModel;
use crate::parse_hook::FileAttachment;
pub use project::{FileStats, FunctionMatch, ModuleMatch, ProjectStats, SnapshotFile};
use project::{Project, StoredFile};

/// A finished parse of one file, ready to store.
#[derive(Debug, Clone)]
pub struct FileUpdate {
    pub model: FileModel,
    /// The source text, kept for [`crate::AstClient::parsed_file`].
    pub source: Option<Arc<str>>,
    /// What the parse's [`crate::ParseHook`] computed for the file, if any.
    pub attachment: Option<FileAttachment>,
}

/// Requests to the repository.
#[derive(Debug)]
pub enum RepositoryCall {
    /// Content hashes of the project's files (relative path -> blake3 hex).
    KnownHashes {
        project: String,
    },
    /// Stores parsed files, drops `removed` ones, creates the project if new.
    Apply {
        project: String,
        root: PathBuf,
        updates: Vec<FileUpdate>,
        removed: Vec<String>,
    },
    /// One file's model.
    File {
        project: String,
        path: String,
    },
    /// One file's kept source text.
    Source {
        project: String,
        path: String,
    },
    /// Modules with this fully qualified name.
    Modules {
        project: String,
        name: String,
    },
    /// Functions by name, optionally filtered by module and arity.
    Functions {
        project: String,
        module: Option<String>,
        name: String,
        arity: Option<u32>,
    },
    /// Relative paths of the project's files.
    Files {
        project: String,
    },
    /// Every file of the project (model, kept source, attachment), sorted by path, in one
    /// call instead of one per file.
    Snapshot {
        project: String,
    },
    Stats {
        project: String,
    },
    Projects,
    RemoveProject {
        project: String,
    },
}

/// Replies, one variant per request kind.
#[derive(Debug, Clone)]
pub enum RepositoryReply {
    Hashes(Option<HashMap<String, String>>),
    Applied { stored: usize, removed: usize },
    File(Option<Arc<FileModel>>),
    Source(Option<Arc<str>>),
    Modules(Option<Vec<ModuleMatch>>),
    Functions(Option<Vec<FunctionMatch>>),
    Files(Option<Vec<String>>),
    Snapshot(Option<Vec<SnapshotFile>>),
    Stats(Option<ProjectStats>),
    Projects(Vec<String>),
    Removed(bool),
}

/// The repository service state.
#[derive(Debug, Default)]
pub struct AstRepository {
    projects: HashMap<String, Project>,
}

impl AstRepository {
    pub fn new() -> Self {
        AstRepository::default()
    }

    fn apply(
        &mut self,
        project: String,
        root: PathBuf,
        updates: Vec<FileUpdate>,
        removed: Vec<String>,
    ) -> RepositoryReply {
        let p = self
            .projects
            .entry(project)
            .or_insert_with(|| Project::new(root.clone()));
        p.root = root;
        let stored = updates.len();
        for u in updates {
            p.parses += 1;
            let path = u.model.path.clone();
            let mut stored = StoredFile::new(u.model, u.source);
            stored.attachment = u.attachment;
            p.files.insert(path, stored);
        }
        let mut n_removed = 0;
        for r in removed {
            n_removed += usize::from(p.files.remove(&r).is_some());
        }
        p.reindex();
        RepositoryReply::Applied {
            stored,
            removed: n_removed,
        }
    }
}

impl Service for AstRepository {
    type Call = RepositoryCall;
    type Reply = RepositoryReply;
    type Cast = ();
    type Info = ();

    async fn handle_call(
        &mut self,
        request: RepositoryCall,
        _ctx: &mut Context<Self>,
    ) -> RepositoryReply {
        let span = info_span!("ast_repository");
        let _guard = span.enter();
        match request {
            RepositoryCall::KnownHashes { project } => {
                RepositoryReply::Hashes(self.projects.get(&project).map(|p| {
                    p.files
                        .iter()
                        .map(|(k, f)| (k.clone(), f.model.content_hash.clone()))
                        .collect()
                }))
            }
            RepositoryCall::Apply {
                project,
                root,
                updates,
                removed,
            } => {
                debug!(%project, updates = updates.len(), removed = removed.len(), "apply");
                self.apply(project, root, updates, removed)
            }
            RepositoryCall::File { project, path } => RepositoryReply::File(
                self.projects
                    .get(&project)
                    .and_then(|p| p.files.get(&path))
                    .map(|f| f.model.clone()),
            ),
            RepositoryCall::Source { project, path } => RepositoryReply::Source(
                self.projects
                    .get(&project)
                    .and_then(|p| p.files.get(&path))
                    .and_then(|f| f.source.clone()),
            ),
            RepositoryCall::Modules { project, name } => RepositoryReply::Modules(
                self.projects.get(&project).map(|p| p.modules_named(&name)),
            ),
            RepositoryCall::Functions {
                project,
                module,
                name,
                arity,
            } => RepositoryReply::Functions(
                self.projects
                    .get(&project)
                    .map(|p| p.functions_named(module.as_deref(), &name, arity)),
            ),
            RepositoryCall::Files { project } => RepositoryReply::Files(
                self.projects
                    .get(&project)
                    .map(|p| p.files.keys().cloned().collect()),
            ),
            RepositoryCall::Snapshot { project } => {
                RepositoryReply::Snapshot(self.projects.get(&project).map(|p| p.snapshot()))
            }
            RepositoryCall::Stats { project } => {
                RepositoryReply::Stats(self.projects.get(&project).map(|p| p.stats(&project)))
            }
            RepositoryCall::Projects => {
                let mut names: Vec<String> = self.projects.keys().cloned().collect();
                names.sort();
                RepositoryReply::Projects(names)
            }
            RepositoryCall::RemoveProject { project } => {
                RepositoryReply::Removed(self.projects.remove(&project).is_some())
            }
        }
    }
}

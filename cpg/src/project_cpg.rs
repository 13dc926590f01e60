//! The code property graph of a whole project: per-file method graphs linked by the
//! project call graph, plus the files whose build failed.

use std::collections::HashMap;
use std::sync::Arc;

use elixir_scope_ast::{FileModel, ParsedFile};
use serde::{Deserialize, Serialize};

use crate::build_options::BuildOptions;
use crate::call_graph::{CallGraph, MethodId, MethodInfo};
use crate::file_cpg::{build_file, FileCpg, MethodCpg};
use crate::file_link::{assemble, relink, FileLink, LinkCounts};

/// A file whose graph could not be built (its task panicked or was killed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildFailure {
    pub path: String,
    pub error: String,
}

/// Everything the CPG layer knows about one project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectCpg {
    /// Shared so a rebuild reuses unchanged files' graphs without copying them.
    pub files: Vec<Arc<FileCpg>>,
    pub call_graph: CallGraph,
    pub failures: Vec<BuildFailure>,
    #[serde(skip)]
    file_index: HashMap<String, usize>,
    /// The call graph's part of each file, from which a rebuild links only what changed
    /// (empty when the call graph was built whole, e.g. loaded from an older format).
    #[serde(skip)]
    pub(crate) links: Vec<Arc<FileLink>>,
}

impl ProjectCpg {
    /// Links built files: resolves calls across all `models` (also those whose graph build
    /// failed, so calls into them still resolve).
    pub fn link<'a>(
        models: impl IntoIterator<Item = &'a elixir_scope_ast::FileModel>,
        files: Vec<Arc<FileCpg>>,
        failures: Vec<BuildFailure>,
    ) -> ProjectCpg {
        let models: Vec<&FileModel> = models.into_iter().collect();
        Self::relink(None, &models, files, failures).0
    }

    /// Links built files like [`ProjectCpg::link`], reusing the parts of `previous`'s call
    /// graph that no change can affect; the call graph is the one a full link gives.
    pub(crate) fn relink(
        previous: Option<&ProjectCpg>,
        models: &[&FileModel],
        files: Vec<Arc<FileCpg>>,
        failures: Vec<BuildFailure>,
    ) -> (ProjectCpg, LinkCounts) {
        let before = previous.map(|p| p.links.as_slice()).unwrap_or(&[]);
        let linked = relink(models, before)
            .and_then(|(links, counts)| Some((assemble(&links)?, links, counts)));
        let (call_graph, links, counts) = linked.unwrap_or_else(|| {
            // Parts name files by path; models sharing one are linked whole.
            let counts = LinkCounts {
                linked: models.len(),
                reused: 0,
            };
            (CallGraph::build(models.iter().copied()), Vec::new(), counts)
        });
        let mut p = ProjectCpg {
            files,
            call_graph,
            failures,
            file_index: HashMap::new(),
            links,
        };
        p.index_files();
        (p, counts)
    }

    /// A project from its parts (as persisted), indexed.
    pub(crate) fn assemble(
        files: Vec<Arc<FileCpg>>,
        call_graph: CallGraph,
        links: Vec<Arc<FileLink>>,
        failures: Vec<BuildFailure>,
    ) -> ProjectCpg {
        let mut p = ProjectCpg {
            files,
            call_graph,
            failures,
            file_index: HashMap::new(),
            links,
        };
        p.index();
        p
    }

    /// Rebuilds lookup indexes (after deserialising).
    pub fn index(&mut self) {
        self.index_files();
        self.call_graph.index();
        for f in &mut self.files {
            // Only freshly deserialised files need indexing; they are not shared yet.
            let Some(f) = Arc::get_mut(f) else { continue };
            for m in &mut f.methods {
                m.graph.index();
            }
        }
    }

    /// Indexes files by path. Their graphs come indexed: built by [`build_file`] or
    /// indexed as storage loads them.
    fn index_files(&mut self) {
        self.file_index = self
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.path.clone(), i))
            .collect();
    }

    /// The built file with this path.
    pub fn file(&self, path: &str) -> Option<&FileCpg> {
        self.file_index
            .get(path)
            .and_then(|&i| self.files.get(i))
            .map(|f| &**f)
    }

    /// The built file with this path, shared.
    pub fn shared_file(&self, path: &str) -> Option<Arc<FileCpg>> {
        self.file_index
            .get(path)
            .and_then(|&i| self.files.get(i))
            .cloned()
    }

    /// The graph of a method of the call graph (None for functions without a body or in a
    /// file whose build failed).
    pub fn method_graph(&self, id: MethodId) -> Option<&MethodCpg> {
        let info = self.call_graph.method(id)?;
        self.file(&info.file)?.method(info.function)
    }

    /// Methods by display name (`Mod.fun/2`, `crate::m::fun`) or plain name.
    pub fn find_methods(&self, name: &str) -> Vec<&MethodInfo> {
        self.call_graph
            .methods
            .iter()
            .filter(|m| m.display_name() == name || m.name == name)
            .collect()
    }
}

/// Builds a project graph from parsed files on the current thread (the orchestrator does
/// the same with one task per file).
pub fn build_project(parsed: &[ParsedFile], options: &BuildOptions) -> ProjectCpg {
    let files = parsed
        .iter()
        .map(|p| Arc::new(build_file(p, options)))
        .collect();
    ProjectCpg::link(parsed.iter().map(|p| &p.model), files, Vec::new())
}

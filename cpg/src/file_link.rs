//! The call graph's part of one file: its methods and its call sites, with resolved targets
//! named by file path and position so the part stays valid while other files' methods are
//! renumbered. A project's call graph is its files' parts put together in project order.
//!
//! A rebuild links again only the files whose part may have changed: the new or changed
//! files, and the files that looked up a name (module, Rust path, type, method name) that a
//! changed, added or removed file defines. Every other file keeps its part, so the result is
//! the call graph a full link would give, at the cost of the changed neighbourhood.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use elixir_scope_ast::{FileModel, Language};
use serde::{Deserialize, Serialize};

use crate::call_graph::{
    byte_offset, method_info, written, CallGraph, CallSite, CallTarget, MethodId, MethodInfo,
    UnresolvedReason,
};
use crate::call_resolution::Resolver;

/// Where one call of a file goes, independent of the project's method numbering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum LinkTarget {
    /// `file` indexes [`FileLink::target_files`]; `function` is the position among that
    /// file's methods.
    Resolved {
        file: u32,
        function: u32,
    },
    Unresolved {
        reason: UnresolvedReason,
    },
}

/// One call site of a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct LinkedCall {
    /// Position of the calling method among the file's methods.
    pub caller: u32,
    pub target: LinkTarget,
    pub written: String,
    pub capture: bool,
    pub line: u32,
    pub start_byte: u32,
}

/// The call graph's part of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct FileLink {
    pub path: String,
    /// Of the model it was linked from: a part is reused only for the same content.
    pub content_hash: String,
    pub language: Language,
    /// The file's methods, each `id` its position in the file.
    pub methods: Vec<MethodInfo>,
    pub calls: Vec<LinkedCall>,
    /// Paths of the files resolved calls go to.
    pub target_files: Vec<String>,
    /// Name keys the file's resolutions looked up, sorted.
    pub consulted: Vec<u64>,
    /// Name keys the file's definitions provide, sorted.
    pub provided: Vec<u64>,
}

/// What a link did: parts linked again and parts reused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct LinkCounts {
    pub linked: usize,
    pub reused: usize,
}

/// The parts of `models` (in project order), reusing those of `previous` whose file is
/// unchanged and whose looked-up names no changed, added or removed file defines. None
/// when two models share a path (parts name files by path).
pub(crate) fn relink(
    models: &[&FileModel],
    previous: &[Arc<FileLink>],
) -> Option<(Vec<Arc<FileLink>>, LinkCounts)> {
    let mut paths = HashSet::with_capacity(models.len());
    if !models.iter().all(|m| paths.insert(m.path.as_str())) {
        return None;
    }
    let resolver = Resolver::new(models, true);
    let by_path: HashMap<&str, &Arc<FileLink>> =
        previous.iter().map(|l| (l.path.as_str(), l)).collect();
    let candidates: Vec<Option<&Arc<FileLink>>> = models
        .iter()
        .map(|m| {
            by_path
                .get(m.path.as_str())
                .filter(|l| l.content_hash == m.content_hash && l.language == m.language)
                .copied()
        })
        .collect();
    // Names whose definitions may differ from the previous link's.
    let mut changed: HashSet<u64> = HashSet::new();
    let mut kept: HashSet<&str> = HashSet::with_capacity(models.len());
    for (fi, candidate) in candidates.iter().enumerate() {
        match candidate {
            Some(l) => {
                kept.insert(l.path.as_str());
            }
            None => changed.extend(resolver.provided(fi)),
        }
    }
    for l in previous.iter().filter(|l| !kept.contains(l.path.as_str())) {
        changed.extend(&l.provided);
    }
    let mut counts = LinkCounts::default();
    let links = candidates
        .into_iter()
        .enumerate()
        .map(|(fi, candidate)| match candidate {
            Some(l) if !l.consulted.iter().any(|k| changed.contains(k)) => {
                counts.reused += 1;
                l.clone()
            }
            _ => {
                counts.linked += 1;
                Arc::new(link_file(&resolver, models, fi))
            }
        })
        .collect();
    Some((links, counts))
}

/// Resolves every call of file `fi`.
fn link_file(resolver: &Resolver<'_>, models: &[&FileModel], fi: usize) -> FileLink {
    let file = models[fi];
    // Lookups recorded from here on are this file's.
    resolver.take_consulted();
    let scopes = resolver.scopes(fi);
    let mut target_files = Vec::new();
    let mut target_index: HashMap<u32, u32> = HashMap::new();
    let mut calls = Vec::new();
    for (local, f) in file.functions.iter().enumerate() {
        for c in &f.calls {
            let target = match resolver.resolve(&scopes, fi, c) {
                Ok((tf, function)) => {
                    let file = *target_index.entry(tf).or_insert_with(|| {
                        target_files.push(
                            models
                                .get(tf as usize)
                                .map(|m| m.path.clone())
                                .unwrap_or_default(),
                        );
                        target_files.len() as u32 - 1
                    });
                    LinkTarget::Resolved { file, function }
                }
                Err(reason) => LinkTarget::Unresolved { reason },
            };
            calls.push(LinkedCall {
                caller: local as u32,
                target,
                written: written(file.language, c),
                capture: c.capture,
                line: file.start(&c.span).line,
                start_byte: byte_offset(c.span.start_byte),
            });
        }
    }
    FileLink {
        path: file.path.clone(),
        content_hash: file.content_hash.clone(),
        language: file.language,
        methods: file
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| method_info(file, f, MethodId(i as u32)))
            .collect(),
        calls,
        target_files,
        consulted: resolver.take_consulted(),
        provided: resolver.provided(fi).to_vec(),
    }
}

/// The call graph of `links` in order. None when they do not fit together (a path twice,
/// a target file or method that is not there), as a corrupt persisted part would.
pub(crate) fn assemble(links: &[Arc<FileLink>]) -> Option<CallGraph> {
    // Per path: id of its first method and its number of methods.
    let mut base: HashMap<&str, (u32, u32)> = HashMap::with_capacity(links.len());
    let mut total = 0u32;
    for l in links {
        let n = u32::try_from(l.methods.len()).ok()?;
        if base.insert(l.path.as_str(), (total, n)).is_some() {
            return None;
        }
        total = total.checked_add(n)?;
    }
    let mut methods = Vec::with_capacity(total as usize);
    let mut calls = Vec::with_capacity(links.iter().map(|l| l.calls.len()).sum());
    for l in links {
        let (start, n) = *base.get(l.path.as_str())?;
        for m in &l.methods {
            let mut m = m.clone();
            m.id = MethodId(start.checked_add(m.id.0).filter(|&id| id < start + n)?);
            methods.push(m);
        }
        let targets: Vec<(u32, u32)> = l
            .target_files
            .iter()
            .map(|p| base.get(p.as_str()).copied())
            .collect::<Option<_>>()?;
        for c in &l.calls {
            let target = match &c.target {
                LinkTarget::Resolved { file, function } => {
                    let (tstart, tn) = *targets.get(*file as usize)?;
                    if *function >= tn {
                        return None;
                    }
                    CallTarget::Resolved {
                        method: MethodId(tstart + function),
                    }
                }
                LinkTarget::Unresolved { reason } => CallTarget::Unresolved {
                    reason: reason.clone(),
                },
            };
            if c.caller >= n {
                return None;
            }
            calls.push(CallSite {
                caller: MethodId(start + c.caller),
                target,
                written: c.written.clone(),
                capture: c.capture,
                line: c.line,
                start_byte: c.start_byte,
            });
        }
    }
    Some(CallGraph::from_parts(methods, calls))
}

#[cfg(test)]
#[path = "incremental_link_tests.rs"]
mod tests;

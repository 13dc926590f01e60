//! The project call graph: every function of every file is a method; every call site is an
//! edge to the method it resolves to, or an unresolved edge that says why.

use std::collections::{HashSet, VecDeque};

use elixir_scope_ast::{FileModel, Function, FunctionId, Language};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};

use crate::call_resolution::{segments, Resolver};

/// Index of a method in [`CallGraph::methods`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MethodId(pub u32);

impl MethodId {
    /// The index as usize.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A function of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodInfo {
    pub id: MethodId,
    /// File path as recorded by the AST layer.
    pub file: String,
    pub function: FunctionId,
    /// Enclosing module name; empty for none.
    pub module: String,
    pub name: String,
    pub arity: u32,
    pub min_arity: u32,
    pub language: Language,
    pub line: u32,
}

impl MethodInfo {
    /// `Mod.fun/2` (Elixir) or `crate::m::fun` (Rust).
    pub fn display_name(&self) -> String {
        match (self.language, self.module.is_empty()) {
            (_, true) => format!("{}/{}", self.name, self.arity),
            (Language::Elixir, false) => format!("{}.{}/{}", self.module, self.name, self.arity),
            (Language::Rust, false) => format!("{}::{}", self.module, self.name),
        }
    }
}

/// Why a call site has no target method.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum UnresolvedReason {
    /// The target is computed at run time (`fun.(x)`, `mod.f()`, `(expr)(x)`).
    Dynamic,
    /// The module or crate is not part of the project (standard library, Erlang, a
    /// dependency; `Kernel` for its auto-imported functions such as `is_binary/1`).
    ExternalModule { module: String },
    /// The module is in the project but defines no function of that name and arity.
    NoSuchFunction { module: String },
    /// A local name defined neither in the module, nor in a project module it imports, nor
    /// among Kernel's functions (an external import without `only:`, a glob from outside).
    NotInScope,
    /// Several project methods fit (Rust method by name); `candidates` of them.
    Ambiguous { candidates: u32 },
    /// A method name no project type defines (standard library or trait from outside).
    UnknownMethod,
    /// A macro invocation (Rust `name!`, Elixir Kernel macros such as `if`).
    Macro,
    /// A Rust tuple struct or enum variant, not a function.
    Constructor,
}

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CallTarget {
    Resolved { method: MethodId },
    Unresolved { reason: UnresolvedReason },
}

/// One call site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSite {
    pub caller: MethodId,
    pub target: CallTarget,
    /// The call as written: `Repo.get/2`, `crate::a::f`, `.push/2`.
    pub written: String,
    pub capture: bool,
    pub line: u32,
    pub start_byte: u32,
}

impl CallSite {
    /// The resolved callee, if any.
    pub fn callee(&self) -> Option<MethodId> {
        match self.target {
            CallTarget::Resolved { method } => Some(method),
            CallTarget::Unresolved { .. } => None,
        }
    }
}

/// Methods and call sites of a whole project.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallGraph {
    pub methods: Vec<MethodInfo>,
    pub calls: Vec<CallSite>,
    /// Indexes of `calls` per caller, as one flat table: a rebuild makes and frees a few
    /// vectors instead of two per method.
    #[serde(skip)]
    by_caller: CallIndex,
    #[serde(skip)]
    by_callee: CallIndex,
}

/// Call indexes grouped by method: those of method `m` are
/// `calls[start[m]..start[m + 1]]`, in call order.
#[derive(Debug, Clone, Default, PartialEq)]
struct CallIndex {
    start: Vec<u32>,
    calls: Vec<u32>,
}

impl CallIndex {
    /// Groups the call indexes `key` gives a method for by that method (`n` methods).
    fn group(n: usize, keys: impl Iterator<Item = Option<usize>> + Clone) -> CallIndex {
        let mut start = vec![0u32; n + 1];
        for m in keys.clone().flatten().filter(|&m| m < n) {
            start[m + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut next = start.clone();
        let mut calls = vec![0u32; start[n] as usize];
        for (i, m) in keys.enumerate() {
            let Some(m) = m.filter(|&m| m < n) else {
                continue;
            };
            calls[next[m] as usize] = i as u32;
            next[m] += 1;
        }
        CallIndex { start, calls }
    }

    fn of(&self, method: usize) -> &[u32] {
        match (self.start.get(method), self.start.get(method + 1)) {
            (Some(&a), Some(&b)) => self.calls.get(a as usize..b as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

impl CallGraph {
    /// Resolves every call of every function in `files` against the functions of `files`.
    pub fn build<'a>(files: impl IntoIterator<Item = &'a FileModel>) -> CallGraph {
        let files: Vec<&FileModel> = files.into_iter().collect();
        let mut methods = Vec::new();
        // Per file, the id of its first method: a file's methods are consecutive.
        let mut base = Vec::with_capacity(files.len());
        for file in &files {
            base.push(methods.len() as u32);
            for f in &file.functions {
                methods.push(method_info(file, f, MethodId(methods.len() as u32)));
            }
        }
        let resolver = Resolver::new(&files, false);
        let mut calls = Vec::new();
        for (fi, file) in files.iter().enumerate() {
            let scopes = resolver.scopes(fi);
            for (local, f) in file.functions.iter().enumerate() {
                let caller = MethodId(base[fi] + local as u32);
                for c in &f.calls {
                    let target = match resolver.resolve(&scopes, fi, c) {
                        Ok((tf, tl)) => CallTarget::Resolved {
                            method: MethodId(base[tf as usize] + tl),
                        },
                        Err(reason) => CallTarget::Unresolved { reason },
                    };
                    calls.push(call_site(file, caller, target, c));
                }
            }
        }
        CallGraph::from_parts(methods, calls)
    }

    /// A call graph of these methods and calls, indexed.
    pub(crate) fn from_parts(methods: Vec<MethodInfo>, calls: Vec<CallSite>) -> CallGraph {
        let mut g = CallGraph {
            methods,
            calls,
            by_caller: CallIndex::default(),
            by_callee: CallIndex::default(),
        };
        g.index();
        g
    }

    /// Rebuilds the caller/callee indexes after deserialising.
    pub fn index(&mut self) {
        let n = self.methods.len();
        self.by_caller = CallIndex::group(n, self.calls.iter().map(|c| Some(c.caller.index())));
        self.by_callee = CallIndex::group(
            n,
            self.calls.iter().map(|c| c.callee().map(MethodId::index)),
        );
    }

    /// The method with this id.
    pub fn method(&self, id: MethodId) -> Option<&MethodInfo> {
        self.methods.get(id.index())
    }

    /// Methods named `name` in module `module` (any arity when `arity` is None).
    pub fn find(&self, module: &str, name: &str, arity: Option<u32>) -> Vec<MethodId> {
        self.methods
            .iter()
            .filter(|m| m.module == module && m.name == name && arity.is_none_or(|a| m.arity == a))
            .map(|m| m.id)
            .collect()
    }

    /// Call sites inside `method`, resolved or not, in source order.
    pub fn calls_from(&self, method: MethodId) -> impl Iterator<Item = &CallSite> + '_ {
        self.by_caller
            .of(method.index())
            .iter()
            .filter_map(|&i| self.calls.get(i as usize))
    }

    /// Call sites that resolve to `method`.
    pub fn calls_to(&self, method: MethodId) -> impl Iterator<Item = &CallSite> + '_ {
        self.by_callee
            .of(method.index())
            .iter()
            .filter_map(|&i| self.calls.get(i as usize))
    }

    /// Distinct methods `method` calls.
    pub fn callees(&self, method: MethodId) -> Vec<MethodId> {
        let mut out: Vec<_> = self
            .calls_from(method)
            .filter_map(CallSite::callee)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Distinct methods calling `method`.
    pub fn callers(&self, method: MethodId) -> Vec<MethodId> {
        let mut out: Vec<_> = self.calls_to(method).map(|c| c.caller).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Every method reachable from `from` through resolved calls (`from` excluded unless it
    /// is on a cycle).
    pub fn reachable_from(&self, from: MethodId) -> Vec<MethodId> {
        let mut seen = HashSet::new();
        let mut queue: VecDeque<MethodId> = self.callees(from).into();
        while let Some(m) = queue.pop_front() {
            if seen.insert(m) {
                queue.extend(self.callees(m));
            }
        }
        let mut out: Vec<_> = seen.into_iter().collect();
        out.sort();
        out
    }

    /// Simple call paths from `from` to `to` (no method twice), at most `limit` of them,
    /// shortest first.
    pub fn paths(&self, from: MethodId, to: MethodId, limit: usize) -> Vec<Vec<MethodId>> {
        let mut out = Vec::new();
        let mut queue: VecDeque<Vec<MethodId>> = VecDeque::from([vec![from]]);
        // Bounded breadth-first search: paths are explored in length order.
        let mut budget = 100_000usize;
        while let Some(path) = queue.pop_front() {
            if out.len() >= limit || budget == 0 {
                break;
            }
            budget -= 1;
            let Some(&last) = path.last() else { continue };
            for next in self.callees(last) {
                if next == to {
                    let mut p = path.clone();
                    p.push(next);
                    out.push(p);
                } else if !path.contains(&next) {
                    let mut p = path.clone();
                    p.push(next);
                    queue.push_back(p);
                }
            }
        }
        out.truncate(limit);
        out
    }

    /// The resolved call graph as a petgraph graph (node index = [`MethodId`], edge weight =
    /// index into [`CallGraph::calls`]) for petgraph's algorithms (SCC, reachability).
    pub fn petgraph(&self) -> DiGraph<MethodId, u32> {
        let mut g = DiGraph::with_capacity(self.methods.len(), self.calls.len());
        for m in &self.methods {
            g.add_node(m.id);
        }
        for (i, c) in self.calls.iter().enumerate() {
            if let Some(callee) = c.callee() {
                g.add_edge(
                    NodeIndex::new(c.caller.index()),
                    NodeIndex::new(callee.index()),
                    i as u32,
                );
            }
        }
        g
    }

    /// Strongly connected components with more than one method or a self call: the
    /// (mutually) recursive groups.
    pub fn recursive_groups(&self) -> Vec<Vec<MethodId>> {
        let g = self.petgraph();
        petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .filter(|scc| scc.len() > 1 || scc.first().is_some_and(|&n| g.contains_edge(n, n)))
            .map(|scc| {
                let mut v: Vec<MethodId> = scc
                    .into_iter()
                    .map(|n| MethodId(n.index() as u32))
                    .collect();
                v.sort();
                v
            })
            .collect()
    }

    /// Unresolved call sites with their reasons.
    pub fn unresolved(&self) -> impl Iterator<Item = (&CallSite, &UnresolvedReason)> + '_ {
        self.calls.iter().filter_map(|c| match &c.target {
            CallTarget::Unresolved { reason } => Some((c, reason)),
            CallTarget::Resolved { .. } => None,
        })
    }
}

/// The method `f` of `file`, numbered `id`.
pub(crate) fn method_info(file: &FileModel, f: &Function, id: MethodId) -> MethodInfo {
    MethodInfo {
        id,
        file: file.path.clone(),
        function: f.id,
        module: f
            .module
            .and_then(|m| file.module(m))
            .map(|m| m.name.to_string())
            .unwrap_or_default(),
        name: f.name.to_string(),
        arity: f.arity.into(),
        min_arity: f.min_arity.into(),
        language: file.language,
        line: file.start(&f.span).line,
    }
}

/// The call site of `c` in `caller`, going to `target`.
fn call_site(
    file: &FileModel,
    caller: MethodId,
    target: CallTarget,
    c: &elixir_scope_ast::Call,
) -> CallSite {
    CallSite {
        caller,
        target,
        written: written(file.language, c),
        capture: c.capture,
        line: file.start(&c.span).line,
        start_byte: byte_offset(c.span.start_byte),
    }
}

pub(crate) fn written(language: Language, c: &elixir_scope_ast::Call) -> String {
    use elixir_scope_ast::CallKind;
    match (language, c.kind) {
        (_, CallKind::Method) => format!(".{}/{}", c.name, c.arity),
        (Language::Elixir, _) if c.qualifier.is_empty() => format!("{}/{}", c.name, c.arity),
        (Language::Elixir, _) => format!(
            "{}.{}/{}",
            segments(&c.qualifier).join("."),
            c.name,
            c.arity
        ),
        (Language::Rust, CallKind::Macro) => format!("{}!", c.name),
        (Language::Rust, _) if c.qualifier.is_empty() => c.name.to_string(),
        (Language::Rust, _) => format!("{}::{}", segments(&c.qualifier).join("::"), c.name),
    }
}

/// A span offset as u32, whatever integer type the AST layer uses for it.
pub(crate) fn byte_offset<T: TryInto<u32>>(v: T) -> u32 {
    v.try_into().unwrap_or(u32::MAX)
}

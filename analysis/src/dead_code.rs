//! Dead code: functions no root reaches in the project call graph.
//!
//! Roots are configurable ([`DeadCodeRoots`]); everything reachable from a root through
//! resolved calls is live. Two kinds of unresolved call keep their possible targets alive
//! rather than report them: a Rust method call with several candidate types (every method of
//! that name and arity), and calls made outside any function (Elixir module bodies, `test`
//! blocks, module attributes), matched by name and arity to the functions of the module they
//! name (by its last alias segments) or, unqualified, of their own module. Dynamic calls
//! (`apply/3`, `mod.fun()`) cannot be followed: their targets may be reported, which is why
//! findings are notes, not warnings. Functions with syntax errors (their calls may be
//! incomplete), generated names (`def unquote(name)`) and Rust signatures are never reported,
//! nor Rust functions marked `#[allow(dead_code)]`. Rust functions sharing a name in one module
//! (`#[cfg]` alternatives) keep each other alive. References that are not calls count as
//! calls: captures (`&fun/2`, `.map(decode)`), function plugs and named setups (`plug :auth`,
//! `setup :start_repo`), functions stored in struct fields or named in `#[serde(...)]`.

use std::collections::{HashMap, HashSet, VecDeque};

use elixir_scope_ast::{
    CallKind, FileModel, Function, FunctionKind, ImportKind, Language, ModuleKind, Visibility,
};
use elixir_scope_cpg::{CallGraph, CallTarget, MethodId, UnresolvedReason};
use serde::{Deserialize, Serialize};

use crate::report::{Finding, Level};
use crate::rule::Rule;

/// What counts as a root (always live). Every kind is on by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeadCodeRoots {
    /// Public functions: Elixir `def`, `defmacro`, `defguard`, `defdelegate`; Rust `pub fn`
    /// (not `pub(crate)`).
    pub public_api: bool,
    /// Behaviour callbacks: Elixir functions marked `@impl`, and the OTP and Phoenix callback
    /// names (`init/1`, `handle_call/3`, `handle_cast/2`, `handle_info/2`,
    /// `handle_continue/2`, `terminate/2`, `code_change/3`, `mount/3`, `render/1`,
    /// `handle_event/3`, `handle_params/3`) in a module that `use`s something.
    pub callbacks: bool,
    /// `child_spec` and `start_link`, any arity.
    pub otp_entry_points: bool,
    /// `run/1` of `Mix.Tasks.*` modules.
    pub mix_tasks: bool,
    /// Public arity-2 functions of `*Controller` modules: the actions a Phoenix router names.
    pub phoenix_actions: bool,
    /// Rust `main`.
    pub main: bool,
    /// Rust `#[test]`, `#[bench]` and test-harness functions: `#[tokio::test]`, `#[rstest]`,
    /// `#[test_case(..)]`, any attribute whose last segment ends in `_test` or starts with
    /// `test_` (`#[wasm_bindgen_test]`, tokio's `#[maybe_tokio_test]`).
    pub tests: bool,
    /// Rust methods of `impl Trait for Type` blocks and default methods of traits: they are
    /// called through the trait, which the call graph does not resolve.
    pub trait_impls: bool,
    /// More roots, by display name (`Shop.Cart.total/1`, `crate::net::connect`) or by bare
    /// function name (`handle_event`).
    pub extra: Vec<String>,
}

impl Default for DeadCodeRoots {
    fn default() -> Self {
        DeadCodeRoots {
            public_api: true,
            callbacks: true,
            otp_entry_points: true,
            mix_tasks: true,
            phoenix_actions: true,
            main: true,
            tests: true,
            trait_impls: true,
            extra: Vec::new(),
        }
    }
}

const CALLBACKS: &[(&str, u32)] = &[
    ("init", 1),
    ("handle_call", 3),
    ("handle_cast", 2),
    ("handle_info", 2),
    ("handle_continue", 2),
    ("terminate", 2),
    ("code_change", 3),
    ("mount", 3),
    ("render", 1),
    ("handle_event", 3),
    ("handle_params", 3),
];

/// A method's function and file, looked up from the models.
pub(crate) struct MethodSource<'m> {
    pub file: &'m FileModel,
    pub function: &'m Function,
}

/// The function behind every method of `graph`, by method index.
pub(crate) fn method_sources<'m>(
    graph: &CallGraph,
    models: &[&'m FileModel],
) -> Vec<Option<MethodSource<'m>>> {
    let by_path: HashMap<&str, &FileModel> = models.iter().map(|m| (m.path.as_str(), *m)).collect();
    graph
        .methods
        .iter()
        .map(|m| {
            let file = by_path.get(m.file.as_str())?;
            let function = file.function(m.function)?;
            Some(MethodSource { file, function })
        })
        .collect()
}

fn is_root(src: &MethodSource<'_>, display: &str, roots: &DeadCodeRoots) -> bool {
    let f = src.function;
    let file = src.file;
    let name: &str = &f.name;
    let module = f.module.and_then(|id| file.module(id));
    let module_name: &str = module.map_or("", |m| &m.name);
    if roots.extra.iter().any(|e| e == display || e == name) {
        return true;
    }
    let elixir = file.language == Language::Elixir;
    if roots.public_api && f.visibility == Visibility::Public {
        return true;
    }
    if roots.callbacks && elixir {
        if f.has_attribute("impl") {
            return true;
        }
        let uses_something = file
            .imports
            .iter()
            .any(|i| i.kind == ImportKind::Use && i.module == f.module && f.module.is_some());
        if uses_something && CALLBACKS.contains(&(name, u32::from(f.arity))) {
            return true;
        }
    }
    if roots.otp_entry_points && elixir && matches!(name, "child_spec" | "start_link") {
        return true;
    }
    if roots.mix_tasks && elixir && module_name.starts_with("Mix.Tasks.") && name == "run" {
        return true;
    }
    if roots.phoenix_actions
        && elixir
        && module_name.ends_with("Controller")
        && f.arity == 2
        && f.visibility == Visibility::Public
    {
        return true;
    }
    if !elixir {
        if roots.main && name == "main" {
            return true;
        }
        // The author said so: `#[allow(dead_code)]` (or `expect`) on the function.
        if f.attributes.iter().any(|a| {
            matches!(&*a.name, "allow" | "expect")
                && a.value.as_deref().is_some_and(|v| {
                    v.trim_matches(['(', ')'])
                        .split(',')
                        .any(|lint| lint.trim() == "dead_code")
                })
        }) {
            return true;
        }
        if roots.tests && f.attributes.iter().any(|a| is_test_attribute(&a.name)) {
            return true;
        }
        if roots.trait_impls
            && module.is_some_and(|m| match &m.kind {
                ModuleKind::RustImpl { trait_name, .. } => trait_name.is_some(),
                ModuleKind::RustTrait => true,
                _ => false,
            })
        {
            return true;
        }
    }
    false
}

/// `#[test]`, `#[bench]`, and the test harness macros named after them: `#[tokio::test]`,
/// `#[rstest]`, `#[test_case(..)]`, `#[wasm_bindgen_test]`, a crate's own alias such as
/// tokio's `#[maybe_tokio_test]`.
fn is_test_attribute(name: &str) -> bool {
    let last = name.rsplit("::").next().unwrap_or(name);
    matches!(last, "test" | "bench" | "rstest")
        || last.ends_with("_test")
        || last.starts_with("test_")
}

fn never_reported(f: &Function) -> bool {
    !f.reliable || f.generated_name || f.kind == FunctionKind::RustFnSignature
}

/// Methods reachable from the roots.
fn live_methods(
    graph: &CallGraph,
    sources: &[Option<MethodSource<'_>>],
    models: &[&FileModel],
    roots: &DeadCodeRoots,
) -> HashSet<MethodId> {
    // Rust methods by (name, arity): the candidates of an ambiguous method call.
    let mut by_name: HashMap<(&str, u32), Vec<MethodId>> = HashMap::new();
    for m in &graph.methods {
        by_name
            .entry((m.name.as_str(), m.arity))
            .or_default()
            .push(m.id);
    }
    let mut queue: VecDeque<MethodId> = VecDeque::new();
    for (m, src) in graph.methods.iter().zip(sources) {
        // A method whose source is unknown cannot be judged: keep it (and its callees) live.
        let root = src
            .as_ref()
            .is_none_or(|s| is_root(s, &m.display_name(), roots) || never_reported(s.function));
        if root {
            queue.push_back(m.id);
        }
    }
    queue.extend(module_level_targets(graph, models));
    let twins = cfg_twins(graph);
    let mut live = HashSet::new();
    while let Some(m) = queue.pop_front() {
        if !live.insert(m) {
            continue;
        }
        queue.extend(twins.get(&m).into_iter().flatten().copied());
        for call in graph.calls_from(m) {
            match &call.target {
                CallTarget::Resolved { method } => queue.push_back(*method),
                CallTarget::Unresolved {
                    reason: UnresolvedReason::Ambiguous { .. },
                } => {
                    if let Some(key) = method_key(&call.written) {
                        queue.extend(by_name.get(&key).into_iter().flatten().copied());
                    }
                }
                CallTarget::Unresolved { .. } => {}
            }
        }
    }
    live
}

/// Rust functions sharing a name in one module of one file: only `#[cfg]` alternatives can
/// (`#[cfg(feature = "x")] fn f` beside `#[cfg(not(feature = "x"))] fn f`). A call
/// resolves to one of them, but whichever the build selects runs, so each keeps the others
/// alive.
fn cfg_twins(graph: &CallGraph) -> HashMap<MethodId, Vec<MethodId>> {
    let mut groups: HashMap<(&str, &str, &str), Vec<MethodId>> = HashMap::new();
    for m in graph
        .methods
        .iter()
        .filter(|m| m.language == Language::Rust)
    {
        groups
            .entry((m.file.as_str(), m.module.as_str(), m.name.as_str()))
            .or_default()
            .push(m.id);
    }
    let mut twins = HashMap::new();
    for group in groups.into_values().filter(|g| g.len() > 1) {
        for &m in &group {
            twins.insert(m, group.iter().copied().filter(|&t| t != m).collect());
        }
    }
    twins
}

/// `.name/2` (how the call graph writes a method call) as `(name, 2)`.
fn method_key(written: &str) -> Option<(&str, u32)> {
    let rest = written.strip_prefix('.')?;
    let (name, arity) = rest.rsplit_once('/')?;
    Some((name, arity.parse().ok()?))
}

/// Methods called from module bodies (outside any function).
fn module_level_targets(graph: &CallGraph, models: &[&FileModel]) -> Vec<MethodId> {
    let mut by_name: HashMap<&str, Vec<&elixir_scope_cpg::MethodInfo>> = HashMap::new();
    for m in &graph.methods {
        by_name.entry(m.name.as_str()).or_default().push(m);
    }
    let mut out = Vec::new();
    for file in models {
        for call in &file.module_level_calls {
            if call.kind == CallKind::Dynamic {
                continue;
            }
            let own = call.module.and_then(|id| file.module(id)).map(|m| &*m.name);
            let qualifier: Vec<&str> = call.qualifier.to_vec();
            let target_suffix = qualifier.join(".");
            let dotted_suffix = format!(".{target_suffix}");
            for m in by_name.get(&*call.name).into_iter().flatten() {
                // Rust has no overloading by arity, and a reference (`#[serde(default =
                // "f")]`) does not know it.
                let arity_fits = file.language == Language::Rust
                    || (m.min_arity..=m.arity).contains(&u32::from(call.arity));
                if !arity_fits {
                    continue;
                }
                let matches = if qualifier.is_empty() {
                    own == Some(m.module.as_str())
                } else {
                    m.module == target_suffix || m.module.ends_with(&dotted_suffix)
                };
                if matches {
                    out.push(m.id);
                }
            }
        }
    }
    out
}

/// One note per function no root reaches.
pub fn find_dead_code(
    graph: &CallGraph,
    models: &[&FileModel],
    roots: &DeadCodeRoots,
) -> Vec<Finding> {
    let sources = method_sources(graph, models);
    let live = live_methods(graph, &sources, models, roots);
    let mut out = Vec::new();
    for (m, src) in graph.methods.iter().zip(&sources) {
        let Some(src) = src else { continue };
        if live.contains(&m.id) || never_reported(src.function) {
            continue;
        }
        let (start, end) = (
            src.file.start(&src.function.span),
            src.file.end(&src.function.span),
        );
        let lines = end.line.saturating_sub(start.line) + 1;
        let symbol = m.display_name();
        out.push(Finding {
            rule: Rule::DeadCode,
            level: Level::Note,
            message: format!(
                "{symbol} is unreachable from every root (public API, callbacks, entry points, tests); {lines} {}",
                if lines == 1 { "line" } else { "lines" }
            ),
            file: m.file.clone(),
            language: m.language,
            line: start.line,
            column: start.column,
            end_line: end.line,
            symbol,
            value: f64::from(lines),
            threshold: 0.0,
        });
    }
    out
}

//! Cycles in the call graph: groups of functions that call each other (strongly connected
//! components of two or more functions; plain self-recursion is the normal Elixir loop and
//! is not reported), and groups of modules that depend on each other through calls.
//!
//! Each finding lists one concrete cycle through its group (`A -> B -> A`), the shortest
//! that starts and ends at the group's first member. Function cycles are notes (mutual
//! recursion is often deliberate); module cycles are warnings (layering broken both ways).
//! A Rust `impl` or trait counts as part of the module it is written in, so a file calling
//! its own methods is not a cycle.

use std::collections::{BTreeMap, HashMap, VecDeque};

use elixir_scope_ast::{FileModel, ModuleId, ModuleKind};
use elixir_scope_cpg::CallGraph;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::dead_code::method_sources;
use crate::report::{Finding, Level};
use crate::rule::Rule;

/// The shortest cycle from `start` back to itself through at least one other member, using
/// only edges inside `members` (a self-recursive `start` would otherwise show as `A -> A`,
/// which says nothing about the group).
fn cycle_through<N: Copy + Eq + std::hash::Hash>(
    start: N,
    members: &[N],
    successors: impl Fn(N) -> Vec<N>,
) -> Vec<N> {
    let mut previous: HashMap<N, N> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for next in successors(n) {
            if !members.contains(&next) || (n == start && next == start) {
                continue;
            }
            if next == start {
                let mut path = vec![n];
                let mut cur = n;
                while cur != start {
                    match previous.get(&cur) {
                        Some(&p) => {
                            path.push(p);
                            cur = p;
                        }
                        None => break,
                    }
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if next != start && !previous.contains_key(&next) {
                previous.insert(next, n);
                queue.push_back(next);
            }
        }
    }
    vec![start]
}

/// Mutually recursive function groups.
pub fn find_function_cycles(graph: &CallGraph) -> Vec<Finding> {
    let mut out = Vec::new();
    for group in graph.recursive_groups() {
        if group.len() < 2 {
            continue;
        }
        let Some(first) = group.first().and_then(|&id| graph.method(id)) else {
            continue;
        };
        let cycle = cycle_through(first.id, &group, |m| graph.callees(m));
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|&m| graph.method(m))
            .map(|m| m.display_name())
            .collect();
        out.push(Finding {
            rule: Rule::FunctionCycle,
            level: Level::Note,
            message: format!(
                "{} functions call each other: {}",
                group.len(),
                names.join(" -> ")
            ),
            file: first.file.clone(),
            language: first.language,
            line: first.line,
            column: 1,
            end_line: first.line,
            symbol: first.display_name(),
            value: group.len() as f64,
            threshold: 0.0,
        });
    }
    out
}

/// The module a function's calls are attributed to: its Elixir module, or for Rust the file
/// or `mod` enclosing its `impl` / trait.
fn owning_module(file: &FileModel, mut id: ModuleId) -> ModuleId {
    for _ in 0..file.modules.len() {
        let Some(m) = file.module(id) else { break };
        match (&m.kind, m.parent) {
            (ModuleKind::RustImpl { .. } | ModuleKind::RustTrait, Some(parent)) => id = parent,
            _ => break,
        }
    }
    id
}

/// Where a module is defined, for the finding's location.
struct ModuleSite {
    file: String,
    language: elixir_scope_ast::Language,
    line: u32,
    end_line: u32,
}

/// Groups of modules that call into each other.
pub fn find_module_cycles(graph: &CallGraph, models: &[&FileModel]) -> Vec<Finding> {
    let sources = method_sources(graph, models);
    // Per method: its owning module's name.
    let mut sites: BTreeMap<String, ModuleSite> = BTreeMap::new();
    let owner: Vec<Option<String>> = sources
        .iter()
        .map(|src| {
            let src = src.as_ref()?;
            let id = owning_module(src.file, src.function.module?);
            let m = src.file.module(id)?;
            let name = m.name.to_string();
            sites.entry(name.clone()).or_insert(ModuleSite {
                file: src.file.path.clone(),
                language: src.file.language,
                line: src.file.start(&m.span).line,
                end_line: src.file.end(&m.span).line,
            });
            Some(name)
        })
        .collect();
    let mut g: DiGraph<String, ()> = DiGraph::new();
    let mut index: HashMap<String, NodeIndex> = HashMap::new();
    for name in sites.keys() {
        index.insert(name.clone(), g.add_node(name.clone()));
    }
    for call in &graph.calls {
        let Some(callee) = call.callee() else {
            continue;
        };
        let (Some(Some(from)), Some(Some(to))) =
            (owner.get(call.caller.index()), owner.get(callee.index()))
        else {
            continue;
        };
        if from == to {
            continue;
        }
        if let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) {
            g.update_edge(a, b, ());
        }
    }
    let mut out = Vec::new();
    for scc in petgraph::algo::tarjan_scc(&g) {
        if scc.len() < 2 {
            continue;
        }
        let mut members = scc.clone();
        members.sort_by(|a, b| g[*a].cmp(&g[*b]));
        let start = members[0];
        let cycle = cycle_through(start, &members, |n| g.neighbors(n).collect());
        let names: Vec<&str> = cycle.iter().map(|n| g[*n].as_str()).collect();
        let first = &g[start];
        let Some(site) = sites.get(first) else {
            continue;
        };
        out.push(Finding {
            rule: Rule::ModuleCycle,
            level: Level::Warning,
            message: format!(
                "{} modules depend on each other: {}",
                members.len(),
                names.join(" -> ")
            ),
            file: site.file.clone(),
            language: site.language,
            line: site.line,
            column: 1,
            end_line: site.end_line,
            symbol: first.clone(),
            value: members.len() as f64,
            threshold: 0.0,
        });
    }
    out
}

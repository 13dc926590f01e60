//! Dominators and control dependence of a method's control flow, using petgraph's
//! dominator algorithm (on the reversed graph for post-dominators).

use petgraph::algo::dominators::simple_fast;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Reversed;

use crate::graph::{CfgLabel, Edge, EdgeKind, MethodGraph, NodeId};

/// Immediate dominator of every node reachable from the entry (None for the entry and for
/// unreachable nodes), indexed by [`NodeId`].
pub fn dominators(graph: &MethodGraph) -> Vec<Option<NodeId>> {
    let g = graph.cfg_petgraph();
    let doms = simple_fast(&g, NodeIndex::new(graph.entry.index()));
    (0..graph.nodes.len())
        .map(|i| {
            doms.immediate_dominator(NodeIndex::new(i))
                .map(|d| NodeId(d.index() as u32))
        })
        .collect()
}

/// Immediate post-dominator of every node that reaches the exit (None for the exit and for
/// nodes that never reach it, such as an endless loop's body).
pub fn post_dominators(graph: &MethodGraph) -> Vec<Option<NodeId>> {
    let g: DiGraph<NodeId, CfgLabel> = graph.cfg_petgraph();
    let doms = simple_fast(Reversed(&g), NodeIndex::new(graph.exit.index()));
    (0..graph.nodes.len())
        .map(|i| {
            doms.immediate_dominator(NodeIndex::new(i))
                .map(|d| NodeId(d.index() as u32))
        })
        .collect()
}

/// Control dependence edges (Ferrante–Ottenstein–Warren): for a CFG edge `a -> b` where `b`
/// does not post-dominate `a`, every node on the post-dominator tree path from `b` up to
/// (excluding) `ipdom(a)` is control dependent on `a`, with the edge's label.
pub(crate) fn control_dependence_edges(graph: &MethodGraph) -> Vec<Edge> {
    let ipdom = post_dominators(graph);
    let in_tree = |n: NodeId| n == graph.exit || ipdom.get(n.index()).copied().flatten().is_some();
    let mut out: Vec<Edge> = Vec::new();
    for e in graph.edges_of(EdgeKind::Cfg) {
        if !in_tree(e.from) || !in_tree(e.to) {
            continue;
        }
        let stop = ipdom.get(e.from.index()).copied().flatten();
        let mut runner = Some(e.to);
        // The post-dominator tree has at most one path up; the step bound guards against a
        // malformed tree.
        let mut steps = 0usize;
        while let Some(r) = runner {
            if Some(r) == stop || steps > graph.nodes.len() {
                break;
            }
            let edge = Edge {
                from: e.from,
                to: r,
                kind: EdgeKind::Cdg,
                label: e.label,
                var: None,
            };
            if r != graph.exit && !out.contains(&edge) {
                out.push(edge);
            }
            runner = ipdom.get(r.index()).copied().flatten();
            steps += 1;
        }
    }
    out
}

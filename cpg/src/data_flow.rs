//! Reaching definitions over a method's control flow (classic forward may-analysis on bit
//! sets), producing REACHING_DEF edges from each definition to the uses it reaches. The
//! work is bounded per method; hitting the bound is reported, never a hang.

use crate::graph::{Edge, EdgeKind, MethodGraph, NodeId, VarId, WorkBoundHit};

/// Default node visits allowed per method.
pub const DEFAULT_DATAFLOW_WORK_LIMIT: u64 = 2_000_000;

/// A definition site: `node` defines `var`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DefSite {
    node: NodeId,
    var: VarId,
}

/// Computes REACHING_DEF edges, or reports that `work_limit` node visits were not enough.
pub(crate) fn reaching_def_edges(
    graph: &MethodGraph,
    work_limit: u64,
) -> Result<Vec<Edge>, WorkBoundHit> {
    let sites: Vec<DefSite> = graph
        .nodes
        .iter()
        .flat_map(|n| n.defs.iter().map(move |&var| DefSite { node: n.id, var }))
        .collect();
    let n = graph.nodes.len();
    let words = sites.len().div_ceil(64).max(1);
    // gen/kill per node as bit sets over `sites`.
    let mut gen = vec![vec![0u64; words]; n];
    let mut kill = vec![vec![0u64; words]; n];
    let mut sites_of_var: Vec<Vec<usize>> = vec![Vec::new(); graph.variables.len()];
    for (i, s) in sites.iter().enumerate() {
        if let Some(v) = sites_of_var.get_mut(s.var.0 as usize) {
            v.push(i);
        }
    }
    for (i, s) in sites.iter().enumerate() {
        set(&mut gen[s.node.index()], i);
        for &other in sites_of_var.get(s.var.0 as usize).into_iter().flatten() {
            if other != i {
                set(&mut kill[s.node.index()], other);
            }
        }
    }
    let preds: Vec<Vec<NodeId>> = (0..n)
        .map(|i| {
            graph
                .in_edges(NodeId(i as u32), EdgeKind::Cfg)
                .map(|e| e.from)
                .collect()
        })
        .collect();
    let succs: Vec<Vec<NodeId>> = (0..n)
        .map(|i| {
            graph
                .out_edges(NodeId(i as u32), EdgeKind::Cfg)
                .map(|e| e.to)
                .collect()
        })
        .collect();
    let mut inn = vec![vec![0u64; words]; n];
    let mut out = vec![vec![0u64; words]; n];
    let mut queued = vec![true; n];
    let mut work: std::collections::VecDeque<usize> = (0..n).collect();
    let mut done = 0u64;
    while let Some(i) = work.pop_front() {
        queued[i] = false;
        done += 1;
        if done > work_limit {
            return Err(WorkBoundHit {
                work_done: done - 1,
                limit: work_limit,
            });
        }
        let mut new_in = vec![0u64; words];
        for p in &preds[i] {
            for (w, x) in new_in.iter_mut().zip(&out[p.index()]) {
                *w |= *x;
            }
        }
        let new_out: Vec<u64> = new_in
            .iter()
            .zip(&kill[i])
            .zip(&gen[i])
            .map(|((a, k), g)| (a & !k) | g)
            .collect();
        inn[i] = new_in;
        if new_out != out[i] {
            out[i] = new_out;
            for s in &succs[i] {
                if !queued[s.index()] {
                    queued[s.index()] = true;
                    work.push_back(s.index());
                }
            }
        }
    }
    let mut edges = Vec::new();
    for node in &graph.nodes {
        for &var in &node.uses {
            // A guard reading a variable its own pattern just bound.
            if graph.variable(var).is_some_and(|v| v.bound_at == node.id) {
                edges.push(Edge {
                    from: node.id,
                    to: node.id,
                    kind: EdgeKind::ReachingDef,
                    label: None,
                    var: Some(var),
                });
                continue;
            }
            for &site in sites_of_var.get(var.0 as usize).into_iter().flatten() {
                if get(&inn[node.id.index()], site) {
                    edges.push(Edge {
                        from: sites[site].node,
                        to: node.id,
                        kind: EdgeKind::ReachingDef,
                        label: None,
                        var: Some(var),
                    });
                }
            }
        }
    }
    Ok(edges)
}

fn set(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1 << (i % 64);
    }
}

fn get(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
}

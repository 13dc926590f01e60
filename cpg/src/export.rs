//! Export of graphs: JSON (serde) and Graphviz DOT, per method and for the call graph.

use std::fmt::Write;

use crate::call_graph::CallGraph;
use crate::error::CpgError;
use crate::graph::{EdgeKind, MethodGraph};
use crate::project_cpg::ProjectCpg;

/// The whole project graph as JSON.
pub fn project_to_json(project: &ProjectCpg) -> Result<String, CpgError> {
    serde_json::to_string(project).map_err(|e| CpgError::Serialise(e.to_string().into()))
}

/// One method graph as JSON.
pub fn method_to_json(graph: &MethodGraph) -> Result<String, CpgError> {
    serde_json::to_string(graph).map_err(|e| CpgError::Serialise(e.to_string().into()))
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A method's control flow (solid, labelled), control dependence (dashed) and reaching
/// definitions (dotted, with the variable) as a DOT digraph.
pub fn method_to_dot(title: &str, graph: &MethodGraph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(title));
    let _ = writeln!(out, "  node [shape=box, fontname=monospace];");
    for n in &graph.nodes {
        let _ = writeln!(
            out,
            "  n{} [label=\"{:?}\\n{}\"];",
            n.id.0,
            n.kind,
            escape(&n.code)
        );
    }
    for e in &graph.edges {
        let attrs = match e.kind {
            EdgeKind::Cfg => format!("label=\"{:?}\"", e.label.unwrap_or(crate::CfgLabel::Always)),
            EdgeKind::Cdg => "style=dashed, color=blue".to_owned(),
            EdgeKind::ReachingDef => {
                let var = e
                    .var
                    .and_then(|v| graph.variable(v))
                    .map(|v| v.name.as_str())
                    .unwrap_or("");
                format!("style=dotted, color=red, label=\"{}\"", escape(var))
            }
            EdgeKind::Ast | EdgeKind::Argument => continue,
        };
        let _ = writeln!(out, "  n{} -> n{} [{}];", e.from.0, e.to.0, attrs);
    }
    out.push_str("}\n");
    out
}

/// The resolved call graph as a DOT digraph (unresolved calls are listed in JSON only).
pub fn call_graph_to_dot(graph: &CallGraph) -> String {
    let mut out = String::from("digraph calls {\n  node [shape=box, fontname=monospace];\n");
    for m in &graph.methods {
        let _ = writeln!(
            out,
            "  m{} [label=\"{}\"];",
            m.id.0,
            escape(&m.display_name())
        );
    }
    let mut seen = std::collections::HashSet::new();
    for c in &graph.calls {
        if let Some(callee) = c.callee() {
            if seen.insert((c.caller, callee)) {
                let _ = writeln!(out, "  m{} -> m{};", c.caller.0, callee.0);
            }
        }
    }
    out.push_str("}\n");
    out
}

//! The graphs of one source file: one [`MethodGraph`] per function with a body.

use elixir_scope_ast::{Function, FunctionId, FunctionKind, Language, ParsedFile};
use serde::{Deserialize, Serialize};

use crate::build_options::BuildOptions;
use crate::control_dependence::control_dependence_edges;
use crate::data_flow::reaching_def_edges;
use crate::graph::MethodGraph;
use crate::{elixir_flow, rust_flow};

/// One function's graph, with what identifies it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodCpg {
    pub function: FunctionId,
    /// Enclosing module (`Shop.Cart`, `crate::net::Dog`), if any.
    pub module: Option<String>,
    pub name: String,
    pub arity: u32,
    pub graph: MethodGraph,
}

/// All method graphs of a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCpg {
    pub path: String,
    pub language: Language,
    pub content_hash: String,
    pub methods: Vec<MethodCpg>,
}

impl FileCpg {
    /// The graph of a function of this file.
    pub fn method(&self, function: FunctionId) -> Option<&MethodCpg> {
        self.methods.iter().find(|m| m.function == function)
    }
}

/// Builds the control flow, control dependence and data flow of one function. None for
/// functions without a body (signatures, `defdelegate`) or whose syntax is unavailable.
pub fn build_method(
    parsed: &ParsedFile,
    function: &Function,
    options: &BuildOptions,
) -> Option<MethodGraph> {
    if matches!(
        function.kind,
        FunctionKind::RustFnSignature | FunctionKind::Defdelegate
    ) {
        return None;
    }
    let mut graph = match parsed.model.language {
        Language::Elixir => elixir_flow::build(parsed, function)?,
        Language::Rust => rust_flow::build(parsed, function)?,
    };
    // Both read only the control flow, so the graph is indexed once, with all edges.
    let mut edges = control_dependence_edges(&graph);
    match reaching_def_edges(&graph, options.dataflow_work_limit) {
        Ok(defs) => edges.extend(defs),
        Err(hit) => graph.dataflow_truncated = Some(hit),
    }
    graph.add_edges(edges);
    Some(graph)
}

/// Builds the graphs of every function of a parsed file.
pub fn build_file(parsed: &ParsedFile, options: &BuildOptions) -> FileCpg {
    let model = &parsed.model;
    let methods = model
        .functions
        .iter()
        .filter_map(|f| {
            let graph = build_method(parsed, f, options)?;
            Some(MethodCpg {
                function: f.id,
                module: f
                    .module
                    .and_then(|m| model.module(m))
                    .map(|m| m.name.to_string()),
                name: f.name.to_string(),
                arity: f.arity.into(),
                graph,
            })
        })
        .collect();
    FileCpg {
        path: model.path.clone(),
        language: model.language,
        content_hash: model.content_hash.clone(),
        methods,
    }
}

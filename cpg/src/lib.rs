//! The CPG layer of ElixirScope: a code property graph for Elixir and Rust projects —
//! per-function control flow (clauses, guards, branches, early exits), control dependence,
//! reaching definitions with def-use chains, and the project call graph resolved across
//! modules, with unresolved calls kept and explained.
//!
//! It sits above `ast` (which parses files into a [`elixir_scope_ast::ParsedFile`]) and
//! below `analysis`. The pure part, usable alone: [`build_method`], [`build_file`],
//! [`build_project`] and [`CallGraph::build`]. The graph types follow Joern's vocabulary
//! ([`NodeKind`], [`EdgeKind`]); petgraph views ([`MethodGraph::cfg_petgraph`],
//! [`CallGraph::petgraph`]) give its algorithms (SCC, dominators, reachability).
//!
//! The services ([`CpgLayer`], used through [`CpgClient`]): CpgStorage keeps and persists
//! project graphs; each project gets its own rest_for_one build supervisor ([`ProjectState`]
//! with the incremental state, then its [`ProjectBuilder`]) under a dynamic supervisor the
//! [`CpgOrchestrator`] starts them in, so projects build concurrently and a crashed build
//! touches only its project. The `fault-injection` feature adds requests that crash
//! services on purpose, for tests.
//!
//! Rebuilds are incremental end to end: files whose stamp or content hash is unchanged are
//! not parsed again, and the call graph is kept as one part per file that records the names
//! (modules, Rust paths, types, method names) its calls looked up, so a rebuild resolves
//! again only the changed files and the files that looked up a name one of them defines —
//! giving the call graph a full link would. [`BuildReport::phases`] says where a build's
//! time went.
//!
//! With a data directory ([`CpgConfig::data_dir`]) the layer persists into two SQLite
//! databases there: [`GRAPH_DATABASE`] (CpgStorage's project graphs: one row per project,
//! and per source file a row of its graphs and one of its call graph part) and
//! [`BUILD_DATABASE`] (the build states: per file its hash, stamp and model). Storing a
//! project is one transaction that writes only the rows of files that changed, so the
//! databases always hold a whole earlier or a whole new project, never a mix. They are
//! derived data, opened in WAL mode with `synchronous=NORMAL`: a power loss may lose the
//! last transactions, which costs a rebuild. A database that is not usable is moved aside
//! (`<name>.corrupt`) and started empty, one written by another version (schema, AST model
//! or call resolution) is deleted and started empty, a project whose rows do not decode is skipped
//! with a warning and rebuilt, and the blob files of earlier versions (`*.cpg.json`,
//! `*.files/`, `*.links/`, `builds/`) are removed at start. The database work runs on
//! tokio's blocking pool, never on the runtime's worker threads.
//!
//! ```
//! use elixir_scope_ast::{parse_source, Language, ParseOptions};
//! use elixir_scope_cpg::{build_project, BuildOptions, CfgLabel};
//!
//! let src = br#"
//! defmodule Shop do
//!   alias Shop.Repo
//!   def total(items) when is_list(items), do: items |> Repo.sum()
//!   def total(_), do: 0
//! end
//! defmodule Shop.Repo do
//!   def sum(xs), do: xs
//! end
//! "#;
//! let parsed = parse_source("lib/shop.ex", Language::Elixir, src, &ParseOptions::default());
//! let cpg = build_project(&[parsed], &BuildOptions::default());
//!
//! let total = cpg.find_methods("Shop.total/1")[0].id;
//! let sum = cpg.find_methods("Shop.Repo.sum/1")[0].id;
//! assert_eq!(cpg.call_graph.callees(total), vec![sum]);
//!
//! let graph = &cpg.method_graph(total).unwrap().graph;
//! let edges = graph.cfg_triples();
//! // The first clause's guard can fail: a no-match edge leads to the second clause.
//! assert!(edges.contains(&(
//!     "total(items) when is_list(items)".into(),
//!     "total(_)".into(),
//!     CfgLabel::NoMatch
//! )));
//! ```

mod build_db;
mod build_options;
mod build_phases;
mod build_state;
mod call_graph;
mod call_resolution;
mod control_dependence;
mod cpg_layer;
mod cpg_orchestrator;
mod cpg_storage;
mod data_flow;
mod derived_db;
mod elixir_flow;
mod error;
mod export;
mod file_cpg;
mod file_link;
mod file_rows;
mod flow_builder;
mod graph;
mod graph_db;
mod kernel_functions;
mod project_builder;
mod project_cpg;
mod project_state;
mod row_codec;
mod rust_crates;
mod rust_flow;

pub use build_db::BUILD_DATABASE;
pub use build_options::BuildOptions;
pub use build_phases::BuildPhases;
pub use build_state::{BuildState, FileStamp, FileState};
pub use call_graph::{CallGraph, CallSite, CallTarget, MethodId, MethodInfo, UnresolvedReason};
pub use control_dependence::{dominators, post_dominators};
pub use cpg_layer::{
    CpgClient, CpgConfig, CpgLayer, BUILDS_NAME, ORCHESTRATOR_NAME, PROJECT_BUILDS_NAME,
    STORAGE_NAME, TASKS_NAME,
};
pub use cpg_orchestrator::{
    default_file_builder, BuildReport, CpgOrchestrator, FileBuilder, OrchestratorCall,
    OrchestratorReply,
};
pub use cpg_storage::{CpgStorage, StorageCall, StorageReply};
pub use data_flow::DEFAULT_DATAFLOW_WORK_LIMIT;
pub use error::CpgError;
pub use export::{call_graph_to_dot, method_to_dot, method_to_json, project_to_json};
pub use file_cpg::{build_file, build_method, FileCpg, MethodCpg};
pub use graph::{
    CfgLabel, DefUse, Edge, EdgeKind, MethodGraph, Node, NodeId, NodeKind, VarId, Variable,
    WorkBoundHit, CODE_LIMIT,
};
pub use graph_db::GRAPH_DATABASE;
pub use project_builder::{BuildContext, ProjectBuildCall, ProjectBuildCast, ProjectBuilder};
pub use project_cpg::{build_project, BuildFailure, ProjectCpg};
pub use project_state::{ProjectState, ProjectStateCall, ProjectStateReply};

//! The AST layer of ElixirScope: turns an Elixir or Rust project directory into one
//! language-neutral, queryable model, and keeps going when a file is broken.
//!
//! It sits above `runtime-core` and below `cpg` (see the workspace's design). The pure part,
//! usable alone, is [`parse_source`] / [`parse_file`] (one file -> [`ParsedFile`]: a
//! [`FileModel`] plus the tree-sitter tree) and [`discover_files`].
//!
//! ```
//! use elixir_scope_ast::{parse_source, CallKind, Language, ParseOptions};
//!
//! let src = br#"
//! defmodule Shop.Cart do
//!   alias Shop.Repo
//!   def total(items) when is_list(items), do: items |> Enum.map(&price/1) |> Enum.sum()
//!   def total(_), do: 0
//!   defp price(%{price: p}), do: p
//! end
//! "#;
//! let parsed = parse_source("lib/cart.ex", Language::Elixir, src, &ParseOptions::default());
//! let model = &parsed.model;
//! assert_eq!(model.modules[0].name, "Shop.Cart");
//! let total = model.functions.iter().find(|f| f.name == "total").unwrap();
//! assert_eq!((total.arity, total.clauses.len()), (1, 2));
//! let map = total.calls.iter().find(|c| c.name == "map").unwrap();
//! assert_eq!((map.kind, map.arity, map.piped), (CallKind::Remote, 2, true));
//! assert!(total.calls.iter().any(|c| c.capture && c.name == "price" && c.arity == 1));
//! // Spans are byte ranges; the model's line index turns them into lines and columns.
//! assert_eq!(model.start(&total.span).line, 4);
//! ```
//!
//! ## Memory
//!
//! Models stay in memory for whole projects, so the model is compact: [`Name`] is one thin
//! pointer to a per-file interned string, a [`Span`] is a byte range (8 bytes), qualifier and
//! import paths are one [`NamePath`], per-item collections are boxed slices, and arities are
//! `u8` (the BEAM's limit; Rust arities saturate). [`HeapSize`] measures what a model owns.
//!
//! ## Services
//!
//! [`AstLayer::child_spec`] gives the layer's one_for_one supervisor (`ast`: the
//! [`AstRepository`] service and the `parsing_tasks` [`ParsingTaskSupervisor`]) and an
//! [`AstClient`], the typed handle other layers use:
//!
//! ```
//! use elixir_scope_ast::{AstConfig, AstLayer};
//! use std::path::Path;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let rt = tokio::runtime::Runtime::new()?;
//! # rt.block_on(async {
//! let (layer, ast) = AstLayer::start(AstConfig::default()).await?;
//! let report = ast.parse_project("shop", Path::new("tests/fixtures/elixir_project")).await?;
//! assert_eq!(report.files, 5);
//! // Parsing again only re-parses files whose content hash changed.
//! assert_eq!(ast.parse_project("shop", Path::new("tests/fixtures/elixir_project")).await?.parsed, 0);
//! let found = ast.functions("shop", Some("Shop.Worker"), "handle_call", Some(3)).await?;
//! assert_eq!(found[0].function.clauses.len(), 2);
//! layer.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```
//!
//! ## For the CPG layer
//!
//! [`AstClient::parsed_file`] (or [`parse_source`] directly) returns a [`ParsedFile`]:
//! [`ParsedFile::body_node`] / [`ParsedFile::clause_node`] give the tree-sitter node of a
//! function clause to walk for control and data flow. Spans in the model are byte ranges into
//! the same source; [`FileModel::start`] / [`FileModel::end`] give their line and column from
//! the file's [`LineIndex`]. Calls keep their raw qualifier segments ([`NamePath`]) and
//! enclosing module, and the
//! file's [`Import`]s (aliases, imports, `use`) are recorded per module, so `__MODULE__`,
//! aliases, imports and `self::`/`super::`/`crate::` paths can be resolved there.

mod ast_layer;
mod corpus;
mod diagnostic;
mod discovery;
mod elixir;
mod error;
mod heap_size;
mod language;
mod model;
mod model_builder;
mod name;
mod name_path;
mod parse_hook;
mod parse_options;
mod parsed_file;
mod parsing_task_supervisor;
mod repository;
mod rust_lang;
mod source_text;
mod span;
mod stack_guard;
mod syntax_errors;

pub use ast_layer::{AstClient, AstConfig, AstLayer, FailedFile, ParseReport};
pub use corpus::{generate_elixir_corpus, nested_ifs_source, CorpusSummary};
pub use diagnostic::{Diagnostic, DiagnosticKind, Severity};
pub use discovery::{discover_files, SourceFile, SKIPPED_DIRS};
pub use error::AstError;
pub use heap_size::HeapSize;
pub use language::Language;
pub use model::{
    arity_of, Arity, Attribute, Call, CallKind, Clause, FileModel, Function, FunctionId,
    FunctionKind, Import, ImportFilter, ImportKind, Module, ModuleId, ModuleKind, Param,
    Visibility, MODEL_VERSION,
};
pub use name::Name;
pub use name_path::{NamePath, Segments};
pub use parse_hook::{FileAttachment, ParseContext, ParseHook, ReusedFile};
pub use parse_options::{ParseOptions, DEFAULT_MAX_FILE_BYTES};
pub use parsed_file::{content_hash, parse_file, parse_source, parse_tree, ParsedFile};
pub use parsing_task_supervisor::{
    FaultInjection, FileOutcome, FileStatus, ParseProgress, ParsingConfig, ParsingTaskSupervisor,
};
pub use repository::{
    AstRepository, FileStats, FileUpdate, FunctionMatch, ModuleMatch, ProjectStats, RepositoryCall,
    RepositoryReply, SnapshotFile,
};
pub use span::{LineIndex, Position, Span};
pub use stack_guard::grow_if_needed;

/// Re-exported so callers walking [`ParsedFile::tree`] use the same tree-sitter version.
pub use tree_sitter;

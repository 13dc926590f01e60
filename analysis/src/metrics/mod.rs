//! Per-function and per-module metrics computed from a parsed file's syntax tree. Each
//! metric's counting rules are documented in its own module.

mod abc;
mod boolean_sequences;
mod clause_walk;
mod cognitive;
mod cyclomatic;
mod halstead;
mod lines;
mod maintainability;
mod nesting;

use crate::syntax::{KindNames, NodeKind};
use elixir_scope_ast::tree_sitter::{Node, Tree};
use elixir_scope_ast::{FileModel, FunctionKind, Language, ParsedFile};
use serde::{Deserialize, Serialize};

pub use abc::Abc;
pub use halstead::Halstead;
pub use lines::LineCounts;
pub use maintainability::Maintainability;

use halstead::HalsteadCounter;

/// Metrics of one function (all clauses of an Elixir function, one Rust `fn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionMetrics {
    /// File path relative to the project root.
    pub file: String,
    pub language: Language,
    /// Fully qualified enclosing module (`Shop.Cart`, `crate::net::impl Tcp`).
    pub module: Option<String>,
    pub name: String,
    pub arity: u32,
    /// 1-based position of the first clause.
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub clauses: u32,
    /// Cyclomatic complexity, max over clauses. Elixir as Credo counts a `def` clause: 1, +1
    /// per `if`/`unless`/`for`/`try`/`and`/`or`/`&&`/`||`, + the clause count of each
    /// `case`/`cond` (guards included). Rust as rust-code-analysis: 1, +1 per
    /// `if`/`for`/`while`/`loop`/match arm/arm guard/`?`/`&&`/`||` (closures counted in their
    /// function, without their own +1).
    pub cyclomatic: u32,
    /// Cognitive complexity (SonarSource), summed over clauses: +1 plus the nesting level for
    /// each `if`/`unless`/`case`/`cond`/`with`/`for`/`receive`/`rescue`/`catch` (Elixir) or
    /// `if`/`match`/`for`/`while`/`loop` (Rust); +1 per `else` / `else if`; +1 per sequence
    /// of like boolean operators; +1 per labelled `break`/`continue`; closures and `fn`s
    /// nest. Recursion is not counted.
    pub cognitive: u32,
    /// Deepest nesting of control structures, max over clauses: Elixir `if`/`unless`/`case`/
    /// `cond`/`fn` (Credo's), Rust `if`/`match`/loops/closures.
    pub nesting: u32,
    /// Over the whole function span (comments between clauses included).
    pub lines: LineCounts,
    /// Sum over clauses.
    pub abc: Abc,
    /// Over all clauses' tokens together.
    pub halstead: Halstead,
    pub maintainability: Maintainability,
    /// False when a syntax error touches the function: its numbers may be incomplete.
    pub reliable: bool,
}

impl FunctionMetrics {
    /// `Shop.Cart.total/1` (Elixir) or `crate::net::connect` (Rust).
    pub fn qualified_name(&self) -> String {
        match (self.language, &self.module) {
            (Language::Elixir, Some(m)) => format!("{m}.{}/{}", self.name, self.arity),
            (Language::Elixir, None) => format!("{}/{}", self.name, self.arity),
            (Language::Rust, Some(m)) => format!("{m}::{}", self.name),
            (Language::Rust, None) => self.name.clone(),
        }
    }
}

/// Metrics of one module-like container (Elixir module, Rust file / `mod` / `impl` / trait).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleMetrics {
    pub file: String,
    pub language: Language,
    pub name: String,
    pub line: u32,
    pub end_line: u32,
    /// Functions defined directly in it.
    pub functions: u32,
    /// Physical lines of its span (`lloc` is the sum over its functions).
    pub lines: LineCounts,
    pub cyclomatic_total: u32,
    pub cyclomatic_max: u32,
    pub cognitive_total: u32,
    pub cognitive_max: u32,
}

/// Metrics of one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileMetrics {
    pub path: String,
    pub language: Language,
    pub lines: LineCounts,
    pub functions: Vec<FunctionMetrics>,
    pub modules: Vec<ModuleMetrics>,
}

struct ClauseMetrics {
    cyclomatic: u32,
    cognitive: u32,
    nesting: u32,
    lloc: u32,
    abc: Abc,
}

fn clause_metrics<'s>(
    node: Node<'_>,
    language: Language,
    source: &'s str,
    halstead: &mut HalsteadCounter<'s>,
) -> ClauseMetrics {
    let structure = match language {
        Language::Elixir => clause_walk::elixir_clause(node, source, halstead),
        Language::Rust => clause_walk::rust_function(node, source, halstead),
    };
    ClauseMetrics {
        cyclomatic: structure.cyclomatic,
        cognitive: structure.cognitive,
        nesting: structure.nesting,
        lloc: structure.lloc,
        abc: structure.abc,
    }
}

/// The clause's own node: the AST layer returns the outermost node with the clause's range,
/// which is the whole file's root when the file is nothing but that function.
fn clause_root(node: Node<'_>, language: Language) -> Node<'_> {
    let expected = match language {
        Language::Elixir => "call",
        Language::Rust => "function_item",
    };
    let mut current = node;
    while current.kind_name() != expected {
        let mut cursor = current.walk();
        let same_range = current
            .children(&mut cursor)
            .find(|c| c.byte_range() == current.byte_range());
        match same_range {
            Some(child) => current = child,
            None => return node,
        }
    }
    current
}

/// Metrics of every function and module of a parsed file; `None` when the file has no
/// syntax tree (it was not parsed: unreadable, binary, too large; its diagnostics say why).
/// Rust signatures without a body are skipped: they have no code to measure.
pub fn file_metrics(parsed: &ParsedFile) -> Option<FileMetrics> {
    let tree = parsed.tree.as_ref()?;
    let source: &str = parsed.source.as_deref()?;
    Some(measure(&parsed.model, source, tree))
}

/// The syntax node of the clause spanning `span`: the node of the expected kind among those
/// covering exactly that range.
fn clause_node<'t>(
    root: Node<'t>,
    span: &elixir_scope_ast::Span,
    language: Language,
) -> Option<Node<'t>> {
    let (start, end) = (span.start_byte as usize, span.end_byte as usize);
    let mut node = root.descendant_for_byte_range(start, end)?;
    while let Some(parent) = node.parent() {
        if parent.start_byte() == start && parent.end_byte() == end {
            node = parent;
        } else {
            break;
        }
    }
    Some(clause_root(node, language))
}

/// Metrics of a file from its model and the syntax tree of exactly the source the model was
/// extracted from (a tree from [`elixir_scope_ast::parse_tree`] on that source does).
pub fn measure(model: &FileModel, source: &str, tree: &Tree) -> FileMetrics {
    let root = tree.root_node();
    let language = model.language;
    let _kind_names = KindNames::of(language);
    let line_flags = lines::LineFlags::of(root);
    let mut functions = Vec::new();
    // Per function: the module it belongs to, for the module roll-up.
    let mut owners = Vec::new();
    for f in &model.functions {
        if f.kind == FunctionKind::RustFnSignature {
            continue;
        }
        let mut acc: Option<ClauseMetrics> = None;
        let mut halstead = HalsteadCounter::default();
        for clause in &f.clauses {
            let Some(node) = clause_node(root, &clause.span, language) else {
                continue;
            };
            let m = clause_metrics(node, language, source, &mut halstead);
            acc = Some(match acc {
                None => m,
                Some(mut a) => {
                    a.cyclomatic = a.cyclomatic.max(m.cyclomatic);
                    a.cognitive += m.cognitive;
                    a.nesting = a.nesting.max(m.nesting);
                    a.lloc += m.lloc;
                    a.abc.add(&m.abc);
                    a
                }
            });
        }
        let Some(m) = acc else { continue };
        let (start, end) = (model.start(&f.span), model.end(&f.span));
        let mut line_counts = line_flags.counts(start.line, end.line);
        line_counts.lloc = m.lloc;
        let halstead = halstead.finish();
        let module = f.module.and_then(|id| model.module(id));
        owners.push(f.module);
        functions.push(FunctionMetrics {
            file: model.path.clone(),
            language,
            module: module.map(|m| m.name.to_string()),
            name: f.name.to_string(),
            arity: f.arity.into(),
            line: start.line,
            column: start.column,
            end_line: end.line,
            clauses: f.clauses.len() as u32,
            cyclomatic: m.cyclomatic,
            cognitive: m.cognitive,
            nesting: m.nesting,
            lines: line_counts,
            abc: m.abc,
            maintainability: maintainability::maintainability(
                halstead.volume,
                m.cyclomatic,
                line_counts.sloc,
            ),
            halstead,
            reliable: f.reliable,
        });
    }
    let modules = model
        .modules
        .iter()
        .map(|module| {
            let mut mm = ModuleMetrics {
                file: model.path.clone(),
                language,
                name: module.name.to_string(),
                line: model.start(&module.span).line,
                end_line: model.end(&module.span).line,
                functions: 0,
                lines: line_flags
                    .counts(model.start(&module.span).line, model.end(&module.span).line),
                cyclomatic_total: 0,
                cyclomatic_max: 0,
                cognitive_total: 0,
                cognitive_max: 0,
            };
            for (f, owner) in functions.iter().zip(&owners) {
                if *owner == Some(module.id) {
                    mm.functions += 1;
                    mm.lines.lloc += f.lines.lloc;
                    mm.cyclomatic_total += f.cyclomatic;
                    mm.cyclomatic_max = mm.cyclomatic_max.max(f.cyclomatic);
                    mm.cognitive_total += f.cognitive;
                    mm.cognitive_max = mm.cognitive_max.max(f.cognitive);
                }
            }
            mm
        })
        .collect();
    let last_line = model.line_count.max(1);
    let mut file_lines = line_flags.counts(1, last_line);
    file_lines.lloc = functions.iter().map(|f| f.lines.lloc).sum();
    FileMetrics {
        path: model.path.clone(),
        language,
        lines: file_lines,
        functions,
        modules,
    }
}

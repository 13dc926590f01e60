//! Parsing one file: input checks, tree-sitter, extraction, syntax diagnostics.

use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;

use tree_sitter::{Node, Parser, Tree};

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::language::Language;
use crate::model::{FileModel, FunctionId};
use crate::parse_options::ParseOptions;
use crate::source_text::count_u32;
use crate::span::LineIndex;
use crate::{elixir, rust_lang, syntax_errors};

/// A parsed file: its model plus the syntax tree and source it came from, so the CPG layer
/// can walk function bodies (control flow, data flow) without parsing again.
///
/// `tree` and `source` are `None` when the file was rejected before parsing (too large,
/// binary, invalid UTF-8, unreadable); the model's diagnostics say why.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    pub model: FileModel,
    pub source: Option<Arc<str>>,
    pub tree: Option<Tree>,
}

impl ParsedFile {
    /// The syntax node spanning clause `clause` of function `function` (`def ... end`,
    /// `fn ... { }`).
    pub fn clause_node(&self, function: FunctionId, clause: usize) -> Option<Node<'_>> {
        let span = self.model.function(function)?.clauses.get(clause)?.span;
        self.node_exactly(span.start_byte as usize, span.end_byte as usize)
    }

    /// The body node of a clause: Elixir `do_block` or `do:` value, Rust `block`.
    pub fn body_node(&self, function: FunctionId, clause: usize) -> Option<Node<'_>> {
        let span = self
            .model
            .function(function)?
            .clauses
            .get(clause)?
            .body_span?;
        self.node_exactly(span.start_byte as usize, span.end_byte as usize)
    }

    /// The source text of a node of this file's tree.
    pub fn text(&self, node: &Node<'_>) -> &str {
        self.source
            .as_deref()
            .and_then(|s| s.get(node.byte_range()))
            .unwrap_or("")
    }

    /// The outermost node covering exactly `start..end`, or the smallest one covering it
    /// when none matches exactly (a span truncated by missing-`end` recovery).
    fn node_exactly(&self, start: usize, end: usize) -> Option<Node<'_>> {
        let tree = self.tree.as_ref()?;
        let mut node = tree.root_node().descendant_for_byte_range(start, end)?;
        while let Some(p) = node.parent() {
            if p.start_byte() == start && p.end_byte() == end {
                node = p;
            } else {
                break;
            }
        }
        Some(node)
    }
}

thread_local! {
    // One parser per language per thread: creating a parser allocates, reusing it does not.
    static PARSERS: RefCell<(Option<Parser>, Option<Parser>)> = const { RefCell::new((None, None)) };
}

/// Runs tree-sitter on `source` with this thread's parser for `language`.
/// None when the grammar could not be loaded or tree-sitter gave up.
pub fn parse_tree(language: Language, source: &[u8]) -> Option<Tree> {
    PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let slot = match language {
            Language::Elixir => &mut parsers.0,
            Language::Rust => &mut parsers.1,
        };
        if slot.is_none() {
            let mut p = Parser::new();
            p.set_language(&language.grammar()).ok()?;
            *slot = Some(p);
        }
        let parser = slot.as_mut()?;
        let tree = parser.parse(source, None);
        if tree.is_none() {
            parser.reset();
        }
        tree
    })
}

/// blake3 of the bytes, lowercase hex.
pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Parses `bytes` as `language`. Never fails and never panics on input: problems are
/// diagnostics on the returned model. `path` is recorded in the model and, for Rust, names
/// the file's module (`src/net/tcp.rs` is `crate::net::tcp`).
pub fn parse_source(
    path: &str,
    language: Language,
    bytes: &[u8],
    options: &ParseOptions,
) -> ParsedFile {
    let hash = content_hash(bytes);
    let size = bytes.len() as u64;
    let reject = |d: Diagnostic| ParsedFile {
        model: FileModel::unparsed(path, language, hash.clone(), size, vec![d]),
        source: None,
        tree: None,
    };
    // Spans are u32 offsets: nothing larger than that is parsed, whatever the option says.
    let limit = options.max_file_bytes.min(u64::from(u32::MAX));
    if size > limit {
        return reject(Diagnostic::new(
            Severity::Error,
            DiagnosticKind::TooLarge { size, limit },
            format!("{size} bytes is over the {limit} byte limit; not parsed"),
            None,
        ));
    }
    if bytes.contains(&0) {
        return reject(Diagnostic::new(
            Severity::Error,
            DiagnosticKind::Binary,
            "contains NUL bytes: binary data, not source; not parsed",
            None,
        ));
    }
    let text: &str = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return reject(Diagnostic::new(
                Severity::Error,
                DiagnosticKind::InvalidUtf8 {
                    byte_offset: e.valid_up_to(),
                },
                format!("invalid UTF-8 at byte {}; not parsed", e.valid_up_to()),
                None,
            ))
        }
    };
    let Some(tree) = parse_tree(language, bytes) else {
        return reject(Diagnostic::new(
            Severity::Error,
            DiagnosticKind::ParserFailed,
            "tree-sitter produced no tree",
            None,
        ));
    };
    let root = tree.root_node();
    let line_index = LineIndex::new(text);
    let built = match language {
        Language::Elixir => elixir::extract(root, text, &line_index),
        Language::Rust => rust_lang::extract(root, text, path),
    }
    .finish();
    let errors = syntax_errors::error_spans(root);
    let mut functions = built.functions;
    let module_level_calls = built.module_level_calls;
    syntax_errors::mark_unreliable(&mut functions, &errors);
    let mut diagnostics = syntax_errors::diagnostics(&errors, &line_index);
    diagnostics.extend(built.diagnostics);
    if text.trim().is_empty() {
        diagnostics.push(Diagnostic::new(
            Severity::Info,
            DiagnosticKind::Empty,
            "empty file",
            None,
        ));
    }
    let line_count = count_u32(text.lines().count());
    let mut model = FileModel {
        path: path.to_owned(),
        language,
        content_hash: hash,
        size_bytes: size,
        line_count,
        line_index,
        package_dir: match language {
            Language::Rust => Some(rust_lang::package_dir(path)),
            Language::Elixir => None,
        },
        modules: built.modules,
        functions,
        imports: built.imports,
        module_level_calls,
        diagnostics,
    };
    model.shrink_to_fit();
    ParsedFile {
        model,
        source: Some(Arc::from(text)),
        tree: Some(tree),
    }
}

/// Reads and parses a file; `display_path` is what the model records (usually the path
/// relative to the project root). The language comes from the extension.
pub fn parse_file(file: &Path, display_path: &str, options: &ParseOptions) -> ParsedFile {
    let language = Language::from_path(file).unwrap_or(Language::Elixir);
    let unreadable = |error: String| ParsedFile {
        model: FileModel::unparsed(
            display_path,
            language,
            String::new(),
            0,
            vec![Diagnostic::new(
                Severity::Error,
                DiagnosticKind::Io {
                    error: error.clone(),
                },
                format!("cannot read: {error}"),
                None,
            )],
        ),
        source: None,
        tree: None,
    };
    // Check the size before reading so a huge file is never loaded into memory.
    match std::fs::metadata(file) {
        Ok(m) if m.len() > options.max_file_bytes => {
            let size = m.len();
            return ParsedFile {
                model: FileModel::unparsed(
                    display_path,
                    language,
                    String::new(),
                    size,
                    vec![Diagnostic::new(
                        Severity::Error,
                        DiagnosticKind::TooLarge {
                            size,
                            limit: options.max_file_bytes,
                        },
                        format!(
                            "{size} bytes is over the {} byte limit; not parsed",
                            options.max_file_bytes
                        ),
                        None,
                    )],
                ),
                source: None,
                tree: None,
            };
        }
        Ok(_) => {}
        Err(e) => return unreadable(e.to_string()),
    }
    match std::fs::read(file) {
        Ok(bytes) => parse_source(display_path, language, &bytes, options),
        Err(e) => unreadable(e.to_string()),
    }
}

//! Collects tree-sitter ERROR and MISSING nodes as diagnostics, and marks the functions whose
//! span they touch as unreliable.

use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::model::Function;
use crate::span::{LineIndex, Span};

/// Beyond this many syntax errors in one file the rest are summarised in one diagnostic, so a
/// garbage file cannot grow the model without bound.
pub(crate) const MAX_SYNTAX_DIAGNOSTICS: usize = 200;

/// Spans of every ERROR / MISSING node, in source order.
pub(crate) fn error_spans(root: Node<'_>) -> Vec<(Span, Option<String>)> {
    let mut out = Vec::new();
    if !root.has_error() {
        return out;
    }
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_missing() {
            out.push((Span::of(&node), Some(node.kind().to_owned())));
            continue;
        }
        if node.is_error() {
            out.push((Span::of(&node), None));
            // Errors nested in an error add nothing a reader can act on.
            continue;
        }
        if !node.has_error() {
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    out.sort_by_key(|(s, _)| (s.start_byte, s.end_byte));
    out
}

/// Diagnostics for the error spans, capped at [`MAX_SYNTAX_DIAGNOSTICS`].
pub(crate) fn diagnostics(errors: &[(Span, Option<String>)], lines: &LineIndex) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = errors
        .iter()
        .take(MAX_SYNTAX_DIAGNOSTICS)
        .map(|(span, missing)| (span, missing, lines.position(span.start_byte)))
        .map(|(span, missing, start)| match missing {
            Some(token) => Diagnostic::new(
                Severity::Error,
                DiagnosticKind::MissingToken {
                    token: token.clone(),
                },
                format!(
                    "missing `{token}` at line {}, column {}",
                    start.line, start.column
                ),
                Some(*span),
            ),
            None => Diagnostic::new(
                Severity::Error,
                DiagnosticKind::SyntaxError,
                format!(
                    "syntax error at line {}, column {}",
                    start.line, start.column
                ),
                Some(*span),
            ),
        })
        .collect();
    if errors.len() > MAX_SYNTAX_DIAGNOSTICS {
        out.push(Diagnostic::new(
            Severity::Error,
            DiagnosticKind::SyntaxError,
            format!(
                "{} further syntax errors not listed",
                errors.len() - MAX_SYNTAX_DIAGNOSTICS
            ),
            None,
        ));
    }
    out
}

/// Marks every function with a clause touched by an error as unreliable.
pub(crate) fn mark_unreliable(functions: &mut [Function], errors: &[(Span, Option<String>)]) {
    if errors.is_empty() {
        return;
    }
    for f in functions.iter_mut() {
        let hit = f
            .clauses
            .iter()
            .any(|c| errors.iter().any(|(e, _)| c.span.touches(e)));
        if hit {
            f.reliable = false;
        }
    }
}

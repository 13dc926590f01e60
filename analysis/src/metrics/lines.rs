//! Line counts of a function or module span.
//!
//! * `sloc`: physical lines of the span, first to last (blank and comment lines included).
//! * `ploc`: lines holding code (any token that is not a comment; a multi-line string marks
//!   each of its lines).
//! * `cloc`: lines holding a comment (a line with code and a trailing comment counts in both).
//! * `blank`: lines with neither.
//! * `lloc`: logical lines, i.e. statements. Rust: each statement or tail expression of a
//!   block (nested blocks counted too). Elixir: each expression directly in a `do` / `else` /
//!   `rescue` / `catch` / `after` block or in a `->` clause body, and each `do:` / `else:`
//!   keyword body.

use elixir_scope_ast::tree_sitter::Node;
use serde::{Deserialize, Serialize};

use crate::syntax::{preorder, text, NodeKind};

/// Line counts of a function or module span.
///
/// * `sloc`: physical lines of the span, first to last (blank and comment lines included).
/// * `ploc`: lines holding code (any token that is not a comment; a multi-line string marks
///   each of its lines).
/// * `cloc`: lines holding a comment (a line with code and a trailing comment counts in both).
/// * `blank`: lines with neither.
/// * `lloc`: logical lines, i.e. statements. Rust: each statement or tail expression of a
///   block (nested blocks counted too). Elixir: each expression directly in a `do` / `else` /
///   `rescue` / `catch` / `after` block or in a `->` clause body, and each `do:` / `else:`
///   keyword body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineCounts {
    pub sloc: u32,
    pub ploc: u32,
    pub lloc: u32,
    pub cloc: u32,
    pub blank: u32,
}

fn is_comment(kind: &str) -> bool {
    matches!(kind, "comment" | "line_comment" | "block_comment")
}

/// Which lines of a file hold code and which hold comments, from one walk of its tree;
/// spans' counts are then slices of it.
pub(crate) struct LineFlags {
    code: Vec<bool>,
    comment: Vec<bool>,
}

impl LineFlags {
    /// The flags of every line of the tree rooted at `root`.
    pub(crate) fn of(root: Node<'_>) -> Self {
        let rows = root.end_position().row + 1;
        let mut flags = LineFlags {
            code: vec![false; rows],
            comment: vec![false; rows],
        };
        preorder(root, |node| {
            if is_comment(node.kind_name()) {
                mark(&mut flags.comment, &node);
                return false;
            }
            if node.child_count() == 0 && !node.is_missing() && node.end_byte() > node.start_byte()
            {
                mark(&mut flags.code, &node);
            }
            true
        });
        flags
    }

    /// Counts for the 1-based, inclusive line range `first..=last` (`lloc` left 0).
    pub(crate) fn counts(&self, first: u32, last: u32) -> LineCounts {
        let first = first.max(1);
        let last = last.max(first);
        let range = (first - 1) as usize..last as usize;
        let slice = |v: &[bool]| -> Vec<bool> {
            range
                .clone()
                .map(|i| v.get(i).copied().unwrap_or(false))
                .collect()
        };
        let (code, comment) = (slice(&self.code), slice(&self.comment));
        let count = |v: &[bool]| v.iter().filter(|b| **b).count() as u32;
        LineCounts {
            sloc: last - first + 1,
            ploc: count(&code),
            lloc: 0,
            cloc: count(&comment),
            blank: code
                .iter()
                .zip(&comment)
                .filter(|(a, b)| !**a && !**b)
                .count() as u32,
        }
    }
}

fn mark(flags: &mut [bool], node: &Node<'_>) {
    let from = node.start_position().row;
    let to = node.end_position().row;
    for row in from..=to {
        if let Some(f) = flags.get_mut(row) {
            *f = true;
        }
    }
}

/// Statements `node` contributes to an Elixir clause's `lloc`: the expressions directly in
/// a body block, or 1 for a `do:` / `else:` keyword body.
pub(crate) fn elixir_statements(node: &Node<'_>, source: &str) -> u32 {
    match node.kind_name() {
        "do_block" | "else_block" | "after_block" | "rescue_block" | "catch_block" | "body" => {
            let mut cursor = node.walk();
            node.children(&mut cursor)
                .filter(|c| {
                    c.is_named()
                        && !is_comment(c.kind_name())
                        && !matches!(
                            c.kind_name(),
                            "stab_clause"
                                | "else_block"
                                | "after_block"
                                | "rescue_block"
                                | "catch_block"
                        )
                })
                .count() as u32
        }
        "pair" => node.child_by_field_name("key").map_or(0, |key| {
            let k = text(&key, source).trim().trim_end_matches(':');
            u32::from(matches!(k, "do" | "else"))
        }),
        _ => 0,
    }
}

/// Statements `node` contributes to a Rust function's `lloc`: those of a block.
pub(crate) fn rust_statements(node: &Node<'_>) -> u32 {
    if node.kind_name() != "block" {
        return 0;
    }
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .filter(|c| c.is_named() && !is_comment(c.kind_name()))
        .count() as u32
}

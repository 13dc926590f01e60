//! One walk per clause for the metrics that only need each node and its nesting depth
//! (cyclomatic complexity, nesting, ABC, logical lines, Halstead tokens): the rules live in their own
//! modules, this visits every node once and feeds it to each of them.

use elixir_scope_ast::tree_sitter::{Node, TreeCursor};

use elixir_scope_ast::Language;

use super::abc::{Abc, AbcCounter};
use super::halstead::HalsteadCounter;
use super::{cyclomatic, lines, nesting};
use crate::elixir_syntax;

/// What one walk produces.
pub(crate) struct StructureCounts {
    pub cyclomatic: u32,
    pub nesting: u32,
    pub abc: Abc,
    pub lloc: u32,
}

/// Pre-order walk with one cursor. `visit(node, parent_depth)` returns the node's own
/// nesting depth to descend into it, or None to skip its descendants. Tokens go to
/// `halstead` on the way, except under a node it counted whole.
fn walk<'t, 's>(
    root: Node<'t>,
    language: Language,
    source: &'s str,
    halstead: &mut HalsteadCounter<'s>,
    mut visit: impl FnMut(&Node<'t>, u32) -> Option<u32>,
) {
    let mut cursor: TreeCursor<'t> = root.walk();
    // Nesting depth of each ancestor of the cursor's node.
    let mut depths: Vec<u32> = Vec::new();
    // Tree depth of the node whose subtree Halstead does not count, while inside it.
    let mut uncounted_below: Option<usize> = None;
    loop {
        let node = cursor.node();
        let level = depths.len();
        if uncounted_below.is_some_and(|d| level <= d) {
            uncounted_below = None;
        }
        if uncounted_below.is_none() && !halstead.visit(&node, language, source) {
            uncounted_below = Some(level);
        }
        let parent_depth = depths.last().copied().unwrap_or(0);
        if let Some(depth) = visit(&node, parent_depth) {
            if cursor.goto_first_child() {
                depths.push(depth);
                continue;
            }
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
            depths.pop();
        }
    }
}

/// The counts of one Elixir `def` clause node.
pub(crate) fn elixir_clause<'s>(
    clause: Node<'_>,
    source: &'s str,
    halstead: &mut HalsteadCounter<'s>,
) -> StructureCounts {
    let head = elixir_syntax::clause_head_call(&clause).map(|h| h.id());
    let (mut cyclomatic, mut deepest, mut lloc) = (1, 0, 0);
    let mut abc = AbcCounter::default();
    walk(
        clause,
        Language::Elixir,
        source,
        halstead,
        |node, parent_depth| {
            let construct = elixir_syntax::construct(node, source);
            let depth = parent_depth + u32::from(nesting::elixir_nests(construct));
            deepest = deepest.max(depth);
            cyclomatic += cyclomatic::elixir_node(node, construct, source);
            let is_definition = node.id() == clause.id() || Some(node.id()) == head;
            abc.elixir_node(node, construct, is_definition, source);
            lloc += lines::elixir_statements(node, source);
            Some(depth)
        },
    );
    StructureCounts {
        cyclomatic,
        nesting: deepest,
        abc: abc.finish(),
        lloc,
    }
}

/// The counts of one Rust `function_item` node; nested function items are skipped.
pub(crate) fn rust_function<'s>(
    function: Node<'_>,
    source: &'s str,
    halstead: &mut HalsteadCounter<'s>,
) -> StructureCounts {
    let root = function.id();
    let (mut cyclomatic, mut deepest, mut lloc) = (1, 0, 0);
    let mut abc = AbcCounter::default();
    walk(
        function,
        Language::Rust,
        source,
        halstead,
        |node, parent_depth| {
            if node.kind() == "function_item" && node.id() != root {
                return None;
            }
            let depth = parent_depth + u32::from(nesting::rust_nests(node));
            deepest = deepest.max(depth);
            cyclomatic += cyclomatic::rust_node(node, source);
            abc.rust_node(node, source);
            lloc += lines::rust_statements(node);
            Some(depth)
        },
    );
    StructureCounts {
        cyclomatic,
        nesting: deepest,
        abc: abc.finish(),
        lloc,
    }
}

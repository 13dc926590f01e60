//! One walk per clause for the metrics that only need each node and its nesting depth
//! (cyclomatic and cognitive complexity, nesting, ABC, logical lines, Halstead tokens): the rules live in their own
//! modules, this visits every node once and feeds it to each of them.

use crate::syntax::NodeKind;
use elixir_scope_ast::tree_sitter::{Node, TreeCursor};

use elixir_scope_ast::Language;

use super::abc::{Abc, AbcCounter};
use super::cognitive::{CognitiveCounter, CognitiveFrame};
use super::halstead::HalsteadCounter;
use super::{cyclomatic, lines, nesting};
use crate::elixir_syntax;

/// What one walk produces.
pub(crate) struct StructureCounts {
    pub cyclomatic: u32,
    pub cognitive: u32,
    pub nesting: u32,
    pub abc: Abc,
    pub lloc: u32,
}

/// What the walk keeps per ancestor: its nesting depth and how its children get their
/// cognitive level.
type Frame = (u32, CognitiveFrame);

/// Pre-order walk with one cursor. `visit(node, field, parent_frame)` returns the node's own
/// frame to descend into it, or None to skip its descendants. Tokens go to `halstead` on
/// the way, except under a node it counted whole.
fn walk<'t, 's>(
    root: Node<'t>,
    language: Language,
    source: &'s str,
    halstead: &mut HalsteadCounter<'s>,
    mut visit: impl FnMut(&Node<'t>, Option<&'t str>, Frame) -> Option<Frame>,
) {
    let mut cursor: TreeCursor<'t> = root.walk();
    // The frame of each ancestor of the cursor's node.
    let mut depths: Vec<Frame> = Vec::new();
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
        let parent = depths.last().copied().unwrap_or((0, CognitiveFrame::ROOT));
        if let Some(depth) = visit(&node, cursor.field_name(), parent) {
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
    let mut cognitive = CognitiveCounter::default();
    let visit = |node: &Node<'_>, field: Option<&str>, (parent_depth, parent): Frame| {
        let construct = elixir_syntax::construct(node, source);
        let frame = cognitive.elixir_node(node, field, parent, construct, source);
        let depth = parent_depth + u32::from(nesting::elixir_nests(construct));
        deepest = deepest.max(depth);
        cyclomatic += cyclomatic::elixir_node(node, construct, source);
        let is_definition = node.id() == clause.id() || Some(node.id()) == head;
        abc.elixir_node(node, construct, is_definition, source);
        lloc += lines::elixir_statements(node, source);
        Some((depth, frame))
    };
    walk(clause, Language::Elixir, source, halstead, visit);
    StructureCounts {
        cyclomatic,
        cognitive: cognitive.total(),
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
    let mut cognitive = CognitiveCounter::default();
    let visit = |node: &Node<'_>, field: Option<&str>, (parent_depth, parent): Frame| {
        if node.kind_name() == "function_item" && node.id() != root {
            return None;
        }
        let frame = cognitive.rust_node(node, field, parent, source);
        let depth = parent_depth + u32::from(nesting::rust_nests(node));
        deepest = deepest.max(depth);
        cyclomatic += cyclomatic::rust_node(node, source);
        abc.rust_node(node, source);
        lloc += lines::rust_statements(node);
        Some((depth, frame))
    };
    walk(function, Language::Rust, source, halstead, visit);
    StructureCounts {
        cyclomatic,
        cognitive: cognitive.total(),
        nesting: deepest,
        abc: abc.finish(),
        lloc,
    }
}

//! Small, allocation-light helpers over tree-sitter nodes shared by the metric walkers.
//!
//! Every walker here uses an explicit stack instead of recursion: syntax trees of hostile or
//! generated input can be thousands of levels deep, and a recursive walk would overflow the
//! thread's stack on them.

use elixir_scope_ast::tree_sitter::Node;

/// The children of `node`, in source order.
pub(crate) fn children<'t>(node: &Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

/// Calls `visit` on every node of the subtree rooted at `root` (root included), in pre-order.
/// `visit` returns false to skip a node's descendants.
pub(crate) fn preorder<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    // One cursor for the whole walk: creating a cursor per node allocates, moving one does
    // not, and the cursor cannot leave the subtree it was created on.
    let mut cursor = root.walk();
    loop {
        if visit(cursor.node()) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The source text of `node`, or "" when the node lies outside `source` (never for a tree
/// parsed from that source).
pub(crate) fn text<'s>(node: &Node<'_>, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

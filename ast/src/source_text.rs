//! Small helpers for reading node text and counting arguments, shared by both extractors.

use tree_sitter::Node;

/// Longest text kept for receivers and option snippets; longer ones are cut at a char boundary.
pub(crate) const MAX_SNIPPET: usize = 64;

/// The node's source text (the source is valid UTF-8, checked before parsing).
pub(crate) fn text<'s>(node: &Node<'_>, source: &'s str) -> &'s str {
    source.get(node.byte_range()).unwrap_or("")
}

/// Text cut to [`MAX_SNIPPET`] bytes.
pub(crate) fn snippet(node: &Node<'_>, source: &str) -> String {
    let t = text(node, source);
    if t.len() <= MAX_SNIPPET {
        return t.to_owned();
    }
    let mut end = MAX_SNIPPET;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &t[..end])
}

/// True for comment nodes, which tree-sitter lists among named children.
pub(crate) fn is_comment(node: &Node<'_>) -> bool {
    matches!(node.kind(), "comment" | "line_comment" | "block_comment")
}

/// Named, non-comment children.
pub(crate) fn named_children<'t>(node: &Node<'t>) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor)
        .filter(|c| !is_comment(c))
        .collect()
}

/// Saturating usize -> u32 for counts.
pub(crate) fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

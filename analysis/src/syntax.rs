//! Small, allocation-light helpers over tree-sitter nodes shared by the metric walkers.
//!
//! Every walker here uses an explicit stack instead of recursion: syntax trees of hostile or
//! generated input can be thousands of levels deep, and a recursive walk would overflow the
//! thread's stack on them.

use std::cell::Cell;
use std::sync::OnceLock;

use elixir_scope_ast::tree_sitter::Node;
use elixir_scope_ast::Language;

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

thread_local! {
    // The node-kind names of the grammar being measured on this thread, by kind id.
    static KIND_NAMES: Cell<Option<&'static [Box<str>]>> = const { Cell::new(None) };
}

/// Every node-kind name of `language`'s grammar, by kind id.
fn kind_names(language: Language) -> &'static [Box<str>] {
    static ELIXIR: OnceLock<Vec<Box<str>>> = OnceLock::new();
    static RUST: OnceLock<Vec<Box<str>>> = OnceLock::new();
    let cell = match language {
        Language::Elixir => &ELIXIR,
        Language::Rust => &RUST,
    };
    cell.get_or_init(|| {
        let grammar = language.grammar();
        (0..grammar.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| grammar.node_kind_for_id(id))
                    .unwrap_or("")
                    .into()
            })
            .collect()
    })
}

/// While alive, [`NodeKind::kind_name`] on this thread looks kind names up in `language`'s
/// table; dropping it restores the previous table (also when a walk panics).
pub(crate) struct KindNames {
    previous: Option<&'static [Box<str>]>,
}

impl KindNames {
    /// For walking trees of `language` on this thread.
    pub(crate) fn of(language: Language) -> KindNames {
        let previous = KIND_NAMES.with(|k| k.replace(Some(kind_names(language))));
        KindNames { previous }
    }
}

impl Drop for KindNames {
    fn drop(&mut self) {
        KIND_NAMES.with(|k| k.set(self.previous));
    }
}

/// [`Node::kind`] without its cost: tree-sitter's binding measures and UTF-8-checks the
/// C string on every call, which was a tenth of the metric walks' time. With a
/// [`KindNames`] alive the name comes from a table by kind id (the same name: both are the
/// grammar's symbol name); without one, or for an id outside the table, from the node.
pub(crate) trait NodeKind<'t> {
    fn kind_name(&self) -> &'t str;
}

impl<'t> NodeKind<'t> for Node<'t> {
    fn kind_name(&self) -> &'t str {
        let names: Option<&'static [Box<str>]> = KIND_NAMES.with(Cell::get);
        match names.and_then(|n| n.get(usize::from(self.kind_id()))) {
            Some(name) if !name.is_empty() => name,
            _ => self.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives exactly the names the nodes give, for every node of real files of
    /// both languages (syntax errors included).
    #[test]
    fn kind_names_from_the_table_equal_the_nodes_own() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let broken = "defmodule B do\n  def f(x do\nend\nfn g( { let = ; }";
        let cases = [
            (
                Language::Elixir,
                std::fs::read_to_string(dir.join("metrics.ex")).unwrap_or_default(),
            ),
            (
                Language::Rust,
                std::fs::read_to_string(dir.join("metrics.rs")).unwrap_or_default(),
            ),
            (Language::Elixir, broken.to_owned()),
            (Language::Rust, broken.to_owned()),
        ];
        for (language, source) in cases {
            assert!(!source.is_empty());
            let tree = elixir_scope_ast::parse_tree(language, source.as_bytes())
                .unwrap_or_else(|| panic!("{language:?} parses"));
            let _names = KindNames::of(language);
            let mut seen = 0;
            preorder(tree.root_node(), |node| {
                assert_eq!(
                    node.kind_name(),
                    node.kind(),
                    "{language:?} id {}",
                    node.kind_id()
                );
                seen += 1;
                true
            });
            assert!(seen > 20);
        }
        // Without a table the node's own name is used.
        let tree = elixir_scope_ast::parse_tree(Language::Rust, b"fn f() {}");
        let root = tree.as_ref().map(|t| t.root_node());
        assert_eq!(root.map(|r| r.kind_name()), Some("source_file"));
    }
}

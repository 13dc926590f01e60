//! Maximum nesting depth of control structures in a function; the outermost structure is
//! depth 1, a function without any is 0.
//!
//! * Elixir, as Credo's `Refactor.Nesting` check: `if`, `unless`, `case`, `cond` and `fn`
//!   nest (`with`, `for`, `try`, `receive` do not).
//! * Rust: `if` (an `else if` stays at its `if`'s depth), `match`, `for`, `while`, `loop` and
//!   closures nest. Nested function items are functions of their own and are skipped.

use elixir_scope_ast::tree_sitter::Node;

use crate::elixir_syntax::{self, Construct};

/// Maximum nesting depth inside one Elixir `def` clause node.
pub(crate) fn elixir_clause(clause: Node<'_>, source: &str) -> u32 {
    max_depth(
        clause,
        |node| {
            matches!(
                elixir_syntax::construct(node, source),
                Some(
                    Construct::If
                        | Construct::Unless
                        | Construct::Case
                        | Construct::Cond
                        | Construct::AnonymousFn
                )
            )
        },
        |_| false,
    )
}

/// Maximum nesting depth inside one Rust `function_item` node.
pub(crate) fn rust_function(function: Node<'_>) -> u32 {
    let root = function.id();
    max_depth(
        function,
        |node| match node.kind() {
            "if_expression" => node.parent().is_none_or(|p| p.kind() != "else_clause"),
            "match_expression" | "for_expression" | "while_expression" | "loop_expression"
            | "closure_expression" => true,
            _ => false,
        },
        move |node| node.kind() == "function_item" && node.id() != root,
    )
}

fn max_depth<'t>(
    root: Node<'t>,
    nests: impl Fn(&Node<'t>) -> bool,
    skip: impl Fn(&Node<'t>) -> bool,
) -> u32 {
    let mut deepest = 0;
    let mut stack = vec![(root, 0u32)];
    let mut cursor = root.walk();
    while let Some((node, depth)) = stack.pop() {
        if skip(&node) {
            continue;
        }
        let depth = if nests(&node) { depth + 1 } else { depth };
        deepest = deepest.max(depth);
        stack.extend(node.children(&mut cursor).map(|c| (c, depth)));
    }
    deepest
}

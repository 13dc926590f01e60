//! Maximum nesting depth of control structures in a function; the outermost structure is
//! depth 1, a function without any is 0.
//!
//! * Elixir, as Credo's `Refactor.Nesting` check: `if`, `unless`, `case`, `cond` and `fn`
//!   nest (`with`, `for`, `try`, `receive` do not).
//! * Rust: `if` (an `else if` stays at its `if`'s depth), `match`, `for`, `while`, `loop` and
//!   closures nest. Nested function items are functions of their own and are skipped.

use crate::syntax::NodeKind;
use elixir_scope_ast::tree_sitter::Node;

use crate::elixir_syntax::Construct;

/// True when an Elixir node nests what it contains (Credo's `if`, `unless`, `case`, `cond`,
/// `fn`).
pub(crate) fn elixir_nests(construct: Option<Construct>) -> bool {
    matches!(
        construct,
        Some(
            Construct::If
                | Construct::Unless
                | Construct::Case
                | Construct::Cond
                | Construct::AnonymousFn
        )
    )
}

/// True when a Rust node nests what it contains.
pub(crate) fn rust_nests(node: &Node<'_>) -> bool {
    match node.kind_name() {
        "if_expression" => node.parent().is_none_or(|p| p.kind_name() != "else_clause"),
        "match_expression" | "for_expression" | "while_expression" | "loop_expression"
        | "closure_expression" => true,
        _ => false,
    }
}

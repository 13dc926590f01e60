//! Cyclomatic complexity (McCabe): the number of linearly independent paths through a
//! function, counted as 1 plus one per decision point.
//!
//! ## Elixir: Credo-compatible
//! Counted the way Credo's `Refactor.CyclomaticComplexity` check counts one `def` clause:
//! * 1 for the clause itself;
//! * +1 for each `if`, `unless`, `for`, `try`, and each `and`, `or`, `&&`, `||`;
//! * `case` and `cond` add the number of clauses (`->`) in their `do` block;
//! * `with`, `receive`, `fn` and pattern-matching function heads add nothing.
//!
//! The whole clause is walked, head and guard included (Credo walks the `def` AST), so a
//! `when a and b` guard adds 1. A multi-clause function's value is its most complex clause's,
//! since Credo reports each clause on its own.
//!
//! ## Rust: rust-code-analysis-compatible
//! As rust-code-analysis counts a Rust function: 1, plus +1 for each `if` (including
//! `else if`, `if let` and match-arm guards), `for`, `while`, `loop`, each match arm, each `?`
//! and each `&&` / `||`. One difference: rust-code-analysis gives closures their own
//! function space, while here a closure's decisions count toward the function that contains
//! it (a function item nested inside is not counted: it is a function of its own).

use elixir_scope_ast::tree_sitter::Node;

use crate::elixir_syntax::{self, Construct};
use crate::syntax::{text, NodeKind};

/// What `node` adds to an Elixir clause's count (Credo's rules); `construct` is
/// `elixir_syntax::construct(node)`.
pub(crate) fn elixir_node(node: &Node<'_>, construct: Option<Construct>, source: &str) -> u32 {
    match construct {
        Some(Construct::If | Construct::Unless | Construct::For | Construct::Try) => 1,
        Some(Construct::Case | Construct::Cond) => elixir_syntax::do_block_clauses(node),
        Some(Construct::With | Construct::Receive | Construct::AnonymousFn) => 0,
        None => u32::from(elixir_syntax::boolean_operator(node, source).is_some()),
    }
}

/// What `node` adds to a Rust function's count (rust-code-analysis' rules).
pub(crate) fn rust_node(node: &Node<'_>, source: &str) -> u32 {
    match node.kind_name() {
        "if_expression" | "for_expression" | "while_expression" | "loop_expression"
        | "match_arm" | "try_expression" => 1,
        // A match-arm guard (`pat if cond =>`) is an `if` token in rust-code-analysis.
        "match_pattern" => u32::from(node.child_by_field_name("condition").is_some()),
        "binary_expression" => u32::from(matches!(
            node.child_by_field_name("operator")
                .map(|o| text(&o, source)),
            Some("&&" | "||")
        )),
        _ => 0,
    }
}

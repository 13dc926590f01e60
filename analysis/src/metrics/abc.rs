//! ABC size (Fitzpatrick, 1997): Assignments, Branches, Conditions, and the magnitude
//! `sqrt(A² + B² + C²)`.
//!
//! * **A**: Elixir: each match `=`. Rust: each `let` with an initialiser, each assignment and
//!   compound assignment (`+=`...).
//! * **B**: calls. Elixir: each `call` node that is not a control structure (`if`, `case`...)
//!   nor the `def` itself, anonymous-function calls `f.(x)` included; a zero-arity local call
//!   written without parentheses looks like a variable and is not counted. Rust: each call and
//!   method call, and each macro invocation.
//! * **C**: each comparison (`==`, `!=`, `<`, `>`, `<=`, `>=`; Elixir also `===`, `!==`, `=~`),
//!   each `else`, each clause of `case` / `cond` / `receive` / `match` arms, and each
//!   `rescue` / `catch` block.

use elixir_scope_ast::tree_sitter::Node;
use serde::{Deserialize, Serialize};

use crate::elixir_syntax::{self, Construct};
use crate::syntax::{preorder, text};

/// ABC counts and magnitude.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Abc {
    pub assignments: u32,
    pub branches: u32,
    pub conditions: u32,
    pub magnitude: f64,
}

impl Abc {
    pub(crate) fn add(&mut self, other: &Abc) {
        self.assignments += other.assignments;
        self.branches += other.branches;
        self.conditions += other.conditions;
        self.magnitude = magnitude(self.assignments, self.branches, self.conditions);
    }
}

fn magnitude(a: u32, b: u32, c: u32) -> f64 {
    (f64::from(a).powi(2) + f64::from(b).powi(2) + f64::from(c).powi(2)).sqrt()
}

/// ABC of one Elixir `def` clause node.
pub(crate) fn elixir_clause(clause: Node<'_>, source: &str) -> Abc {
    let (mut a, mut b, mut c) = (0, 0, 0);
    let head = elixir_syntax::clause_head_call(&clause).map(|h| h.id());
    preorder(clause, |node| {
        match node.kind() {
            "binary_operator" => match elixir_syntax::binary_operator(&node, source) {
                Some("=") => a += 1,
                Some("==" | "!=" | "===" | "!==" | "<" | ">" | "<=" | ">=" | "=~") => c += 1,
                _ => {}
            },
            "call" if node.id() != clause.id() && Some(node.id()) != head => {
                match elixir_syntax::construct(&node, source) {
                    Some(Construct::Case | Construct::Cond | Construct::Receive) => {
                        c += elixir_syntax::do_block_clauses(&node);
                    }
                    Some(_) => {}
                    None => b += 1,
                }
            }
            "else_block" | "rescue_block" | "catch_block" => c += 1,
            "pair" => {
                if let Some(key) = node.child_by_field_name("key") {
                    if text(&key, source).trim().trim_end_matches(':') == "else" {
                        c += 1;
                    }
                }
            }
            _ => {}
        }
        true
    });
    Abc {
        assignments: a,
        branches: b,
        conditions: c,
        magnitude: magnitude(a, b, c),
    }
}

/// ABC of one Rust `function_item` node.
pub(crate) fn rust_function(function: Node<'_>, source: &str) -> Abc {
    let (mut a, mut b, mut c) = (0, 0, 0);
    preorder(function, |node| {
        match node.kind() {
            "function_item" if node.id() != function.id() => return false,
            "let_declaration" if node.child_by_field_name("value").is_some() => a += 1,
            "assignment_expression" | "compound_assignment_expr" => a += 1,
            "call_expression" | "macro_invocation" => b += 1,
            "binary_expression" => {
                if matches!(
                    node.child_by_field_name("operator")
                        .map(|o| text(&o, source)),
                    Some("==" | "!=" | "<" | ">" | "<=" | ">=")
                ) {
                    c += 1;
                }
            }
            "else_clause" | "match_arm" => c += 1,
            _ => {}
        }
        true
    });
    Abc {
        assignments: a,
        branches: b,
        conditions: c,
        magnitude: magnitude(a, b, c),
    }
}

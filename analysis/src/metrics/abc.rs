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
use crate::syntax::{text, NodeKind};

/// ABC size (Fitzpatrick, 1997): Assignments, Branches, Conditions, and the magnitude
/// `sqrt(A² + B² + C²)`.
///
/// * **A**: Elixir: each match `=`. Rust: each `let` with an initialiser, each assignment and
///   compound assignment (`+=`...).
/// * **B**: calls. Elixir: each `call` node that is not a control structure (`if`, `case`...)
///   nor the `def` itself, anonymous-function calls `f.(x)` included; a zero-arity local call
///   written without parentheses looks like a variable and is not counted. Rust: each call and
///   method call, and each macro invocation.
/// * **C**: each comparison (`==`, `!=`, `<`, `>`, `<=`, `>=`; Elixir also `===`, `!==`, `=~`),
///   each `else`, each clause of `case` / `cond` / `receive` / `match` arms, and each
///   `rescue` / `catch` block.
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

/// ABC tallies over the nodes of one function.
#[derive(Default)]
pub(crate) struct AbcCounter {
    a: u32,
    b: u32,
    c: u32,
}

impl AbcCounter {
    /// Counts one node of an Elixir clause. `is_definition` is true for the clause's own
    /// `def` call and its head call (`name(params)`), which are not calls the function makes.
    pub(crate) fn elixir_node(
        &mut self,
        node: &Node<'_>,
        construct: Option<Construct>,
        is_definition: bool,
        source: &str,
    ) {
        match node.kind_name() {
            "binary_operator" => match elixir_syntax::binary_operator(node, source) {
                Some("=") => self.a += 1,
                Some("==" | "!=" | "===" | "!==" | "<" | ">" | "<=" | ">=" | "=~") => self.c += 1,
                _ => {}
            },
            "call" if !is_definition => match construct {
                Some(Construct::Case | Construct::Cond | Construct::Receive) => {
                    self.c += elixir_syntax::do_block_clauses(node);
                }
                Some(_) => {}
                None => self.b += 1,
            },
            "else_block" | "rescue_block" | "catch_block" => self.c += 1,
            "pair" => {
                if let Some(key) = node.child_by_field_name("key") {
                    if text(&key, source).trim().trim_end_matches(':') == "else" {
                        self.c += 1;
                    }
                }
            }
            _ => {}
        }
    }

    /// Counts one node of a Rust function.
    pub(crate) fn rust_node(&mut self, node: &Node<'_>, source: &str) {
        match node.kind_name() {
            "let_declaration" if node.child_by_field_name("value").is_some() => self.a += 1,
            "assignment_expression" | "compound_assignment_expr" => self.a += 1,
            "call_expression" | "macro_invocation" => self.b += 1,
            "binary_expression" => {
                if matches!(
                    node.child_by_field_name("operator")
                        .map(|o| text(&o, source)),
                    Some("==" | "!=" | "<" | ">" | "<=" | ">=")
                ) {
                    self.c += 1;
                }
            }
            "else_clause" | "match_arm" => self.c += 1,
            _ => {}
        }
    }

    /// The counts and their magnitude.
    pub(crate) fn finish(&self) -> Abc {
        Abc {
            assignments: self.a,
            branches: self.b,
            conditions: self.c,
            magnitude: magnitude(self.a, self.b, self.c),
        }
    }
}

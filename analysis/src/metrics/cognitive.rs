//! Cognitive complexity, after SonarSource's specification ("Cognitive Complexity", G. Ann
//! Campbell, 2017): how hard a function is to follow, rather than how many paths it has.
//!
//! Rules, as applied here:
//! * **Structural increment** (+1, plus the current nesting level): Rust `if` (not
//!   `else if`), `match`, `for`, `while`, `loop`; Elixir `if`, `unless`, `case`, `cond`,
//!   `with`, `for`, `receive`, and each `rescue` / `catch` block of a `try` (Sonar's
//!   `catch`; `try` itself is free).
//! * **Hybrid increment** (+1, no nesting cost): `else if` and `else` (Rust); `else` of
//!   `if` / `unless` / `with` / `try` (Elixir, block or `else:` keyword form).
//! * **Fundamental increment** (+1): each sequence of like boolean operators
//!   (see `boolean_sequences`); a Rust `break` / `continue` to a label.
//! * **Nesting**: the level rises inside the bodies of the structures above, inside Rust
//!   closures and Elixir `fn`s (Sonar's lambdas), not inside a condition or a `try` body.
//! * Not counted: recursion (Sonar adds 1 per recursive cycle; that needs the call graph),
//!   the `?` operator and early `return` (as rust-code-analysis, which follows the same spec).
//!
//! A multi-clause Elixir function's value is the sum over its clauses: every clause is code
//! a reader has to follow.

use elixir_scope_ast::tree_sitter::Node;

use super::boolean_sequences::{self, BooleanSyntax};
use crate::elixir_syntax::{self, Construct};
use crate::syntax::{children, children_with_fields, text};

struct ElixirBooleans<'s>(&'s str);

impl BooleanSyntax for ElixirBooleans<'_> {
    fn operator(&self, node: &Node<'_>) -> Option<char> {
        elixir_syntax::boolean_operator(node, self.0)
    }
    fn is_parenthesised(&self, node: &Node<'_>) -> bool {
        node.kind() == "block"
    }
}

struct RustBooleans<'s>(&'s str);

impl BooleanSyntax for RustBooleans<'_> {
    fn operator(&self, node: &Node<'_>) -> Option<char> {
        if node.kind() != "binary_expression" {
            return None;
        }
        match node
            .child_by_field_name("operator")
            .map(|o| text(&o, self.0))
        {
            Some("&&") => Some('&'),
            Some("||") => Some('|'),
            _ => None,
        }
    }
    fn is_parenthesised(&self, node: &Node<'_>) -> bool {
        node.kind() == "parenthesized_expression"
    }
}

/// Cognitive complexity of one Elixir `def` clause node.
pub(crate) fn elixir_clause(clause: Node<'_>, source: &str) -> u32 {
    let booleans = ElixirBooleans(source);
    let mut total = 0;
    let mut stack = vec![(clause, 0u32)];
    let mut cursor = clause.walk();
    while let Some((node, level)) = stack.pop() {
        if boolean_sequences::is_chain_root(&node, &booleans) {
            total += boolean_sequences::sequences(node, &booleans);
        }
        let Some(construct) = elixir_syntax::construct(&node, source) else {
            stack.extend(node.children(&mut cursor).map(|c| (c, level)));
            continue;
        };
        if construct == Construct::AnonymousFn {
            stack.extend(node.children(&mut cursor).map(|c| (c, level + 1)));
            continue;
        }
        if construct != Construct::Try {
            total += 1 + level;
        }
        let has_else = matches!(
            construct,
            Construct::If | Construct::Unless | Construct::With | Construct::Try
        );
        // A `try` body is not nested (Sonar: only its catch blocks are).
        let body_level = if construct == Construct::Try {
            level
        } else {
            level + 1
        };
        for child in children(&node) {
            match child.kind() {
                "arguments" => {
                    let pairs = elixir_syntax::keyword_pairs(&child, source);
                    for arg in children(&child) {
                        if arg.kind() != "keywords" {
                            stack.push((arg, level));
                        }
                    }
                    for (key, value) in pairs {
                        match key.as_str() {
                            "do" => stack.push((value, body_level)),
                            "else" => {
                                if has_else {
                                    total += 1;
                                }
                                stack.push((value, level + 1));
                            }
                            _ => stack.push((value, level)),
                        }
                    }
                }
                "do_block" => {
                    for part in children(&child) {
                        match part.kind() {
                            "else_block" => {
                                if has_else {
                                    total += 1;
                                }
                                push_children(&mut stack, &part, level + 1);
                            }
                            "rescue_block" | "catch_block" => {
                                total += 1 + level;
                                push_children(&mut stack, &part, level + 1);
                            }
                            "after_block" => push_children(&mut stack, &part, body_level),
                            _ => stack.push((part, body_level)),
                        }
                    }
                }
                _ => stack.push((child, level)),
            }
        }
    }
    total
}

fn push_children<'t>(stack: &mut Vec<(Node<'t>, u32)>, node: &Node<'t>, level: u32) {
    let mut cursor = node.walk();
    stack.extend(node.children(&mut cursor).map(|c| (c, level)));
}

/// Cognitive complexity of one Rust `function_item` node.
pub(crate) fn rust_function(function: Node<'_>, source: &str) -> u32 {
    let booleans = RustBooleans(source);
    let mut total = 0;
    let mut stack = vec![(function, 0u32)];
    let mut cursor = function.walk();
    while let Some((node, level)) = stack.pop() {
        if boolean_sequences::is_chain_root(&node, &booleans) {
            total += boolean_sequences::sequences(node, &booleans);
        }
        match node.kind() {
            "function_item" if node.id() != function.id() => {}
            "closure_expression" => {
                stack.extend(node.children(&mut cursor).map(|c| (c, level + 1)));
            }
            "if_expression" => {
                let is_else_if = node.parent().is_some_and(|p| p.kind() == "else_clause");
                total += if is_else_if { 1 } else { 1 + level };
                for child in children_with_fields(&node) {
                    match child.field {
                        Some("consequence") => stack.push((child.node, level + 1)),
                        Some("alternative") => {
                            for part in children(&child.node) {
                                match part.kind() {
                                    // `else if`: same level as this `if`, +1 on its own.
                                    "if_expression" => stack.push((part, level)),
                                    "block" => {
                                        total += 1;
                                        stack.push((part, level + 1));
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => stack.push((child.node, level)),
                    }
                }
            }
            "match_expression" | "for_expression" | "while_expression" | "loop_expression" => {
                total += 1 + level;
                for child in children_with_fields(&node) {
                    let nested = matches!(child.field, Some("body"));
                    stack.push((child.node, if nested { level + 1 } else { level }));
                }
            }
            "break_expression" | "continue_expression" => {
                if children(&node).iter().any(|c| c.kind() == "label") {
                    total += 1;
                }
                stack.extend(node.children(&mut cursor).map(|c| (c, level)));
            }
            _ => stack.extend(node.children(&mut cursor).map(|c| (c, level))),
        }
    }
    total
}

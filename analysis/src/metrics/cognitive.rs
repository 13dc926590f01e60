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
use crate::syntax::{children, text, NodeKind};

struct ElixirBooleans<'s>(&'s str);

impl BooleanSyntax for ElixirBooleans<'_> {
    fn operator(&self, node: &Node<'_>) -> Option<char> {
        elixir_syntax::boolean_operator(node, self.0)
    }
    fn is_parenthesised(&self, node: &Node<'_>) -> bool {
        node.kind_name() == "block"
    }
}

struct RustBooleans<'s>(&'s str);

impl BooleanSyntax for RustBooleans<'_> {
    fn operator(&self, node: &Node<'_>) -> Option<char> {
        if node.kind_name() != "binary_expression" {
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
        node.kind_name() == "parenthesized_expression"
    }
}

/// How a node's children get their nesting level. Most nodes pass one level to all their
/// children; the parts of a control structure (its arguments, `do`/`else` keywords, blocks,
/// branches, loop body) decide child by child.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CognitiveFrame {
    Uniform(u32),
    ElixirConstruct {
        level: u32,
        body: u32,
        has_else: bool,
    },
    ElixirArguments {
        level: u32,
        body: u32,
        has_else: bool,
    },
    ElixirKeywords {
        level: u32,
        body: u32,
        has_else: bool,
    },
    ElixirPair {
        value: u32,
        other: u32,
    },
    ElixirDoBlock {
        level: u32,
        body: u32,
        has_else: bool,
    },
    RustIf {
        level: u32,
    },
    RustElse {
        level: u32,
    },
    RustBody {
        level: u32,
    },
}

impl CognitiveFrame {
    /// The frame above a walk's root.
    pub(crate) const ROOT: CognitiveFrame = CognitiveFrame::Uniform(0);
}

/// Cognitive complexity accumulated over the nodes of one clause, fed in pre-order.
#[derive(Default)]
pub(crate) struct CognitiveCounter {
    total: u32,
}

impl CognitiveCounter {
    /// The complexity so far.
    pub(crate) fn total(&self) -> u32 {
        self.total
    }

    /// Counts one Elixir node whose parent's frame is `parent` and returns its own frame.
    /// `construct` is `elixir_syntax::construct(node)`.
    pub(crate) fn elixir_node(
        &mut self,
        node: &Node<'_>,
        field: Option<&str>,
        parent: CognitiveFrame,
        construct: Option<Construct>,
        source: &str,
    ) -> CognitiveFrame {
        use CognitiveFrame as F;
        let level = match parent {
            F::Uniform(l) => l,
            F::ElixirConstruct {
                level,
                body,
                has_else,
            } => match node.kind_name() {
                "arguments" => {
                    return F::ElixirArguments {
                        level,
                        body,
                        has_else,
                    }
                }
                "do_block" => {
                    return F::ElixirDoBlock {
                        level,
                        body,
                        has_else,
                    }
                }
                _ => level,
            },
            F::ElixirArguments {
                level,
                body,
                has_else,
            } => {
                if node.kind_name() == "keywords" {
                    return F::ElixirKeywords {
                        level,
                        body,
                        has_else,
                    };
                }
                level
            }
            F::ElixirKeywords {
                level,
                body,
                has_else,
            } => {
                if node.kind_name() != "pair" {
                    level
                } else {
                    let key = node
                        .child_by_field_name("key")
                        .map(|k| text(&k, source).trim().trim_end_matches(':').trim());
                    return match key {
                        Some("do") => F::ElixirPair {
                            value: body,
                            other: level,
                        },
                        Some("else") => {
                            if has_else {
                                self.total += 1;
                            }
                            F::ElixirPair {
                                value: level + 1,
                                other: level,
                            }
                        }
                        _ => F::ElixirPair {
                            value: level,
                            other: level,
                        },
                    };
                }
            }
            F::ElixirPair { value, other } => {
                if field == Some("value") {
                    value
                } else {
                    other
                }
            }
            F::ElixirDoBlock {
                level,
                body,
                has_else,
            } => match node.kind_name() {
                "else_block" => {
                    if has_else {
                        self.total += 1;
                    }
                    return F::Uniform(level + 1);
                }
                "rescue_block" | "catch_block" => {
                    self.total += 1 + level;
                    return F::Uniform(level + 1);
                }
                "after_block" => return F::Uniform(body),
                _ => body,
            },
            F::RustIf { level } | F::RustElse { level } | F::RustBody { level } => level,
        };
        let booleans = ElixirBooleans(source);
        if boolean_sequences::is_chain_root(node, &booleans) {
            self.total += boolean_sequences::sequences(*node, &booleans);
        }
        match construct {
            None => F::Uniform(level),
            Some(Construct::AnonymousFn) => F::Uniform(level + 1),
            // A `try` body is not nested (Sonar: only its catch blocks are).
            Some(Construct::Try) => F::ElixirConstruct {
                level,
                body: level,
                has_else: true,
            },
            Some(c) => {
                self.total += 1 + level;
                F::ElixirConstruct {
                    level,
                    body: level + 1,
                    has_else: matches!(c, Construct::If | Construct::Unless | Construct::With),
                }
            }
        }
    }

    /// Counts one Rust node whose parent's frame is `parent` and returns its own frame.
    pub(crate) fn rust_node(
        &mut self,
        node: &Node<'_>,
        field: Option<&str>,
        parent: CognitiveFrame,
        source: &str,
    ) -> CognitiveFrame {
        use CognitiveFrame as F;
        let mut else_if = false;
        let level = match parent {
            F::RustIf { level } => match field {
                Some("consequence") => level + 1,
                Some("alternative") => return F::RustElse { level },
                _ => level,
            },
            F::RustElse { level } => match node.kind_name() {
                // `else if`: same level as its `if`, +1 on its own.
                "if_expression" => {
                    else_if = true;
                    level
                }
                "block" => {
                    self.total += 1;
                    level + 1
                }
                _ => level,
            },
            F::RustBody { level } => {
                if field == Some("body") {
                    level + 1
                } else {
                    level
                }
            }
            F::Uniform(level)
            | F::ElixirConstruct { level, .. }
            | F::ElixirArguments { level, .. }
            | F::ElixirKeywords { level, .. }
            | F::ElixirDoBlock { level, .. } => level,
            F::ElixirPair { other, .. } => other,
        };
        let booleans = RustBooleans(source);
        if boolean_sequences::is_chain_root(node, &booleans) {
            self.total += boolean_sequences::sequences(*node, &booleans);
        }
        match node.kind_name() {
            "closure_expression" => F::Uniform(level + 1),
            "if_expression" => {
                self.total += if else_if { 1 } else { 1 + level };
                F::RustIf { level }
            }
            "match_expression" | "for_expression" | "while_expression" | "loop_expression" => {
                self.total += 1 + level;
                F::RustBody { level }
            }
            "break_expression" | "continue_expression" => {
                if children(node).iter().any(|c| c.kind_name() == "label") {
                    self.total += 1;
                }
                F::Uniform(level)
            }
            _ => F::Uniform(level),
        }
    }
}

//! Halstead's software-science measures from the tokens of a function.
//!
//! Tokens are the leaves of the syntax tree (comments and tokens tree-sitter inserted for
//! recovery excluded). Each token is an **operand** or an **operator**:
//! * Operands: names and literals. Elixir: `identifier`, `alias`, `atom`, `quoted_atom`,
//!   `keyword` (`key:`), `string`, `charlist`, `sigil`, `integer`, `float`, `char`, `boolean`,
//!   `nil`. Rust: `identifier`, `field_identifier`, `type_identifier`,
//!   `shorthand_field_identifier`, `primitive_type`, `self`, `crate`, `super`, a `lifetime` or
//!   loop `label` (`'outer`),
//!   `metavariable`, the literals (`integer_literal`, `float_literal`, `string_literal`,
//!   `raw_string_literal`, `char_literal`, `boolean_literal`). A string (interpolations
//!   included) is one operand.
//! * Operators: every other token (keywords, operators, punctuation including `,` and `;`),
//!   except closing delimiters (`)`, `]`, `}`, `>>`, Elixir `end`) which are counted with the
//!   opening one.
//!
//! Distinct operators / operands are told apart by their text. With n1, n2 distinct and N1,
//! N2 total operators / operands: vocabulary n = n1 + n2, length N = N1 + N2,
//! volume V = N·log2(n), difficulty D = n1/2 · N2/n2, effort E = D·V, time T = E/18 s,
//! delivered bugs B = E^(2/3) / 3000 (the forms rust-code-analysis uses).

use std::collections::HashSet;

use elixir_scope_ast::tree_sitter::Node;
use elixir_scope_ast::Language;
use serde::{Deserialize, Serialize};

use crate::syntax::{text, NodeKind};

/// Halstead's software-science measures from the tokens of a function.
///
/// Tokens are the leaves of the syntax tree (comments and tokens tree-sitter inserted for
/// recovery excluded). Each token is an **operand** or an **operator**:
/// * Operands: names and literals. Elixir: `identifier`, `alias`, `atom`, `quoted_atom`,
///   `keyword` (`key:`), `string`, `charlist`, `sigil`, `integer`, `float`, `char`, `boolean`,
///   `nil`. Rust: `identifier`, `field_identifier`, `type_identifier`,
///   `shorthand_field_identifier`, `primitive_type`, `self`, `crate`, `super`, a `lifetime` or
///   loop `label` (`'outer`),
///   `metavariable`, the literals (`integer_literal`, `float_literal`, `string_literal`,
///   `raw_string_literal`, `char_literal`, `boolean_literal`). A string (interpolations
///   included) is one operand.
/// * Operators: every other token (keywords, operators, punctuation including `,` and `;`),
///   except closing delimiters (`)`, `]`, `}`, `>>`, Elixir `end`) which are counted with the
///   opening one.
///
/// Distinct operators / operands are told apart by their text. With n1, n2 distinct and N1,
/// N2 total operators / operands: vocabulary n = n1 + n2, length N = N1 + N2,
/// volume V = N·log2(n), difficulty D = n1/2 · N2/n2, effort E = D·V, time T = E/18 s,
/// delivered bugs B = E^(2/3) / 3000 (the forms rust-code-analysis uses).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Halstead {
    pub distinct_operators: u32,
    pub distinct_operands: u32,
    pub total_operators: u32,
    pub total_operands: u32,
    pub vocabulary: u32,
    pub length: u32,
    pub volume: f64,
    pub difficulty: f64,
    pub effort: f64,
    pub time_seconds: f64,
    pub bugs: f64,
}

/// Token tallies collected over one or more nodes, turned into [`Halstead`] at the end.
#[derive(Default)]
pub(crate) struct HalsteadCounter<'s> {
    operators: HashSet<&'s str>,
    operands: HashSet<&'s str>,
    total_operators: u32,
    total_operands: u32,
}

fn whole_operand(kind: &str, language: Language) -> bool {
    match language {
        Language::Elixir => matches!(
            kind,
            "string"
                | "charlist"
                | "sigil"
                | "quoted_atom"
                | "keyword"
                | "char"
                | "boolean"
                | "nil"
        ),
        Language::Rust => matches!(
            kind,
            "string_literal"
                | "raw_string_literal"
                | "char_literal"
                | "lifetime"
                | "label"
                | "boolean_literal"
        ),
    }
}

fn leaf_operand(kind: &str, language: Language) -> bool {
    match language {
        Language::Elixir => matches!(kind, "identifier" | "alias" | "atom" | "integer" | "float"),
        Language::Rust => matches!(
            kind,
            "identifier"
                | "field_identifier"
                | "type_identifier"
                | "shorthand_field_identifier"
                | "primitive_type"
                | "self"
                | "crate"
                | "super"
                | "metavariable"
                | "integer_literal"
                | "float_literal"
        ),
    }
}

fn is_closing(token: &str, language: Language) -> bool {
    matches!(token, ")" | "]" | "}" | ">>") || (language == Language::Elixir && token == "end")
}

impl<'s> HalsteadCounter<'s> {
    /// Counts `node` if it is a token. Returns false when its descendants must not be
    /// counted: a comment, or an operand counted whole (a string with its interpolations).
    pub(crate) fn visit(&mut self, node: &Node<'_>, language: Language, source: &'s str) -> bool {
        let kind = node.kind_name();
        if matches!(kind, "comment" | "line_comment" | "block_comment") || node.is_missing() {
            return false;
        }
        let leaf = node.child_count() == 0;
        if whole_operand(kind, language) || (leaf && leaf_operand(kind, language)) {
            self.operands.insert(text(node, source));
            self.total_operands += 1;
            return false;
        }
        if leaf && node.end_byte() > node.start_byte() {
            let token = text(node, source);
            if !is_closing(token, language) {
                self.operators.insert(token);
                self.total_operators += 1;
            }
        }
        true
    }

    /// The measures of everything added so far.
    pub(crate) fn finish(&self) -> Halstead {
        let n1 = self.operators.len() as u32;
        let n2 = self.operands.len() as u32;
        let (big_n1, big_n2) = (self.total_operators, self.total_operands);
        let vocabulary = n1 + n2;
        let length = big_n1 + big_n2;
        let volume = if vocabulary > 0 {
            f64::from(length) * f64::from(vocabulary).log2()
        } else {
            0.0
        };
        let difficulty = if n2 > 0 {
            f64::from(n1) / 2.0 * f64::from(big_n2) / f64::from(n2)
        } else {
            0.0
        };
        let effort = difficulty * volume;
        Halstead {
            distinct_operators: n1,
            distinct_operands: n2,
            total_operators: big_n1,
            total_operands: big_n2,
            vocabulary,
            length,
            volume,
            difficulty,
            effort,
            time_seconds: effort / 18.0,
            bugs: effort.powf(2.0 / 3.0) / 3000.0,
        }
    }
}

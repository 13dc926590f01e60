//! How the metric walkers recognise Elixir control structures in tree-sitter-elixir trees.
//!
//! Elixir has no control-flow keywords in its grammar: `if`, `case`, `cond`... are macro
//! calls (`call` nodes whose `target` is an identifier), bodies are `do_block`s or `do:` /
//! `else:` keyword pairs, clauses are `stab_clause`s and `fn ... end` is an
//! `anonymous_function`.

use elixir_scope_ast::tree_sitter::Node;

use crate::syntax::{children, text, NodeKind};

/// An Elixir control structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Construct {
    If,
    Unless,
    Case,
    Cond,
    With,
    For,
    Try,
    Receive,
    /// `fn ... end`.
    AnonymousFn,
}

/// The control structure `node` is, if any.
pub(crate) fn construct(node: &Node<'_>, source: &str) -> Option<Construct> {
    match node.kind_name() {
        "anonymous_function" => Some(Construct::AnonymousFn),
        "call" => {
            let target = node.child_by_field_name("target")?;
            if target.kind_name() != "identifier" {
                return None;
            }
            let c = match text(&target, source) {
                "if" => Construct::If,
                "unless" => Construct::Unless,
                "case" => Construct::Case,
                "cond" => Construct::Cond,
                "with" => Construct::With,
                "for" => Construct::For,
                "try" => Construct::Try,
                "receive" => Construct::Receive,
                _ => return None,
            };
            // `if` without a body is a call to something else named `if` (a variable-less
            // reference in a quote, a capture): only the macro shape counts.
            has_body(node, source).then_some(c)
        }
        _ => None,
    }
}

fn has_body(call: &Node<'_>, source: &str) -> bool {
    children(call).iter().any(|c| match c.kind_name() {
        "do_block" => true,
        "arguments" => !keyword_pairs(c, source).is_empty(),
        _ => false,
    })
}

/// The `key: value` pairs of a call's trailing keyword list, key without its colon
/// (`do`, `else`), for the keyword forms `if c, do: a, else: b`.
pub(crate) fn keyword_pairs<'t>(arguments: &Node<'t>, source: &str) -> Vec<(String, Node<'t>)> {
    let mut out = Vec::new();
    for kw in children(arguments) {
        if kw.kind_name() != "keywords" {
            continue;
        }
        for pair in children(&kw) {
            if pair.kind_name() != "pair" {
                continue;
            }
            let (Some(key), Some(value)) = (
                pair.child_by_field_name("key"),
                pair.child_by_field_name("value"),
            ) else {
                continue;
            };
            let k = text(&key, source).trim().trim_end_matches(':').trim();
            out.push((k.to_owned(), value));
        }
    }
    out
}

/// The operator of a `binary_operator` node (`and`, `||`, `|>`, `=`...).
pub(crate) fn binary_operator<'s>(node: &Node<'_>, source: &'s str) -> Option<&'s str> {
    if node.kind_name() != "binary_operator" {
        return None;
    }
    node.child_by_field_name("operator")
        .map(|op| text(&op, source))
}

/// Boolean operators, normalised so `and`/`&&` and `or`/`||` form one sequence each.
pub(crate) fn boolean_operator(node: &Node<'_>, source: &str) -> Option<char> {
    match binary_operator(node, source)? {
        "and" | "&&" => Some('&'),
        "or" | "||" => Some('|'),
        _ => None,
    }
}

/// Number of `stab_clause`s (`pattern -> body`) in the `do_block` of a construct call.
pub(crate) fn do_block_clauses(call: &Node<'_>) -> u32 {
    children(call)
        .iter()
        .filter(|c| c.kind_name() == "do_block")
        .flat_map(children)
        .filter(|c| c.kind_name() == "stab_clause")
        .count() as u32
}

/// The head call (`name(params)`) of a `def`-like clause node: not a call the function
/// makes, so the ABC count skips it. `None` for a zero-arity head written without
/// parentheses.
pub(crate) fn clause_head_call<'t>(clause: &Node<'t>) -> Option<Node<'t>> {
    let arguments = children(clause)
        .into_iter()
        .find(|c| c.kind_name() == "arguments")?;
    let mut head = arguments.named_child(0)?;
    // `name(params) when guard`
    if head.kind_name() == "binary_operator" {
        head = head.child_by_field_name("left")?;
    }
    (head.kind_name() == "call").then_some(head)
}

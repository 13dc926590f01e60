//! Macro invocations, and calls found inside their token trees.
//!
//! tree-sitter leaves macro arguments as flat token trees, yet `assert_eq!(f(x), 1)` or
//! `format!("{}", v.len())` hold real calls. The scan recognises `name(`, `a::b(`, `.name(`
//! (each also with a turbofish, `.name::<T>(`) and `name!(` token shapes. It cannot tell a call from, say, a tuple-struct pattern in a
//! `matches!` arm; such hits are still recorded (the resolver leaves them unresolved).

use tree_sitter::Node;

use super::paths::split_scoped;
use super::{constructor_or, Walker};
use crate::model::CallKind;
use crate::source_text::{count_u32, text, MAX_SNIPPET};

/// Words that precede `(` inside macro input without being calls.
fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "if" | "while"
            | "match"
            | "return"
            | "in"
            | "for"
            | "let"
            | "as"
            | "else"
            | "loop"
            | "move"
            | "async"
            | "await"
            | "ref"
            | "mut"
            | "fn"
            | "where"
            | "impl"
            | "dyn"
            | "break"
            | "continue"
            | "yield"
            | "box"
    )
}

pub(super) fn visit_macro(w: &mut Walker<'_>, node: Node<'_>) {
    if let Some(m) = node.child_by_field_name("macro") {
        let (qualifier, name) = match m.kind() {
            "scoped_identifier" => split_scoped(&m, w.src),
            _ => (Vec::new(), text(&m, w.src).to_owned()),
        };
        w.record(CallKind::Macro, qualifier, name, 0, None, &node);
    }
    let mut cursor = node.walk();
    let trees: Vec<Node<'_>> = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() == "token_tree")
        .collect();
    for t in trees {
        scan(w, t);
    }
}

/// Top-level argument count of a parenthesised token tree: commas + 1, minus a trailing one.
fn token_args(tree: &Node<'_>) -> u32 {
    let mut cursor = tree.walk();
    let kids: Vec<Node<'_>> = tree.children(&mut cursor).collect();
    let inner: Vec<&Node<'_>> = kids
        .iter()
        .filter(|k| !matches!(k.kind(), "(" | ")"))
        .collect();
    if inner.is_empty() {
        return 0;
    }
    let commas = inner.iter().filter(|k| k.kind() == ",").count();
    let trailing = inner.last().is_some_and(|k| k.kind() == ",");
    count_u32(commas + 1 - usize::from(trailing))
}

/// The index after a turbofish starting at `at` (`::<T, Vec<U>>` in `f::<T, Vec<U>>(x)`),
/// or `at` itself when there is none (or it is not closed).
fn after_turbofish(kids: &[Node<'_>], at: usize, src: &str) -> usize {
    let opens = kids.get(at).is_some_and(|k| k.kind() == "::")
        && kids.get(at + 1).is_some_and(|k| text(k, src) == "<");
    if !opens {
        return at;
    }
    let mut depth = 0i32;
    for (j, k) in kids.iter().enumerate().skip(at + 1) {
        match text(k, src) {
            "<" => depth += 1,
            ">" => depth -= 1,
            ">>" => depth -= 2,
            _ => {}
        }
        if depth <= 0 {
            return if depth == 0 { j + 1 } else { at };
        }
    }
    at
}

fn starts_with_paren(node: &Node<'_>, src: &str) -> bool {
    node.kind() == "token_tree" && text(node, src).starts_with('(')
}

fn scan(w: &mut Walker<'_>, tree: Node<'_>) {
    if !w.enter() {
        return;
    }
    let mut cursor = tree.walk();
    let kids: Vec<Node<'_>> = tree.children(&mut cursor).collect();
    for (i, k) in kids.iter().enumerate() {
        match k.kind() {
            "token_tree" => crate::stack_guard::grow_if_needed(|| scan(w, *k)),
            "identifier" => {
                let name = text(k, w.src);
                if is_keyword(name) {
                    continue;
                }
                let next = kids.get(i + 1);
                if next.is_some_and(|n| n.kind() == "!")
                    && kids.get(i + 2).is_some_and(|n| n.kind() == "token_tree")
                {
                    w.record(CallKind::Macro, Vec::new(), name.to_owned(), 0, None, k);
                    continue;
                }
                let Some(args) = kids
                    .get(after_turbofish(&kids, i + 1, w.src))
                    .filter(|n| starts_with_paren(n, w.src))
                else {
                    continue;
                };
                let arity = token_args(args);
                let prev = i.checked_sub(1).and_then(|p| kids.get(p));
                match prev.map(|p| p.kind()) {
                    Some(".") => {
                        let receiver = receiver_text(&kids, i - 1, w.src);
                        w.record(
                            CallKind::Method,
                            Vec::new(),
                            name.to_owned(),
                            arity + 1,
                            receiver,
                            k,
                        );
                    }
                    Some("::") => {
                        let mut qualifier = Vec::new();
                        let mut j = i;
                        while j >= 2
                            && kids[j - 1].kind() == "::"
                            && kids[j - 2].kind() == "identifier"
                        {
                            qualifier.push(text(&kids[j - 2], w.src).to_owned());
                            j -= 2;
                        }
                        qualifier.reverse();
                        let kind = constructor_or(name, CallKind::Remote);
                        w.record(kind, qualifier, name.to_owned(), arity, None, k);
                    }
                    Some("fn") => {}
                    _ => {
                        let kind = constructor_or(name, CallKind::Local);
                        w.record(kind, Vec::new(), name.to_owned(), arity, None, k);
                    }
                }
            }
            _ => {}
        }
    }
    w.leave();
}

fn is_word(kind: &str) -> bool {
    matches!(
        kind,
        "identifier" | "self" | "super" | "crate" | "integer_literal" | "field_identifier"
    )
}

/// The receiver chain ending just before the `.` at `dot`: `c.scaled(2.0)` in
/// `c.scaled(2.0).area()`. Words must be joined by `.`/`::` or followed by call arguments.
fn receiver_text(kids: &[Node<'_>], dot: usize, src: &str) -> Option<String> {
    let mut start = dot.checked_sub(1)?;
    while start > 0 {
        let here = kids[start].kind();
        let prev = kids[start - 1].kind();
        let joined = matches!(prev, "." | "::")
            || (matches!(here, "." | "::" | "token_tree")
                && (is_word(prev) || prev == "token_tree"));
        if !joined {
            break;
        }
        start -= 1;
    }
    let from = kids[start].start_byte();
    let to = kids[dot].start_byte();
    let t = src.get(from..to)?;
    let mut end = t.len().min(MAX_SNIPPET);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    Some(t[..end].to_owned())
}

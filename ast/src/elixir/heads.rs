//! Function heads: `name(params) when guard`, `name`, `unquote(n)(params)`.

use tree_sitter::Node;

use crate::model::Param;
use crate::model_builder::ModelBuilder;
use crate::source_text::{named_children, text};
use crate::span::Span;

pub(crate) struct Head<'t> {
    pub name: String,
    pub generated: bool,
    pub params: Vec<Param>,
    /// Default-value expressions, walked for calls.
    pub default_nodes: Vec<Node<'t>>,
    pub guard: Option<Node<'t>>,
}

fn op<'s>(node: &Node<'_>, src: &'s str) -> &'s str {
    node.child_by_field_name("operator")
        .map(|o| text(&o, src))
        .unwrap_or("")
}

/// Parses the first argument of a `def`-family call; None for shapes not modelled
/// (operator definitions such as `def a + b`).
pub(crate) fn parse<'t>(node: Node<'t>, src: &str, b: &mut ModelBuilder) -> Option<Head<'t>> {
    let (head, guard) = if node.kind() == "binary_operator" && op(&node, src) == "when" {
        (
            node.child_by_field_name("left")?,
            node.child_by_field_name("right"),
        )
    } else {
        (node, None)
    };
    match head.kind() {
        "identifier" => Some(Head {
            name: text(&head, src).to_owned(),
            generated: false,
            params: Vec::new(),
            default_nodes: Vec::new(),
            guard,
        }),
        "call" => {
            let target = head.child_by_field_name("target")?;
            let (name, generated) = match target.kind() {
                "identifier" => (text(&target, src).to_owned(), false),
                "call" => (text(&target, src).to_owned(), true),
                _ => return None,
            };
            let args = named_children(&head)
                .into_iter()
                .find(|c| c.kind() == "arguments");
            let mut params = Vec::new();
            let mut default_nodes = Vec::new();
            for p in args.map(|a| named_children(&a)).unwrap_or_default() {
                let (pattern, default) = if p.kind() == "binary_operator" && op(&p, src) == "\\\\" {
                    (
                        p.child_by_field_name("left").unwrap_or(p),
                        p.child_by_field_name("right"),
                    )
                } else {
                    (p, None)
                };
                if let Some(d) = default {
                    default_nodes.push(d);
                }
                params.push(Param {
                    pattern: b.name(text(&pattern, src)),
                    name: bound_name(&pattern, src).map(|n| b.name(&n)),
                    annotation: default.map(|d| b.name(text(&d, src))),
                    span: Span::of(&p),
                });
            }
            Some(Head {
                name,
                generated,
                params,
                default_nodes,
                guard,
            })
        }
        _ => None,
    }
}

/// The variable a parameter binds as a whole: `x`, `%{} = x`, `x = %{}`.
fn bound_name(node: &Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        "identifier" => Some(text(node, src).to_owned()),
        "binary_operator" if op(node, src) == "=" => {
            let r = node.child_by_field_name("right")?;
            let l = node.child_by_field_name("left")?;
            if r.kind() == "identifier" {
                Some(text(&r, src).to_owned())
            } else if l.kind() == "identifier" {
                Some(text(&l, src).to_owned())
            } else {
                None
            }
        }
        _ => None,
    }
}

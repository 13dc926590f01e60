//! SonarSource's rule for boolean operators in cognitive complexity: each *sequence* of like
//! operators costs 1, so `a && b && c` is 1 and `a && b || c` is 2. Parentheses do not break
//! a sequence (`a && (b && c)` is 1), a change of operator does.

use elixir_scope_ast::tree_sitter::Node;

/// Language hooks: which nodes are boolean operators (and which kind), which are parentheses.
pub(crate) trait BooleanSyntax {
    /// `Some('&')` / `Some('|')` for a conjunction / disjunction node.
    fn operator(&self, node: &Node<'_>) -> Option<char>;
    /// True for a parenthesised expression wrapping one expression.
    fn is_parenthesised(&self, node: &Node<'_>) -> bool;
}

/// True when `node` is a boolean operator not nested (through parentheses) in another one:
/// the node at which its sequence is counted.
pub(crate) fn is_chain_root(node: &Node<'_>, syntax: &impl BooleanSyntax) -> bool {
    if syntax.operator(node).is_none() {
        return false;
    }
    let mut parent = node.parent();
    while let Some(p) = parent {
        if syntax.is_parenthesised(&p) {
            parent = p.parent();
            continue;
        }
        return syntax.operator(&p).is_none();
    }
    true
}

enum Step<'t> {
    Visit(Node<'t>),
    Emit(char),
}

/// The number of like-operator sequences in the chain rooted at `root`.
pub(crate) fn sequences(root: Node<'_>, syntax: &impl BooleanSyntax) -> u32 {
    let mut stack = vec![Step::Visit(root)];
    let mut last = None;
    let mut count = 0;
    while let Some(step) = stack.pop() {
        match step {
            Step::Emit(op) => {
                if last != Some(op) {
                    count += 1;
                }
                last = Some(op);
            }
            Step::Visit(node) => {
                if let Some(op) = syntax.operator(&node) {
                    let (left, right) = (
                        node.child_by_field_name("left"),
                        node.child_by_field_name("right"),
                    );
                    if let Some(r) = right {
                        stack.push(Step::Visit(r));
                    }
                    stack.push(Step::Emit(op));
                    if let Some(l) = left {
                        stack.push(Step::Visit(l));
                    }
                } else if syntax.is_parenthesised(&node) {
                    let mut cursor = node.walk();
                    let inner: Vec<_> = node.named_children(&mut cursor).collect();
                    for child in inner.into_iter().rev() {
                        stack.push(Step::Visit(child));
                    }
                }
            }
        }
    }
    count
}

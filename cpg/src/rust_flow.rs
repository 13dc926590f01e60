//! Control flow and variable bindings of one Rust `fn`, walked from the tree-sitter tree:
//! `if`/`if let`/`match`/`loop`/`while`/`for`, labelled `break`/`continue`, `return`, `?`
//! as an early-return edge, `panic!`-family macros (and failing assertions) as exits.
//!
//! Evaluation order: sub-expressions containing calls or control flow are walked first,
//! then one node stands for the expression itself. Closures and `async` blocks are values
//! (their bodies run elsewhere).

use elixir_scope_ast::grow_if_needed;
use elixir_scope_ast::tree_sitter::Node as TsNode;
use elixir_scope_ast::{Function, ParsedFile};

use crate::flow_builder::{named_children, shorten, FlowBuilder, Frontier, LoopFrame};
use crate::graph::{CfgLabel, MethodGraph, NodeId, NodeKind};

/// Macros that never return.
const DIVERGING_MACROS: &[&str] = &["panic", "unreachable", "todo", "unimplemented"];
/// Macros that panic when their condition fails.
const ASSERT_MACROS: &[&str] = &[
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
];

/// Builds the graph of `function`. None when the file has no tree, the function has no
/// body, or its syntax node cannot be found.
pub(crate) fn build(parsed: &ParsedFile, function: &Function) -> Option<MethodGraph> {
    let source = parsed.source.as_deref()?;
    let body = parsed.body_node(function.id, 0)?;
    // The clause span may include attributes and doc comments; the `fn` item is the body's
    // parent.
    let item = body
        .parent()
        .filter(|p| p.kind() == "function_item")
        .or_else(|| parsed.clause_node(function.id, 0))?;
    let mut w = Walker {
        b: FlowBuilder::new(source, item, &function.name),
    };
    let mut f: Frontier = vec![(w.b.entry, CfgLabel::Always)];
    if let Some(params) = item.child_by_field_name("parameters") {
        for p in named_children(params) {
            if !matches!(p.kind(), "parameter" | "self_parameter") {
                continue;
            }
            let n = w.b.emit(f, NodeKind::Parameter, p, None);
            match p.kind() {
                "self_parameter" => {
                    w.b.bind(n, "self", p);
                }
                _ => {
                    if let Some(pat) = p.child_by_field_name("pattern") {
                        w.bind_pattern(n, pat);
                    }
                }
            }
            f = vec![(n, CfgLabel::Always)];
        }
    }
    let end = w.expr(body, f);
    Some(w.b.finish(end))
}

const LITERALS: &[&str] = &[
    "integer_literal",
    "float_literal",
    "string_literal",
    "raw_string_literal",
    "char_literal",
    "boolean_literal",
    "unit_expression",
];

/// Kinds with control flow or calls inside.
fn is_flow(kind: &str) -> bool {
    matches!(
        kind,
        "call_expression"
            | "macro_invocation"
            | "if_expression"
            | "match_expression"
            | "loop_expression"
            | "while_expression"
            | "for_expression"
            | "return_expression"
            | "break_expression"
            | "continue_expression"
            | "try_expression"
            | "block"
            | "unsafe_block"
            | "let_declaration"
            | "assignment_expression"
            | "compound_assignment_expr"
    )
}

fn is_simple(node: TsNode<'_>) -> bool {
    if is_flow(node.kind()) {
        return false;
    }
    match node.kind() {
        "closure_expression" | "async_block" => true,
        _ => named_children(node).into_iter().all(is_simple),
    }
}

fn is_item(kind: &str) -> bool {
    kind.ends_with("_item")
        || matches!(
            kind,
            "use_declaration" | "empty_statement" | "attribute_item" | "inner_attribute_item"
        )
}

fn is_field(parent: TsNode<'_>, child: TsNode<'_>, field: &str) -> bool {
    parent
        .child_by_field_name(field)
        .is_some_and(|f| f.id() == child.id())
}

fn uses_in(b: &FlowBuilder<'_>, node: TsNode<'_>) -> Vec<String> {
    let mut out = Vec::new();
    collect_uses(b, node, &mut out);
    out
}

fn collect_uses(b: &FlowBuilder<'_>, node: TsNode<'_>, out: &mut Vec<String>) {
    grow_if_needed(|| collect_uses_unguarded(b, node, out))
}

fn collect_uses_unguarded(b: &FlowBuilder<'_>, node: TsNode<'_>, out: &mut Vec<String>) {
    match node.kind() {
        "identifier" | "self" => {
            out.push(b.text(node).to_owned());
            return;
        }
        // Paths, labels and types never name local variables.
        "scoped_identifier"
        | "scoped_type_identifier"
        | "label"
        | "type_identifier"
        | "generic_type"
        | "lifetime" => return,
        _ => {}
    }
    for c in named_children(node) {
        if node.kind() == "macro_invocation" && is_field(node, c, "macro") {
            continue;
        }
        collect_uses(b, c, out);
    }
}

/// Variables a pattern binds: identifiers that are not paths, constants or variant names.
fn pattern_vars<'t>(b: &FlowBuilder<'_>, node: TsNode<'t>, defs: &mut Vec<(String, TsNode<'t>)>) {
    grow_if_needed(|| pattern_vars_unguarded(b, node, defs))
}

fn pattern_vars_unguarded<'t>(
    b: &FlowBuilder<'_>,
    node: TsNode<'t>,
    defs: &mut Vec<(String, TsNode<'t>)>,
) {
    match node.kind() {
        "identifier" | "shorthand_field_identifier" => {
            let name = b.text(node);
            let capitalised = name.chars().next().is_some_and(char::is_uppercase);
            if name != "_" && !capitalised {
                defs.push((name.to_owned(), node));
            }
        }
        "scoped_identifier"
        | "type_identifier"
        | "field_identifier"
        | "label"
        | "scoped_type_identifier" => {}
        "tuple_struct_pattern" | "struct_pattern" => {
            for c in named_children(node) {
                if !is_field(node, c, "type") {
                    pattern_vars(b, c, defs);
                }
            }
        }
        "match_pattern" => {
            for c in named_children(node) {
                if !is_field(node, c, "condition") {
                    pattern_vars(b, c, defs);
                }
            }
        }
        _ => {
            for c in named_children(node) {
                pattern_vars(b, c, defs);
            }
        }
    }
}

/// A pattern that matches anything: a binding or `_`, no guard.
fn irrefutable(b: &FlowBuilder<'_>, pattern: TsNode<'_>) -> bool {
    grow_if_needed(|| irrefutable_unguarded(b, pattern))
}

fn irrefutable_unguarded(b: &FlowBuilder<'_>, pattern: TsNode<'_>) -> bool {
    let inner: Vec<_> = named_children(pattern);
    if pattern.kind() == "match_pattern" {
        if pattern.child_by_field_name("condition").is_some() {
            return false;
        }
        return match inner.as_slice() {
            [] => true, // `_` is an anonymous token
            [one] => irrefutable(b, *one),
            _ => false,
        };
    }
    match pattern.kind() {
        // `None`, `FOO`: a unit variant or constant, which can fail to match.
        "identifier" => !b
            .text(pattern)
            .chars()
            .next()
            .is_some_and(char::is_uppercase),
        "mut_pattern" | "ref_pattern" => inner.first().is_some_and(|c| irrefutable(b, *c)),
        _ => false,
    }
}

struct Walker<'s> {
    b: FlowBuilder<'s>,
}

impl<'s> Walker<'s> {
    fn bind_pattern(&mut self, node: NodeId, pattern: TsNode<'_>) {
        let mut defs = Vec::new();
        pattern_vars(&self.b, pattern, &mut defs);
        for (name, at) in defs {
            self.b.bind(node, &name, at);
        }
    }

    fn add_uses(&mut self, node: NodeId, of: TsNode<'_>) {
        let names = uses_in(&self.b, of);
        self.b.use_names(node, &names);
    }

    fn leaf(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let kind = match node.kind() {
            "identifier" | "self" => NodeKind::Identifier,
            k if LITERALS.contains(&k) => NodeKind::Literal,
            _ => NodeKind::Expression,
        };
        let n = self.b.emit(pred, kind, node, None);
        self.add_uses(n, node);
        vec![(n, CfgLabel::Always)]
    }

    /// Every nesting level of a body passes through here: the stack grows on demand, so a
    /// hostile nest of thousands of levels cannot overflow a build task's thread.
    fn expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        grow_if_needed(|| self.expr_unguarded(node, pred))
    }

    fn expr_unguarded(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        if pred.is_empty() {
            return pred;
        }
        let kind = node.kind();
        if is_item(kind) {
            return pred;
        }
        match kind {
            "block" | "unsafe_block" => self.block(node, pred),
            "expression_statement" | "parenthesized_expression" => {
                match named_children(node).into_iter().next() {
                    Some(c) => self.expr(c, pred),
                    None => pred,
                }
            }
            "let_declaration" => self.let_decl(node, pred),
            "if_expression" => self.if_expr(node, pred),
            "match_expression" => self.match_expr(node, pred),
            "loop_expression" => self.loop_expr(node, pred),
            "while_expression" => self.while_expr(node, pred),
            "for_expression" => self.for_expr(node, pred),
            "break_expression" => self.break_expr(node, pred),
            "continue_expression" => self.continue_expr(node, pred),
            "return_expression" => self.return_expr(node, pred),
            "try_expression" => self.try_expr(node, pred),
            "macro_invocation" => self.macro_call(node, pred),
            "call_expression" => self.call(node, pred),
            "assignment_expression" | "compound_assignment_expr" => self.assign(node, pred),
            _ => self.generic(node, pred),
        }
    }

    /// Sub-expressions with flow first, then one node of `kind` for `node`; uses of the
    /// simple sub-expressions go on that node, walked ones become ARGUMENT edges.
    fn compound(
        &mut self,
        node: TsNode<'_>,
        subs: Vec<TsNode<'_>>,
        pred: Frontier,
        kind: NodeKind,
        name: Option<String>,
    ) -> (Frontier, Option<NodeId>) {
        let mut f = pred;
        let mut simple = Vec::new();
        let mut args = Vec::new();
        for s in subs {
            if is_simple(s) {
                simple.push(s);
            } else {
                f = self.expr(s, f);
                if let [(n, _)] = f.as_slice() {
                    args.push(*n);
                }
            }
        }
        if f.is_empty() {
            return (f, None);
        }
        let n = self.b.emit(f, kind, node, name);
        for s in simple {
            self.add_uses(n, s);
        }
        for a in args {
            self.b.argument(n, a);
        }
        (vec![(n, CfgLabel::Always)], Some(n))
    }

    fn generic(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        if is_simple(node) {
            return self.leaf(node, pred);
        }
        let subs = named_children(node);
        self.compound(node, subs, pred, NodeKind::Expression, None)
            .0
    }

    fn block(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let label = named_children(node)
            .into_iter()
            .find(|c| c.kind() == "label")
            .map(|l| label_name(&self.b, l));
        self.b.push_scope();
        let mut f = pred;
        if label.is_some() {
            self.b.loops.push(LoopFrame {
                label: label.clone(),
                head: None,
                breaks: Frontier::new(),
            });
        }
        for c in named_children(node) {
            if c.kind() == "label" {
                continue;
            }
            f = self.expr(c, f);
        }
        if label.is_some() {
            if let Some(frame) = self.b.loops.pop() {
                f.extend(frame.breaks);
            }
        }
        self.b.pop_scope();
        f
    }

    fn let_decl(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let value = node.child_by_field_name("value");
        let subs: Vec<_> = value.into_iter().collect();
        let (f, n) = self.compound(
            node,
            subs,
            pred,
            NodeKind::Assignment,
            Some("let".to_owned()),
        );
        let Some(n) = n else { return f };
        // Bound after the value is read: `let x = x + 1` reads the old `x`.
        if let Some(p) = node.child_by_field_name("pattern") {
            self.bind_pattern(n, p);
        }
        match node.child_by_field_name("alternative") {
            Some(alt) => {
                // let-else: the else block must diverge; its exits are edges already.
                let _ = self.expr(alt, vec![(n, CfgLabel::NoMatch)]);
                vec![(n, CfgLabel::Match)]
            }
            None => f,
        }
    }

    /// The condition of `if`/`while`: a plain expression, `let PAT = value`, or a chain.
    /// Returns the frontier and the decision node; pattern bindings go on the decision.
    fn condition(
        &mut self,
        owner: TsNode<'_>,
        cond: TsNode<'_>,
        keyword: &str,
        pred: Frontier,
    ) -> Option<NodeId> {
        let mut lets = Vec::new();
        let mut values = Vec::new();
        collect_conditions(cond, &mut lets, &mut values);
        let (f, n) = self.compound(
            owner,
            values,
            pred,
            NodeKind::ControlStructure,
            Some(keyword.to_owned()),
        );
        let _ = f;
        let n = n?;
        self.b
            .set_code(n, shorten(&format!("{keyword} {}", self.b.text(cond))));
        for p in lets {
            self.bind_pattern(n, p);
        }
        Some(n)
    }

    fn if_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let Some(cond) = node.child_by_field_name("condition") else {
            return self.generic(node, pred);
        };
        self.b.push_scope();
        let Some(cs) = self.condition(node, cond, "if", pred) else {
            self.b.pop_scope();
            return Vec::new();
        };
        let mut out = match node.child_by_field_name("consequence") {
            Some(c) => self.expr(c, vec![(cs, CfgLabel::True)]),
            None => vec![(cs, CfgLabel::True)],
        };
        self.b.pop_scope();
        let alt = node
            .child_by_field_name("alternative")
            .and_then(|e| named_children(e).into_iter().next());
        out.extend(match alt {
            Some(a) => self.expr(a, vec![(cs, CfgLabel::False)]),
            None => vec![(cs, CfgLabel::False)],
        });
        out
    }

    fn match_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let value = node.child_by_field_name("value");
        let (_, cs) = self.compound(
            node,
            value.into_iter().collect(),
            pred,
            NodeKind::ControlStructure,
            Some("match".to_owned()),
        );
        let Some(cs) = cs else { return Vec::new() };
        let code = value.map(|v| self.b.text(v)).unwrap_or("");
        self.b.set_code(cs, shorten(&format!("match {code}")));
        let arms: Vec<_> = node
            .child_by_field_name("body")
            .map(named_children)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.kind() == "match_arm")
            .collect();
        let mut pred = vec![(cs, CfgLabel::Always)];
        let mut out = Frontier::new();
        let last = arms.len().saturating_sub(1);
        for (i, arm) in arms.into_iter().enumerate() {
            if pred.is_empty() {
                break;
            }
            let Some(pattern) = arm.child_by_field_name("pattern") else {
                continue;
            };
            self.b.push_scope();
            let jt = self.b.emit(
                std::mem::take(&mut pred),
                NodeKind::JumpTarget,
                pattern,
                None,
            );
            self.bind_pattern(jt, pattern);
            if let Some(g) = pattern.child_by_field_name("condition") {
                self.add_uses(jt, g);
            }
            let body = arm.child_by_field_name("value");
            out.extend(match body {
                Some(v) => self.expr(v, vec![(jt, CfgLabel::Match)]),
                None => vec![(jt, CfgLabel::Match)],
            });
            self.b.pop_scope();
            // Matches are exhaustive: the last arm always matches when reached.
            if i < last && !irrefutable(&self.b, pattern) {
                pred = vec![(jt, CfgLabel::NoMatch)];
            }
        }
        out
    }

    fn loop_label(&self, node: TsNode<'_>) -> Option<String> {
        named_children(node)
            .into_iter()
            .find(|c| c.kind() == "label")
            .map(|l| label_name(&self.b, l))
    }

    /// Runs a loop body with a frame for break/continue; the body's end loops to `head`.
    fn loop_body(&mut self, node: TsNode<'_>, head: NodeId, entry: Frontier) -> Frontier {
        let label = self.loop_label(node);
        self.b.loops.push(LoopFrame {
            label,
            head: Some(head),
            breaks: Frontier::new(),
        });
        let end = match node.child_by_field_name("body") {
            Some(body) => self.expr(body, entry),
            None => entry,
        };
        for (n, label) in end {
            // A plain fall-through is the back edge; a decision's own outcome keeps its label.
            let label = if label == CfgLabel::Always {
                CfgLabel::Loop
            } else {
                label
            };
            self.b.cfg(n, head, label);
        }
        self.b.loops.pop().map(|f| f.breaks).unwrap_or_default()
    }

    fn loop_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let head = self.b.emit(
            pred,
            NodeKind::ControlStructure,
            node,
            Some("loop".to_owned()),
        );
        self.b.set_code(head, "loop".to_owned());
        self.loop_body(node, head, vec![(head, CfgLabel::Always)])
    }

    fn while_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let Some(cond) = node.child_by_field_name("condition") else {
            return self.generic(node, pred);
        };
        // The condition is evaluated again on every iteration: back edges go to its first
        // node.
        let first = NodeId(self.b.node_count() as u32);
        self.b.push_scope();
        let Some(cs) = self.condition(node, cond, "while", pred) else {
            self.b.pop_scope();
            return Vec::new();
        };
        let mut out = self.loop_body(node, first, vec![(cs, CfgLabel::True)]);
        self.b.pop_scope();
        out.push((cs, CfgLabel::False));
        out
    }

    fn for_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let value = node.child_by_field_name("value");
        let (_, head) = self.compound(
            node,
            value.into_iter().collect(),
            pred,
            NodeKind::ControlStructure,
            Some("for".to_owned()),
        );
        let Some(head) = head else { return Vec::new() };
        let pattern = node.child_by_field_name("pattern");
        let code = format!(
            "for {} in {}",
            pattern.map(|p| self.b.text(p)).unwrap_or(""),
            value.map(|v| self.b.text(v)).unwrap_or("")
        );
        self.b.set_code(head, shorten(&code));
        self.b.push_scope();
        if let Some(p) = pattern {
            self.bind_pattern(head, p);
        }
        let mut out = self.loop_body(node, head, vec![(head, CfgLabel::True)]);
        self.b.pop_scope();
        out.push((head, CfgLabel::False));
        out
    }

    /// The loop frame a break/continue targets: by label, else the innermost loop (labelled
    /// blocks only take labelled breaks).
    fn frame_index(&self, node: TsNode<'_>) -> Option<usize> {
        let label = self.loop_label(node);
        self.b.loops.iter().rposition(|f| match &label {
            Some(l) => f.label.as_deref() == Some(l.as_str()),
            None => f.head.is_some(),
        })
    }

    fn break_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let value: Vec<_> = named_children(node)
            .into_iter()
            .filter(|c| c.kind() != "label")
            .collect();
        let (_, n) = self.compound(
            node,
            value,
            pred,
            NodeKind::Return,
            Some("break".to_owned()),
        );
        let Some(n) = n else { return Vec::new() };
        match self.frame_index(node) {
            Some(i) => {
                if let Some(frame) = self.b.loops.get_mut(i) {
                    frame.breaks.push((n, CfgLabel::Break));
                }
            }
            // Not inside a loop of this function (invalid code): leave the function.
            None => {
                let exit = self.b.exit;
                self.b.cfg(n, exit, CfgLabel::Break);
            }
        }
        Vec::new()
    }

    fn continue_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let n = self
            .b
            .emit(pred, NodeKind::Return, node, Some("continue".to_owned()));
        let head = self
            .frame_index(node)
            .and_then(|i| self.b.loops.get(i))
            .and_then(|f| f.head);
        match head {
            Some(h) => self.b.cfg(n, h, CfgLabel::Continue),
            None => {
                let exit = self.b.exit;
                self.b.cfg(n, exit, CfgLabel::Continue);
            }
        }
        Vec::new()
    }

    fn return_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let value = named_children(node);
        let (_, n) = self.compound(
            node,
            value,
            pred,
            NodeKind::Return,
            Some("return".to_owned()),
        );
        if let Some(n) = n {
            let exit = self.b.exit;
            self.b.cfg(n, exit, CfgLabel::Return);
        }
        Vec::new()
    }

    fn try_expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let inner = named_children(node);
        let (f, n) = self.compound(
            node,
            inner,
            pred,
            NodeKind::ControlStructure,
            Some("?".to_owned()),
        );
        if let Some(n) = n {
            let exit = self.b.exit;
            self.b.cfg(n, exit, CfgLabel::EarlyReturn);
        }
        f
    }

    fn macro_call(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let name = node
            .child_by_field_name("macro")
            .map(|m| self.b.text(m).to_owned())
            .unwrap_or_default();
        let n = self
            .b
            .emit(pred, NodeKind::Call, node, Some(format!("{name}!")));
        for c in named_children(node) {
            if c.kind() == "token_tree" {
                self.add_uses(n, c);
            }
        }
        let last = name.rsplit("::").next().unwrap_or("");
        let exit = self.b.exit;
        if DIVERGING_MACROS.contains(&last) {
            self.b.cfg(n, exit, CfgLabel::Panic);
            return Vec::new();
        }
        if ASSERT_MACROS.contains(&last) {
            self.b.cfg(n, exit, CfgLabel::Panic);
        }
        vec![(n, CfgLabel::Always)]
    }

    fn call(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let function = node.child_by_field_name("function");
        let mut subs = Vec::new();
        let name = match function {
            Some(f) if f.kind() == "field_expression" => {
                if let Some(v) = f.child_by_field_name("value") {
                    subs.push(v);
                }
                f.child_by_field_name("field")
                    .map(|x| format!(".{}", self.b.text(x)))
            }
            Some(f) => {
                // A local closure called by name reads its variable; paths are not read.
                subs.push(f);
                Some(self.b.text(f).to_owned())
            }
            None => None,
        };
        if let Some(args) = node.child_by_field_name("arguments") {
            subs.extend(named_children(args));
        }
        self.compound(node, subs, pred, NodeKind::Call, name).0
    }

    fn assign(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return self.generic(node, pred);
        };
        let compound_op = node.kind() == "compound_assignment_expr";
        let (f, n) = self.compound(
            node,
            vec![right],
            pred,
            NodeKind::Assignment,
            Some("=".to_owned()),
        );
        let Some(n) = n else { return f };
        if left.kind() == "identifier" {
            let name = self.b.text(left);
            if let Some(var) = self.b.lookup(name) {
                if compound_op {
                    self.b.add_use(n, var);
                }
                self.b.add_def(n, var);
            }
        } else {
            // `a.b = v`, `*p = v`, `v[i] = x` write through `a`, `p`, `v`: reads here.
            self.add_uses(n, left);
        }
        f
    }
}

fn label_name(b: &FlowBuilder<'_>, label: TsNode<'_>) -> String {
    b.text(label).trim_start_matches('\'').to_owned()
}

/// Splits an `if`/`while` condition into `let` patterns (bound on the true edge) and value
/// expressions (evaluated first).
fn collect_conditions<'t>(
    cond: TsNode<'t>,
    lets: &mut Vec<TsNode<'t>>,
    values: &mut Vec<TsNode<'t>>,
) {
    grow_if_needed(|| collect_conditions_unguarded(cond, lets, values))
}

fn collect_conditions_unguarded<'t>(
    cond: TsNode<'t>,
    lets: &mut Vec<TsNode<'t>>,
    values: &mut Vec<TsNode<'t>>,
) {
    match cond.kind() {
        "let_condition" => {
            if let Some(p) = cond.child_by_field_name("pattern") {
                lets.push(p);
            }
            if let Some(v) = cond.child_by_field_name("value") {
                values.push(v);
            }
        }
        "let_chain" => {
            for c in named_children(cond) {
                collect_conditions(c, lets, values);
            }
        }
        _ => values.push(cond),
    }
}

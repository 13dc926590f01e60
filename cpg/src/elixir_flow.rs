//! Control flow and variable bindings of one Elixir function, walked from the tree-sitter
//! tree: clause heads with match / no-match edges, `case`/`cond`/`if`/`unless`/`with`,
//! `try`/`rescue`/`catch`/`else`/`after`, `receive`/`after`, pipes as sequential calls,
//! `raise`/`throw`/`exit` as exits.
//!
//! Evaluation order: sub-expressions containing calls or control flow are walked first,
//! then one node stands for the expression itself. Expressions without calls are one node.

use elixir_scope_ast::grow_if_needed;
use elixir_scope_ast::tree_sitter::Node as TsNode;
use elixir_scope_ast::{Function, FunctionId, ParsedFile};

use crate::flow_builder::{named_children, FlowBuilder, Frontier};
use crate::graph::{CfgLabel, MethodGraph, NodeId, NodeKind};

/// Builds the graph of `function` (all its clauses). None when the file has no tree or a
/// clause's syntax node cannot be found.
pub(crate) fn build(parsed: &ParsedFile, function: &Function) -> Option<MethodGraph> {
    let source = parsed.source.as_deref()?;
    let first = parsed.clause_node(function.id, 0)?;
    let mut w = Walker {
        b: FlowBuilder::new(
            source,
            first,
            &format!("{}/{}", function.name, function.arity),
        ),
    };
    let mut pred: Frontier = vec![(w.b.entry, CfgLabel::Always)];
    let mut out = Frontier::new();
    for index in 0..function.clauses.len() {
        if pred.is_empty() {
            break;
        }
        let Some(clause) = parsed.clause_node(function.id, index) else {
            continue;
        };
        let body = parsed.body_node(FunctionId(function.id.0), index);
        let (params, guard) = clause_head(clause);
        w.b.push_scope();
        let head_at = clause_head_node(clause).unwrap_or(clause);
        let head = w.b.emit(
            std::mem::take(&mut pred),
            NodeKind::JumpTarget,
            head_at,
            None,
        );
        for p in &params {
            w.bind_pattern(head, *p);
        }
        if let Some(g) = guard {
            let names = uses_in(&w.b, g);
            w.b.use_names(head, &names);
        }
        let refutable = guard.is_some() || params.iter().any(|p| !irrefutable(*p));
        let matched = vec![(head, CfgLabel::Match)];
        let end = match body {
            Some(body) => w.expr(body, matched),
            None => matched,
        };
        out.extend(end);
        w.b.pop_scope();
        if refutable {
            pred = vec![(head, CfgLabel::NoMatch)];
        }
    }
    // No clause matched: FunctionClauseError.
    for (n, _) in pred {
        w.b.raise_from(n, CfgLabel::NoMatch);
    }
    Some(w.b.finish(out))
}

/// The head node of a `def` call: `f(a, b)`, `f(a) when g`, or `f`.
fn clause_head_node(def: TsNode<'_>) -> Option<TsNode<'_>> {
    let args = def.child_by_field_name("arguments").or_else(|| {
        named_children(def)
            .into_iter()
            .find(|c| c.kind() == "arguments")
    })?;
    named_children(args).into_iter().next()
}

/// Parameter patterns and guard of a `def` call.
fn clause_head(def: TsNode<'_>) -> (Vec<TsNode<'_>>, Option<TsNode<'_>>) {
    let Some(head) = clause_head_node(def) else {
        return (Vec::new(), None);
    };
    let (call, guard) = if head.kind() == "binary_operator" && operator(head) == Some("when") {
        (
            head.child_by_field_name("left"),
            head.child_by_field_name("right"),
        )
    } else {
        (Some(head), None)
    };
    let params = call
        .filter(|c| c.kind() == "call")
        .and_then(|c| {
            named_children(c)
                .into_iter()
                .find(|n| n.kind() == "arguments")
        })
        .map(named_children)
        .unwrap_or_default();
    (params, guard)
}

fn operator<'t>(node: TsNode<'t>) -> Option<&'t str> {
    let op = node.child_by_field_name("operator")?;
    // Operator tokens are anonymous nodes whose kind is the operator text.
    Some(op.kind())
}

/// A pattern that matches anything: a variable or `_`.
fn irrefutable(pattern: TsNode<'_>) -> bool {
    pattern.kind() == "identifier"
}

fn call_name<'s>(b: &FlowBuilder<'s>, call: TsNode<'_>) -> Option<&'s str> {
    let target = call.child_by_field_name("target")?;
    match target.kind() {
        "identifier" => Some(b.text(target)),
        _ => None,
    }
}

/// Keyword arguments (`do:`, `else:`) and blocks of a macro call.
struct Parts<'t> {
    args: Vec<TsNode<'t>>,
    do_body: Option<Part<'t>>,
    else_body: Option<Part<'t>>,
    rescue: Option<TsNode<'t>>,
    catch: Option<TsNode<'t>>,
    after: Option<TsNode<'t>>,
}

#[derive(Clone, Copy)]
enum Part<'t> {
    /// A `do_block` or `*_block`: its expressions, nested blocks excluded.
    Block(TsNode<'t>),
    /// A `do:` / `else:` keyword value.
    Expr(TsNode<'t>),
}

impl<'t> Part<'t> {
    fn stab_clauses(self) -> Vec<TsNode<'t>> {
        match self {
            Part::Block(n) => named_children(n)
                .into_iter()
                .filter(|c| c.kind() == "stab_clause")
                .collect(),
            Part::Expr(_) => Vec::new(),
        }
    }
}

fn parts<'t>(b: &FlowBuilder<'_>, call: TsNode<'t>) -> Parts<'t> {
    let mut p = Parts {
        args: Vec::new(),
        do_body: None,
        else_body: None,
        rescue: None,
        catch: None,
        after: None,
    };
    for c in named_children(call) {
        match c.kind() {
            "arguments" => {
                for a in named_children(c) {
                    if a.kind() == "keywords" {
                        for pair in named_children(a) {
                            let key = pair.child_by_field_name("key");
                            let value = pair.child_by_field_name("value");
                            let (Some(key), Some(value)) = (key, value) else {
                                continue;
                            };
                            match key_text(b, key) {
                                "do" => p.do_body = Some(Part::Expr(value)),
                                "else" => p.else_body = Some(Part::Expr(value)),
                                _ => p.args.push(a),
                            }
                        }
                    } else {
                        p.args.push(a);
                    }
                }
            }
            "do_block" => {
                p.do_body = Some(Part::Block(c));
                for sub in named_children(c) {
                    match sub.kind() {
                        "else_block" => p.else_body = Some(Part::Block(sub)),
                        "rescue_block" => p.rescue = Some(sub),
                        "catch_block" => p.catch = Some(sub),
                        "after_block" => p.after = Some(sub),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    p.args.dedup_by(|a, b| a.id() == b.id());
    p
}

/// `do: ` -> `do`.
fn key_text<'s>(b: &FlowBuilder<'s>, key: TsNode<'_>) -> &'s str {
    b.text(key).trim().trim_end_matches(':')
}

const LITERALS: &[&str] = &[
    "integer",
    "float",
    "atom",
    "quoted_atom",
    "string",
    "charlist",
    "boolean",
    "nil",
    "char",
    "sigil",
];

/// No calls or control flow inside (captures, `@attr` and anonymous functions are values).
fn is_simple(node: TsNode<'_>) -> bool {
    match node.kind() {
        "call" => false,
        "anonymous_function" => true,
        "unary_operator" if matches!(operator(node), Some("&" | "@")) => true,
        _ => named_children(node).into_iter().all(is_simple),
    }
}

/// Names read in `node` (call targets and field names excluded).
fn uses_in(b: &FlowBuilder<'_>, node: TsNode<'_>) -> Vec<String> {
    let mut out = Vec::new();
    collect_uses(b, node, &mut out);
    out
}

fn collect_uses(b: &FlowBuilder<'_>, node: TsNode<'_>, out: &mut Vec<String>) {
    grow_if_needed(|| collect_uses_unguarded(b, node, out))
}

fn collect_uses_unguarded(b: &FlowBuilder<'_>, node: TsNode<'_>, out: &mut Vec<String>) {
    if node.kind() == "identifier" {
        out.push(b.text(node).to_owned());
        return;
    }
    for c in named_children(node) {
        if is_field(node, c, "target") && c.kind() == "identifier" {
            continue;
        }
        if node.kind() == "dot" && is_field(node, c, "right") {
            continue;
        }
        collect_uses(b, c, out);
    }
}

fn is_field(parent: TsNode<'_>, child: TsNode<'_>, field: &str) -> bool {
    parent
        .child_by_field_name(field)
        .is_some_and(|f| f.id() == child.id())
}

struct Walker<'s> {
    b: FlowBuilder<'s>,
}

impl<'s> Walker<'s> {
    /// Binds the variables of a pattern at `node`; pinned variables are uses.
    fn bind_pattern(&mut self, node: NodeId, pattern: TsNode<'_>) {
        let mut defs = Vec::new();
        let mut pins = Vec::new();
        pattern_vars(&self.b, pattern, &mut defs, &mut pins);
        self.b.use_names(node, &pins);
        for (name, at) in defs {
            self.b.bind(node, &name, at);
        }
    }

    fn leaf(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let kind = match node.kind() {
            "identifier" => NodeKind::Identifier,
            k if LITERALS.contains(&k) => NodeKind::Literal,
            _ => NodeKind::Expression,
        };
        let n = self.b.emit(pred, kind, node, None);
        let names = uses_in(&self.b, node);
        self.b.use_names(n, &names);
        vec![(n, CfgLabel::Always)]
    }

    fn seq(&mut self, nodes: Vec<TsNode<'_>>, pred: Frontier) -> Frontier {
        let mut f = pred;
        for n in nodes {
            if matches!(
                n.kind(),
                "else_block" | "rescue_block" | "catch_block" | "after_block"
            ) {
                continue;
            }
            f = self.expr(n, f);
        }
        f
    }

    fn part(&mut self, part: Part<'_>, pred: Frontier) -> Frontier {
        self.b.push_scope();
        let out = match part {
            Part::Block(n) => self.seq(named_children(n), pred),
            Part::Expr(n) => self.expr(n, pred),
        };
        self.b.pop_scope();
        out
    }

    /// Every nesting level of a body passes through here: the stack grows on demand, so a
    /// hostile nest of thousands of levels cannot overflow a build task's thread.
    fn expr(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        grow_if_needed(|| self.expr_unguarded(node, pred))
    }

    fn expr_unguarded(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        if pred.is_empty() {
            // Unreachable code after an exit: not part of the flow.
            return pred;
        }
        match node.kind() {
            "do_block" | "body" | "block" | "else_block" | "after_block" => {
                self.seq(named_children(node), pred)
            }
            "binary_operator" => match operator(node) {
                Some("|>") => self.pipe(node, pred),
                Some("=") => self.match_op(node, pred),
                _ => self.generic(node, pred),
            },
            "call" => self.call(node, pred),
            _ => self.generic(node, pred),
        }
    }

    fn generic(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        if is_simple(node) {
            return self.leaf(node, pred);
        }
        let mut f = pred;
        let mut simple = Vec::new();
        let mut args = Vec::new();
        for c in named_children(node) {
            if is_simple(c) {
                simple.push(c);
            } else {
                f = self.expr(c, f);
                if let [(n, _)] = f.as_slice() {
                    args.push(*n);
                }
            }
        }
        if f.is_empty() {
            return f;
        }
        let n = self.b.emit(f, NodeKind::Expression, node, None);
        for c in simple {
            let names = uses_in(&self.b, c);
            self.b.use_names(n, &names);
        }
        for a in args {
            self.b.argument(n, a);
        }
        vec![(n, CfgLabel::Always)]
    }

    fn pipe(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return self.generic(node, pred);
        };
        let f = self.expr(left, pred);
        let piped = match f.as_slice() {
            [(n, _)] => Some(*n),
            _ => None,
        };
        if right.kind() == "call" {
            self.plain_call(right, f, piped)
        } else {
            self.expr(right, f)
        }
    }

    /// `pattern = value`: a failed match raises MatchError.
    fn match_op(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            return self.generic(node, pred);
        };
        let (f, value) = if is_simple(right) {
            (pred, None)
        } else {
            let f = self.expr(right, pred);
            let v = match f.as_slice() {
                [(n, _)] => Some(*n),
                _ => None,
            };
            (f, v)
        };
        if f.is_empty() {
            return f;
        }
        let n = self
            .b
            .emit(f, NodeKind::Assignment, node, Some("=".to_owned()));
        if value.is_none() {
            let names = uses_in(&self.b, right);
            self.b.use_names(n, &names);
        }
        if let Some(v) = value {
            self.b.argument(n, v);
        }
        self.bind_pattern(n, left);
        if !irrefutable(left) {
            self.b.raise_from(n, CfgLabel::Raise);
        }
        vec![(n, CfgLabel::Always)]
    }

    fn call(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        match call_name(&self.b, node) {
            Some("case") => self.case(node, pred),
            Some("cond") => self.cond(node, pred),
            Some("if") => self.if_unless(node, pred, false),
            Some("unless") => self.if_unless(node, pred, true),
            Some("with") => self.with(node, pred),
            Some("try") => self.try_block(node, pred),
            Some("receive") => self.receive(node, pred),
            Some("raise" | "reraise") => self.exit_call(node, pred, CfgLabel::Raise),
            Some("throw") => self.exit_call(node, pred, CfgLabel::Throw),
            Some("exit") => self.exit_call(node, pred, CfgLabel::Exit),
            Some("quote") => self.leaf(node, pred),
            _ => self.plain_call(node, pred, None),
        }
    }

    fn exit_call(&mut self, node: TsNode<'_>, pred: Frontier, label: CfgLabel) -> Frontier {
        let f = self.plain_call(node, pred, None);
        for (n, _) in f {
            self.b.raise_from(n, label);
        }
        Vec::new()
    }

    /// A call: arguments with calls first (in order), then the call. Blocks of unknown
    /// macros (`for`, custom DSLs) are one step with the call.
    fn plain_call(&mut self, node: TsNode<'_>, pred: Frontier, piped: Option<NodeId>) -> Frontier {
        let target = node.child_by_field_name("target");
        let mut f = pred;
        let mut simple = Vec::new();
        let mut args = Vec::new();
        // A dynamic target (`fun.(x)`, `mod.fun()`) reads its variable.
        if let Some(t) = target {
            if t.kind() == "dot" {
                if let Some(l) = t.child_by_field_name("left") {
                    if is_simple(l) {
                        simple.push(l);
                    } else {
                        f = self.expr(l, f);
                        if let [(n, _)] = f.as_slice() {
                            args.push(*n);
                        }
                    }
                }
            }
        }
        for c in named_children(node) {
            if c.kind() != "arguments" {
                continue;
            }
            for a in named_children(c) {
                if is_simple(a) {
                    simple.push(a);
                } else {
                    f = self.expr(a, f);
                    if let [(n, _)] = f.as_slice() {
                        args.push(*n);
                    }
                }
            }
        }
        if f.is_empty() {
            return f;
        }
        let name = target.map(|t| self.b.text(t).to_owned());
        let n = self.b.emit(f, NodeKind::Call, node, name);
        for c in simple {
            let names = uses_in(&self.b, c);
            self.b.use_names(n, &names);
        }
        for a in piped.into_iter().chain(args) {
            self.b.argument(n, a);
        }
        if let Some(h) = self.b.handlers.last_mut() {
            h.push((n, CfgLabel::Exception));
        }
        vec![(n, CfgLabel::Always)]
    }

    /// The decision node of a construct, after evaluating `subject` when it has calls.
    fn decision(
        &mut self,
        node: TsNode<'_>,
        subject: Option<TsNode<'_>>,
        keyword: &str,
        kind: NodeKind,
        pred: Frontier,
    ) -> Option<NodeId> {
        let mut f = pred;
        let mut simple = None;
        if let Some(s) = subject {
            if is_simple(s) {
                simple = Some(s);
            } else {
                f = self.expr(s, f);
            }
        }
        if f.is_empty() {
            return None;
        }
        let n = self.b.emit(f, kind, node, Some(keyword.to_owned()));
        let code = match subject {
            Some(s) => crate::flow_builder::shorten(&format!("{keyword} {}", self.b.text(s))),
            None => keyword.to_owned(),
        };
        self.b.set_code(n, code);
        if let Some(s) = simple {
            let names = uses_in(&self.b, s);
            self.b.use_names(n, &names);
        }
        Some(n)
    }

    /// Tries `clauses` in order from `pred`. Returns (bodies' frontier, frontier of "no
    /// clause matched").
    fn clause_chain(&mut self, clauses: Vec<TsNode<'_>>, pred: Frontier) -> (Frontier, Frontier) {
        let mut pred = pred;
        let mut out = Frontier::new();
        for clause in clauses {
            if pred.is_empty() {
                break;
            }
            let left = clause.child_by_field_name("left");
            // `pats when guard ->` parses as a `when` operator over the arguments.
            let (args, outer_guard) = match left {
                Some(l) if l.kind() == "binary_operator" && operator(l) == Some("when") => (
                    l.child_by_field_name("left"),
                    l.child_by_field_name("right"),
                ),
                _ => (left, None),
            };
            let patterns = args.map(named_children).unwrap_or_default();
            let (patterns, guard) = match patterns.as_slice() {
                [one] if one.kind() == "binary_operator" && operator(*one) == Some("when") => (
                    one.child_by_field_name("left").into_iter().collect(),
                    one.child_by_field_name("right"),
                ),
                _ => (patterns, outer_guard),
            };
            let at = left.unwrap_or(clause);
            self.b.push_scope();
            let jt = self
                .b
                .emit(std::mem::take(&mut pred), NodeKind::JumpTarget, at, None);
            for p in &patterns {
                self.bind_pattern(jt, *p);
            }
            if let Some(g) = guard {
                let names = uses_in(&self.b, g);
                self.b.use_names(jt, &names);
            }
            let body_out = match clause.child_by_field_name("right") {
                Some(body) => self.expr(body, vec![(jt, CfgLabel::Match)]),
                None => vec![(jt, CfgLabel::Match)],
            };
            out.extend(body_out);
            self.b.pop_scope();
            let refutable = guard.is_some() || patterns.iter().any(|p| !irrefutable(*p));
            if refutable {
                pred = vec![(jt, CfgLabel::NoMatch)];
            }
        }
        (out, pred)
    }

    fn case(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let p = parts(&self.b, node);
        let Some(cs) = self.decision(
            node,
            p.args.first().copied(),
            "case",
            NodeKind::ControlStructure,
            pred,
        ) else {
            return Vec::new();
        };
        let clauses = p.do_body.map(Part::stab_clauses).unwrap_or_default();
        let (out, unmatched) = self.clause_chain(clauses, vec![(cs, CfgLabel::Always)]);
        // CaseClauseError.
        for (n, _) in unmatched {
            self.b.raise_from(n, CfgLabel::NoMatch);
        }
        out
    }

    fn cond(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let p = parts(&self.b, node);
        let mut pred = pred;
        let mut out = Frontier::new();
        for clause in p.do_body.map(Part::stab_clauses).unwrap_or_default() {
            if pred.is_empty() {
                break;
            }
            let condition = clause
                .child_by_field_name("left")
                .and_then(|l| named_children(l).into_iter().next());
            let Some(condition) = condition else { continue };
            let Some(c) = self.decision(
                condition,
                Some(condition),
                "cond",
                NodeKind::ControlStructure,
                std::mem::take(&mut pred),
            ) else {
                break;
            };
            self.b
                .set_code(c, crate::flow_builder::shorten(self.b.text(condition)));
            self.b.push_scope();
            let body_out = match clause.child_by_field_name("right") {
                Some(body) => self.expr(body, vec![(c, CfgLabel::True)]),
                None => vec![(c, CfgLabel::True)],
            };
            self.b.pop_scope();
            out.extend(body_out);
            let always = condition.kind() == "boolean" && self.b.text(condition) == "true";
            if !always {
                pred = vec![(c, CfgLabel::False)];
            }
        }
        // CondClauseError.
        for (n, _) in pred {
            self.b.raise_from(n, CfgLabel::NoMatch);
        }
        out
    }

    fn if_unless(&mut self, node: TsNode<'_>, pred: Frontier, unless: bool) -> Frontier {
        let p = parts(&self.b, node);
        let keyword = if unless { "unless" } else { "if" };
        let Some(cs) = self.decision(
            node,
            p.args.first().copied(),
            keyword,
            NodeKind::ControlStructure,
            pred,
        ) else {
            return Vec::new();
        };
        let (on_do, on_else) = if unless {
            (CfgLabel::False, CfgLabel::True)
        } else {
            (CfgLabel::True, CfgLabel::False)
        };
        let mut out = match p.do_body {
            Some(part) => self.part(part, vec![(cs, on_do)]),
            None => vec![(cs, on_do)],
        };
        out.extend(match p.else_body {
            Some(part) => self.part(part, vec![(cs, on_else)]),
            None => vec![(cs, on_else)],
        });
        out
    }

    fn with(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let p = parts(&self.b, node);
        self.b.push_scope();
        let mut f = pred;
        let mut failed = Frontier::new();
        for clause in p.args {
            if f.is_empty() {
                break;
            }
            if clause.kind() == "binary_operator" && operator(clause) == Some("<-") {
                let (Some(left), Some(right)) = (
                    clause.child_by_field_name("left"),
                    clause.child_by_field_name("right"),
                ) else {
                    continue;
                };
                let (left, guard) =
                    if left.kind() == "binary_operator" && operator(left) == Some("when") {
                        (
                            left.child_by_field_name("left").unwrap_or(left),
                            left.child_by_field_name("right"),
                        )
                    } else {
                        (left, None)
                    };
                let simple = is_simple(right);
                if !simple {
                    f = self.expr(right, f);
                    if f.is_empty() {
                        break;
                    }
                }
                let jt = self.b.emit(
                    std::mem::take(&mut f),
                    NodeKind::JumpTarget,
                    clause,
                    Some("<-".to_owned()),
                );
                if simple {
                    let names = uses_in(&self.b, right);
                    self.b.use_names(jt, &names);
                }
                self.bind_pattern(jt, left);
                if let Some(g) = guard {
                    let names = uses_in(&self.b, g);
                    self.b.use_names(jt, &names);
                }
                if guard.is_some() || !irrefutable(left) {
                    failed.push((jt, CfgLabel::NoMatch));
                }
                f = vec![(jt, CfgLabel::Match)];
            } else {
                f = self.expr(clause, f);
            }
        }
        let mut out = match p.do_body {
            Some(part) => self.part(part, f),
            None => f,
        };
        self.b.pop_scope();
        match p.else_body {
            Some(part) if !failed.is_empty() => {
                let (matched, unmatched) = self.clause_chain(part.stab_clauses(), failed);
                out.extend(matched);
                // WithClauseError.
                for (n, _) in unmatched {
                    self.b.raise_from(n, CfgLabel::NoMatch);
                }
            }
            // Without else the non-matching value is the result.
            _ => out.extend(failed),
        }
        out
    }

    fn try_block(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let p = parts(&self.b, node);
        let t = self.b.emit(
            pred,
            NodeKind::ControlStructure,
            node,
            Some("try".to_owned()),
        );
        self.b.set_code(t, "try".to_owned());
        self.b.handlers.push(Frontier::new());
        let body_out = match p.do_body {
            Some(part) => self.part(part, vec![(t, CfgLabel::Always)]),
            None => vec![(t, CfgLabel::Always)],
        };
        let raised = self.b.handlers.pop().unwrap_or_default();
        let mut normal = match p.else_body {
            Some(part) => {
                let (matched, unmatched) = self.clause_chain(part.stab_clauses(), body_out);
                for (n, _) in unmatched {
                    self.b.raise_from(n, CfgLabel::NoMatch);
                }
                matched
            }
            None => body_out,
        };
        let mut rethrown = raised;
        let handler_block = p.rescue.or(p.catch);
        if let (Some(at), false) = (handler_block, rethrown.is_empty()) {
            let h = self.b.emit(
                std::mem::take(&mut rethrown),
                NodeKind::ControlStructure,
                at,
                Some("rescue".to_owned()),
            );
            self.b.set_code(
                h,
                if p.rescue.is_some() {
                    "rescue"
                } else {
                    "catch"
                }
                .to_owned(),
            );
            let mut clauses = Vec::new();
            for block in [p.rescue, p.catch].into_iter().flatten() {
                clauses.extend(Part::Block(block).stab_clauses());
            }
            let (matched, unmatched) = self.clause_chain(clauses, vec![(h, CfgLabel::Always)]);
            normal.extend(matched);
            rethrown = unmatched;
        }
        match p.after {
            Some(after) => {
                let out = self.part(Part::Block(after), normal);
                if !rethrown.is_empty() {
                    // The after block also runs on the way out of an unhandled exception.
                    let end = self.part(Part::Block(after), rethrown);
                    for (n, _) in end {
                        self.b.raise_from(n, CfgLabel::Raise);
                    }
                }
                out
            }
            None => {
                for (n, label) in rethrown {
                    self.b.raise_from(n, label);
                }
                normal
            }
        }
    }

    fn receive(&mut self, node: TsNode<'_>, pred: Frontier) -> Frontier {
        let p = parts(&self.b, node);
        let r = self.b.emit(
            pred,
            NodeKind::ControlStructure,
            node,
            Some("receive".to_owned()),
        );
        self.b.set_code(r, "receive".to_owned());
        let clauses = p.do_body.map(Part::stab_clauses).unwrap_or_default();
        let (mut out, unmatched) = self.clause_chain(clauses, vec![(r, CfgLabel::Always)]);
        // A message no clause matches stays in the mailbox; receive waits for the next.
        for (n, _) in unmatched {
            self.b.cfg(n, r, CfgLabel::NoMatch);
        }
        if let Some(after) = p.after {
            for clause in Part::Block(after).stab_clauses() {
                let body_out = match clause.child_by_field_name("right") {
                    Some(body) => self.part(Part::Expr(body), vec![(r, CfgLabel::Timeout)]),
                    None => vec![(r, CfgLabel::Timeout)],
                };
                out.extend(body_out);
            }
        }
        out
    }
}

/// Variables bound by an Elixir pattern (not `_`-prefixed, not pinned, not in `::` type
/// specs or guards) and the pinned names it reads.
fn pattern_vars<'t>(
    b: &FlowBuilder<'_>,
    node: TsNode<'t>,
    defs: &mut Vec<(String, TsNode<'t>)>,
    pins: &mut Vec<String>,
) {
    grow_if_needed(|| pattern_vars_unguarded(b, node, defs, pins))
}

fn pattern_vars_unguarded<'t>(
    b: &FlowBuilder<'_>,
    node: TsNode<'t>,
    defs: &mut Vec<(String, TsNode<'t>)>,
    pins: &mut Vec<String>,
) {
    match node.kind() {
        "identifier" => {
            let name = b.text(node);
            if !name.starts_with('_') {
                defs.push((name.to_owned(), node));
            }
        }
        "unary_operator" if operator(node) == Some("^") => {
            pins.extend(uses_in(b, node));
        }
        "binary_operator" if matches!(operator(node), Some("::" | "when")) => {
            if let Some(l) = node.child_by_field_name("left") {
                pattern_vars(b, l, defs, pins);
            }
        }
        "call" => {
            // `<<size(x)>>`-style specs and struct names: only the arguments can bind.
            for c in named_children(node) {
                if c.kind() == "arguments" {
                    pattern_vars(b, c, defs, pins);
                }
            }
        }
        _ => {
            for c in named_children(node) {
                pattern_vars(b, c, defs, pins);
            }
        }
    }
}

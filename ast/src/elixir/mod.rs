//! Extracts the model from a tree-sitter-elixir tree.
//!
//! One walk over the tree. A stack of lexical scopes (file, module, function) decides where
//! each definition and call belongs. When the tree has errors, definitions are also placed by
//! indentation: tree-sitter-elixir nests every definition after a missing `end` inside the
//! broken one, so a `def`/`defmodule` that starts at or left of the column of the scope that
//! contains it is moved out to the scope its indentation says, and the scope it left is marked
//! as recovered from a missing `end`.

mod directives;
mod forms;
mod heads;

use std::collections::HashSet;

use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::model::{
    arity_of, Attribute, Call, CallKind, Clause, FunctionId, FunctionKind, ModuleId, ModuleKind,
    Visibility,
};
use crate::model_builder::{CallSink, ModelBuilder, NewClause};
use crate::source_text::{count_u32, is_comment, named_children, snippet, text};
use crate::span::{LineIndex, Span};

use crate::stack_guard::{grow_if_needed, MAX_WALK_DEPTH};

/// The result of walking one file.
pub(crate) fn extract(root: Node<'_>, source: &str, lines: &LineIndex) -> ModelBuilder {
    let mut walker = Walker {
        src: source,
        lines,
        b: ModelBuilder::default(),
        scopes: vec![Scope::new(ScopeKind::File, 0)],
        recovering: root.has_error(),
        in_quote: 0,
        depth: 0,
        depth_exceeded: false,
        next_token: 1,
        adopted_errors: HashSet::new(),
    };
    walker.walk(root);
    if walker.depth_exceeded {
        walker.b.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            DiagnosticKind::SyntaxError,
            format!("nesting deeper than {MAX_WALK_DEPTH} levels: inner calls not extracted"),
            None,
        ));
    }
    walker.b
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ScopeKind {
    File,
    Module(ModuleId),
    Function(FunctionId, usize),
}

#[derive(Debug)]
struct Scope {
    kind: ScopeKind,
    /// 1-based column of the definition; 0 for the file.
    column: u32,
    token: u64,
    pending_attributes: Vec<Attribute>,
    pending_doc: Option<crate::name::Name>,
    pending_doc_hidden: bool,
}

impl Scope {
    fn new(kind: ScopeKind, column: u32) -> Self {
        Scope {
            kind,
            column,
            token: 0,
            pending_attributes: Vec::new(),
            pending_doc: None,
            pending_doc_hidden: false,
        }
    }
}

/// Who is called, as written.
struct Callee {
    kind: CallKind,
    qualifier: Vec<String>,
    name: String,
    receiver: Option<String>,
}

struct Walker<'s> {
    src: &'s str,
    lines: &'s LineIndex,
    b: ModelBuilder,
    scopes: Vec<Scope>,
    recovering: bool,
    in_quote: u32,
    depth: usize,
    depth_exceeded: bool,
    next_token: u64,
    /// ERROR nodes already walked as the body of the module before them.
    adopted_errors: HashSet<usize>,
}

/// The `arguments` and `do_block` children of a call.
fn call_parts<'t>(node: &Node<'t>) -> (Option<Node<'t>>, Option<Node<'t>>) {
    let mut args = None;
    let mut block = None;
    for c in named_children(node) {
        match c.kind() {
            "arguments" if args.is_none() => args = Some(c),
            "do_block" => block = Some(c),
            _ => {}
        }
    }
    (args, block)
}

fn operator<'s>(node: &Node<'_>, src: &'s str) -> &'s str {
    node.child_by_field_name("operator")
        .map(|o| text(&o, src))
        .unwrap_or("")
}

/// The operand of a unary operator. tree-sitter-elixir puts the `(` of a parenthesised
/// operand in the field as well (`&(!valid?(&1))`), so the operand is the field's first
/// named node, not its first node.
fn unary_operand<'t>(node: &Node<'t>) -> Option<Node<'t>> {
    let mut cursor = node.walk();
    let operand = node
        .children_by_field_name("operand", &mut cursor)
        .find(|c| c.is_named());
    operand
}

/// Arguments counted the Elixir way: trailing keywords are one list, a do block is one more.
fn argument_count(args: Option<Node<'_>>, block: Option<Node<'_>>) -> u32 {
    let n = args.map(|a| named_children(&a).len()).unwrap_or(0);
    count_u32(n) + u32::from(block.is_some())
}

impl<'s> Walker<'s> {
    fn walk(&mut self, node: Node<'_>) {
        if self.depth >= MAX_WALK_DEPTH {
            self.depth_exceeded = true;
            return;
        }
        self.depth += 1;
        grow_if_needed(|| match node.kind() {
            "call" => self.visit_call(node, false),
            "binary_operator" => self.visit_binary(node),
            "unary_operator" => self.visit_unary(node),
            "ERROR" => {
                if !self.adopted_errors.contains(&node.id()) {
                    self.visit_error(node);
                }
            }
            _ => self.walk_children(node),
        });
        self.depth -= 1;
    }

    fn walk_children(&mut self, node: Node<'_>) {
        // A cursor, not a collected Vec: this runs for almost every node.
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            let c = cursor.node();
            if c.is_named() && !is_comment(&c) {
                self.walk(c);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }

    fn walk_opt(&mut self, node: Option<Node<'_>>) {
        if let Some(n) = node {
            self.walk(n);
        }
    }

    // ---- scopes ----

    fn current_module(&self) -> Option<ModuleId> {
        self.scopes.iter().rev().find_map(|s| match s.kind {
            ScopeKind::Module(m) => Some(m),
            _ => None,
        })
    }

    fn current_sink(&self) -> CallSink {
        match self.scopes.last().map(|s| s.kind) {
            Some(ScopeKind::Function(f, _)) => CallSink::Function(f),
            _ => CallSink::ModuleLevel,
        }
    }

    fn in_function(&self) -> bool {
        matches!(
            self.scopes.last().map(|s| s.kind),
            Some(ScopeKind::Function(..))
        )
    }

    /// In a tree with errors, closes every scope that the definition at `node` is not
    /// indented inside, recording each as recovered from a missing `end`.
    fn place_definition(&mut self, node: &Node<'_>) {
        if !self.recovering {
            return;
        }
        let column = count_u32(node.start_position().column) + 1;
        let cut = Span::of(node);
        while self.scopes.len() > 1 {
            let Some(top) = self.scopes.last() else { break };
            if top.column < column {
                break;
            }
            let kind = top.kind;
            self.scopes.pop();
            self.close_broken_scope(kind, &cut);
        }
    }

    fn close_broken_scope(&mut self, kind: ScopeKind, cut: &Span) {
        let end = cut.start_byte;
        let truncate = |s: &mut Span| {
            if s.end_byte > end && s.start_byte <= end {
                s.end_byte = end;
            }
        };
        let (name, span) = match kind {
            ScopeKind::Function(id, clause) => {
                let Some((f, clauses)) = self.b.function_mut(id) else {
                    return;
                };
                f.reliable = false;
                if let Some(c) = clauses.get_mut(clause) {
                    truncate(&mut c.span);
                    if let Some(b) = c.body_span.as_mut() {
                        truncate(b);
                    }
                }
                let Some(first) = clauses.first() else {
                    return;
                };
                let mut span = first.span;
                for c in &clauses[1..] {
                    span = span.cover(&c.span);
                }
                f.span = span;
                (format!("{}/{}", f.name, f.arity), span)
            }
            ScopeKind::Module(id) => {
                let Some(m) = self.b.module_mut(id) else {
                    return;
                };
                truncate(&mut m.span);
                (m.name.to_string(), m.span)
            }
            ScopeKind::File => return,
        };
        self.b.diagnostics.push(Diagnostic::new(
            Severity::Error,
            DiagnosticKind::MissingEndRecovered {
                definition: name.clone(),
            },
            format!(
                "`{name}` (line {}) has no matching `end`; the definitions after it were recovered",
                self.lines.position(span.start_byte).line
            ),
            Some(span),
        ));
    }

    /// Pushes a scope and returns its token for [`Self::pop_scope`].
    fn push_scope(&mut self, kind: ScopeKind, node: &Node<'_>) -> u64 {
        let token = self.next_token;
        self.next_token += 1;
        let mut s = Scope::new(kind, count_u32(node.start_position().column) + 1);
        s.token = token;
        self.scopes.push(s);
        token
    }

    /// Pops the scope pushed with `token` and anything above it, unless recovery already
    /// closed it.
    fn pop_scope(&mut self, token: u64) {
        if let Some(pos) = self.scopes.iter().rposition(|s| s.token == token) {
            self.scopes.truncate(pos);
        }
    }

    // ---- calls ----

    fn record(&mut self, callee: Callee, arity: u32, piped: bool, capture: bool, node: &Node<'_>) {
        let Callee {
            kind,
            qualifier,
            name,
            receiver,
        } = callee;
        let qualifier = self.b.path(&qualifier);
        let name = self.b.name(&name);
        let receiver = receiver.map(|r| self.b.name(&r));
        let call = Call {
            kind,
            qualifier,
            name,
            arity: arity_of(arity as usize),
            piped,
            capture,
            receiver,
            span: Span::of(node),
            module: self.current_module(),
        };
        let sink = self.current_sink();
        self.b.add_call(sink, call);
    }

    fn visit_call(&mut self, node: Node<'_>, piped: bool) {
        let (args, block) = call_parts(&node);
        let Some(target) = node.child_by_field_name("target") else {
            self.walk_children(node);
            return;
        };
        let arity = argument_count(args, block) + u32::from(piped);
        match target.kind() {
            "identifier" => {
                let name = text(&target, self.src);
                if self.in_quote == 0 && !piped {
                    if let Some(kind) = forms::definition_kind(name) {
                        self.visit_definition(node, kind, args, block);
                        return;
                    }
                    if forms::is_module_definition(name) {
                        self.visit_module(node, name, args, block);
                        return;
                    }
                }
                if forms::definition_kind(name).is_some() || forms::is_module_definition(name) {
                    // Inside `quote`: a definition template the macro emits, not a call.
                    self.walk_opt(args);
                    self.walk_opt(block);
                    return;
                }
                if forms::is_directive(name) && !piped {
                    directives::record(self, node, name, args);
                    return;
                }
                if forms::is_special_form(name) {
                    let quote = name == "quote";
                    if quote {
                        self.in_quote += 1;
                    }
                    self.walk_opt(args);
                    self.walk_opt(block);
                    if quote {
                        self.in_quote -= 1;
                    }
                    return;
                }
                if let Some(referenced_arity) = forms::atom_reference_arity(name) {
                    if !piped {
                        self.visit_atom_references(args, referenced_arity);
                    }
                }
                let kind = if forms::is_kernel_macro(name, arity) {
                    CallKind::Macro
                } else {
                    CallKind::Local
                };
                self.record(
                    Callee {
                        kind,
                        qualifier: Vec::new(),
                        name: name.to_owned(),
                        receiver: None,
                    },
                    arity,
                    piped,
                    false,
                    &node,
                );
            }
            "dot" => {
                let left = target.child_by_field_name("left");
                let right = target.child_by_field_name("right");
                match (left, right) {
                    (Some(left), Some(right)) => {
                        let name = text(&right, self.src).to_owned();
                        if let Some(q) = qualifier(&left, self.src) {
                            self.record(
                                Callee {
                                    kind: CallKind::Remote,
                                    qualifier: q,
                                    name,
                                    receiver: None,
                                },
                                arity,
                                piped,
                                false,
                                &node,
                            );
                        } else if left.kind() == "identifier" && args.is_none() && !piped {
                            // `map.key`: field access, not a call.
                        } else {
                            let recv = Some(snippet(&left, self.src));
                            self.record(
                                Callee {
                                    kind: CallKind::Dynamic,
                                    qualifier: Vec::new(),
                                    name,
                                    receiver: recv,
                                },
                                arity,
                                piped,
                                false,
                                &node,
                            );
                            self.walk(left);
                        }
                    }
                    (Some(left), None) => {
                        // `fun.(args)`: anonymous function call.
                        let recv = Some(snippet(&left, self.src));
                        self.record(
                            Callee {
                                kind: CallKind::Dynamic,
                                qualifier: Vec::new(),
                                name: String::new(),
                                receiver: recv,
                            },
                            arity,
                            piped,
                            false,
                            &node,
                        );
                        self.walk(left);
                    }
                    _ => self.walk(target),
                }
            }
            _ => {
                let recv = Some(snippet(&target, self.src));
                let name = snippet(&target, self.src);
                self.record(
                    Callee {
                        kind: CallKind::Dynamic,
                        qualifier: Vec::new(),
                        name,
                        receiver: recv,
                    },
                    arity,
                    piped,
                    false,
                    &node,
                );
                self.walk(target);
            }
        }
        self.walk_opt(args);
        self.walk_opt(block);
    }

    fn visit_binary(&mut self, node: Node<'_>) {
        let left = node.child_by_field_name("left");
        let right = node.child_by_field_name("right");
        if operator(&node, self.src) == "|>" {
            self.walk_opt(left);
            if let Some(r) = right {
                match r.kind() {
                    "call" => {
                        self.depth += 1;
                        self.visit_call(r, true);
                        self.depth -= 1;
                    }
                    "identifier" => {
                        let name = text(&r, self.src).to_owned();
                        self.record(
                            Callee {
                                kind: CallKind::Local,
                                qualifier: Vec::new(),
                                name,
                                receiver: None,
                            },
                            1,
                            true,
                            false,
                            &r,
                        );
                    }
                    _ => self.walk(r),
                }
            }
            return;
        }
        self.walk_opt(left);
        self.walk_opt(right);
    }

    fn visit_unary(&mut self, node: Node<'_>) {
        let Some(operand) = unary_operand(&node) else {
            self.walk_children(node);
            return;
        };
        match operator(&node, self.src) {
            "@" => self.visit_attribute(node, operand),
            "&" => {
                if !self.visit_capture(&operand) {
                    self.walk(operand);
                }
            }
            _ => self.walk(operand),
        }
    }

    /// `&fun/2`, `&Mod.fun/2`; false when the operand is another capture form (`&(&1 + 1)`).
    fn visit_capture(&mut self, operand: &Node<'_>) -> bool {
        if operand.kind() != "binary_operator" || operator(operand, self.src) != "/" {
            return false;
        }
        let (Some(left), Some(right)) = (
            operand.child_by_field_name("left"),
            operand.child_by_field_name("right"),
        ) else {
            return false;
        };
        let Ok(arity) = text(&right, self.src).trim().parse::<u32>() else {
            return false;
        };
        match left.kind() {
            "identifier" => {
                let name = text(&left, self.src).to_owned();
                self.record_local_capture(name, arity, operand);
                true
            }
            "call" => {
                let (args, _) = call_parts(&left);
                let Some(target) = left.child_by_field_name("target") else {
                    return false;
                };
                if args.is_some() || target.kind() != "dot" {
                    return false;
                }
                let (Some(l), Some(r)) = (
                    target.child_by_field_name("left"),
                    target.child_by_field_name("right"),
                ) else {
                    return false;
                };
                let name = text(&r, self.src).to_owned();
                match qualifier(&l, self.src) {
                    Some(q) => self.record(
                        Callee {
                            kind: CallKind::Remote,
                            qualifier: q,
                            name,
                            receiver: None,
                        },
                        arity,
                        false,
                        true,
                        operand,
                    ),
                    None => {
                        let recv = Some(snippet(&l, self.src));
                        self.record(
                            Callee {
                                kind: CallKind::Dynamic,
                                qualifier: Vec::new(),
                                name,
                                receiver: recv,
                            },
                            arity,
                            false,
                            true,
                            operand,
                        )
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// `plug :authorize`, `plug :put_assign, "api"`, `plug :halt when action in [:x]`,
    /// `pipe_through [:browser, :auth]`, `setup [:start_repo, :login]`: the framework calls
    /// the local function named by each atom (with `arity` arguments), so each is recorded
    /// as a reference (a capture) to it.
    fn visit_atom_references(&mut self, args: Option<Node<'_>>, arity: u32) {
        let Some(first) = args.and_then(|a| named_children(&a).into_iter().next()) else {
            return;
        };
        let named = match first.kind() {
            "list" => named_children(&first),
            "binary_operator" if operator(&first, self.src) == "when" => {
                first.child_by_field_name("left").into_iter().collect()
            }
            _ => vec![first],
        };
        for atom in named.into_iter().filter(|n| n.kind() == "atom") {
            let name = text(&atom, self.src).trim_start_matches(':').to_owned();
            self.record_local_capture(name, arity, &atom);
        }
    }

    /// A reference to the local function `name/arity`, written at `node`.
    fn record_local_capture(&mut self, name: String, arity: u32, node: &Node<'_>) {
        let callee = Callee {
            kind: CallKind::Local,
            qualifier: Vec::new(),
            name,
            receiver: None,
        };
        self.record(callee, arity, false, true, node);
    }

    /// `@name value` in a module body: docs and function attributes wait for the next
    /// definition; others belong to the module. `@name` inside a function is a read.
    fn visit_attribute(&mut self, node: Node<'_>, operand: Node<'_>) {
        if self.in_function() || self.in_quote > 0 {
            // A read (`@name`), or an attribute a macro's `quote` emits: its value is code
            // (`@plugs {unquote(escape(guards))}` calls `escape/1` here).
            if operand.kind() == "call" {
                self.walk_opt(call_parts(&operand).0);
            }
            return;
        }
        let (name, args) = match operand.kind() {
            "call" => {
                let Some(t) = operand.child_by_field_name("target") else {
                    return;
                };
                (text(&t, self.src).to_owned(), call_parts(&operand).0)
            }
            "identifier" => (text(&operand, self.src).to_owned(), None),
            _ => return,
        };
        let value_node = args.and_then(|a| named_children(&a).into_iter().next());
        let value = args.map(|a| self.b.name(&snippet(&a, self.src)));
        let attr = Attribute {
            name: self.b.name(&name),
            value,
            span: Span::of(&node),
        };
        let module = self.current_module();
        match name.as_str() {
            "moduledoc" => {
                if let (Some(m), Some(v)) = (module, value_node) {
                    let (doc, _) = doc_text(&v, self.src);
                    let doc = doc.map(|d| self.b.name(&d));
                    if let Some(md) = self.b.module_mut(m) {
                        md.doc = doc;
                    }
                }
            }
            "doc" => {
                let (doc, hidden) = value_node
                    .map(|v| doc_text(&v, self.src))
                    .unwrap_or((None, false));
                let doc = doc.map(|d| self.b.name(&d));
                if let Some(s) = self.scopes.last_mut() {
                    s.pending_doc = doc;
                    s.pending_doc_hidden = hidden;
                }
            }
            n if forms::is_function_attribute(n) => {
                if let Some(s) = self.scopes.last_mut() {
                    s.pending_attributes.push(attr);
                }
            }
            n => {
                let code = !forms::is_non_code_attribute(n);
                if let Some(m) = module {
                    self.b.add_module_attribute(m, attr);
                }
                if code {
                    self.walk_opt(value_node);
                }
            }
        }
    }

    // ---- definitions ----

    fn visit_module(
        &mut self,
        node: Node<'_>,
        macro_name: &str,
        args: Option<Node<'_>>,
        block: Option<Node<'_>>,
    ) {
        self.place_definition(&node);
        let first = args.and_then(|a| named_children(&a).into_iter().next());
        let parent = self.current_module();
        let parent_name = parent
            .and_then(|p| self.b.module(p))
            .map(|m| m.name.to_string());
        let written = first
            .filter(|f| f.kind() != "keywords")
            .map(|f| strip_ws(text(&f, self.src)))
            .unwrap_or_default();
        let (kind, local) = match macro_name {
            "defprotocol" => (ModuleKind::ElixirProtocol, written.clone()),
            "defimpl" => {
                let for_type = args
                    .and_then(|a| directives::keyword_value(&a, "for", self.src))
                    .map(|v| strip_ws(text(&v, self.src)))
                    .or_else(|| parent_name.clone());
                let local = match &for_type {
                    Some(t) => format!("{written}.{t}"),
                    None => written.clone(),
                };
                (
                    ModuleKind::ElixirImpl {
                        protocol: self.b.name(&written),
                        for_type: for_type.map(|t| self.b.name(&t)),
                    },
                    local,
                )
            }
            _ => (ModuleKind::ElixirModule, written.clone()),
        };
        let full = match (&parent_name, macro_name) {
            // `defimpl` names are absolute (`Proto.Type`).
            (Some(p), "defmodule" | "defprotocol") if !local.starts_with("Elixir.") => {
                format!("{p}.{local}")
            }
            _ => local.trim_start_matches("Elixir.").to_owned(),
        };
        let (full, local) = (self.b.name(&full), self.b.name(&local));
        let id = self.b.add_module(
            full,
            local,
            kind,
            parent,
            Span::of(&node),
            Visibility::Public,
        );
        let token = self.push_scope(ScopeKind::Module(id), &node);
        if let Some(a) = args {
            // Options such as `for:` carry no calls worth recording; the rest of the
            // arguments past the name may (e.g. `defmodule name(), do: ...`).
            for c in named_children(&a).into_iter().skip(1) {
                self.walk(c);
            }
        }
        self.walk_opt(block);
        if block.is_none() && self.recovering {
            // `defmodule X do` whose `do` ended up in the ERROR node that follows: that
            // ERROR holds the module's body.
            if let Some(next) = node.next_named_sibling().filter(|n| n.kind() == "ERROR") {
                self.adopted_errors.insert(next.id());
                self.visit_error(next);
            }
        }
        self.pop_scope(token);
    }

    /// tree-sitter-elixir often folds everything after a bad token into one ERROR node whose
    /// children are loose `def` identifiers followed by their `arguments`: recover those
    /// definitions (they stay unreliable, the error covers them).
    fn visit_error(&mut self, node: Node<'_>) {
        let kids = named_children(&node);
        let mut i = 0;
        while i < kids.len() {
            let k = kids[i];
            let next = kids.get(i + 1).copied().filter(|n| n.kind() == "arguments");
            if let (true, Some(args)) = (k.kind() == "identifier" && self.in_quote == 0, next) {
                if let Some(kind) = forms::definition_kind(text(&k, self.src)) {
                    let block = kids.get(i + 2).copied().filter(|n| n.kind() == "do_block");
                    let last = block.unwrap_or(args);
                    let span = Span::of(&k).cover(&Span::of(&last));
                    self.visit_definition_at(k, span, kind, Some(args), block);
                    i += if block.is_some() { 3 } else { 2 };
                    continue;
                }
            }
            self.walk(k);
            i += 1;
        }
    }

    fn visit_definition(
        &mut self,
        node: Node<'_>,
        kind: FunctionKind,
        args: Option<Node<'_>>,
        block: Option<Node<'_>>,
    ) {
        self.visit_definition_at(node, Span::of(&node), kind, args, block);
    }

    /// A definition starting at `node` and covering `span`.
    fn visit_definition_at(
        &mut self,
        node: Node<'_>,
        span: Span,
        kind: FunctionKind,
        args: Option<Node<'_>>,
        block: Option<Node<'_>>,
    ) {
        self.place_definition(&node);
        let parts = args.map(|a| named_children(&a)).unwrap_or_default();
        let Some(head_node) = parts.first().copied() else {
            self.walk_opt(block);
            return;
        };
        let Some(head) = heads::parse(head_node, self.src, &mut self.b) else {
            // Operator definitions and other shapes we do not model: keep their calls.
            self.walk_opt(args);
            self.walk_opt(block);
            return;
        };
        let keyword_body = parts
            .iter()
            .find(|p| p.kind() == "keywords")
            .and_then(|k| directives::keyword_value(k, "do", self.src));
        let body = block.or(keyword_body);
        let visibility = match kind {
            FunctionKind::Defp | FunctionKind::Defmacrop | FunctionKind::Defguardp => {
                Visibility::Private
            }
            _ => Visibility::Public,
        };
        let min_arity = arity_of(
            head.params
                .iter()
                .filter(|p| p.annotation.is_none())
                .count(),
        );
        let (doc, doc_hidden, attributes) = match self.scopes.last_mut() {
            Some(s) => (
                s.pending_doc.take(),
                std::mem::take(&mut s.pending_doc_hidden),
                std::mem::take(&mut s.pending_attributes),
            ),
            None => (None, false, Vec::new()),
        };
        let module = self.current_module();
        let clause = Clause {
            span,
            head_span: Span::of(&head_node),
            body_span: body.map(|b| Span::of(&b)),
            params: head.params.clone().into_boxed_slice(),
            guard: head.guard.map(|g| self.b.name(text(&g, self.src))),
            guard_span: head.guard.map(|g| Span::of(&g)),
        };
        let name = self.b.name(&head.name);
        let (fid, clause_idx) = self.b.add_clause(
            NewClause {
                name,
                generated_name: head.generated,
                kind,
                visibility,
                module,
                clause,
                min_arity,
                doc,
                doc_hidden,
                attributes,
            },
            true,
        );
        let token = self.push_scope(ScopeKind::Function(fid, clause_idx), &node);
        for d in &head.default_nodes {
            self.walk(*d);
        }
        self.walk_opt(head.guard);
        if kind == FunctionKind::Defdelegate {
            self.record_delegation(&parts, &head.name, count_u32(head.params.len()), &node);
        } else {
            self.walk_opt(body);
        }
        self.pop_scope(token);
    }

    /// `defdelegate fun(a), to: Mod, as: :other` calls `Mod.other/1`.
    fn record_delegation(&mut self, parts: &[Node<'_>], name: &str, arity: u32, node: &Node<'_>) {
        let Some(kw) = parts.iter().find(|p| p.kind() == "keywords") else {
            return;
        };
        let Some(to) = directives::keyword_value(kw, "to", self.src) else {
            return;
        };
        let target = directives::keyword_value(kw, "as", self.src)
            .map(|a| text(&a, self.src).trim_start_matches(':').to_owned())
            .unwrap_or_else(|| name.to_owned());
        match qualifier(&to, self.src) {
            Some(q) => self.record(
                Callee {
                    kind: CallKind::Remote,
                    qualifier: q,
                    name: target,
                    receiver: None,
                },
                arity,
                false,
                false,
                node,
            ),
            None => {
                let recv = Some(snippet(&to, self.src));
                self.record(
                    Callee {
                        kind: CallKind::Dynamic,
                        qualifier: Vec::new(),
                        name: target,
                        receiver: recv,
                    },
                    arity,
                    false,
                    false,
                    node,
                )
            }
        }
    }
}

/// Module qualifier segments of a call target's left side, when it names a module:
/// `Repo`, `MyApp.Repo`, `:erlang`, `__MODULE__`, `__MODULE__.Sub`.
fn qualifier(node: &Node<'_>, src: &str) -> Option<Vec<String>> {
    match node.kind() {
        "alias" => Some(split_alias(text(node, src))),
        "atom" => Some(vec![text(node, src).to_owned()]),
        "identifier" if text(node, src) == "__MODULE__" => Some(vec!["__MODULE__".to_owned()]),
        "dot" => {
            let left = node.child_by_field_name("left")?;
            let right = node.child_by_field_name("right")?;
            if right.kind() != "alias" {
                return None;
            }
            let mut q = grow_if_needed(|| qualifier(&left, src))?;
            q.extend(split_alias(text(&right, src)));
            Some(q)
        }
        _ => None,
    }
}

fn split_alias(s: &str) -> Vec<String> {
    s.split('.')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Text of a `@doc`/`@moduledoc` value, and whether it hides the item (`false`).
fn doc_text(node: &Node<'_>, src: &str) -> (Option<String>, bool) {
    match node.kind() {
        "boolean" => (None, text(node, src) == "false"),
        "string" | "sigil" | "charlist" => {
            let mut out = String::new();
            for c in named_children(node) {
                if c.kind() == "quoted_content" {
                    out.push_str(text(&c, src));
                }
            }
            (Some(out.trim().to_owned()), false)
        }
        _ => (Some(text(node, src).to_owned()), false),
    }
}

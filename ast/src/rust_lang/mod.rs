//! Extracts the model from a tree-sitter-rust tree.
//!
//! The file itself is a module named from its path (`src/net/tcp.rs` is `crate::net::tcp`);
//! inline `mod`, `impl` and `trait` blocks are modules inside it. Calls inside macro token
//! trees (`println!("{}", f(x))`) are found by a token-level scan, since tree-sitter does not
//! parse macro arguments.

mod items;
mod macro_tokens;
mod paths;

use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, DiagnosticKind, Severity};
use crate::model::{arity_of, Call, CallKind, FunctionId, ModuleId, ModuleKind, Visibility};
use crate::model_builder::{CallSink, ModelBuilder};
use crate::source_text::{count_u32, named_children, snippet, text};
use crate::span::Span;

use crate::stack_guard::grow_if_needed;
pub(crate) use crate::stack_guard::MAX_WALK_DEPTH;

pub(crate) use paths::package_dir;

pub(crate) fn extract(root: Node<'_>, source: &str, path: &str) -> ModelBuilder {
    let mut b = ModelBuilder::default();
    let name = paths::module_path_for_file(path);
    let local = name.rsplit("::").next().unwrap_or("crate").to_owned();
    let (name, local) = (b.name(&name), b.name(&local));
    let file_module = b.add_module(
        name,
        local,
        ModuleKind::RustFile,
        None,
        Span::of(&root),
        Visibility::Public,
    );
    let mut w = Walker {
        src: source,
        b,
        modules: vec![file_module],
        functions: Vec::new(),
        depth: 0,
        depth_exceeded: false,
        bare_references: Vec::new(),
    };
    w.walk(root);
    w.keep_function_references();
    if w.depth_exceeded {
        w.b.diagnostics.push(Diagnostic::new(
            Severity::Warning,
            DiagnosticKind::SyntaxError,
            format!("nesting deeper than {MAX_WALK_DEPTH} levels: inner calls not extracted"),
            None,
        ));
    }
    w.b
}

pub(crate) struct Walker<'s> {
    pub src: &'s str,
    pub b: ModelBuilder,
    pub modules: Vec<ModuleId>,
    pub functions: Vec<FunctionId>,
    depth: usize,
    depth_exceeded: bool,
    /// Plain names passed as arguments (`.map(parse_line)`, `get(health)`): function
    /// references or variables, told apart once the whole file is known.
    bare_references: Vec<(CallSink, Call)>,
}

impl<'s> Walker<'s> {
    pub fn current_module(&self) -> Option<ModuleId> {
        self.modules.last().copied()
    }

    fn sink(&self) -> CallSink {
        match self.functions.last() {
            Some(f) => CallSink::Function(*f),
            None => CallSink::ModuleLevel,
        }
    }

    /// Records a call in the innermost function (or at module level).
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        kind: CallKind,
        qualifier: Vec<String>,
        name: String,
        arity: u32,
        receiver: Option<String>,
        node: &Node<'_>,
    ) {
        let qualifier = self.b.path(&qualifier);
        let name = self.b.name(&name);
        let receiver = receiver.map(|r| self.b.name(&r));
        let call = Call {
            kind,
            qualifier,
            name,
            arity: arity_of(arity as usize),
            piped: false,
            capture: false,
            receiver,
            span: Span::of(node),
            module: self.current_module(),
        };
        let sink = self.sink();
        self.b.add_call(sink, call);
    }

    /// Depth-limited descent; false when the limit was hit.
    pub fn enter(&mut self) -> bool {
        if self.depth >= MAX_WALK_DEPTH {
            self.depth_exceeded = true;
            return false;
        }
        self.depth += 1;
        true
    }

    pub fn leave(&mut self) {
        self.depth -= 1;
    }

    pub fn walk(&mut self, node: Node<'_>) {
        if !self.enter() {
            return;
        }
        grow_if_needed(|| match node.kind() {
            "mod_item" => items::visit_mod(self, node),
            "impl_item" => items::visit_impl(self, node),
            "trait_item" => items::visit_trait(self, node),
            "function_item" | "function_signature_item" => items::visit_function(self, node),
            "use_declaration" => items::visit_use(self, node),
            "extern_crate_declaration" => items::visit_extern_crate(self, node),
            "line_comment" | "block_comment" => items::visit_inner_doc(self, node),
            "attribute_item" => self.visit_serde_function_paths(node),
            "inner_attribute_item" => items::visit_inner_attribute(self, node),
            "call_expression" => self.visit_call(node),
            "field_initializer" => {
                // `Vtable { poll: poll::<T, S>, .. }`
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit_function_reference(&value);
                }
                self.walk_children(node);
            }
            "macro_invocation" => macro_tokens::visit_macro(self, node),
            _ => self.walk_children(node),
        });
        self.leave();
    }

    pub fn walk_children(&mut self, node: Node<'_>) {
        // A cursor, not a collected Vec: this runs for almost every node.
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return;
        }
        loop {
            let c = cursor.node();
            if c.is_named() {
                self.walk(c);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }

    fn visit_call(&mut self, node: Node<'_>) {
        let args = node.child_by_field_name("arguments");
        let arity = count_u32(args.map(|a| named_children(&a).len()).unwrap_or(0));
        if let Some(f) = node.child_by_field_name("function") {
            self.classify_callee(f, arity, &node);
        }
        if let Some(a) = args {
            for arg in named_children(&a) {
                self.visit_function_reference(&arg);
            }
            self.walk(a);
        }
    }

    /// A function passed by name (`.map(Self::decode)`, `.map_err(db_err)`, `get(health)`),
    /// or stored in a struct field (`Vtable { poll: poll::<T, S> }`),
    /// is recorded as a capture of it, so what only runs through such a reference is not
    /// dead code. A path (`a::b`) cannot be a local variable and is recorded at once; a plain
    /// name waits for [`Self::keep_function_references`]. Capitalised names are types,
    /// variants and constants.
    fn visit_function_reference(&mut self, arg: &Node<'_>) {
        let inner = match arg.kind() {
            // `timed(&parse)`
            "reference_expression" => arg.child_by_field_name("value"),
            // `poll::<T, S>`
            "generic_function" => arg.child_by_field_name("function"),
            _ => None,
        };
        if let Some(inner) = inner {
            self.visit_function_reference(&inner);
            return;
        }
        let (kind, qualifier, name) = match arg.kind() {
            "identifier" => (CallKind::Local, Vec::new(), text(arg, self.src).to_owned()),
            "scoped_identifier" => {
                let (qualifier, name) = paths::split_scoped(arg, self.src);
                (CallKind::Remote, qualifier, name)
            }
            _ => return,
        };
        if constructor_or(&name, kind) == CallKind::Constructor || name == "self" {
            return;
        }
        let call = self.reference(kind, &qualifier, &name, arg);
        match kind {
            CallKind::Local => self.bare_references.push((self.sink(), call)),
            _ => self.b.add_call(self.sink(), call),
        }
    }

    /// A reference to a function (a capture: arity unknown) written at `node`.
    fn reference(
        &mut self,
        kind: CallKind,
        qualifier: &[String],
        name: &str,
        node: &Node<'_>,
    ) -> Call {
        Call {
            kind,
            qualifier: self.b.path(qualifier),
            name: self.b.name(name),
            arity: 0,
            piped: false,
            capture: true,
            receiver: None,
            span: Span::of(node),
            module: self.current_module(),
        }
    }

    /// `#[serde(default = "default_limit", skip_serializing_if = "is_zero")]` names functions
    /// serde's derive calls; each is recorded as a capture of it.
    fn visit_serde_function_paths(&mut self, attribute: Node<'_>) {
        const KEYS: [&str; 4] = [
            "default",
            "serialize_with",
            "deserialize_with",
            "skip_serializing_if",
        ];
        let source = text(&attribute, self.src);
        let Some(body) = source
            .strip_prefix("#[")
            .map(str::trim_start)
            .and_then(|b| b.strip_prefix("serde"))
        else {
            return;
        };
        for entry in body.split(',') {
            let Some((key, value)) = entry.split_once('=') else {
                continue;
            };
            let key = key.trim().trim_start_matches('(');
            let Some(path) = value
                .trim()
                .strip_prefix('"')
                .and_then(|v| v.split('"').next())
            else {
                continue;
            };
            if !KEYS.contains(&key) || path.is_empty() {
                continue;
            }
            let mut segments: Vec<String> = path.split("::").map(str::to_owned).collect();
            let name = segments.pop().unwrap_or_default();
            let kind = if segments.is_empty() {
                CallKind::Local
            } else {
                CallKind::Remote
            };
            let call = self.reference(kind, &segments, &name, &attribute);
            self.b.add_call(self.sink(), call);
        }
    }

    /// Keeps the plain names passed as arguments that name a function this file defines or
    /// imports with `use`; the others are taken for variables. A variable named like such a
    /// function counts as a reference too, which can only hide dead code, never invent it.
    fn keep_function_references(&mut self) {
        let mut known: std::collections::HashSet<&str> =
            self.b.function_names().map(|n| n.as_str()).collect();
        for import in &self.b.imports {
            let name = match &import.alias {
                Some(alias) => Some(alias.as_str()),
                None => import.path.last(),
            };
            known.extend(name);
        }
        let keep: Vec<(CallSink, Call)> = std::mem::take(&mut self.bare_references)
            .into_iter()
            .filter(|(_, call)| known.contains(call.name.as_str()))
            .collect();
        for (sink, call) in keep {
            self.b.add_call(sink, call);
        }
    }

    fn classify_callee(&mut self, f: Node<'_>, arity: u32, call: &Node<'_>) {
        match f.kind() {
            "identifier" => {
                let name = text(&f, self.src).to_owned();
                let kind = constructor_or(&name, CallKind::Local);
                self.record(kind, Vec::new(), name, arity, None, call);
            }
            "scoped_identifier" => {
                let (qualifier, name) = paths::split_scoped(&f, self.src);
                let kind = constructor_or(&name, CallKind::Remote);
                self.record(kind, qualifier, name, arity, None, call);
            }
            "field_expression" => {
                let name = f
                    .child_by_field_name("field")
                    .map(|n| text(&n, self.src).to_owned())
                    .unwrap_or_default();
                let value = f.child_by_field_name("value");
                let receiver = value.map(|v| snippet(&v, self.src));
                self.record(
                    CallKind::Method,
                    Vec::new(),
                    name,
                    arity + 1,
                    receiver,
                    call,
                );
                if let Some(v) = value {
                    self.walk(v);
                }
            }
            "generic_function" => match f.child_by_field_name("function") {
                Some(inner) => grow_if_needed(|| self.classify_callee(inner, arity, call)),
                None => self.walk(f),
            },
            _ => {
                let name = snippet(&f, self.src);
                self.record(
                    CallKind::Dynamic,
                    Vec::new(),
                    name.clone(),
                    arity,
                    Some(name),
                    call,
                );
                self.walk(f);
            }
        }
    }
}

/// Rust naming convention: a capitalised last segment is a tuple struct or enum variant.
pub(crate) fn constructor_or(name: &str, otherwise: CallKind) -> CallKind {
    if name.chars().next().is_some_and(|c| c.is_uppercase()) {
        CallKind::Constructor
    } else {
        otherwise
    }
}

//! Accumulates modules, functions, calls and imports while an extractor walks a tree, and
//! groups Elixir clauses into functions.
//!
//! The model's per-item collections are boxed slices (exact size, 16 bytes inline); while
//! extracting they grow, so the builder keeps them in vectors beside the items and boxes
//! them once in [`ModelBuilder::finish`].

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::{
    arity_of, Arity, Attribute, Call, Clause, Function, FunctionId, FunctionKind, Import, Module,
    ModuleId, ModuleKind, Visibility,
};
use crate::name::{Interner, Name};
use crate::name_path::NamePath;
use crate::source_text::count_u32;
use crate::span::Span;

/// Where a call is recorded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CallSink {
    Function(FunctionId),
    ModuleLevel,
}

/// A new clause (or a Rust fn) being added.
pub(crate) struct NewClause {
    pub name: Name,
    pub generated_name: bool,
    pub kind: FunctionKind,
    pub visibility: Visibility,
    pub module: Option<ModuleId>,
    pub clause: Clause,
    pub min_arity: Arity,
    pub doc: Option<Name>,
    pub doc_hidden: bool,
    pub attributes: Vec<Attribute>,
}

/// The growing collections of one function.
#[derive(Default)]
pub(crate) struct FunctionParts {
    pub clauses: Vec<Clause>,
    pub calls: Vec<Call>,
    pub attributes: Vec<Attribute>,
}

/// What the extractors produced, collections boxed.
pub(crate) struct Built {
    pub modules: Vec<Module>,
    pub functions: Vec<Function>,
    pub imports: Vec<Import>,
    pub module_level_calls: Vec<Call>,
    pub diagnostics: Vec<Diagnostic>,
}

#[derive(Default)]
pub(crate) struct ModelBuilder {
    pub modules: Vec<Module>,
    module_attributes: Vec<Vec<Attribute>>,
    functions: Vec<Function>,
    function_parts: Vec<FunctionParts>,
    pub imports: Vec<Import>,
    pub module_level_calls: Vec<Call>,
    pub diagnostics: Vec<Diagnostic>,
    clause_groups: HashMap<(Option<ModuleId>, Name, Arity), FunctionId>,
    names: Interner,
}

impl ModelBuilder {
    /// The shared [`Name`] for `s`.
    pub fn name(&mut self, s: &str) -> Name {
        self.names.intern(s)
    }

    /// The names of the functions added so far.
    pub fn function_names(&self) -> impl Iterator<Item = &Name> {
        self.functions.iter().map(|f| &f.name)
    }

    /// The shared [`NamePath`] for these segments.
    pub fn path<S: AsRef<str>>(&mut self, segments: impl IntoIterator<Item = S>) -> NamePath {
        let joined = NamePath::joined(segments);
        NamePath::from_joined(self.names.intern(&joined))
    }

    pub fn add_module(
        &mut self,
        name: Name,
        local_name: Name,
        kind: ModuleKind,
        parent: Option<ModuleId>,
        span: Span,
        visibility: Visibility,
    ) -> ModuleId {
        let id = ModuleId::new(count_u32(self.modules.len()));
        self.modules.push(Module {
            id,
            name,
            local_name,
            kind,
            parent,
            span,
            doc: None,
            attributes: Box::default(),
            visibility,
        });
        self.module_attributes.push(Vec::new());
        id
    }

    pub fn module(&self, id: ModuleId) -> Option<&Module> {
        self.modules.get(id.index())
    }

    pub fn module_mut(&mut self, id: ModuleId) -> Option<&mut Module> {
        self.modules.get_mut(id.index())
    }

    /// Appends an attribute to a module.
    pub fn add_module_attribute(&mut self, id: ModuleId, attribute: Attribute) {
        if let Some(a) = self.module_attributes.get_mut(id.index()) {
            a.push(attribute);
        }
    }

    /// Sets a module's attributes (Rust: the outer attributes of a `mod`, `impl`, `trait`).
    pub fn set_module_attributes(&mut self, id: ModuleId, attributes: Vec<Attribute>) {
        if let Some(a) = self.module_attributes.get_mut(id.index()) {
            *a = attributes;
        }
    }

    /// A function and its clauses so far.
    pub fn function_mut(&mut self, id: FunctionId) -> Option<(&mut Function, &mut Vec<Clause>)> {
        let i = id.0 as usize;
        let f = self.functions.get_mut(i)?;
        let parts = self.function_parts.get_mut(i)?;
        Some((f, &mut parts.clauses))
    }

    /// Adds a clause. With `group` set, a clause with the same module, name and arity as an
    /// earlier one joins that function (Elixir multi-clause functions); returns the function
    /// and the clause index inside it.
    pub fn add_clause(&mut self, new: NewClause, group: bool) -> (FunctionId, usize) {
        let arity = arity_of(new.clause.params.len());
        let key = (new.module, new.name.clone(), arity);
        if group {
            if let Some(&id) = self.clause_groups.get(&key) {
                let i = id.0 as usize;
                if let (Some(f), Some(parts)) =
                    (self.functions.get_mut(i), self.function_parts.get_mut(i))
                {
                    f.span = f.span.cover(&new.clause.span);
                    f.min_arity = f.min_arity.min(new.min_arity);
                    if f.doc.is_none() {
                        f.doc = new.doc;
                    }
                    f.doc_hidden |= new.doc_hidden;
                    parts.attributes.extend(new.attributes);
                    parts.clauses.push(new.clause);
                    return (id, parts.clauses.len() - 1);
                }
            }
        }
        let id = FunctionId(count_u32(self.functions.len()));
        self.functions.push(Function {
            id,
            name: new.name,
            arity,
            min_arity: new.min_arity,
            kind: new.kind,
            visibility: new.visibility,
            module: new.module,
            span: new.clause.span,
            clauses: Box::default(),
            doc: new.doc,
            doc_hidden: new.doc_hidden,
            attributes: Box::default(),
            calls: Box::default(),
            reliable: true,
            generated_name: new.generated_name,
        });
        self.function_parts.push(FunctionParts {
            clauses: vec![new.clause],
            calls: Vec::new(),
            attributes: new.attributes,
        });
        if group {
            self.clause_groups.insert(key, id);
        }
        (id, 0)
    }

    pub fn add_call(&mut self, sink: CallSink, call: Call) {
        match sink {
            CallSink::Function(id) => {
                if let Some(parts) = self.function_parts.get_mut(id.0 as usize) {
                    parts.calls.push(call);
                    return;
                }
                self.module_level_calls.push(call);
            }
            CallSink::ModuleLevel => self.module_level_calls.push(call),
        }
    }

    /// Boxes every collection; calls end up in source order.
    pub fn finish(self) -> Built {
        let mut modules = self.modules;
        for (m, attributes) in modules.iter_mut().zip(self.module_attributes) {
            m.attributes = attributes.into_boxed_slice();
        }
        let mut functions = self.functions;
        for (f, parts) in functions.iter_mut().zip(self.function_parts) {
            let mut calls = parts.calls;
            calls.sort_by_key(|c| (c.span.start_byte, c.span.end_byte));
            f.calls = calls.into_boxed_slice();
            f.clauses = parts.clauses.into_boxed_slice();
            f.attributes = parts.attributes.into_boxed_slice();
        }
        let mut module_level_calls = self.module_level_calls;
        module_level_calls.sort_by_key(|c| (c.span.start_byte, c.span.end_byte));
        Built {
            modules,
            functions,
            imports: self.imports,
            module_level_calls,
            diagnostics: self.diagnostics,
        }
    }
}

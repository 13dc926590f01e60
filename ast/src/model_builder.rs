//! Accumulates modules, functions, calls and imports while an extractor walks a tree, and
//! groups Elixir clauses into functions.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::{
    Attribute, Call, Clause, Function, FunctionId, FunctionKind, Import, Module, ModuleId,
    ModuleKind, Visibility,
};
use crate::name::{Interner, Name};
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
    pub min_arity: u32,
    pub doc: Option<Name>,
    pub doc_hidden: bool,
    pub attributes: Vec<Attribute>,
}

#[derive(Default)]
pub(crate) struct ModelBuilder {
    pub modules: Vec<Module>,
    pub functions: Vec<Function>,
    pub imports: Vec<Import>,
    pub module_level_calls: Vec<Call>,
    pub diagnostics: Vec<Diagnostic>,
    clause_groups: HashMap<(Option<ModuleId>, Name, u32), FunctionId>,
    names: Interner,
}

impl ModelBuilder {
    /// The shared [`Name`] for `s`.
    pub fn name(&mut self, s: &str) -> Name {
        self.names.intern(s)
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
        let id = ModuleId(count_u32(self.modules.len()));
        self.modules.push(Module {
            id,
            name,
            local_name,
            kind,
            parent,
            span,
            doc: None,
            attributes: Vec::new(),
            visibility,
        });
        id
    }

    pub fn module_mut(&mut self, id: ModuleId) -> Option<&mut Module> {
        self.modules.get_mut(id.0 as usize)
    }

    pub fn function_mut(&mut self, id: FunctionId) -> Option<&mut Function> {
        self.functions.get_mut(id.0 as usize)
    }

    /// Adds a clause. With `group` set, a clause with the same module, name and arity as an
    /// earlier one joins that function (Elixir multi-clause functions); returns the function
    /// and the clause index inside it.
    pub fn add_clause(&mut self, new: NewClause, group: bool) -> (FunctionId, usize) {
        let arity = count_u32(new.clause.params.len());
        let key = (new.module, new.name.clone(), arity);
        if group {
            if let Some(&id) = self.clause_groups.get(&key) {
                if let Some(f) = self.functions.get_mut(id.0 as usize) {
                    f.span = f.span.cover(&new.clause.span);
                    f.min_arity = f.min_arity.min(new.min_arity);
                    if f.doc.is_none() {
                        f.doc = new.doc;
                    }
                    f.doc_hidden |= new.doc_hidden;
                    f.attributes.extend(new.attributes);
                    f.clauses.push(new.clause);
                    return (id, f.clauses.len() - 1);
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
            clauses: vec![new.clause],
            doc: new.doc,
            doc_hidden: new.doc_hidden,
            attributes: new.attributes,
            calls: Vec::new(),
            reliable: true,
            generated_name: new.generated_name,
        });
        if group {
            self.clause_groups.insert(key, id);
        }
        (id, 0)
    }

    pub fn add_call(&mut self, sink: CallSink, call: Call) {
        match sink {
            CallSink::Function(id) => {
                if let Some(f) = self.functions.get_mut(id.0 as usize) {
                    f.calls.push(call);
                    return;
                }
                self.module_level_calls.push(call);
            }
            CallSink::ModuleLevel => self.module_level_calls.push(call),
        }
    }
}

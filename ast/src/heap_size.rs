//! Estimated heap memory of a model, for the repository's per-file memory accounting.
//!
//! Counts allocated capacity (strings, vectors) plus the inline size of the top-level value;
//! allocator overhead is not included, so real usage is somewhat higher.

use std::mem::size_of;

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::model::{
    Attribute, Call, Clause, FileModel, Function, Import, ImportFilter, Module, ModuleKind, Param,
    Visibility,
};

/// Bytes a value owns on the heap.
pub trait HeapSize {
    fn heap_bytes(&self) -> usize;
}

impl HeapSize for String {
    fn heap_bytes(&self) -> usize {
        self.capacity()
    }
}

impl<T: HeapSize> HeapSize for Option<T> {
    fn heap_bytes(&self) -> usize {
        self.as_ref().map_or(0, HeapSize::heap_bytes)
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_bytes(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(HeapSize::heap_bytes).sum::<usize>()
    }
}

impl<A: HeapSize, B> HeapSize for (A, B) {
    fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }
}

impl HeapSize for u32 {
    fn heap_bytes(&self) -> usize {
        0
    }
}

impl HeapSize for Visibility {
    fn heap_bytes(&self) -> usize {
        match self {
            Visibility::Restricted(s) => s.heap_bytes(),
            _ => 0,
        }
    }
}

impl HeapSize for ModuleKind {
    fn heap_bytes(&self) -> usize {
        match self {
            ModuleKind::ElixirImpl { protocol, for_type } => {
                protocol.heap_bytes() + for_type.heap_bytes()
            }
            ModuleKind::RustImpl {
                self_type,
                trait_name,
            } => self_type.heap_bytes() + trait_name.heap_bytes(),
            _ => 0,
        }
    }
}

impl HeapSize for Attribute {
    fn heap_bytes(&self) -> usize {
        self.name.heap_bytes() + self.value.heap_bytes()
    }
}

impl HeapSize for Module {
    fn heap_bytes(&self) -> usize {
        self.name.heap_bytes()
            + self.local_name.heap_bytes()
            + self.kind.heap_bytes()
            + self.doc.heap_bytes()
            + self.attributes.heap_bytes()
            + self.visibility.heap_bytes()
    }
}

impl HeapSize for Param {
    fn heap_bytes(&self) -> usize {
        self.pattern.heap_bytes()
            + self.name.heap_bytes()
            + self.default.heap_bytes()
            + self.type_annotation.heap_bytes()
    }
}

impl HeapSize for Clause {
    fn heap_bytes(&self) -> usize {
        self.params.heap_bytes() + self.guard.heap_bytes()
    }
}

impl HeapSize for Call {
    fn heap_bytes(&self) -> usize {
        self.qualifier.heap_bytes() + self.name.heap_bytes() + self.receiver.heap_bytes()
    }
}

impl HeapSize for Function {
    fn heap_bytes(&self) -> usize {
        self.name.heap_bytes()
            + self.visibility.heap_bytes()
            + self.clauses.heap_bytes()
            + self.doc.heap_bytes()
            + self.attributes.heap_bytes()
            + self.calls.heap_bytes()
    }
}

impl HeapSize for ImportFilter {
    fn heap_bytes(&self) -> usize {
        match self {
            ImportFilter::Functions(v) => v.heap_bytes(),
            ImportFilter::Category(s) => s.heap_bytes(),
        }
    }
}

impl HeapSize for Import {
    fn heap_bytes(&self) -> usize {
        self.path.heap_bytes()
            + self.alias.heap_bytes()
            + self.only.heap_bytes()
            + self.except.heap_bytes()
            + self.options.heap_bytes()
            + self.visibility.heap_bytes()
    }
}

impl HeapSize for Diagnostic {
    fn heap_bytes(&self) -> usize {
        let kind = match &self.kind {
            DiagnosticKind::MissingToken { token } => token.heap_bytes(),
            DiagnosticKind::MissingEndRecovered { definition } => definition.heap_bytes(),
            DiagnosticKind::Io { error } | DiagnosticKind::ParseTaskFailed { error } => {
                error.heap_bytes()
            }
            _ => 0,
        };
        kind + self.message.heap_bytes()
    }
}

impl HeapSize for FileModel {
    fn heap_bytes(&self) -> usize {
        size_of::<FileModel>()
            + self.path.heap_bytes()
            + self.content_hash.heap_bytes()
            + self.modules.heap_bytes()
            + self.functions.heap_bytes()
            + self.imports.heap_bytes()
            + self.module_level_calls.heap_bytes()
            + self.diagnostics.heap_bytes()
    }
}

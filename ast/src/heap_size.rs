//! Estimated heap memory of a model, for the repository's per-file memory accounting.
//!
//! Counts allocated capacity (vectors, strings) plus the inline size of the top-level value;
//! a shared [`Name`] allocation is counted once per value measured. Allocator overhead is not
//! included, so real usage is somewhat higher.

use std::collections::HashSet;
use std::mem::{size_of, size_of_val};

use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::model::{
    Attribute, Call, Clause, FileModel, Function, Import, ImportFilter, Module, ModuleKind, Param,
    Visibility,
};
use crate::name::Name;
use crate::name_path::NamePath;
use crate::span::LineIndex;

/// Bytes a value owns on the heap.
pub trait HeapSize {
    /// Heap bytes, counting each shared allocation once.
    fn heap_bytes(&self) -> usize {
        let mut seen = HashSet::new();
        self.heap_bytes_in(&mut seen)
    }

    /// Heap bytes not yet counted in `seen` (shared allocations by address).
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize;
}

impl HeapSize for String {
    fn heap_bytes_in(&self, _: &mut HashSet<usize>) -> usize {
        self.capacity()
    }
}

/// The length and reference count in front of a [`Name`]'s bytes.
const NAME_HEADER: usize = 2 * size_of::<usize>();

impl HeapSize for Name {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        match self.allocation() {
            Some(a) if seen.insert(a) => NAME_HEADER + self.len(),
            _ => 0,
        }
    }
}

impl HeapSize for NamePath {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.as_name().heap_bytes_in(seen)
    }
}

impl HeapSize for LineIndex {
    fn heap_bytes_in(&self, _: &mut HashSet<usize>) -> usize {
        self.allocated_bytes()
    }
}

impl<T: HeapSize> HeapSize for Option<T> {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.as_ref().map_or(0, |v| v.heap_bytes_in(seen))
    }
}

impl<T: HeapSize> HeapSize for Vec<T> {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(|v| v.heap_bytes_in(seen)).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Box<[T]> {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        size_of_val::<[T]>(self) + self.iter().map(|v| v.heap_bytes_in(seen)).sum::<usize>()
    }
}

impl<T: HeapSize> HeapSize for Box<T> {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        size_of::<T>() + (**self).heap_bytes_in(seen)
    }
}

impl<A: HeapSize, B> HeapSize for (A, B) {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.0.heap_bytes_in(seen)
    }
}

impl HeapSize for u32 {
    fn heap_bytes_in(&self, _: &mut HashSet<usize>) -> usize {
        0
    }
}

impl HeapSize for Visibility {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        match self {
            Visibility::Restricted(s) => s.heap_bytes_in(seen),
            _ => 0,
        }
    }
}

impl HeapSize for ModuleKind {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        match self {
            ModuleKind::ElixirImpl { protocol, for_type } => {
                protocol.heap_bytes_in(seen) + for_type.heap_bytes_in(seen)
            }
            ModuleKind::RustImpl {
                self_type,
                trait_name,
            } => self_type.heap_bytes_in(seen) + trait_name.heap_bytes_in(seen),
            _ => 0,
        }
    }
}

impl HeapSize for Attribute {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.name.heap_bytes_in(seen) + self.value.heap_bytes_in(seen)
    }
}

impl HeapSize for Module {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.name.heap_bytes_in(seen)
            + self.local_name.heap_bytes_in(seen)
            + self.kind.heap_bytes_in(seen)
            + self.doc.heap_bytes_in(seen)
            + self.attributes.heap_bytes_in(seen)
            + self.visibility.heap_bytes_in(seen)
    }
}

impl HeapSize for Param {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.pattern.heap_bytes_in(seen)
            + self.name.heap_bytes_in(seen)
            + self.annotation.heap_bytes_in(seen)
    }
}

impl HeapSize for Clause {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.params.heap_bytes_in(seen) + self.guard.heap_bytes_in(seen)
    }
}

impl HeapSize for Call {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.qualifier.heap_bytes_in(seen)
            + self.name.heap_bytes_in(seen)
            + self.receiver.heap_bytes_in(seen)
    }
}

impl HeapSize for Function {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.name.heap_bytes_in(seen)
            + self.visibility.heap_bytes_in(seen)
            + self.clauses.heap_bytes_in(seen)
            + self.doc.heap_bytes_in(seen)
            + self.attributes.heap_bytes_in(seen)
            + self.calls.heap_bytes_in(seen)
    }
}

impl HeapSize for ImportFilter {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        match self {
            ImportFilter::Functions(v) => v.heap_bytes_in(seen),
            ImportFilter::Category(s) => s.heap_bytes_in(seen),
        }
    }
}

impl HeapSize for Import {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        self.path.heap_bytes_in(seen)
            + self.alias.heap_bytes_in(seen)
            + self.only.heap_bytes_in(seen)
            + self.except.heap_bytes_in(seen)
            + self.options.heap_bytes_in(seen)
            + self.visibility.heap_bytes_in(seen)
    }
}

impl HeapSize for Diagnostic {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        let kind = match &self.kind {
            DiagnosticKind::MissingToken { token } => token.heap_bytes_in(seen),
            DiagnosticKind::MissingEndRecovered { definition } => definition.heap_bytes_in(seen),
            DiagnosticKind::Io { error } | DiagnosticKind::ParseTaskFailed { error } => {
                error.heap_bytes_in(seen)
            }
            _ => 0,
        };
        kind + self.message.heap_bytes_in(seen)
    }
}

impl HeapSize for FileModel {
    fn heap_bytes_in(&self, seen: &mut HashSet<usize>) -> usize {
        size_of::<FileModel>()
            + self.path.heap_bytes_in(seen)
            + self.content_hash.heap_bytes_in(seen)
            + self.package_dir.heap_bytes_in(seen)
            + self.line_index.heap_bytes_in(seen)
            + self.modules.heap_bytes_in(seen)
            + self.functions.heap_bytes_in(seen)
            + self.imports.heap_bytes_in(seen)
            + self.module_level_calls.heap_bytes_in(seen)
            + self.diagnostics.heap_bytes_in(seen)
    }
}

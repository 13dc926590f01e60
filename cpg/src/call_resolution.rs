//! Name resolution of call sites. Elixir: local functions, `import` (with `only:`/
//! `except:`), `alias` (multi-alias and `as:`), nested-module aliases, `__MODULE__`. Rust:
//! `use` (renames, globs), `self::`/`super::`/`crate::`, `Self::`, associated functions by
//! type name, methods by name when one project type defines them.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use elixir_scope_ast::{
    Call, CallKind, FileModel, FunctionKind, ImportFilter, ImportKind, Language, ModuleId,
    ModuleKind,
};

use crate::call_graph::UnresolvedReason;
use crate::kernel_functions::is_kernel_function;
use crate::rust_crates::RustCrates;

/// Bumped whenever the same models resolve to different call targets, so persisted call
/// graphs of an older resolver are rebuilt (see `derived_db::derived_version`). 2: Rust
/// names per Cargo target, `pub use` re-exports followed. 3: functions nested in methods.
pub(crate) const RESOLUTION_VERSION: i32 = 3;

/// Where a project function is: the index of its file among the linked files, and its
/// position among that file's functions.
pub(crate) type FnRef = (u32, u32);

struct ElixirFn<'a> {
    at: FnRef,
    name: &'a str,
    arity: u32,
    min_arity: u32,
    is_macro: bool,
}

struct RustFn<'a> {
    at: FnRef,
    name: &'a str,
    arity: u32,
    has_body: bool,
}

/// What an Elixir module body can refer to.
#[derive(Default)]
struct ElixirScope {
    module: String,
    aliases: HashMap<String, Vec<String>>,
    imports: Vec<(String, Option<ImportFilter>, Option<ImportFilter>)>,
}

/// What a Rust module (file, inline `mod`) can refer to.
#[derive(Default)]
struct RustScope {
    /// The crates `crate::` paths of this file name.
    crates: RustCrates,
    /// `crate::a::b` segments.
    ns: Vec<String>,
    uses: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// The implementing type when the call sits in an `impl`.
    self_type: Option<String>,
}

/// The scopes of one file's modules, computed when its calls are resolved.
#[derive(Default)]
pub(crate) struct FileScopes {
    elixir: HashMap<ModuleId, ElixirScope>,
    rust: HashMap<ModuleId, RustScope>,
}

/// Kinds of project-wide name tables a resolution can look a name up in. A file's
/// resolutions depend on exactly the (table, name) keys it looked up, found or not; a file
/// provides the keys its definitions insert. A rebuild re-resolves a file only when a key
/// it looked up is provided by a file that changed.
mod key_kind {
    pub const ELIXIR_MODULE: u8 = b'E';
    pub const RUST_MODULE: u8 = b'M';
    pub const RUST_FREE: u8 = b'F';
    pub const RUST_ASSOC: u8 = b'A';
    pub const RUST_METHOD: u8 = b'X';
}

/// A name-table key as a 64-bit FNV-1a hash: stable across processes and toolchains (it is
/// persisted). A collision only makes a rebuild re-resolve a file it could have reused.
pub(crate) fn name_key(kind: u8, name: &str) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&kind).chain(name.as_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h
}

pub(crate) struct Resolver<'a> {
    files: &'a [&'a FileModel],
    elixir_modules: HashMap<&'a str, Vec<ElixirFn<'a>>>,
    /// By crate-qualified module path ([`RustCrates::qualify`]).
    rust_free: HashMap<String, Vec<RustFn<'a>>>,
    rust_modules: HashSet<String>,
    /// By self type or trait name (last path segment).
    rust_assoc: HashMap<String, Vec<RustFn<'a>>>,
    /// By method name, over all impls and traits.
    rust_methods: HashMap<&'a str, Vec<RustFn<'a>>>,
    /// By crate-qualified module path: its `use` declarations as (file, import) positions,
    /// followed when a function is looked up there but defined elsewhere (`pub use`).
    rust_uses: HashMap<String, Vec<(u32, u32)>>,
    /// Per file, the keys its definitions provide (sorted, deduplicated).
    provided: Vec<Vec<u64>>,
    /// Keys looked up since the last `take_consulted`, when recording.
    consulted: Option<RefCell<Vec<u64>>>,
}

fn is_capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

impl<'a> Resolver<'a> {
    /// The name tables of `files`. With `record`, every table lookup is recorded for
    /// [`Resolver::take_consulted`].
    pub fn new(files: &'a [&'a FileModel], record: bool) -> Self {
        let mut r = Resolver {
            files,
            elixir_modules: HashMap::new(),
            rust_free: HashMap::new(),
            rust_modules: HashSet::new(),
            rust_assoc: HashMap::new(),
            rust_methods: HashMap::new(),
            rust_uses: HashMap::new(),
            provided: Vec::with_capacity(files.len()),
            consulted: record.then(|| RefCell::new(Vec::new())),
        };
        for (fi, file) in files.iter().enumerate() {
            let mut provided = Vec::new();
            r.register(fi as u32, file, &mut provided);
            provided.sort_unstable();
            provided.dedup();
            r.provided.push(provided);
        }
        r
    }

    /// Inserts the definitions of `file` into the name tables, recording each key.
    fn register(&mut self, fi: u32, file: &'a FileModel, provided: &mut Vec<u64>) {
        use key_kind::*;
        match file.language {
            Language::Elixir => {
                for m in &file.modules {
                    provided.push(name_key(ELIXIR_MODULE, m.name.as_str()));
                    self.elixir_modules.entry(m.name.as_str()).or_default();
                }
            }
            Language::Rust => {
                let krate = RustCrates::of(file);
                for m in &file.modules {
                    if matches!(m.kind, ModuleKind::RustFile | ModuleKind::RustMod) {
                        let key = krate.qualify_own(m.name.as_str());
                        provided.push(name_key(RUST_MODULE, &key));
                        self.rust_modules.insert(key);
                    }
                }
                for (ii, import) in file.imports.iter().enumerate() {
                    let Some(m) = import.module.and_then(|m| file.module(m)) else {
                        continue;
                    };
                    if import.kind == ImportKind::RustUse
                        && matches!(m.kind, ModuleKind::RustFile | ModuleKind::RustMod)
                    {
                        self.rust_uses
                            .entry(krate.qualify_own(m.name.as_str()))
                            .or_default()
                            .push((fi, ii as u32));
                    }
                }
            }
        }
        for (local, f) in file.functions.iter().enumerate() {
            let Some(module) = f.module.and_then(|m| file.module(m)) else {
                continue;
            };
            let at = (fi, local as u32);
            match file.language {
                Language::Elixir => {
                    provided.push(name_key(ELIXIR_MODULE, module.name.as_str()));
                    self.elixir_modules
                        .entry(module.name.as_str())
                        .or_default()
                        .push(ElixirFn {
                            at,
                            name: f.name.as_str(),
                            arity: f.arity.into(),
                            min_arity: f.min_arity.into(),
                            is_macro: f.kind.is_macro(),
                        })
                }
                Language::Rust => {
                    let rf = || RustFn {
                        at,
                        name: f.name.as_str(),
                        arity: f.arity.into(),
                        has_body: f.kind == FunctionKind::RustFn,
                    };
                    let assoc = match &module.kind {
                        ModuleKind::RustImpl { self_type, .. } => {
                            Some(last_segment(self_type.as_str()))
                        }
                        ModuleKind::RustTrait => Some(module.local_name.to_string()),
                        _ => None,
                    };
                    match assoc {
                        Some(type_name) => {
                            provided.push(name_key(RUST_ASSOC, &type_name));
                            provided.push(name_key(RUST_METHOD, f.name.as_str()));
                            self.rust_assoc.entry(type_name).or_default().push(rf());
                            self.rust_methods
                                .entry(f.name.as_str())
                                .or_default()
                                .push(rf());
                        }
                        None => {
                            let key = RustCrates::of(file).qualify_own(module.name.as_str());
                            provided.push(name_key(RUST_FREE, &key));
                            self.rust_free.entry(key).or_default().push(rf());
                        }
                    }
                }
            }
        }
    }

    /// The keys file `fi`'s definitions provide, sorted.
    pub fn provided(&self, fi: usize) -> &[u64] {
        self.provided.get(fi).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The keys looked up since the last call, sorted and deduplicated (empty when not
    /// recording).
    pub fn take_consulted(&self) -> Vec<u64> {
        let Some(cell) = &self.consulted else {
            return Vec::new();
        };
        let mut keys = std::mem::take(&mut *cell.borrow_mut());
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    fn note(&self, kind: u8, name: &str) {
        if let Some(cell) = &self.consulted {
            cell.borrow_mut().push(name_key(kind, name));
        }
    }

    // Every lookup in a project-wide table goes through one of these, so it is recorded.

    fn elixir_module(&self, module: &str) -> Option<&Vec<ElixirFn<'a>>> {
        self.note(key_kind::ELIXIR_MODULE, module);
        self.elixir_modules.get(module)
    }

    /// Whether `module` is a project module, in the crates `crates` name (own first).
    fn is_rust_module(&self, crates: &RustCrates, module: &str) -> bool {
        crates.qualify(module).any(|key| {
            self.note(key_kind::RUST_MODULE, &key);
            self.rust_modules.contains(&key)
        })
    }

    fn rust_free_fns(&self, crates: &RustCrates, module: &str) -> Option<&Vec<RustFn<'a>>> {
        crates.qualify(module).find_map(|key| {
            self.note(key_kind::RUST_FREE, &key);
            self.rust_free.get(&key)
        })
    }

    fn rust_assoc_fns(&self, type_name: &str) -> Option<&Vec<RustFn<'a>>> {
        self.note(key_kind::RUST_ASSOC, type_name);
        self.rust_assoc.get(type_name)
    }

    fn rust_method_fns(&self, name: &str) -> Option<&Vec<RustFn<'a>>> {
        self.note(key_kind::RUST_METHOD, name);
        self.rust_methods.get(name)
    }

    /// The scopes of file `fi`'s modules (Rust scopes look module names up, so they are
    /// recorded with the file's resolutions).
    pub fn scopes(&self, fi: usize) -> FileScopes {
        let mut scopes = FileScopes::default();
        let Some(file) = self.files.get(fi) else {
            return scopes;
        };
        for m in &file.modules {
            match file.language {
                Language::Elixir => {
                    scopes.elixir.insert(m.id, self.elixir_scope(file, m.id));
                }
                Language::Rust => {
                    scopes.rust.insert(m.id, self.rust_scope(file, m.id));
                }
            }
        }
        scopes
    }

    /// Where `call` in file `fi` goes, or why it cannot be said.
    pub fn resolve(
        &self,
        scopes: &FileScopes,
        file_index: usize,
        call: &Call,
    ) -> Result<FnRef, UnresolvedReason> {
        match call.kind {
            CallKind::Dynamic => return Err(UnresolvedReason::Dynamic),
            CallKind::Macro => return Err(UnresolvedReason::Macro),
            CallKind::Constructor => return Err(UnresolvedReason::Constructor),
            _ => {}
        }
        let Some(file) = self.files.get(file_index) else {
            return Err(UnresolvedReason::NotInScope);
        };
        match file.language {
            Language::Elixir => self.resolve_elixir(scopes, call),
            Language::Rust => self.resolve_rust(scopes, call),
        }
    }

    // ---- Elixir ----

    /// Aliases and imports visible in module `id`: its own and its enclosing modules'
    /// (inner ones win), plus nested modules by their short name.
    fn elixir_scope(&self, file: &FileModel, id: ModuleId) -> ElixirScope {
        let mut chain = Vec::new();
        let mut cur = Some(id);
        while let Some(c) = cur {
            if chain.contains(&c) {
                break;
            }
            chain.push(c);
            cur = file.module(c).and_then(|m| m.parent);
        }
        let mut scope = ElixirScope {
            module: file
                .module(id)
                .map(|m| m.name.to_string())
                .unwrap_or_default(),
            ..ElixirScope::default()
        };
        for &m in chain.iter().rev() {
            let module_name = file
                .module(m)
                .map(|x| x.name.to_string())
                .unwrap_or_default();
            for child in file.modules.iter().filter(|c| c.parent == Some(m)) {
                let short = child
                    .name
                    .rsplit('.')
                    .next()
                    .unwrap_or(&*child.name)
                    .to_owned();
                scope
                    .aliases
                    .insert(short, child.name.split('.').map(str::to_owned).collect());
            }
            for imp in file.imports.iter().filter(|i| i.module == Some(m)) {
                let path = expand_elixir(&segments(&imp.path), &module_name, &scope.aliases);
                match imp.kind {
                    ImportKind::Alias => {
                        let name = imp
                            .alias
                            .as_ref()
                            .map(|a| a.to_string())
                            .or_else(|| path.last().cloned());
                        if let Some(name) = name {
                            scope.aliases.insert(name, path);
                        }
                    }
                    ImportKind::Import => {
                        scope.imports.push((
                            path.join("."),
                            imp.only.as_deref().cloned(),
                            imp.except.as_deref().cloned(),
                        ));
                    }
                    _ => {}
                }
            }
        }
        scope
    }

    fn resolve_elixir(&self, scopes: &FileScopes, call: &Call) -> Result<FnRef, UnresolvedReason> {
        let empty = ElixirScope::default();
        let scope = call
            .module
            .and_then(|m| scopes.elixir.get(&m))
            .unwrap_or(&empty);
        if call.qualifier.is_empty() {
            if let Some(id) =
                self.elixir_fn(&scope.module, &call.name, u32::from(call.arity), |_| true)
            {
                return Ok(id);
            }
            for (module, only, except) in &scope.imports {
                let allowed = |f: &ElixirFn| {
                    only.as_ref()
                        .is_none_or(|o| filter_allows(o, f, u32::from(call.arity)))
                        && except
                            .as_ref()
                            .is_none_or(|e| !filter_allows(e, f, u32::from(call.arity)))
                };
                if let Some(id) = self.elixir_fn(module, &call.name, u32::from(call.arity), allowed)
                {
                    return Ok(id);
                }
            }
            // `import Enum, only: [map: 2]` names the function explicitly: it comes from
            // that module even though the module is outside the project.
            let external = scope.imports.iter().find(|(module, only, _)| {
                self.elixir_module(module).is_none()
                    && matches!(only, Some(ImportFilter::Functions(list))
                        if list.iter().any(|(n, a)| n.as_str() == call.name.as_str() && *a == u32::from(call.arity)))
            });
            if let Some((module, _, _)) = external {
                return Err(UnresolvedReason::ExternalModule {
                    module: module.clone(),
                });
            }
            // Kernel is imported everywhere unless an `import Kernel` leaves the function out.
            let kernel_imported = scope
                .imports
                .iter()
                .filter(|(module, _, _)| module == "Kernel")
                .all(|(_, only, except)| kernel_filter_allows(only, except, call));
            if kernel_imported && is_kernel_function(&call.name, u32::from(call.arity)) {
                return Err(UnresolvedReason::ExternalModule {
                    module: "Kernel".to_owned(),
                });
            }
            return Err(UnresolvedReason::NotInScope);
        }
        if call.qualifier.first().is_some_and(|q| q.starts_with(':')) {
            return Err(UnresolvedReason::ExternalModule {
                module: segments(&call.qualifier).join("."),
            });
        }
        let module =
            expand_elixir(&segments(&call.qualifier), &scope.module, &scope.aliases).join(".");
        if self.elixir_module(&module).is_none() {
            return Err(UnresolvedReason::ExternalModule { module });
        }
        self.elixir_fn(&module, &call.name, u32::from(call.arity), |_| true)
            .ok_or(UnresolvedReason::NoSuchFunction { module })
    }

    fn elixir_fn(
        &self,
        module: &str,
        name: &str,
        arity: u32,
        allowed: impl Fn(&ElixirFn) -> bool,
    ) -> Option<FnRef> {
        self.elixir_module(module)?
            .iter()
            .find(|f| f.name == name && f.min_arity <= arity && arity <= f.arity && allowed(f))
            .map(|f| f.at)
    }

    // ---- Rust ----

    fn rust_scope(&self, file: &FileModel, id: ModuleId) -> RustScope {
        let Some(module) = file.module(id) else {
            return RustScope::default();
        };
        // Calls in impls and traits see the enclosing module's names.
        let (ns_id, self_type) = match &module.kind {
            ModuleKind::RustImpl { self_type, .. } => (
                module.parent.unwrap_or(id),
                Some(last_segment(self_type.as_str())),
            ),
            ModuleKind::RustTrait => (module.parent.unwrap_or(id), None),
            _ => (id, None),
        };
        let ns: Vec<String> = file
            .module(ns_id)
            .map(|m| m.name.as_str().split("::").map(str::to_owned).collect())
            .unwrap_or_default();
        let mut scope = RustScope {
            crates: RustCrates::of(file),
            ns: ns.clone(),
            self_type,
            ..RustScope::default()
        };
        for imp in file
            .imports
            .iter()
            .filter(|i| i.module == Some(ns_id) && i.kind == ImportKind::RustUse)
        {
            let path = self.normalize_rust(&scope.crates, &ns, &segments(&imp.path), None);
            if imp.glob {
                scope.globs.push(path);
            } else if let Some(alias) = imp
                .alias
                .as_ref()
                .map(|a| a.to_string())
                .or_else(|| path.last().cloned())
            {
                scope.uses.insert(alias, path);
            }
        }
        scope
    }

    /// Makes a path absolute (`crate::...`) when it names something in the project;
    /// external paths come back as written (after `use` substitution).
    fn normalize_rust(
        &self,
        crates: &RustCrates,
        ns: &[String],
        path: &[String],
        uses: Option<&HashMap<String, Vec<String>>>,
    ) -> Vec<String> {
        let Some(first) = path.first() else {
            return Vec::new();
        };
        match first.as_str() {
            "crate" => path.to_vec(),
            "self" => ns.iter().chain(&path[1..]).cloned().collect(),
            "super" => {
                let mut base = ns.to_vec();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    if base.len() > 1 {
                        base.pop();
                    }
                    rest = &rest[1..];
                }
                base.extend(rest.iter().cloned());
                base
            }
            _ => {
                if let Some(target) = uses.and_then(|u| u.get(first)) {
                    return target.iter().chain(&path[1..]).cloned().collect();
                }
                let relative: Vec<String> = ns.iter().chain(path).cloned().collect();
                let relative_module = relative[..relative.len().saturating_sub(1)].join("::");
                let child = format!("{}::{}", ns.join("::"), first);
                if self.is_rust_module(crates, &child)
                    || self.is_rust_module(crates, &relative_module)
                {
                    return relative;
                }
                // 2015-style paths relative to the crate root.
                let rooted = format!("crate::{first}");
                if self.is_rust_module(crates, &rooted) {
                    return std::iter::once("crate".to_owned())
                        .chain(path.iter().cloned())
                        .collect();
                }
                path.to_vec()
            }
        }
    }

    fn resolve_rust(&self, scopes: &FileScopes, call: &Call) -> Result<FnRef, UnresolvedReason> {
        let empty = RustScope::default();
        let scope = call
            .module
            .and_then(|m| scopes.rust.get(&m))
            .unwrap_or(&empty);
        match call.kind {
            CallKind::Method => self.rust_method(call),
            _ if call.qualifier.is_empty() => self
                .rust_local(scope, &call.name)
                .or_else(|e| self.rust_nested_in_impl(scope, &call.name).ok_or(e)),
            _ => self.rust_path(scope, call),
        }
    }

    fn rust_local(&self, scope: &RustScope, name: &str) -> Result<FnRef, UnresolvedReason> {
        if let Some(id) = self.rust_free_fn(&scope.crates, &scope.ns.join("::"), name) {
            return Ok(id);
        }
        if let Some(path) = scope.uses.get(name) {
            let (module, fun) = path.split_at(path.len().saturating_sub(1));
            let module = module.join("::");
            let fun = fun.first().map(String::as_str).unwrap_or(name);
            if let Some(id) = self.rust_free_fn(&scope.crates, &module, fun) {
                return Ok(id);
            }
            return Err(if path.first().is_some_and(|s| s == "crate") {
                UnresolvedReason::NoSuchFunction { module }
            } else {
                UnresolvedReason::ExternalModule { module }
            });
        }
        for glob in &scope.globs {
            if let Some(id) = self.rust_free_fn(&scope.crates, &glob.join("::"), name) {
                return Ok(id);
            }
        }
        Err(UnresolvedReason::NotInScope)
    }

    /// A plain call inside an `impl` to a function nested in one of its methods
    /// (`fn new(..) { fn inner(..) {..} inner(..) }`): the model files nested functions
    /// under the `impl`, and only a nested one can be called by its plain name there (an
    /// associated function needs `Self::`), so only nested candidates are taken.
    fn rust_nested_in_impl(&self, scope: &RustScope, name: &str) -> Option<FnRef> {
        let self_type = scope.self_type.as_deref()?;
        let mut nested = self
            .rust_assoc_fns(self_type)?
            .iter()
            .filter(|f| f.name == name && f.has_body && self.is_nested(f.at));
        match (nested.next(), nested.next()) {
            (Some(only), None) => Some(only.at),
            _ => None,
        }
    }

    /// Whether the function at `at` is defined inside another function of its file.
    fn is_nested(&self, (file, index): FnRef) -> bool {
        let Some(file) = self.files.get(file as usize) else {
            return false;
        };
        let Some(f) = file.functions.get(index as usize) else {
            return false;
        };
        file.functions.iter().enumerate().any(|(i, outer)| {
            i != index as usize
                && outer.span.start_byte < f.span.start_byte
                && f.span.end_byte <= outer.span.end_byte
        })
    }

    fn rust_path(&self, scope: &RustScope, call: &Call) -> Result<FnRef, UnresolvedReason> {
        let q = &segments(&call.qualifier);
        if q.len() == 1 && q[0] == "Self" {
            if let Some(t) = &scope.self_type {
                return self.rust_assoc_fn(t, &call.name, u32::from(call.arity));
            }
        }
        let full = self.normalize_rust(&scope.crates, &scope.ns, q, Some(&scope.uses));
        let module = full.join("::");
        if let Some(id) = self.rust_free_fn(&scope.crates, &module, &call.name) {
            return Ok(id);
        }
        if let Some(last) = full.last().filter(|l| is_capitalised(l)) {
            if self.rust_assoc_fns(last).is_some() {
                return self.rust_assoc_fn(last, &call.name, u32::from(call.arity));
            }
        }
        if full.first().is_some_and(|s| s == "crate") || self.is_rust_module(&scope.crates, &module)
        {
            Err(UnresolvedReason::NoSuchFunction { module })
        } else {
            Err(UnresolvedReason::ExternalModule { module })
        }
    }

    fn rust_free_fn(&self, crates: &RustCrates, module: &str, name: &str) -> Option<FnRef> {
        self.rust_free_fn_within(crates, module, name, &mut HashSet::new())
    }

    /// A free function `name` of `module`, defined there or brought in by one of its `use`
    /// declarations (`pub use self::help::write_help;`, `pub use inner::*;`), following
    /// re-exports of re-exports. Each module's list is read once per lookup (`seen`): glob
    /// imports can form cycles, and fan out.
    fn rust_free_fn_within(
        &self,
        crates: &RustCrates,
        module: &str,
        name: &str,
        seen: &mut HashSet<String>,
    ) -> Option<FnRef> {
        let defined = self
            .rust_free_fns(crates, module)
            .and_then(|fns| fns.iter().find(|f| f.name == name && f.has_body))
            .map(|f| f.at);
        if defined.is_some() {
            return defined;
        }
        for key in crates.qualify(module) {
            if !seen.insert(key.clone()) {
                continue;
            }
            // A change to the module's `use` list changes this answer: its file provides
            // the module key.
            self.note(key_kind::RUST_MODULE, &key);
            for &(fi, ii) in self.rust_uses.get(&key).into_iter().flatten() {
                let Some(file) = self.files.get(fi as usize) else {
                    continue;
                };
                let Some(import) = file.imports.get(ii as usize) else {
                    continue;
                };
                let imported = match &import.alias {
                    Some(alias) => Some(alias.as_str()),
                    None => import.path.last(),
                };
                if !import.glob && imported != Some(name) {
                    continue;
                }
                let home = RustCrates::of(file);
                let ns = segments(module.split("::"));
                let path = self.normalize_rust(&home, &ns, &segments(&import.path), None);
                let found = if import.glob {
                    self.rust_free_fn_within(&home, &path.join("::"), name, seen)
                } else {
                    let Some((target, parent)) = path.split_last() else {
                        continue;
                    };
                    self.rust_free_fn_within(&home, &parent.join("::"), target, seen)
                };
                if found.is_some() {
                    return found;
                }
            }
        }
        None
    }

    fn rust_assoc_fn(
        &self,
        type_name: &str,
        name: &str,
        arity: u32,
    ) -> Result<FnRef, UnresolvedReason> {
        let candidates: Vec<&RustFn> = self
            .rust_assoc_fns(type_name)
            .into_iter()
            .flatten()
            .filter(|f| f.name == name)
            .collect();
        pick(candidates, arity).map_err(|none| {
            none.unwrap_or(UnresolvedReason::NoSuchFunction {
                module: type_name.to_owned(),
            })
        })
    }

    fn rust_method(&self, call: &Call) -> Result<FnRef, UnresolvedReason> {
        let candidates: Vec<&RustFn> = self
            .rust_method_fns(call.name.as_str())
            .into_iter()
            .flatten()
            .collect();
        pick(candidates, u32::from(call.arity))
            .map_err(|none| none.unwrap_or(UnresolvedReason::UnknownMethod))
    }
}

/// One candidate with a body wins; several are narrowed by arity; still several is
/// ambiguous. `Err(None)`: no candidate at all.
fn pick(candidates: Vec<&RustFn>, arity: u32) -> Result<FnRef, Option<UnresolvedReason>> {
    let bodies: Vec<&&RustFn> = candidates.iter().filter(|f| f.has_body).collect();
    match bodies.as_slice() {
        [] => Err(None),
        [one] => Ok(one.at),
        many => {
            let fitting: Vec<_> = many.iter().filter(|f| f.arity == arity).collect();
            match fitting.as_slice() {
                [one] => Ok(one.at),
                _ => Err(Some(UnresolvedReason::Ambiguous {
                    candidates: many.len() as u32,
                })),
            }
        }
    }
}

fn last_segment(path: &str) -> String {
    let base = path.split('<').next().unwrap_or(path);
    base.rsplit("::").next().unwrap_or(base).trim().to_owned()
}

/// Replaces `__MODULE__` and a leading alias with the full module path.
fn expand_elixir(
    path: &[String],
    module: &str,
    aliases: &HashMap<String, Vec<String>>,
) -> Vec<String> {
    let Some(first) = path.first() else {
        return Vec::new();
    };
    let head: Vec<String> = if first == "__MODULE__" {
        module.split('.').map(str::to_owned).collect()
    } else if let Some(target) = aliases.get(first) {
        target.clone()
    } else {
        vec![first.clone()]
    };
    head.into_iter().chain(path[1..].iter().cloned()).collect()
}

/// Whether `only:`/`except:` entry lists `f` called with `arity` arguments.
fn filter_allows(filter: &ImportFilter, f: &ElixirFn, arity: u32) -> bool {
    match filter {
        ImportFilter::Functions(list) => list
            .iter()
            .any(|(n, a)| n.as_str() == f.name && *a == arity),
        ImportFilter::Category(c) => match c.as_str() {
            "functions" => !f.is_macro,
            "macros" => f.is_macro,
            "sigils" => f.name.starts_with("sigil_"),
            _ => false,
        },
    }
}

/// Whether `import Kernel, only: ..., except: ...` keeps the Kernel function `call` names.
fn kernel_filter_allows(
    only: &Option<ImportFilter>,
    except: &Option<ImportFilter>,
    call: &Call,
) -> bool {
    let listed = |list: &[(elixir_scope_ast::Name, u32)]| {
        list.iter()
            .any(|(n, a)| n.as_str() == call.name.as_str() && *a == u32::from(call.arity))
    };
    let only_ok = match only {
        None => true,
        Some(ImportFilter::Functions(list)) => listed(list),
        Some(ImportFilter::Category(c)) => c.as_str() == "functions",
    };
    let except_ok = match except {
        Some(ImportFilter::Functions(list)) => !listed(list),
        _ => true,
    };
    only_ok && except_ok
}

/// Path segments as owned strings.
pub(crate) fn segments<'a>(parts: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    parts.into_iter().map(str::to_owned).collect()
}

//! Name resolution of call sites. Elixir: local functions, `import` (with `only:`/
//! `except:`), `alias` (multi-alias and `as:`), nested-module aliases, `__MODULE__`. Rust:
//! `use` (renames, globs), `self::`/`super::`/`crate::`, `Self::`, associated functions by
//! type name, methods by name when one project type defines them.

use std::collections::{HashMap, HashSet};

use elixir_scope_ast::{
    Call, CallKind, FileModel, FunctionId, FunctionKind, ImportFilter, ImportKind, Language,
    ModuleId, ModuleKind,
};

use crate::call_graph::{CallTarget, MethodId, UnresolvedReason};
use crate::kernel_functions::is_kernel_function;

struct ElixirFn {
    id: MethodId,
    name: String,
    arity: u32,
    min_arity: u32,
    is_macro: bool,
}

struct RustFn {
    id: MethodId,
    name: String,
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
    /// `crate::a::b` segments.
    ns: Vec<String>,
    uses: HashMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
    /// The implementing type when the call sits in an `impl`.
    self_type: Option<String>,
}

pub(crate) struct Resolver<'a> {
    files: &'a [&'a FileModel],
    elixir_modules: HashMap<String, Vec<ElixirFn>>,
    elixir_scopes: HashMap<(usize, ModuleId), ElixirScope>,
    rust_free: HashMap<String, Vec<RustFn>>,
    rust_modules: HashSet<String>,
    /// By self type or trait name (last path segment).
    rust_assoc: HashMap<String, Vec<RustFn>>,
    /// By method name, over all impls and traits.
    rust_methods: HashMap<String, Vec<RustFn>>,
    rust_scopes: HashMap<(usize, ModuleId), RustScope>,
}

fn is_capitalised(s: &str) -> bool {
    s.chars().next().is_some_and(char::is_uppercase)
}

impl<'a> Resolver<'a> {
    pub fn new(
        files: &'a [&'a FileModel],
        method_of: &HashMap<(usize, FunctionId), MethodId>,
    ) -> Self {
        let mut r = Resolver {
            files,
            elixir_modules: HashMap::new(),
            elixir_scopes: HashMap::new(),
            rust_free: HashMap::new(),
            rust_modules: HashSet::new(),
            rust_assoc: HashMap::new(),
            rust_methods: HashMap::new(),
            rust_scopes: HashMap::new(),
        };
        for (fi, file) in files.iter().enumerate() {
            match file.language {
                Language::Elixir => {
                    for m in &file.modules {
                        r.elixir_modules.entry(m.name.to_string()).or_default();
                    }
                }
                Language::Rust => {
                    for m in &file.modules {
                        if matches!(m.kind, ModuleKind::RustFile | ModuleKind::RustMod) {
                            r.rust_modules.insert(m.name.to_string());
                        }
                    }
                }
            }
            for f in &file.functions {
                let (Some(&id), Some(module)) = (
                    method_of.get(&(fi, f.id)),
                    f.module.and_then(|m| file.module(m)),
                ) else {
                    continue;
                };
                match file.language {
                    Language::Elixir => r
                        .elixir_modules
                        .entry(module.name.to_string())
                        .or_default()
                        .push(ElixirFn {
                            id,
                            name: f.name.to_string(),
                            arity: f.arity.into(),
                            min_arity: f.min_arity.into(),
                            is_macro: f.kind.is_macro(),
                        }),
                    Language::Rust => {
                        let rf = || RustFn {
                            id,
                            name: f.name.to_string(),
                            arity: f.arity.into(),
                            has_body: f.kind == FunctionKind::RustFn,
                        };
                        match &module.kind {
                            ModuleKind::RustImpl { self_type, .. } => {
                                r.rust_assoc
                                    .entry(last_segment(self_type.as_str()))
                                    .or_default()
                                    .push(rf());
                                r.rust_methods
                                    .entry(f.name.to_string())
                                    .or_default()
                                    .push(rf());
                            }
                            ModuleKind::RustTrait => {
                                r.rust_assoc
                                    .entry(module.local_name.to_string())
                                    .or_default()
                                    .push(rf());
                                r.rust_methods
                                    .entry(f.name.to_string())
                                    .or_default()
                                    .push(rf());
                            }
                            _ => r
                                .rust_free
                                .entry(module.name.to_string())
                                .or_default()
                                .push(rf()),
                        }
                    }
                }
            }
        }
        for (fi, file) in files.iter().enumerate() {
            for m in &file.modules {
                match file.language {
                    Language::Elixir => {
                        let scope = r.elixir_scope(file, m.id);
                        r.elixir_scopes.insert((fi, m.id), scope);
                    }
                    Language::Rust => {
                        let scope = r.rust_scope(file, m.id);
                        r.rust_scopes.insert((fi, m.id), scope);
                    }
                }
            }
        }
        r
    }

    pub fn resolve(&self, file_index: usize, call: &Call) -> CallTarget {
        let unresolved = |reason| CallTarget::Unresolved { reason };
        match call.kind {
            CallKind::Dynamic => return unresolved(UnresolvedReason::Dynamic),
            CallKind::Macro => return unresolved(UnresolvedReason::Macro),
            CallKind::Constructor => return unresolved(UnresolvedReason::Constructor),
            _ => {}
        }
        let Some(file) = self.files.get(file_index) else {
            return unresolved(UnresolvedReason::NotInScope);
        };
        let result = match file.language {
            Language::Elixir => self.resolve_elixir(file_index, call),
            Language::Rust => self.resolve_rust(file_index, call),
        };
        match result {
            Ok(method) => CallTarget::Resolved { method },
            Err(reason) => unresolved(reason),
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

    fn resolve_elixir(&self, fi: usize, call: &Call) -> Result<MethodId, UnresolvedReason> {
        let empty = ElixirScope::default();
        let scope = call
            .module
            .and_then(|m| self.elixir_scopes.get(&(fi, m)))
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
                !self.elixir_modules.contains_key(module)
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
        if !self.elixir_modules.contains_key(&module) {
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
    ) -> Option<MethodId> {
        self.elixir_modules
            .get(module)?
            .iter()
            .find(|f| f.name == name && f.min_arity <= arity && arity <= f.arity && allowed(f))
            .map(|f| f.id)
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
            ns: ns.clone(),
            self_type,
            ..RustScope::default()
        };
        for imp in file
            .imports
            .iter()
            .filter(|i| i.module == Some(ns_id) && i.kind == ImportKind::RustUse)
        {
            let path = self.normalize_rust(&ns, &segments(&imp.path), None);
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
                if self.rust_modules.contains(&child)
                    || self.rust_modules.contains(&relative_module)
                {
                    return relative;
                }
                // 2015-style paths relative to the crate root.
                let rooted = format!("crate::{first}");
                if self.rust_modules.contains(&rooted) {
                    return std::iter::once("crate".to_owned())
                        .chain(path.iter().cloned())
                        .collect();
                }
                path.to_vec()
            }
        }
    }

    fn resolve_rust(&self, fi: usize, call: &Call) -> Result<MethodId, UnresolvedReason> {
        let empty = RustScope::default();
        let scope = call
            .module
            .and_then(|m| self.rust_scopes.get(&(fi, m)))
            .unwrap_or(&empty);
        match call.kind {
            CallKind::Method => self.rust_method(call),
            _ if call.qualifier.is_empty() => self.rust_local(scope, &call.name),
            _ => self.rust_path(scope, call),
        }
    }

    fn rust_local(&self, scope: &RustScope, name: &str) -> Result<MethodId, UnresolvedReason> {
        if let Some(id) = self.rust_free_fn(&scope.ns.join("::"), name) {
            return Ok(id);
        }
        if let Some(path) = scope.uses.get(name) {
            let (module, fun) = path.split_at(path.len().saturating_sub(1));
            let module = module.join("::");
            let fun = fun.first().map(String::as_str).unwrap_or(name);
            if let Some(id) = self.rust_free_fn(&module, fun) {
                return Ok(id);
            }
            return Err(if path.first().is_some_and(|s| s == "crate") {
                UnresolvedReason::NoSuchFunction { module }
            } else {
                UnresolvedReason::ExternalModule { module }
            });
        }
        for glob in &scope.globs {
            if let Some(id) = self.rust_free_fn(&glob.join("::"), name) {
                return Ok(id);
            }
        }
        Err(UnresolvedReason::NotInScope)
    }

    fn rust_path(&self, scope: &RustScope, call: &Call) -> Result<MethodId, UnresolvedReason> {
        let q = &segments(&call.qualifier);
        if q.len() == 1 && q[0] == "Self" {
            if let Some(t) = &scope.self_type {
                return self.rust_assoc_fn(t, &call.name, u32::from(call.arity));
            }
        }
        let full = self.normalize_rust(&scope.ns, q, Some(&scope.uses));
        let module = full.join("::");
        if let Some(id) = self.rust_free_fn(&module, &call.name) {
            return Ok(id);
        }
        if let Some(last) = full.last().filter(|l| is_capitalised(l)) {
            if self.rust_assoc.contains_key(last.as_str()) {
                return self.rust_assoc_fn(last, &call.name, u32::from(call.arity));
            }
        }
        if full.first().is_some_and(|s| s == "crate") || self.rust_modules.contains(&module) {
            Err(UnresolvedReason::NoSuchFunction { module })
        } else {
            Err(UnresolvedReason::ExternalModule { module })
        }
    }

    fn rust_free_fn(&self, module: &str, name: &str) -> Option<MethodId> {
        self.rust_free
            .get(module)?
            .iter()
            .find(|f| f.name == name && f.has_body)
            .map(|f| f.id)
    }

    fn rust_assoc_fn(
        &self,
        type_name: &str,
        name: &str,
        arity: u32,
    ) -> Result<MethodId, UnresolvedReason> {
        let candidates: Vec<&RustFn> = self
            .rust_assoc
            .get(type_name)
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

    fn rust_method(&self, call: &Call) -> Result<MethodId, UnresolvedReason> {
        let candidates: Vec<&RustFn> = self
            .rust_methods
            .get(call.name.as_str())
            .into_iter()
            .flatten()
            .collect();
        pick(candidates, u32::from(call.arity))
            .map_err(|none| none.unwrap_or(UnresolvedReason::UnknownMethod))
    }
}

/// One candidate with a body wins; several are narrowed by arity; still several is
/// ambiguous. `Err(None)`: no candidate at all.
fn pick(candidates: Vec<&RustFn>, arity: u32) -> Result<MethodId, Option<UnresolvedReason>> {
    let bodies: Vec<&&RustFn> = candidates.iter().filter(|f| f.has_body).collect();
    match bodies.as_slice() {
        [] => Err(None),
        [one] => Ok(one.id),
        many => {
            let fitting: Vec<_> = many.iter().filter(|f| f.arity == arity).collect();
            match fitting.as_slice() {
                [one] => Ok(one.id),
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

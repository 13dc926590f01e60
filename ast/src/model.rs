//! The language-neutral model of one source file: modules, functions, calls, imports and
//! diagnostics. Everything here is plain data (serde-serialisable); the syntax tree it was
//! extracted from lives in [`crate::ParsedFile`].

use std::fmt;
use std::num::NonZeroU32;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::diagnostic::Diagnostic;
use crate::language::Language;
use crate::name::Name;
use crate::name_path::NamePath;
use crate::span::{LineIndex, Position, Span};

/// Index of a module inside [`FileModel::modules`].
///
/// Stored as index + 1 in a `NonZeroU32`, so `Option<ModuleId>` (on every call, function and
/// import) takes 4 bytes instead of 8. Serialises as the plain index.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleId(NonZeroU32);

impl ModuleId {
    /// The id of the module at `index` (saturating at `u32::MAX - 1`; a file cannot hold
    /// that many modules).
    pub fn new(index: u32) -> Self {
        ModuleId(NonZeroU32::MIN.saturating_add(index.min(u32::MAX - 1)))
    }

    /// Position in [`FileModel::modules`].
    pub fn index(self) -> usize {
        (self.0.get() - 1) as usize
    }
}

impl fmt::Debug for ModuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ModuleId({})", self.index())
    }
}

impl Serialize for ModuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.0.get() - 1)
    }
}

impl<'de> Deserialize<'de> for ModuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let index = u32::deserialize(d)?;
        if index == u32::MAX {
            return Err(serde::de::Error::custom("module index out of range"));
        }
        Ok(ModuleId::new(index))
    }
}

/// Arity as the model stores it: Erlang and Elixir allow at most 255 parameters; Rust arities
/// above that (never seen in real code) saturate at 255.
pub type Arity = u8;

/// Saturating count -> [`Arity`].
pub fn arity_of(n: usize) -> Arity {
    Arity::try_from(n).unwrap_or(Arity::MAX)
}

/// Index of a function inside [`FileModel::functions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FunctionId(pub u32);

/// The version of what extraction produces: bumped whenever the same source bytes would give
/// a different [`FileModel`] (its shape, or what the walkers find). A store that keeps models
/// by content hash (the analysis cache, the CPG layer's build state) must also key them by
/// this, or it would keep serving what an older extractor missed.
pub const MODEL_VERSION: u32 = 7;

/// Everything extracted from one file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileModel {
    /// Path as given to the parser (relative to the project root when discovered).
    pub path: String,
    pub language: Language,
    /// blake3 of the raw file bytes, lowercase hex.
    pub content_hash: String,
    pub size_bytes: u64,
    pub line_count: u32,
    /// Maps the byte offsets of spans to lines and columns: see [`FileModel::start`].
    /// Empty for a file that was not parsed.
    pub line_index: LineIndex,
    /// Rust: the package directory the file belongs to, relative to the project root (`""`
    /// for the root package, `"ast"` for `ast/src/lib.rs`), so `crate::` paths resolve
    /// within one package of a workspace. None for Elixir.
    pub package_dir: Option<String>,
    pub modules: Vec<Module>,
    pub functions: Vec<Function>,
    pub imports: Vec<Import>,
    /// Calls made outside any function (module bodies, scripts), with their enclosing module.
    pub module_level_calls: Vec<Call>,
    pub diagnostics: Vec<Diagnostic>,
}

impl FileModel {
    /// An empty model for a file that could not be parsed; `diagnostics` says why.
    pub fn unparsed(
        path: &str,
        language: Language,
        content_hash: String,
        size_bytes: u64,
        diagnostics: Vec<Diagnostic>,
    ) -> Self {
        FileModel {
            path: path.to_owned(),
            language,
            content_hash,
            size_bytes,
            line_count: 0,
            line_index: LineIndex::default(),
            package_dir: None,
            modules: Vec::new(),
            functions: Vec::new(),
            imports: Vec::new(),
            module_level_calls: Vec::new(),
            diagnostics,
        }
    }

    /// Line and column of a byte offset in this file.
    pub fn position(&self, byte: u32) -> Position {
        self.line_index.position(byte)
    }

    /// Where a span of this file starts.
    pub fn start(&self, span: &Span) -> Position {
        self.line_index.position(span.start_byte)
    }

    /// The position just past a span's last byte (as tree-sitter's end points).
    pub fn end(&self, span: &Span) -> Position {
        self.line_index.position(span.end_byte)
    }

    /// The module with this id.
    pub fn module(&self, id: ModuleId) -> Option<&Module> {
        self.modules.get(id.index())
    }

    /// The function with this id.
    pub fn function(&self, id: FunctionId) -> Option<&Function> {
        self.functions.get(id.0 as usize)
    }

    /// Functions defined directly in the module `id`.
    pub fn functions_of(&self, id: ModuleId) -> impl Iterator<Item = &Function> + '_ {
        self.functions.iter().filter(move |f| f.module == Some(id))
    }

    /// The module with this fully qualified name.
    pub fn module_by_name(&self, name: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.name == name)
    }

    /// Drops the spare capacity extraction left in the file-level vectors (the per-item
    /// collections are boxed slices, exact already): models live long in the repository.
    pub fn shrink_to_fit(&mut self) {
        self.modules.shrink_to_fit();
        self.functions.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.module_level_calls.shrink_to_fit();
        self.diagnostics.shrink_to_fit();
    }

    /// True when the file has at least one error-severity diagnostic.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// What kind of container a [`Module`] is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ModuleKind {
    /// `defmodule`.
    ElixirModule,
    /// `defprotocol`.
    ElixirProtocol,
    /// `defimpl Protocol, for: Type`.
    ElixirImpl {
        protocol: Name,
        for_type: Option<Name>,
    },
    /// The module a Rust file is (crate root or a `mod` file), named from its path.
    RustFile,
    /// An inline `mod name { ... }`.
    RustMod,
    /// `impl Type` or `impl Trait for Type`.
    RustImpl {
        self_type: Name,
        trait_name: Option<Name>,
    },
    /// `trait Name { ... }`.
    RustTrait,
}

/// A module-like container: Elixir modules, Rust files, modules, impls and traits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub id: ModuleId,
    /// Fully qualified: `MyApp.Worker.Inner` (Elixir), `crate::net::tcp` (Rust module),
    /// `crate::net::impl Speak for Dog` (Rust impl) or `crate::net::Speak` (Rust trait).
    pub name: Name,
    /// The name as written at the definition (`Inner`, `tcp`, `Dog`).
    pub local_name: Name,
    pub kind: ModuleKind,
    pub parent: Option<ModuleId>,
    pub span: Span,
    /// `@moduledoc` text or `//!` / `///` doc comments.
    pub doc: Option<Name>,
    pub attributes: Box<[Attribute]>,
    pub visibility: Visibility,
}

/// Visibility of a function or module.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// `def`, `defmacro`, Rust `pub`.
    Public,
    /// `defp`, `defmacrop`, Rust items without a modifier.
    Private,
    /// Rust `pub(crate)`.
    Crate,
    /// Rust `pub(super)`, `pub(self)`, `pub(in path)`: the modifier as written.
    Restricted(Name),
}

/// How a function was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionKind {
    Def,
    Defp,
    Defmacro,
    Defmacrop,
    Defguard,
    Defguardp,
    /// `defdelegate`: its single call is the delegation target.
    Defdelegate,
    /// Rust `fn` with a body (free function or method).
    RustFn,
    /// Rust `fn` declared without a body (trait method signature, `extern` block item).
    RustFnSignature,
}

impl FunctionKind {
    /// True for the Elixir macro-defining kinds.
    pub fn is_macro(self) -> bool {
        matches!(self, FunctionKind::Defmacro | FunctionKind::Defmacrop)
    }
}

/// A function: all clauses sharing name and arity in one module (Elixir), or one `fn` (Rust).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    pub id: FunctionId,
    pub name: Name,
    /// Number of parameters. Elixir: all parameters, defaults included (see `min_arity`).
    /// Rust: declared parameters including `self`, so method calls (receiver counted) and
    /// pipes (piped value counted) compare arities the same way. See [`Arity`].
    pub arity: Arity,
    /// Elixir: arity without the `\\` default parameters. Equal to `arity` otherwise.
    pub min_arity: Arity,
    pub kind: FunctionKind,
    /// As declared. Rust trait methods and trait-impl methods carry no modifier and read
    /// `Private`; their module's kind (`RustTrait`, `RustImpl` with a `trait_name`) says they
    /// are reachable through the trait.
    pub visibility: Visibility,
    pub module: Option<ModuleId>,
    /// Covers every clause.
    pub span: Span,
    pub clauses: Box<[Clause]>,
    /// `@doc` text (`Some("")` never; `@doc false` gives `doc_hidden`) or `///` comments.
    pub doc: Option<Name>,
    pub doc_hidden: bool,
    /// `@impl`, `@spec`, other module attributes before the first clause; Rust `#[...]`.
    pub attributes: Box<[Attribute]>,
    /// Calls made in any clause (heads, guards and bodies), in source order.
    pub calls: Box<[Call]>,
    /// False when a syntax error touches the function's span, or the function was recovered
    /// from a missing `end`: its clauses, calls and span may be incomplete.
    pub reliable: bool,
    /// The name is computed at compile time (`def unquote(name)()`): `name` is the source text.
    pub generated_name: bool,
}

impl Function {
    /// True when an attribute with this name is present (`impl`, `test`, `inline`...).
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attributes.iter().any(|a| a.name == name)
    }
}

/// One clause of a function (Rust functions have exactly one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clause {
    /// The whole definition (`def ... end`, `fn ... { }`).
    pub span: Span,
    /// The head: name, parameters and guard.
    pub head_span: Span,
    /// The body (`do` block / `do:` value / Rust block). None for signatures.
    pub body_span: Option<Span>,
    pub params: Box<[Param]>,
    /// Guard expression source (`when ...`); Rust where-clauses are not guards.
    pub guard: Option<Name>,
    pub guard_span: Option<Span>,
}

/// One parameter of a clause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// The pattern as written (`%{a: 1} = x`, `mut v`, `&self`).
    pub pattern: Name,
    /// The bound variable when the pattern is (or ends in) a single name.
    pub name: Option<Name>,
    /// The one extra piece of source a parameter carries, by the file's language: Elixir the
    /// `\\` default value, Rust the type annotation. One field instead of two, each always
    /// empty in the other language, keeps a parameter at 32 bytes.
    pub annotation: Option<Name>,
    pub span: Span,
}

impl Param {
    /// Elixir: the `\\` default value source (None in Rust files).
    pub fn default_value(&self, language: Language) -> Option<&Name> {
        self.annotation
            .as_ref()
            .filter(|_| language == Language::Elixir)
    }

    /// Rust: the type annotation source (None in Elixir files).
    pub fn type_annotation(&self, language: Language) -> Option<&Name> {
        self.annotation
            .as_ref()
            .filter(|_| language == Language::Rust)
    }
}

/// An attribute: Elixir `@name value` before a definition, Rust `#[name(args)]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: Name,
    /// Source text of the value / arguments, if any.
    pub value: Option<Name>,
    pub span: Span,
}

/// How a call is made. Resolution to a definition is the CPG layer's job; this records the
/// syntactic shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// `fun(args)`: Elixir local or imported function; Rust single-segment path. A bare
    /// Elixir identifier (`foo` without parentheses) is a variable or a zero-arity call and
    /// tree-sitter cannot tell which: it is recorded only on the right of `|>`.
    Local,
    /// `Mod.fun(args)`, `:erlang.fun()`, `__MODULE__.fun()`; Rust `a::b::fun()`.
    Remote,
    /// Rust `receiver.method(args)`.
    Method,
    /// Target known only at run time: Elixir `var.fun()`, `fun.(x)`, `apply`-like shapes;
    /// Rust `(expr)(args)`.
    Dynamic,
    /// Rust `name!(...)`; Elixir `if`/`unless`/`raise`-style Kernel macros.
    Macro,
    /// Rust call whose last path segment is capitalised (`Some(x)`, `Point(1, 2)`,
    /// `Error::Io(e)`): by convention a tuple struct or enum variant, not a function.
    Constructor,
}

/// One call site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    pub kind: CallKind,
    /// Raw module / path qualifier segments as written, unresolved: `["Repo"]`,
    /// `["MyApp", "Repo"]`, `["__MODULE__"]`, `[":erlang"]`, `["crate", "net"]`,
    /// `["Self"]`, `["<T as Clone>"]`. Empty for local, method and most dynamic calls.
    pub qualifier: NamePath,
    /// Function, method or macro name (`""` for Elixir anonymous `fun.(x)`).
    pub name: Name,
    /// Arguments passed, counting the implicit piped value (`|>`) and a method receiver.
    /// For captures (`&fun/2`) the captured arity. See [`Arity`].
    pub arity: Arity,
    /// Whether the first argument comes from `|>`.
    pub piped: bool,
    /// Whether this is a capture (`&fun/2`, `&Mod.fun/2`) rather than an invocation.
    pub capture: bool,
    /// Rust method receiver / Elixir dynamic target source, shortened.
    pub receiver: Option<Name>,
    pub span: Span,
    /// Module the call sits in (lexically), for resolving `__MODULE__`, aliases, `self::`.
    pub module: Option<ModuleId>,
}

/// Which directive an [`Import`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Alias,
    Import,
    Use,
    Require,
    /// Rust `use`, also `extern crate`.
    RustUse,
}

/// `only:` / `except:` entry of an Elixir `import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFilter {
    /// `only: [map: 2, each: 2]` / `except: [...]`.
    Functions(Vec<(Name, u32)>),
    /// `only: :functions`, `only: :macros`, `only: :sigils`.
    Category(Name),
}

/// An Elixir `alias`/`import`/`use`/`require` or one leaf of a Rust `use` tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Import {
    pub kind: ImportKind,
    /// Target path segments: `["MyApp", "Repo"]`, `["std", "collections", "HashMap"]`,
    /// `["crate", "foo"]` for a glob `crate::foo::*`.
    pub path: NamePath,
    /// The name the target is known by afterwards: Elixir `alias` default (last segment)
    /// or `as:`; Rust `as` rename or last segment. None for import/use/require and globs.
    pub alias: Option<Name>,
    /// Rust `path::*`.
    pub glob: bool,
    /// Boxed: rare, and an inline filter would double the size of every import.
    pub only: Option<Box<ImportFilter>>,
    pub except: Option<Box<ImportFilter>>,
    /// Remaining options source (`use GenServer, restart: :temporary`).
    pub options: Option<Name>,
    pub visibility: Visibility,
    pub module: Option<ModuleId>,
    pub span: Span,
}

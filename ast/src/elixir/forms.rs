//! Names with special meaning in Elixir source.

/// Function-defining macros and the kind each defines.
pub(crate) fn definition_kind(name: &str) -> Option<crate::model::FunctionKind> {
    use crate::model::FunctionKind::*;
    Some(match name {
        "def" => Def,
        "defp" => Defp,
        "defmacro" => Defmacro,
        "defmacrop" => Defmacrop,
        "defguard" => Defguard,
        "defguardp" => Defguardp,
        "defdelegate" => Defdelegate,
        _ => return None,
    })
}

/// Module-defining macros.
pub(crate) fn is_module_definition(name: &str) -> bool {
    matches!(name, "defmodule" | "defprotocol" | "defimpl")
}

/// Lexical directives recorded as imports.
pub(crate) fn is_directive(name: &str) -> bool {
    matches!(name, "alias" | "import" | "use" | "require")
}

/// Special forms and control-flow constructs: structure for the CPG layer, not calls.
pub(crate) fn is_special_form(name: &str) -> bool {
    matches!(
        name,
        "case"
            | "cond"
            | "with"
            | "for"
            | "try"
            | "receive"
            | "fn"
            | "quote"
            | "unquote"
            | "unquote_splicing"
            | "super"
            | "__block__"
            | "__aliases__"
            | "__MODULE__"
            | "__ENV__"
            | "__DIR__"
            | "__CALLER__"
            | "__STACKTRACE__"
    )
}

/// Kernel macros commonly called like functions, with the arities that are macros (some
/// names are functions at other arities: `get_in/2`, `put_in/3`, ...); recorded with
/// [`crate::CallKind::Macro`]. Arity-aware, so a module's own `binding/2` stays a local call.
const KERNEL_MACROS: &[(&str, &[u32])] = &[
    ("if", &[2]),
    ("unless", &[2]),
    ("raise", &[1, 2]),
    ("reraise", &[2, 3]),
    ("defstruct", &[1]),
    ("defexception", &[1]),
    ("defoverridable", &[1]),
    ("dbg", &[0, 1, 2]),
    ("binding", &[0, 1]),
    ("match?", &[2]),
    ("destructure", &[2]),
    ("get_in", &[1]),
    ("put_in", &[2]),
    ("update_in", &[2]),
    ("pop_in", &[1]),
    ("get_and_update_in", &[2]),
    ("is_nil", &[1]),
    ("is_exception", &[1, 2]),
    ("is_struct", &[1, 2]),
    ("then", &[2]),
    ("tap", &[2]),
    ("to_string", &[1]),
    ("to_charlist", &[1]),
    ("var!", &[1, 2]),
    ("alias!", &[1]),
];

/// Macros whose atom arguments name local functions the framework calls later, and the
/// arity it calls them with: Plug's function plugs and Phoenix's pipelines and fallbacks
/// `(conn, opts)`, ExUnit's named setups `(context)`.
pub(crate) fn atom_reference_arity(name: &str) -> Option<u32> {
    match name {
        "plug" | "pipe_through" | "action_fallback" => Some(2),
        "setup" | "setup_all" => Some(1),
        _ => None,
    }
}

/// Whether a local call `name/arity` is one of Kernel's macros.
pub(crate) fn is_kernel_macro(name: &str, arity: u32) -> bool {
    KERNEL_MACROS
        .iter()
        .any(|(n, arities)| *n == name && arities.contains(&arity))
}

/// Module attributes that belong to the next function definition.
pub(crate) fn is_function_attribute(name: &str) -> bool {
    matches!(name, "doc" | "impl" | "spec" | "deprecated" | "since")
}

/// Module attributes whose value is a typespec or text, not code to scan for calls.
pub(crate) fn is_non_code_attribute(name: &str) -> bool {
    matches!(
        name,
        "doc"
            | "moduledoc"
            | "typedoc"
            | "spec"
            | "type"
            | "typep"
            | "opaque"
            | "callback"
            | "macrocallback"
    )
}

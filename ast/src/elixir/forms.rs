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

/// Kernel macros commonly called like functions; recorded with [`crate::CallKind::Macro`].
pub(crate) fn is_kernel_macro(name: &str) -> bool {
    matches!(
        name,
        "if" | "unless"
            | "raise"
            | "reraise"
            | "defstruct"
            | "defexception"
            | "defoverridable"
            | "dbg"
            | "binding"
            | "match?"
            | "destructure"
            | "get_in"
            | "put_in"
            | "update_in"
            | "pop_in"
            | "get_and_update_in"
            | "is_nil"
            | "is_exception"
            | "is_struct"
            | "then"
            | "tap"
            | "to_string"
            | "to_charlist"
            | "var!"
            | "alias!"
    )
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

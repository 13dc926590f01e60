//! Functions Elixir's `Kernel` imports into every module (name and arity). A local call to
//! one of them that the module does not define goes to Kernel, outside the project. Kernel
//! macros (`if`, `raise`, `is_nil`, ...) are recorded as macro calls by the ast crate.

/// `(name, arities)` of Kernel's auto-imported functions (Elixir 1.15+).
const KERNEL_FUNCTIONS: &[(&str, &[u32])] = &[
    ("abs", &[1]),
    ("apply", &[2, 3]),
    ("binary_part", &[3]),
    ("binary_slice", &[2, 3]),
    ("bit_size", &[1]),
    ("byte_size", &[1]),
    ("ceil", &[1]),
    ("div", &[2]),
    ("elem", &[2]),
    ("exit", &[1]),
    ("floor", &[1]),
    ("function_exported?", &[3]),
    ("get_and_update_in", &[3]),
    ("get_in", &[2]),
    ("hd", &[1]),
    ("inspect", &[1, 2]),
    ("is_atom", &[1]),
    ("is_binary", &[1]),
    ("is_bitstring", &[1]),
    ("is_boolean", &[1]),
    ("is_float", &[1]),
    ("is_function", &[1, 2]),
    ("is_integer", &[1]),
    ("is_list", &[1]),
    ("is_map", &[1]),
    ("is_map_key", &[2]),
    ("is_number", &[1]),
    ("is_pid", &[1]),
    ("is_port", &[1]),
    ("is_reference", &[1]),
    ("is_tuple", &[1]),
    ("length", &[1]),
    ("macro_exported?", &[3]),
    ("make_ref", &[0]),
    ("map_size", &[1]),
    ("max", &[2]),
    ("min", &[2]),
    ("node", &[0, 1]),
    ("not", &[1]),
    ("pop_in", &[2]),
    ("put_in", &[3]),
    ("put_elem", &[3]),
    ("rem", &[2]),
    ("round", &[1]),
    ("self", &[0]),
    ("send", &[2]),
    ("spawn", &[1, 3]),
    ("spawn_link", &[1, 3]),
    ("spawn_monitor", &[1, 3]),
    ("struct", &[1, 2]),
    ("struct!", &[1, 2]),
    ("throw", &[1]),
    ("tl", &[1]),
    ("trunc", &[1]),
    ("tuple_size", &[1]),
    ("update_in", &[3]),
];

/// Whether `name/arity` is a function Kernel imports everywhere.
pub(crate) fn is_kernel_function(name: &str, arity: u32) -> bool {
    KERNEL_FUNCTIONS
        .iter()
        .any(|(n, arities)| *n == name && arities.contains(&arity))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_name_and_arity() {
        assert!(is_kernel_function("is_binary", 1));
        assert!(is_kernel_function("apply", 3));
        // The function arities of names that are Kernel macros at other arities.
        assert!(is_kernel_function("get_in", 2));
        assert!(!is_kernel_function("put_in", 2));
        assert!(!is_kernel_function("is_binary", 2));
        assert!(!is_kernel_function("helper", 1));
    }
}

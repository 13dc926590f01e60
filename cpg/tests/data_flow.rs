//! Reaching definitions and def-use chains, checked by hand, and the work bound.

mod common;

use common::{assert_same, def_use_set, du, elixir, rust};
use elixir_scope_ast::{parse_source, Language, ParseOptions};
use elixir_scope_cpg::{build_file, BuildOptions};

#[test]
fn elixir_rebinding_and_clause_bindings() {
    let src = r#"
defmodule T do
  def rb(x) do
    x = x + 1
    y = x * 2
    case y do
      x when x > y -> x
    end
  end
end
"#;
    let g = elixir(src, "rb");
    assert_same(
        &def_use_set(&g),
        &du(&[
            ("x", "rb(x)", "x = x + 1"),
            ("x", "x = x + 1", "y = x * 2"),
            ("y", "y = x * 2", "case y"),
            // The clause binds a new x; its guard reads that x and the outer y.
            ("x", "x when x > y", "x when x > y"),
            ("y", "y = x * 2", "x when x > y"),
            ("x", "x when x > y", "x"),
        ]),
    );
}

#[test]
fn elixir_branch_bindings_do_not_leak() {
    let src = r#"
defmodule T do
  def lk(a) do
    if a do
      a = 2
      a
    end
    a
  end
end
"#;
    let g = elixir(src, "lk");
    let set = def_use_set(&g);
    // The final `a` is the parameter: the rebinding inside `if` does not leak.
    let last_uses: Vec<_> = set.iter().filter(|(_, d, _)| d == "a = 2").collect();
    assert_eq!(last_uses.len(), 1, "{set:?}");
    let param_uses = set.iter().filter(|(_, d, _)| d == "lk(a)").count();
    assert_eq!(param_uses, 2, "if a, and the final a: {set:?}");
}

#[test]
fn rust_shadowing_blocks_and_assignments() {
    let src = r#"
fn s(a: u8) -> u8 {
    let a = a + 1;
    let mut b = a;
    {
        let a = 7;
        b = b + a;
    }
    if b > 3 { b = 0; }
    a + b
}
"#;
    let g = rust(src, "s");
    assert_same(
        &def_use_set(&g),
        &du(&[
            ("a", "a: u8", "let a = a + 1;"),
            ("a", "let a = a + 1;", "let mut b = a;"),
            ("a", "let a = a + 1;", "a + b"),
            ("a", "let a = 7;", "b = b + a"),
            ("b", "let mut b = a;", "b = b + a"),
            ("b", "b = b + a", "if b > 3"),
            ("b", "b = b + a", "a + b"),
            ("b", "b = 0", "a + b"),
        ]),
    );
}

#[test]
fn rust_loop_carried_definitions() {
    let src = "fn c(n: u32) -> u32 { let mut i = 0; while i < n { i += 1; } i }";
    let g = rust(src, "c");
    assert_same(
        &def_use_set(&g),
        &du(&[
            ("i", "let mut i = 0;", "while i < n"),
            ("i", "i += 1", "while i < n"),
            ("n", "n: u32", "while i < n"),
            ("i", "let mut i = 0;", "i += 1"),
            ("i", "i += 1", "i += 1"),
            ("i", "let mut i = 0;", "i"),
            ("i", "i += 1", "i"),
        ]),
    );
}

#[test]
fn work_bound_is_reported_not_a_hang() {
    let mut body = String::from("fn big(mut x: u32) -> u32 {\n");
    for i in 0..200 {
        body.push_str(&format!("    if x > {i} {{ x = x + {i}; }}\n"));
    }
    body.push_str("    x\n}\n");
    let parsed = parse_source(
        "src/lib.rs",
        Language::Rust,
        body.as_bytes(),
        &ParseOptions::default(),
    );
    let tight = BuildOptions {
        dataflow_work_limit: 50,
    };
    let file = build_file(&parsed, &tight);
    let graph = &file.methods[0].graph;
    let hit = graph.dataflow_truncated.expect("bound reported");
    assert_eq!(hit.limit, 50);
    assert!(graph.def_use().is_empty());
    // The control flow is still complete.
    assert!(graph.nodes.len() > 400);

    let file = build_file(&parsed, &BuildOptions::default());
    assert!(file.methods[0].graph.dataflow_truncated.is_none());
    assert!(!file.methods[0].graph.def_use().is_empty());
}

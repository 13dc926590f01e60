//! Calls inside Elixir anonymous functions and `for` comprehensions and inside Rust
//! closures belong to the enclosing function's call sites in the call graph (`for` bodies
//! are also call nodes of its method graph; anonymous functions and closures stay values
//! there). Kernel functions are external calls into Kernel.

use elixir_scope_ast::{parse_source, Language, ParseOptions};
use elixir_scope_cpg::{
    build_project, BuildOptions, CallTarget, NodeKind, ProjectCpg, UnresolvedReason,
};

fn project(path: &str, language: Language, src: &str) -> ProjectCpg {
    let parsed = parse_source(path, language, src.as_bytes(), &ParseOptions::default());
    build_project(&[parsed], &BuildOptions::default())
}

fn callee_names(p: &ProjectCpg, method: &str) -> Vec<String> {
    let id = p.find_methods(method)[0].id;
    let mut names: Vec<String> = p
        .call_graph
        .callees(id)
        .into_iter()
        .map(|m| p.call_graph.method(m).unwrap().display_name())
        .collect();
    names.sort();
    names
}

fn call_nodes(p: &ProjectCpg, method: &str) -> Vec<String> {
    let id = p.find_methods(method)[0].id;
    let graph = &p.method_graph(id).unwrap().graph;
    let mut codes: Vec<String> = graph
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Call)
        .map(|n| n.code.clone())
        .collect();
    codes.sort();
    codes
}

const ELIXIR: &str = r#"
defmodule Shop do
  import Kernel, except: [max: 2]

  def totals(orders) do
    Enum.map(orders, fn order -> price(order) end)
  end

  def squares(xs) do
    for x <- xs, keep?(x), do: square(x)
  end

  def guarded(x) do
    if is_binary(x), do: price(x), else: length(x)
  end

  def own_length(x), do: length(x, 0)
  defp length(x, n), do: {x, n}

  def biggest(a, b), do: max(a, b)

  defp price(o), do: o
  defp keep?(x), do: x > 0
  defp square(x), do: x * x
end
"#;

fn targets(p: &ProjectCpg, method: &str) -> Vec<(String, CallTarget)> {
    let id = p.find_methods(method)[0].id;
    p.call_graph
        .calls_from(id)
        .map(|c| (c.written.clone(), c.target.clone()))
        .collect()
}

fn kernel() -> CallTarget {
    CallTarget::Unresolved {
        reason: UnresolvedReason::ExternalModule {
            module: "Kernel".into(),
        },
    }
}

#[test]
fn calls_inside_elixir_anonymous_functions_and_comprehensions_are_call_sites() {
    let p = project("lib/shop.ex", Language::Elixir, ELIXIR);
    assert_eq!(callee_names(&p, "Shop.totals/1"), vec!["Shop.price/1"]);
    assert_eq!(
        callee_names(&p, "Shop.squares/1"),
        vec!["Shop.keep?/1", "Shop.square/1"]
    );
    // The comprehension's filter and body are steps of the method graph.
    assert_eq!(
        call_nodes(&p, "Shop.squares/1"),
        vec![
            "for x <- xs, keep?(x), do: square(x)",
            "keep?(x)",
            "square(x)"
        ]
    );
}

#[test]
fn calls_inside_rust_closures_are_call_sites() {
    let src = "fn helper(x: u32) -> u32 { x }\n\
               pub fn run(v: Vec<u32>) -> Vec<u32> {\n\
                   let f = |y: u32| helper(y) + 1;\n\
                   v.into_iter().map(|x| helper(x)).map(f).collect()\n\
               }\n";
    let p = project("src/lib.rs", Language::Rust, src);
    let id = p.find_methods("run")[0].id;
    let helper = p.find_methods("helper")[0].id;
    let into_helper = p
        .call_graph
        .calls_from(id)
        .filter(|c| c.callee() == Some(helper))
        .count();
    assert_eq!(into_helper, 2);
}

#[test]
fn kernel_functions_are_external_calls_into_kernel() {
    let p = project("lib/shop.ex", Language::Elixir, ELIXIR);
    let calls = targets(&p, "Shop.guarded/1");
    let of = |w: &str| calls.iter().find(|(c, _)| c == w).unwrap().1.clone();
    assert_eq!(of("is_binary/1"), kernel());
    assert_eq!(of("length/1"), kernel());
    assert_eq!(
        of("if/2"),
        CallTarget::Unresolved {
            reason: UnresolvedReason::Macro
        }
    );
    // A local function shadows Kernel's of the same name and arity...
    let own = targets(&p, "Shop.own_length/1");
    assert!(matches!(own[0].1, CallTarget::Resolved { .. }), "{own:?}");
    // ...and `import Kernel, except:` removes one.
    let biggest = targets(&p, "Shop.biggest/2");
    assert_eq!(
        biggest[0].1,
        CallTarget::Unresolved {
            reason: UnresolvedReason::NotInScope
        }
    );
}

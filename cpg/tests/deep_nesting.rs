//! Deeply nested function bodies must not overflow the stack while building control flow and
//! data flow: a stack overflow aborts the whole process (it is not a panic a supervisor can
//! catch), so one hostile file would take every service down with it. The graphs are built on
//! a thread with an ordinary 2 MiB stack, as build tasks run.

use elixir_scope_ast::{parse_source, Language, ParseOptions};
use elixir_scope_cpg::{build_file, BuildOptions, FileCpg};

const DEPTH: usize = 5_000;
const STACK: usize = 2 * 1024 * 1024;

fn elixir_nested_ifs(depth: usize) -> String {
    let mut s = String::from("defmodule Deep do\n  def run(x) do\n");
    for _ in 0..depth {
        s.push_str("if x do\n");
    }
    s.push_str("helper(x)\n");
    for _ in 0..depth {
        s.push_str("end\n");
    }
    s.push_str("  end\n\n  def helper(x), do: x\nend\n");
    s
}

fn rust_nested_ifs(depth: usize) -> String {
    let mut s = String::from("fn run(x: bool) -> u32 {\n");
    for _ in 0..depth {
        s.push_str("if x {\n");
    }
    s.push_str("helper(x)\n");
    for _ in 0..depth {
        s.push_str("} else { 0 }\n");
    }
    s.push_str("}\n\nfn helper(_x: bool) -> u32 { 1 }\n");
    s
}

fn build_on_small_stack(language: Language, source: String) -> FileCpg {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            let parsed = parse_source(
                "deep",
                language,
                source.as_bytes(),
                &ParseOptions::default(),
            );
            build_file(&parsed, &BuildOptions::default())
        })
        .expect("spawn builder thread")
        .join()
        .expect("builder thread finished")
}

fn assert_deep_graph(cpg: &FileCpg) {
    let run = cpg
        .methods
        .iter()
        .find(|m| m.name == "run")
        .expect("a graph for `run`");
    // One branch node per `if` at least: the whole nest was walked, not cut short.
    assert!(
        run.graph.nodes.len() > DEPTH,
        "only {} nodes for {DEPTH} nested ifs",
        run.graph.nodes.len()
    );
    assert!(cpg.methods.iter().any(|m| m.name == "helper"));
}

#[test]
fn five_thousand_nested_elixir_ifs_build_on_a_small_stack() {
    assert_deep_graph(&build_on_small_stack(
        Language::Elixir,
        elixir_nested_ifs(DEPTH),
    ));
}

#[test]
fn five_thousand_nested_rust_ifs_build_on_a_small_stack() {
    assert_deep_graph(&build_on_small_stack(
        Language::Rust,
        rust_nested_ifs(DEPTH),
    ));
}

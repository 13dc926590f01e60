//! Deeply nested function bodies must not overflow the stack while building control flow and
//! data flow: a stack overflow aborts the whole process (it is not a panic a supervisor can
//! catch), so one hostile file would take every service down with it. The graphs are built on
//! a thread with an ordinary 2 MiB stack, as build tasks run.

use elixir_scope_ast::{nested_ifs_source, parse_source, Language, ParseOptions};
use elixir_scope_cpg::{build_file, BuildOptions, FileCpg};

const DEPTH: usize = 5_000;
const STACK: usize = 2 * 1024 * 1024;

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
        nested_ifs_source(Language::Elixir, DEPTH),
    ));
}

#[test]
fn five_thousand_nested_rust_ifs_build_on_a_small_stack() {
    assert_deep_graph(&build_on_small_stack(
        Language::Rust,
        nested_ifs_source(Language::Rust, DEPTH),
    ));
}

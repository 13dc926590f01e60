//! Prints the control flow edges and def-use pairs of every function of a file.
//!
//! `cargo run -p elixir-scope-cpg --example dump_cfg -- FILE`
use std::path::Path;
use std::process::ExitCode;

use elixir_scope_ast::{parse_file, ParseOptions};
use elixir_scope_cpg::{build_file, BuildOptions};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_cfg FILE");
        return ExitCode::FAILURE;
    };
    let parsed = parse_file(Path::new(&path), &path, &ParseOptions::default());
    let file = build_file(&parsed, &BuildOptions::default());
    for m in &file.methods {
        println!("== {}/{}", m.name, m.arity);
        for (from, to, label) in m.graph.cfg_triples() {
            println!("  {from:?} -> {to:?} {label:?}");
        }
        for du in m.graph.def_use() {
            let def = m.graph.node(du.def).map(|n| n.code.as_str()).unwrap_or("");
            let used = m
                .graph
                .node(du.use_site)
                .map(|n| n.code.as_str())
                .unwrap_or("");
            println!("  def-use {}: {def:?} => {used:?}", du.name);
        }
    }
    ExitCode::SUCCESS
}

//! Breaks a project's model memory down by kind of item, against its source size.
//!
//! `cargo run --release -p elixir-scope-ast --example model_memory -- DIR`
use std::path::PathBuf;
use std::process::ExitCode;

use elixir_scope_ast::{discover_files, parse_file, HeapSize, ParseOptions};

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: model_memory DIR");
        return ExitCode::FAILURE;
    };
    let files = match discover_files(&dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let (mut source, mut total, mut functions, mut calls, mut clauses, mut modules, mut imports) =
        (0u64, 0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let (mut n_fn, mut n_calls, mut n_clauses) = (0usize, 0usize, 0usize);
    for f in &files {
        let m = parse_file(&f.path, &f.relative, &ParseOptions::default()).model;
        source += m.size_bytes;
        total += m.heap_bytes();
        modules += m.modules.heap_bytes();
        imports += m.imports.heap_bytes();
        functions += m.functions.heap_bytes();
        for func in &m.functions {
            n_fn += 1;
            n_calls += func.calls.len();
            n_clauses += func.clauses.len();
            calls += func.calls.heap_bytes();
            clauses += func.clauses.heap_bytes();
        }
    }
    let ratio = |b: usize| b as f64 / source as f64;
    println!("source bytes: {source}");
    println!("model bytes:  {total} ({:.2}x)", ratio(total));
    println!("  modules     {:.2}x", ratio(modules));
    println!("  imports     {:.2}x", ratio(imports));
    println!("  functions   {:.2}x ({n_fn} functions)", ratio(functions));
    println!("    calls     {:.2}x ({n_calls} calls)", ratio(calls));
    println!("    clauses   {:.2}x ({n_clauses} clauses)", ratio(clauses));
    ExitCode::SUCCESS
}

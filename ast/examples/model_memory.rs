//! Breaks a project's model memory down by kind of item, against its source size.
//!
//! `cargo run --release -p elixir-scope-ast --example model_memory -- DIR`
//!
//! Structures are counted at their inline size (`len × size_of`), every distinct string
//! allocation once per file (as `HeapSize` does), plus each file's line index.
use std::collections::HashSet;
use std::mem::{size_of, size_of_val};
use std::path::PathBuf;
use std::process::ExitCode;

use elixir_scope_ast::{
    discover_files, parse_file, Call, Clause, FileModel, Function, HeapSize, Import, Module, Param,
    ParseOptions,
};

#[derive(Default)]
struct Tally {
    source: u64,
    total: usize,
    file: usize,
    line_index: (usize, usize),
    modules: (usize, usize),
    functions: (usize, usize),
    clauses: (usize, usize),
    params: (usize, usize),
    calls: (usize, usize),
    imports: (usize, usize),
    attributes: (usize, usize),
    diagnostics: (usize, usize),
    strings: (usize, usize),
}

fn add<T>(slot: &mut (usize, usize), items: &[T]) {
    slot.0 += items.len();
    slot.1 += size_of_val(items);
}

fn count(t: &mut Tally, m: &FileModel) {
    t.source += m.size_bytes;
    t.total += m.heap_bytes();
    t.file += size_of::<FileModel>() + m.path.capacity() + m.content_hash.capacity();
    t.file += m.package_dir.as_ref().map_or(0, String::capacity);
    t.line_index.0 += m.line_index.len();
    t.line_index.1 += m.line_index.heap_bytes();
    add(&mut t.modules, &m.modules);
    add(&mut t.functions, &m.functions);
    add(&mut t.imports, &m.imports);
    add(&mut t.calls, &m.module_level_calls);
    add(&mut t.diagnostics, &m.diagnostics);
    for md in &m.modules {
        add(&mut t.attributes, &md.attributes);
    }
    for f in &m.functions {
        add(&mut t.clauses, &f.clauses);
        add(&mut t.calls, &f.calls);
        add(&mut t.attributes, &f.attributes);
        for c in &f.clauses {
            add(&mut t.params, &c.params);
        }
    }
    // Strings: everything heap_bytes counts beyond the structures, shared ones once per file.
    let mut seen = HashSet::new();
    let before = t.strings.1;
    t.strings.1 += string_bytes(m, &mut seen);
    t.strings.0 += seen.len();
    debug_assert!(t.strings.1 >= before);
}

fn string_bytes(m: &FileModel, seen: &mut HashSet<usize>) -> usize {
    let mut n = 0;
    for md in &m.modules {
        n += module_strings(md, seen);
    }
    for f in &m.functions {
        n += function_strings(f, seen);
    }
    for i in &m.imports {
        n += import_strings(i, seen);
    }
    for c in &m.module_level_calls {
        n += call_strings(c, seen);
    }
    for d in &m.diagnostics {
        n += d.heap_bytes_in(seen);
    }
    n
}

fn module_strings(m: &Module, seen: &mut HashSet<usize>) -> usize {
    m.heap_bytes_in(seen) - size_of_val(&m.attributes[..])
}

fn function_strings(f: &Function, seen: &mut HashSet<usize>) -> usize {
    let structures = size_of_val(&f.clauses[..])
        + size_of_val(&f.calls[..])
        + size_of_val(&f.attributes[..])
        + f.clauses
            .iter()
            .map(|c: &Clause| size_of_val(&c.params[..]))
            .sum::<usize>();
    f.heap_bytes_in(seen) - structures
}

fn import_strings(i: &Import, seen: &mut HashSet<usize>) -> usize {
    i.heap_bytes_in(seen)
}

fn call_strings(c: &Call, seen: &mut HashSet<usize>) -> usize {
    c.heap_bytes_in(seen)
}

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
    let mut t = Tally::default();
    for f in &files {
        count(
            &mut t,
            &parse_file(&f.path, &f.relative, &ParseOptions::default()).model,
        );
    }
    let ratio = |b: usize| b as f64 / t.source as f64;
    println!("{} files, source bytes: {}", files.len(), t.source);
    println!("model bytes:  {} ({:.2}x)", t.total, ratio(t.total));
    let rows: [(&str, (usize, usize), usize); 11] = [
        ("modules", t.modules, size_of::<Module>()),
        ("functions", t.functions, size_of::<Function>()),
        ("clauses", t.clauses, size_of::<Clause>()),
        ("params", t.params, size_of::<Param>()),
        ("calls", t.calls, size_of::<Call>()),
        ("imports", t.imports, size_of::<Import>()),
        (
            "attributes",
            t.attributes,
            size_of::<elixir_scope_ast::Attribute>(),
        ),
        (
            "diagnostics",
            t.diagnostics,
            size_of::<elixir_scope_ast::Diagnostic>(),
        ),
        ("strings", t.strings, 0),
        ("line index", t.line_index, 0),
        (
            "file records",
            (files.len(), t.file),
            size_of::<FileModel>(),
        ),
    ];
    let mut sum = 0;
    for (name, (n, bytes), each) in rows {
        sum += bytes;
        let each = match name {
            _ if each > 0 => format!(" x {each} B"),
            "strings" => " distinct".to_owned(),
            "line index" => " lines".to_owned(),
            _ => String::new(),
        };
        println!(
            "  {name:<12} {:.3}x  {bytes:>9} B  ({n}{each})",
            ratio(bytes)
        );
    }
    println!(
        "  (unattributed {} B: vector capacity beyond length)",
        t.total.saturating_sub(sum)
    );
    ExitCode::SUCCESS
}

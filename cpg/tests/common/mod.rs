//! Helpers shared by the behaviour tests: parse a snippet, take one function's graph, and
//! compare edges by node code.
#![allow(dead_code)]

use std::collections::BTreeSet;

use elixir_scope_ast::{parse_source, Language, ParseOptions};
use elixir_scope_cpg::{build_file, BuildOptions, CfgLabel, MethodGraph};

pub fn graph_of(language: Language, path: &str, src: &str, function: &str) -> MethodGraph {
    let parsed = parse_source(path, language, src.as_bytes(), &ParseOptions::default());
    let file = build_file(&parsed, &BuildOptions::default());
    file.methods
        .into_iter()
        .find(|m| m.name == function)
        .map(|m| m.graph)
        .unwrap_or_else(|| panic!("no graph for {function}"))
}

pub fn elixir(src: &str, function: &str) -> MethodGraph {
    graph_of(Language::Elixir, "lib/t.ex", src, function)
}

pub fn rust(src: &str, function: &str) -> MethodGraph {
    graph_of(Language::Rust, "src/lib.rs", src, function)
}

pub type Triple = (String, String, CfgLabel);

pub fn cfg_set(g: &MethodGraph) -> BTreeSet<Triple> {
    g.cfg_triples().into_iter().collect()
}

pub fn expected(edges: &[(&str, &str, CfgLabel)]) -> BTreeSet<Triple> {
    edges
        .iter()
        .map(|(a, b, l)| (a.to_string(), b.to_string(), *l))
        .collect()
}

/// Def-use pairs as (variable, def code, use code).
pub fn def_use_set(g: &MethodGraph) -> BTreeSet<(String, String, String)> {
    g.def_use()
        .into_iter()
        .map(|d| {
            (
                d.name,
                g.node(d.def).map(|n| n.code.clone()).unwrap_or_default(),
                g.node(d.use_site)
                    .map(|n| n.code.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

pub fn du(list: &[(&str, &str, &str)]) -> BTreeSet<(String, String, String)> {
    list.iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// Asserts set equality, printing the differences.
pub fn assert_same<T: Ord + std::fmt::Debug>(actual: &BTreeSet<T>, expected: &BTreeSet<T>) {
    let missing: Vec<_> = expected.difference(actual).collect();
    let extra: Vec<_> = actual.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nextra: {extra:#?}"
    );
}

/// Runs `sql` (an UPDATE damaging rows) on one of the layer's databases, as a crash of the
/// disk or a bug might leave them; at least one row must be hit.
pub fn damage_rows(database: &std::path::Path, sql: &str) {
    let conn = rusqlite::Connection::open(database).unwrap();
    assert!(conn.execute(sql, []).unwrap() > 0, "{sql} hit no row");
}

/// The number of rows `sql` (a `SELECT count(*)`) counts in one of the layer's databases.
pub fn count_rows(database: &std::path::Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(database).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

//! Hand-computed metrics of `fixtures/metrics.rs`, rule by rule. The comments give the count
//! each expected value comes from.

use elixir_scope_analysis::{file_metrics, FileMetrics, FunctionMetrics};
use elixir_scope_ast::{parse_source, Language, ParseOptions};

fn metrics() -> FileMetrics {
    let src = include_bytes!("fixtures/metrics.rs");
    let parsed = parse_source(
        "src/metrics.rs",
        Language::Rust,
        src,
        &ParseOptions::default(),
    );
    assert!(!parsed.model.has_errors(), "{:?}", parsed.model.diagnostics);
    file_metrics(&parsed).expect("a parsed file has metrics")
}

fn function<'a>(m: &'a FileMetrics, name: &str) -> &'a FunctionMetrics {
    m.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-6,
        "expected {expected}, got {actual}"
    );
}

#[test]
fn cyclomatic_follows_rust_code_analysis() {
    let m = metrics();
    assert_eq!(function(&m, "add").cyclomatic, 1);
    // 1 + if + else if + && + ||
    assert_eq!(function(&m, "classify").cyclomatic, 5);
    // 1 + for + while + 3 match arms + 1 arm guard
    assert_eq!(function(&m, "search").cyclomatic, 7);
    // 1 + ?
    assert_eq!(function(&m, "parse").cyclomatic, 2);
}

#[test]
fn cognitive_follows_sonar() {
    let m = metrics();
    assert_eq!(function(&m, "add").cognitive, 0);
    // if 1 + `&&`,`||` two sequences 2 + else if 1 + else 1
    assert_eq!(function(&m, "classify").cognitive, 5);
    // for 1 + while 2 + match 3 + break 'outer 1 + continue 'outer 1 (plain break: 0)
    assert_eq!(function(&m, "search").cognitive, 8);
    // a closure nests but adds nothing by itself; `?` is free
    assert_eq!(function(&m, "parse").cognitive, 0);
}

#[test]
fn nesting_depth() {
    let m = metrics();
    assert_eq!(function(&m, "add").nesting, 0);
    // else if stays at its if's depth
    assert_eq!(function(&m, "classify").nesting, 1);
    // for > while > match
    assert_eq!(function(&m, "search").nesting, 3);
    // the closure
    assert_eq!(function(&m, "parse").nesting, 1);
}

#[test]
fn arity_counts_every_parameter() {
    let m = metrics();
    assert_eq!(function(&m, "add").arity, 2);
    assert_eq!(function(&m, "parse").arity, 1);
}

#[test]
fn line_counts() {
    let m = metrics();
    let add = function(&m, "add").lines;
    assert_eq!(
        (add.sloc, add.ploc, add.cloc, add.blank, add.lloc),
        (3, 3, 0, 0, 1)
    );
    // lloc: the if, and one expression in each of its three blocks
    let classify = function(&m, "classify").lines;
    assert_eq!((classify.sloc, classify.ploc, classify.lloc), (9, 9, 4));
    // lloc: let, for, tail `found`; while; match; the guarded arm's two statements
    let search = function(&m, "search").lines;
    assert_eq!((search.sloc, search.lloc), (16, 7));
    // a comment line, a blank line and a trailing comment on a code line
    let parse = function(&m, "parse").lines;
    assert_eq!(
        (parse.sloc, parse.ploc, parse.cloc, parse.blank, parse.lloc),
        (7, 5, 2, 1, 3)
    );
}

#[test]
fn abc_counts() {
    let m = metrics();
    let add = function(&m, "add").abc;
    assert_eq!((add.assignments, add.branches, add.conditions), (0, 0, 0));
    // C: three comparisons, two else
    let c = function(&m, "classify").abc;
    assert_eq!((c.assignments, c.branches, c.conditions), (0, 0, 5));
    close(c.magnitude, 5.0);
    // A: let found, found = ..; B: iter(), enumerate(), Some(i); C: 2 comparisons, 3 arms
    let s = function(&m, "search").abc;
    assert_eq!((s.assignments, s.branches, s.conditions), (2, 3, 5));
    close(s.magnitude, 38f64.sqrt());
    // A: two lets; B: trim(), parse(), f(s), Ok(n)
    let p = function(&m, "parse").abc;
    assert_eq!((p.assignments, p.branches, p.conditions), (2, 4, 0));
}

#[test]
fn halstead_of_a_small_function() {
    // `pub fn add(a: i32, b: i32) -> i32 { a + b }`
    // operators: pub fn ( : , : -> { + -> N1 9, n1 8 (closing `)` `}` not counted)
    // operands: add a i32 b i32 i32 a b -> N2 8, n2 4
    let h = function(&metrics(), "add").halstead;
    assert_eq!(
        (
            h.distinct_operators,
            h.distinct_operands,
            h.total_operators,
            h.total_operands
        ),
        (8, 4, 9, 8)
    );
    close(h.volume, 17.0 * 12f64.log2());
    close(h.difficulty, 8.0);
    close(h.effort, 8.0 * 17.0 * 12f64.log2());
    close(h.time_seconds, h.effort / 18.0);
    close(h.bugs, h.effort.powf(2.0 / 3.0) / 3000.0);
}

#[test]
fn maintainability_index() {
    let add = function(&metrics(), "add").clone();
    let volume = 17.0 * 12f64.log2();
    let original = 171.0 - 5.2 * volume.ln() - 0.23 - 16.2 * 3f64.ln();
    close(add.maintainability.original, original);
    close(add.maintainability.visual_studio, original * 100.0 / 171.0);
}

#[test]
fn module_roll_up() {
    let m = metrics();
    let file_module = m
        .modules
        .iter()
        .find(|module| module.functions > 0)
        .expect("the file module holds the functions");
    assert_eq!(file_module.functions, 4);
    assert_eq!(
        (file_module.cyclomatic_total, file_module.cyclomatic_max),
        (15, 7)
    );
    assert_eq!(
        (file_module.cognitive_total, file_module.cognitive_max),
        (13, 8)
    );
    assert_eq!(m.lines.sloc, 38);
    assert_eq!((m.lines.cloc, m.lines.blank), (2, 4));
}

#[test]
fn a_file_that_is_one_function_is_measured() {
    // The function's range is the whole file's: its node, not the file's root, is measured.
    let src = b"fn f(x: bool) -> u8 { if x { 1 } else { 0 } }";
    let parsed = parse_source("src/f.rs", Language::Rust, src, &ParseOptions::default());
    let m = file_metrics(&parsed).expect("metrics");
    let f = function(&m, "f");
    assert_eq!((f.cyclomatic, f.cognitive, f.nesting), (2, 2, 1));
}

//! Hand-computed metrics of `fixtures/metrics.ex`, rule by rule. The comments give the count
//! each expected value comes from.

use elixir_scope_analysis::{file_metrics, FileMetrics, FunctionMetrics};
use elixir_scope_ast::{parse_source, Language, ParseOptions};

fn metrics() -> FileMetrics {
    let src = include_bytes!("fixtures/metrics.ex");
    let parsed = parse_source(
        "lib/metrics.ex",
        Language::Elixir,
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
fn cyclomatic_follows_credo() {
    let m = metrics();
    // 1
    assert_eq!(function(&m, "add").cyclomatic, 1);
    // 1 + guard `and` + case with 3 clauses + `if`
    assert_eq!(function(&m, "classify").cyclomatic, 6);
    // 1 + if + cond with 2 clauses + `and` + `or` (fn adds nothing)
    assert_eq!(function(&m, "nested").cyclomatic, 6);
    // 1 + try
    assert_eq!(function(&m, "safe").cyclomatic, 2);
    // clauses 1, 2 (`and` in the guard), 1: the worst clause
    assert_eq!(function(&m, "multi").cyclomatic, 2);
}

#[test]
fn cognitive_follows_sonar() {
    let m = metrics();
    assert_eq!(function(&m, "add").cognitive, 0);
    // guard `and` sequence 1 + case 1 + if nested once 2 + else 1
    assert_eq!(function(&m, "classify").cognitive, 5);
    // (inside fn: level 1) if 2 + cond 3 + `and`,`or` two sequences 2 + else 1
    assert_eq!(function(&m, "nested").cognitive, 8);
    // try 0 + rescue 1 + catch 1
    assert_eq!(function(&m, "safe").cognitive, 2);
    // summed over clauses: one `and` sequence
    assert_eq!(function(&m, "multi").cognitive, 1);
}

#[test]
fn nesting_follows_credo() {
    let m = metrics();
    assert_eq!(function(&m, "add").nesting, 0);
    // case > if
    assert_eq!(function(&m, "classify").nesting, 2);
    // fn > if > cond
    assert_eq!(function(&m, "nested").nesting, 3);
    // try does not nest
    assert_eq!(function(&m, "safe").nesting, 0);
}

#[test]
fn arity_and_clauses() {
    let m = metrics();
    assert_eq!(function(&m, "add").arity, 2);
    assert_eq!(function(&m, "multi").arity, 1);
    assert_eq!(function(&m, "multi").clauses, 3);
}

#[test]
fn line_counts() {
    let m = metrics();
    let add = function(&m, "add").lines;
    assert_eq!(
        (add.sloc, add.ploc, add.cloc, add.blank, add.lloc),
        (1, 1, 0, 0, 1)
    );
    // lloc: case + 3 clause bodies + do:/else: of the if
    let classify = function(&m, "classify").lines;
    assert_eq!((classify.sloc, classify.ploc, classify.lloc), (7, 7, 6));
    // lloc: Enum.map + if + cond + :none + 2 clause bodies
    assert_eq!(function(&m, "nested").lines.lloc, 6);
    // one comment line, one blank line; lloc: try + f.() + rescue body + catch body
    let safe = function(&m, "safe").lines;
    assert_eq!(
        (safe.sloc, safe.ploc, safe.cloc, safe.blank, safe.lloc),
        (11, 9, 1, 1, 4)
    );
    let multi = function(&m, "multi").lines;
    assert_eq!((multi.sloc, multi.lloc), (3, 3));
}

#[test]
fn abc_counts() {
    let m = metrics();
    let add = function(&m, "add").abc;
    assert_eq!((add.assignments, add.branches, add.conditions), (0, 0, 0));
    // B: is_integer, rem; C: `x > 0`, `x > 10`, 3 case clauses, else:
    let c = function(&m, "classify").abc;
    assert_eq!((c.assignments, c.branches, c.conditions), (0, 2, 6));
    close(c.magnitude, 40f64.sqrt());
    // B: Enum.map; C: 3 comparisons, 2 cond clauses, else
    let n = function(&m, "nested").abc;
    assert_eq!((n.assignments, n.branches, n.conditions), (0, 1, 6));
    // B: f.(); C: rescue, catch
    let s = function(&m, "safe").abc;
    assert_eq!((s.assignments, s.branches, s.conditions), (0, 1, 2));
    // heads are not calls; C: two guard comparisons
    let mu = function(&m, "multi").abc;
    assert_eq!((mu.assignments, mu.branches, mu.conditions), (0, 0, 2));
}

#[test]
fn halstead_of_a_one_liner() {
    // `def add(a, b), do: a + b`
    // operands: def add a b `do:` a b -> N2 7, n2 5
    // operators: ( , , + -> N1 4, n1 3 (the `)` counts with its `(`)
    let h = function(&metrics(), "add").halstead;
    assert_eq!(
        (
            h.distinct_operators,
            h.distinct_operands,
            h.total_operators,
            h.total_operands
        ),
        (3, 5, 4, 7)
    );
    assert_eq!((h.vocabulary, h.length), (8, 11));
    close(h.volume, 33.0);
    close(h.difficulty, 1.5 * 7.0 / 5.0);
    close(h.effort, 1.5 * 7.0 / 5.0 * 33.0);
}

#[test]
fn maintainability_index() {
    let add = function(&metrics(), "add").clone();
    // 171 - 5.2 ln(33) - 0.23 * 1 - 16.2 ln(1)
    let original = 171.0 - 5.2 * 33f64.ln() - 0.23;
    close(add.maintainability.original, original);
    close(add.maintainability.visual_studio, original * 100.0 / 171.0);
}

#[test]
fn module_roll_up() {
    let m = metrics();
    assert_eq!(m.modules.len(), 1);
    let module = &m.modules[0];
    assert_eq!(module.name, "Fixture.Metrics");
    assert_eq!(module.functions, 5);
    assert_eq!((module.cyclomatic_total, module.cyclomatic_max), (17, 6));
    assert_eq!((module.cognitive_total, module.cognitive_max), (16, 8));
    assert_eq!(module.line, 1);
    assert_eq!(module.lines.sloc, 40);
}

//! Dead code and call-graph cycles on `graph_fixtures/` (an Elixir and a Rust file), with
//! roots switched on and off.

use elixir_scope_analysis::{
    find_dead_code, find_function_cycles, find_module_cycles, DeadCodeRoots, Finding, Level, Rule,
};
use elixir_scope_ast::{parse_source, FileModel, Language, ParseOptions};
use elixir_scope_cpg::CallGraph;

fn models() -> Vec<FileModel> {
    let ex = parse_source(
        "lib/app.ex",
        Language::Elixir,
        include_bytes!("graph_fixtures/lib/app.ex"),
        &ParseOptions::default(),
    );
    let rs = parse_source(
        "src/lib.rs",
        Language::Rust,
        include_bytes!("graph_fixtures/src/lib.rs"),
        &ParseOptions::default(),
    );
    vec![ex.model, rs.model]
}

fn dead(roots: &DeadCodeRoots) -> Vec<String> {
    let models = models();
    let refs: Vec<&FileModel> = models.iter().collect();
    let graph = CallGraph::build(refs.iter().copied());
    let mut names: Vec<String> = find_dead_code(&graph, &refs, roots)
        .into_iter()
        .map(|f| f.symbol)
        .collect();
    names.sort();
    names
}

/// Dead functions of one source file (default roots), sorted.
fn dead_in(path: &str, language: Language, source: &[u8]) -> Vec<String> {
    let model = parse_source(path, language, source, &ParseOptions::default()).model;
    let refs = [&model];
    let graph = CallGraph::build(refs.iter().copied());
    let mut names: Vec<String> = find_dead_code(&graph, &refs, &DeadCodeRoots::default())
        .into_iter()
        .map(|f| f.symbol)
        .collect();
    names.sort();
    names
}

#[test]
fn default_roots_leave_only_the_truly_unused() {
    let found = dead(&DeadCodeRoots::default());
    assert_eq!(
        found,
        vec![
            "App.Worker.unused/1".to_owned(),
            "crate::Counter::stale".to_owned(),
            "crate::orphan".to_owned(),
        ]
    );
}

#[test]
fn without_the_public_api_only_entry_points_keep_code_alive() {
    let roots = DeadCodeRoots {
        public_api: false,
        ..DeadCodeRoots::default()
    };
    // Still live: start_link (OTP entry point), init/1 (@impl callback) and its helper, the
    // Mix task's run/1 and greet; Rust: the #[test], the Display impl. `api` is no longer a
    // root but the test calls it, and it reaches helper, new and get.
    assert_eq!(
        dead(&roots),
        vec![
            "App.A.a/1",
            "App.B.b/1",
            "App.Worker.loop/1",
            "App.Worker.ping/1",
            "App.Worker.pong/1",
            "App.Worker.unused/1",
            "crate::Counter::stale",
            "crate::orphan",
        ]
    );
}

#[test]
fn extra_roots_and_switched_off_kinds() {
    let roots = DeadCodeRoots {
        public_api: false,
        tests: false,
        extra: vec!["App.Worker.loop/1".to_owned(), "orphan".to_owned()],
        ..DeadCodeRoots::default()
    };
    // loop/1 now keeps ping and pong alive; orphan is a root by bare name; without tests as
    // roots, the Rust test and everything only it reaches is dead.
    assert_eq!(
        dead(&roots),
        vec![
            "App.A.a/1",
            "App.B.b/1",
            "App.Worker.unused/1",
            "crate::Counter::get",
            "crate::Counter::new",
            "crate::Counter::stale",
            "crate::api",
            "crate::checks",
            "crate::helper",
        ]
    );
}

#[test]
fn dead_code_findings_are_notes_at_the_function() {
    let models = models();
    let refs: Vec<&FileModel> = models.iter().collect();
    let graph = CallGraph::build(refs.iter().copied());
    let findings = find_dead_code(&graph, &refs, &DeadCodeRoots::default());
    let unused: &Finding = findings
        .iter()
        .find(|f| f.symbol == "App.Worker.unused/1")
        .expect("unused/1 reported");
    assert_eq!(
        (unused.rule, unused.level, unused.file.as_str(), unused.line),
        (Rule::DeadCode, Level::Note, "lib/app.ex", 11)
    );
}

#[test]
fn cycles_between_functions_and_modules_are_listed() {
    let models = models();
    let refs: Vec<&FileModel> = models.iter().collect();
    let graph = CallGraph::build(refs.iter().copied());
    let mut functions: Vec<String> = find_function_cycles(&graph)
        .into_iter()
        .map(|f| f.message)
        .collect();
    functions.sort();
    assert_eq!(
        functions,
        vec![
            "2 functions call each other: App.A.a/1 -> App.B.b/1 -> App.A.a/1",
            "2 functions call each other: App.Worker.ping/1 -> App.Worker.pong/1 -> App.Worker.ping/1",
        ]
    );
    let modules = find_module_cycles(&graph, &refs);
    assert_eq!(modules.len(), 1, "{modules:?}");
    assert_eq!(
        modules[0].message,
        "2 modules depend on each other: App.A -> App.B -> App.A"
    );
    assert_eq!(
        (modules[0].rule, modules[0].level, modules[0].line),
        (Rule::ModuleCycle, Level::Warning, 20)
    );
    // The Rust file calls its own impl's methods: not a module cycle.
    assert!(modules.iter().all(|f| f.language == Language::Elixir));
}

#[test]
fn graph_findings_render_as_valid_sarif() {
    use elixir_scope_analysis::{render_sarif, AnalysisKind, Report, Summary};
    let models = models();
    let refs: Vec<&FileModel> = models.iter().collect();
    let graph = CallGraph::build(refs.iter().copied());
    let mut findings = find_dead_code(&graph, &refs, &DeadCodeRoots::default());
    findings.extend(find_function_cycles(&graph));
    findings.extend(find_module_cycles(&graph, &refs));
    let mut report = Report {
        root: "graph_fixtures".to_owned(),
        analyses: vec![AnalysisKind::DeadCode, AnalysisKind::Cycles],
        summary: Summary::default(),
        findings,
        functions: vec![],
        modules: vec![],
        diagnostics: vec![],
        failures: vec![],
    };
    report.finish_findings();
    assert_eq!(
        (
            report.summary.warnings,
            report.summary.notes,
            report.summary.findings
        ),
        (1, 5, 6)
    );
    let text = elixir_scope_analysis::render_text(&report);
    assert!(
        text.contains("6 findings (0 errors, 1 warning, 5 notes)"),
        "{text}"
    );
    assert!(
        text.contains("App.Worker.unused/1 is unreachable"),
        "{text}"
    );
    assert!(text.contains("tests); 1 line\n"), "{text}");
    let sarif: serde_json::Value = serde_json::from_str(&render_sarif(&report).unwrap()).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-2.1.0-schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let levels: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        vec!["warning", "note", "note", "note", "note", "note"]
    );
}

/// Private functions a Phoenix project reaches only through function plugs, a parenthesised
/// capture, an attribute a macro's `quote` emits, or a name Kernel uses for a macro at
/// another arity are alive; the one nothing names is dead. (Each of the live ones was
/// reported dead when `analyze` first ran on Phoenix.)
#[test]
fn phoenix_style_references_keep_private_functions_alive() {
    let source = br#"defmodule Web.Router do
  pipeline :browser do
    plug :put_assign, "browser"
    plug :halt_secret when action in [:secret]
  end
  scope "/" do
    pipe_through [:browser, :noop]
  end
  action_fallback :fallback
  defmacro guarded(guards), do: quote(do: @guards {unquote(escape(guards))})
  def stale(files), do: Enum.filter(files, &(not compiled?(&1)))
  def names(names, ix), do: binding(names, ix)
  defp put_assign(conn, value), do: Map.put(conn, :value, value)
  defp halt_secret(conn, _), do: conn
  defp noop(conn, _), do: conn
  defp fallback(conn, _), do: conn
  defp escape(guards), do: guards
  defp compiled?(_), do: true
  defp binding(names, ix), do: elem(names, ix)
  defp unused(conn), do: conn
end
"#;
    let dead = dead_in("lib/web/router.ex", Language::Elixir, source);
    assert_eq!(dead, ["Web.Router.unused/1"]);
}

/// A group whose first member also calls itself shows a cycle through the group, not the
/// self-call (Ecto's 17-function `escape/5` group was shown as `escape/5 -> escape/5`).
#[test]
fn a_self_recursive_member_does_not_hide_the_group_cycle() {
    let source = b"defmodule Q do
  def escape([h | t]), do: [escape(h) | escape(t)]
  def escape({:pin, x}), do: expand(x)
  def escape(x), do: x
  def expand(x), do: escape(x)
end
";
    let model = parse_source(
        "lib/q.ex",
        Language::Elixir,
        source,
        &ParseOptions::default(),
    )
    .model;
    let refs = [&model];
    let graph = CallGraph::build(refs.iter().copied());
    let messages: Vec<String> = find_function_cycles(&graph)
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert_eq!(
        messages,
        ["2 functions call each other: Q.escape/1 -> Q.expand/1 -> Q.escape/1"]
    );
}

/// Rust: `#[cfg]` alternatives of one function keep each other (and what they call) alive,
/// and `#[allow(dead_code)]` is the author's word; only the truly unused one is reported.
#[test]
fn cfg_alternatives_and_allowed_dead_code_are_not_reported() {
    let source = br#"
#[cfg(feature = "wrap")]
fn width() -> usize { measure() }
#[cfg(not(feature = "wrap"))]
fn width() -> usize { 80 }
fn measure() -> usize { 100 }
pub fn render() -> usize { width() }
#[allow(dead_code)]
fn kept_for_later() {}
#[allow(unused, dead_code)]
fn also_kept() {}
fn really_dead() {}
"#;
    let dead = dead_in("src/lib.rs", Language::Rust, source);
    assert_eq!(dead, ["crate::really_dead"]);
}

/// Test harness attributes other than `#[test]` mark roots too, including a crate's own alias
/// (tokio's tests use `#[maybe_tokio_test]`); other attributes do not.
#[test]
fn test_harness_attributes_are_roots() {
    let source = br#"
use tokio::test as maybe_tokio_test;
#[maybe_tokio_test]
async fn aliased() { helper(); }
#[tokio::test]
async fn tokio_style() {}
#[rstest]
fn parametrised() {}
#[test_case(1)]
fn case(_: u32) {}
#[wasm_bindgen_test]
fn in_browser() {}
fn helper() {}
#[inline]
fn unused() {}
#[testing_only]
fn also_unused() {}
"#;
    let dead = dead_in("tests/it.rs", Language::Rust, source);
    assert_eq!(dead, ["crate::also_unused", "crate::unused"]);
}

/// A function only serde's derive calls (`#[serde(default = "...")]`) is alive.
#[test]
fn serde_default_functions_are_alive() {
    let source = br#"
#[derive(Deserialize)]
pub struct Query {
    #[serde(default = "default_limit")]
    limit: usize,
}
fn default_limit() -> usize { 50 }
fn unused() {}
"#;
    let dead = dead_in("src/lib.rs", Language::Rust, source);
    assert_eq!(dead, ["crate::unused"]);
}

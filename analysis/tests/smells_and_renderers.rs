//! Smells against thresholds, report order, and the three renderers (SARIF validated against
//! the official 2.1.0 schema shipped in `tests/data`).

use elixir_scope_analysis::{
    evaluate_fail_on, file_metrics, find_smells, render_json, render_sarif, render_text,
    AnalysisFailure, AnalysisKind, FailOn, FileDiagnostic, Level, Report, Rule, Summary,
    Thresholds,
};
use elixir_scope_ast::{parse_source, Language, ParseOptions};

fn report_with(thresholds: &Thresholds) -> Report {
    let ex = parse_source(
        "lib/metrics.ex",
        Language::Elixir,
        include_bytes!("fixtures/metrics.ex"),
        &ParseOptions::default(),
    );
    let rs = parse_source(
        "src/metrics.rs",
        Language::Rust,
        include_bytes!("fixtures/metrics.rs"),
        &ParseOptions::default(),
    );
    let files = [file_metrics(&ex), file_metrics(&rs)];
    let functions: Vec<_> = files
        .iter()
        .flatten()
        .flat_map(|f| f.functions.clone())
        .collect();
    let modules: Vec<_> = files
        .iter()
        .flatten()
        .flat_map(|f| f.modules.clone())
        .collect();
    let findings = find_smells(&functions, &modules, thresholds);
    let mut report = Report {
        root: "fixtures".to_owned(),
        analyses: vec![AnalysisKind::Metrics, AnalysisKind::Smells],
        summary: Summary {
            files: 2,
            elixir_files: 1,
            rust_files: 1,
            functions: functions.len(),
            modules: modules.len(),
            ..Summary::default()
        },
        findings,
        functions,
        modules,
        diagnostics: vec![FileDiagnostic {
            file: "lib/broken.ex".to_owned(),
            level: Level::Error,
            message: "syntax error".to_owned(),
            line: Some(3),
        }],
        failures: vec![],
    };
    report.finish_findings();
    report
}

#[test]
fn default_thresholds_flag_only_the_deep_nesting() {
    let report = report_with(&Thresholds::default());
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.symbol.as_str(), f.value, f.level))
        .collect();
    // Credo's nesting limit is 2; `nested/1` reaches 3. Nothing else is over a default.
    assert_eq!(
        found,
        vec![(
            Rule::NestingDepth,
            "Fixture.Metrics.nested/1",
            3.0,
            Level::Warning
        )]
    );
    assert_eq!(report.findings[0].file, "lib/metrics.ex");
    assert_eq!(report.findings[0].line, 12);
}

#[test]
fn thresholds_are_configurable_and_worst_comes_first() {
    let mut t = Thresholds::default();
    t.rust.max_cognitive = Some(4);
    t.elixir.max_arity = Some(1);
    let report = report_with(&t);
    let found: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.rule, f.symbol.as_str(), f.level))
        .collect();
    assert_eq!(
        found,
        vec![
            // Errors first (value at least twice the limit); equal ratios (2.0) by file.
            (Rule::FunctionArity, "Fixture.Metrics.add/2", Level::Error),
            (
                Rule::CognitiveComplexity,
                "crate::metrics::search",
                Level::Error
            ),
            // Then warnings, the furthest over first: 3/2 before 5/4.
            (
                Rule::NestingDepth,
                "Fixture.Metrics.nested/1",
                Level::Warning
            ),
            (
                Rule::CognitiveComplexity,
                "crate::metrics::classify",
                Level::Warning
            ),
        ]
    );
}

#[test]
fn a_check_set_to_none_is_off() {
    let mut t = Thresholds::default();
    t.elixir.max_nesting = None;
    assert!(report_with(&t).findings.is_empty());
}

#[test]
fn thresholds_deserialise_with_defaults_for_missing_languages() {
    let t: Thresholds = serde_json::from_str(r#"{"rust": {"max_arity": 3}}"#).unwrap();
    assert_eq!(t.elixir, Thresholds::default().elixir);
    assert_eq!(t.rust.max_arity, Some(3));
    assert_eq!(t.rust.max_cognitive, None);
}

#[test]
fn text_report_lists_worst_first_with_place_rule_and_number() {
    let mut t = Thresholds::default();
    t.rust.max_cognitive = Some(4);
    let text = render_text(&report_with(&t));
    let search = text
        .find("src/metrics.rs:15  cognitive-complexity   crate::metrics::search: cognitive complexity 8 (max 4)")
        .expect(&text);
    let nested = text.find("lib/metrics.ex:12  nesting-depth").expect(&text);
    assert!(search < nested, "{text}");
    assert!(
        text.contains("error   lib/broken.ex:3  syntax error"),
        "{text}"
    );
    assert!(
        text.contains("3 findings (1 error, 2 warnings, 0 notes)"),
        "{text}"
    );
    assert!(text.contains("Most complex functions"), "{text}");
}

#[test]
fn json_round_trips() {
    let report = report_with(&Thresholds::default());
    let json = render_json(&report).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    // serde_json may read a float back one ulp off, so compare everything but the floats of
    // the Halstead and maintainability measures.
    assert_eq!(back.summary, report.summary);
    assert_eq!(back.findings, report.findings);
    assert_eq!(back.modules, report.modules);
    assert_eq!(back.diagnostics, report.diagnostics);
    let shape = |r: &Report| -> Vec<_> {
        r.functions
            .iter()
            .map(|f| {
                (
                    f.qualified_name(),
                    f.cyclomatic,
                    f.cognitive,
                    f.lines,
                    f.halstead.length,
                )
            })
            .collect()
    };
    assert_eq!(shape(&back), shape(&report));
}

fn sarif_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-2.1.0-schema.json")).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let mut t = Thresholds::default();
    t.rust.max_cognitive = Some(4);
    let mut report = report_with(&t);
    report.failures.push(AnalysisFailure {
        analysis: AnalysisKind::Smells,
        error: "task panicked".to_owned(),
    });
    let sarif: serde_json::Value = serde_json::from_str(&render_sarif(&report).unwrap()).unwrap();
    let validator = sarif_validator();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), report.findings.len());
    assert_eq!(results[0]["ruleId"], "cognitive-complexity");
    assert_eq!(results[0]["level"], "error");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 15);
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
}

#[test]
fn the_schema_rejects_a_broken_sarif_log() {
    // Guards the test above: the validator really checks (a result needs a message).
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "r"}]}]
    });
    assert!(!sarif_validator().is_valid(&broken));
}

#[test]
fn fail_on_levels() {
    let mut t = Thresholds::default();
    t.rust.max_cognitive = Some(4);
    let report = report_with(&t);
    // 1 error (search: 8 >= 2 x 4), 2 warnings (classify, nested)
    assert_eq!(evaluate_fail_on(&report, FailOn::Error).matching, 1);
    assert_eq!(evaluate_fail_on(&report, FailOn::Warning).matching, 3);
    assert!(!evaluate_fail_on(&report, FailOn::Never).failed);
    let clean = report_with(&Thresholds {
        elixir: Default::default(),
        rust: Default::default(),
    });
    let verdict = evaluate_fail_on(&clean, FailOn::Note);
    assert!(!verdict.failed && !verdict.partial);
    assert_eq!("warning".parse::<FailOn>().unwrap(), FailOn::Warning);
    assert!("sometimes".parse::<FailOn>().is_err());
}

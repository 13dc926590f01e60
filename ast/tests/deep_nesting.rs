//! Deeply nested input must not overflow the stack: a file with thousands of nested `if`s is
//! parsed on a thread with an ordinary 2 MiB stack and still yields a model.

use elixir_scope_ast::{nested_ifs_source, parse_source, FileModel, Language, ParseOptions};

const DEPTH: usize = 5_000;
const STACK: usize = 2 * 1024 * 1024;

/// Parses on a fresh thread with a 2 MiB stack; a stack overflow aborts the test binary.
fn parse_on_small_stack(language: Language, source: String) -> FileModel {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(move || {
            parse_source(
                "deep",
                language,
                source.as_bytes(),
                &ParseOptions::default(),
            )
            .model
        })
        .expect("spawn parser thread")
        .join()
        .expect("parser thread finished")
}

#[test]
fn elixir_five_thousand_nested_ifs_parse_on_a_normal_stack() {
    let model = parse_on_small_stack(Language::Elixir, nested_ifs_source(Language::Elixir, DEPTH));
    assert_eq!(model.modules.len(), 1);
    assert_eq!(model.modules[0].name, "Deep");
    let names: Vec<(&str, u8)> = model
        .functions
        .iter()
        .map(|f| (f.name.as_str(), f.arity))
        .collect();
    assert_eq!(names, vec![("run", 1), ("helper", 1)]);
    let run = &model.functions[0];
    assert_eq!(run.clauses.len(), 1);
    // The innermost call is extracted at any depth, not dropped.
    assert!(run.calls.iter().any(|c| c.name == "helper" && c.arity == 1));
    assert_eq!(run.calls.iter().filter(|c| c.name == "if").count(), DEPTH);
}

#[test]
fn rust_five_thousand_nested_ifs_parse_on_a_normal_stack() {
    let model = parse_on_small_stack(Language::Rust, nested_ifs_source(Language::Rust, DEPTH));
    let names: Vec<&str> = model.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["run", "helper"]);
    assert!(model.functions[0]
        .calls
        .iter()
        .any(|c| c.name == "helper" && c.arity == 1));
}

#[test]
fn rust_deeply_nested_macro_token_trees_parse_on_a_normal_stack() {
    let mut src = String::from("fn run() {\n    noisy!(");
    src.push_str(&"(".repeat(DEPTH));
    src.push_str("inner(1)");
    src.push_str(&")".repeat(DEPTH));
    src.push_str(");\n}\n");
    let model = parse_on_small_stack(Language::Rust, src);
    let run = &model.functions[0];
    assert_eq!(run.name, "run");
    assert!(run.calls.iter().any(|c| c.name == "noisy"));
    // Calls inside macro token trees are recovered by scanning tokens, at any depth.
    assert!(run.calls.iter().any(|c| c.name == "inner" && c.arity == 1));
}

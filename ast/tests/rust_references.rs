//! Rust calls that hide from a plain walk: turbofish calls inside macro arguments, and
//! functions used as values (passed, borrowed, stored in a field).

use elixir_scope_ast::{parse_source, CallKind, FileModel, Language, ParseOptions};

fn parse(source: &str) -> FileModel {
    parse_source(
        "src/lib.rs",
        Language::Rust,
        source.as_bytes(),
        &ParseOptions::default(),
    )
    .model
}

/// `(name, kind, arity, capture)` of each call of function `name`.
fn calls_of(m: &FileModel, name: &str) -> Vec<(String, CallKind, u8, bool)> {
    m.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("function {name} missing"))
        .calls
        .iter()
        .map(|c| (c.name.to_string(), c.kind, c.arity, c.capture))
        .collect()
}

#[test]
fn turbofish_calls_inside_macro_arguments() {
    let m = parse(
        r#"
fn read(&self, id: u32) -> Result<u32, E> {
    let n = ok!(self.try_get::<u32>(id));
    assert_eq!(parse::<u32>("1"), Ok(1));
    let all = ok!(ids.iter().collect::<Vec<Vec<u8>>>());
    ok!(n)
}
"#,
    );
    let calls = calls_of(&m, "read");
    assert!(
        calls.contains(&("try_get".into(), CallKind::Method, 2, false)),
        "{calls:?}"
    );
    assert!(
        calls.contains(&("parse".into(), CallKind::Local, 1, false)),
        "{calls:?}"
    );
    assert!(
        calls.contains(&("collect".into(), CallKind::Method, 1, false)),
        "{calls:?}"
    );
}

#[test]
fn functions_used_as_values_are_captures_and_variables_are_not() {
    let m = parse(
        r#"
use crate::handlers::health;
fn double(x: u32) -> u32 { x * 2 }
fn poll<T>(x: u32) -> u32 { x }
fn run(values: Vec<u32>, limit: usize) -> Table {
    route(health);
    timed(&double);
    values.into_iter().map(double).take(limit).count();
    Table { poll: poll::<u8>, size: limit, decode: Self::decode }
}
"#,
    );
    let mut captures: Vec<String> = calls_of(&m, "run")
        .into_iter()
        .filter(|c| c.3)
        .map(|c| c.0)
        .collect();
    captures.sort();
    // `limit` and `values` are variables: no function of that name is defined or imported.
    assert_eq!(captures, ["decode", "double", "double", "health", "poll"]);
}

#[test]
fn serde_attributes_name_functions() {
    let m = parse(
        r#"
#[derive(Deserialize)]
struct Query {
    #[serde(default = "default_limit")]
    limit: usize,
    #[serde(rename = "q", skip_serializing_if = "Option::is_none", with = "text")]
    query: Option<String>,
    #[serde(deserialize_with = "crate::codec::decode")]
    raw: Vec<u8>,
}
"#,
    );
    let references: Vec<(String, Vec<String>)> = m
        .module_level_calls
        .iter()
        .filter(|c| c.capture)
        .map(|c| {
            (
                c.name.to_string(),
                c.qualifier.to_vec().into_iter().map(String::from).collect(),
            )
        })
        .collect();
    let names = |n: &str, q: &[&str]| (n.to_owned(), q.iter().map(|s| s.to_string()).collect());
    assert_eq!(
        references,
        [
            names("default_limit", &[]),
            names("is_none", &["Option"]),
            names("decode", &["crate", "codec"]),
        ]
    );
}

//! Hostile input: every case gives a per-file diagnostic and never a panic.

use elixir_scope_ast::{
    parse_file, parse_source, DiagnosticKind, Language, ParseOptions, Severity,
    DEFAULT_MAX_FILE_BYTES,
};
use proptest::prelude::*;

fn kinds(bytes: &[u8], language: Language) -> Vec<DiagnosticKind> {
    parse_source("f", language, bytes, &ParseOptions::default())
        .model
        .diagnostics
        .into_iter()
        .map(|d| d.kind)
        .collect()
}

#[test]
fn empty_file_is_an_info_diagnostic() {
    for lang in [Language::Elixir, Language::Rust] {
        let p = parse_source("empty", lang, b"", &ParseOptions::default());
        assert_eq!(p.model.diagnostics.len(), 1);
        assert_eq!(p.model.diagnostics[0].kind, DiagnosticKind::Empty);
        assert_eq!(p.model.diagnostics[0].severity, Severity::Info);
        assert!(p.model.functions.is_empty());
        assert!(p.tree.is_some());
    }
}

#[test]
fn binary_garbage_is_rejected() {
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert!(garbage.contains(&0));
    assert_eq!(
        kinds(&garbage, Language::Elixir),
        vec![DiagnosticKind::Binary]
    );
    let p = parse_source("g", Language::Rust, &garbage, &ParseOptions::default());
    assert!(p.tree.is_none() && p.source.is_none());
    assert!(p.model.has_errors());
}

#[test]
fn invalid_utf8_reports_offset() {
    let mut bytes = b"defmodule A do\n  def f, do: 1\nend\n".to_vec();
    bytes.insert(20, 0xff);
    assert_eq!(
        kinds(&bytes, Language::Elixir),
        vec![DiagnosticKind::InvalidUtf8 { byte_offset: 20 }]
    );
}

#[test]
fn unclosed_do_and_stray_tokens_do_not_fail_the_file() {
    let src = b"defmodule A do\n  def f(x) do\n    x |> ) ]\n  def g, do: :ok\n";
    let p = parse_source("a.ex", Language::Elixir, src, &ParseOptions::default());
    assert!(p.model.has_errors());
    // tree-sitter folds the rest of the file into one ERROR node; `g` is still found, and
    // says it is unreliable because the error covers it.
    let g = p
        .model
        .functions
        .iter()
        .find(|f| f.name == "g")
        .expect("g recovered");
    assert!(!g.reliable);

    let src = b"defmodule A do\n  def f(x) do\n    x |> g(\n  end\n\n  def g(y), do: y\nend\n";
    let p = parse_source("b.ex", Language::Elixir, src, &ParseOptions::default());
    assert!(p.model.has_errors());
    // Here too tree-sitter gives one ERROR node from `def f` on; both definitions are
    // recovered from it, flagged unreliable, still inside module `A`.
    let a = p.model.module_by_name("A").expect("module A").id;
    for (name, arity) in [("f", 1), ("g", 1)] {
        let f = p
            .model
            .functions
            .iter()
            .find(|f| f.name == name && f.arity == arity)
            .expect(name);
        assert!(!f.reliable);
        assert_eq!(f.module, Some(a));
    }
}

#[test]
fn deep_nesting_is_cut_off_not_overflowed() {
    let depth = 100_000;
    let mut src = String::from("def f do\n");
    src.push_str(&"foo(".repeat(depth));
    src.push_str(&")".repeat(depth));
    src.push_str("\nend\n");
    let p = parse_source(
        "deep.exs",
        Language::Elixir,
        src.as_bytes(),
        &ParseOptions::default(),
    );
    assert!(p.model.functions.iter().any(|f| f.name == "f"));
    let mut rs = String::from("fn f() {\n");
    rs.push_str(&"g(".repeat(depth));
    rs.push_str(&")".repeat(depth));
    rs.push_str(";\n}\n");
    let p = parse_source(
        "deep.rs",
        Language::Rust,
        rs.as_bytes(),
        &ParseOptions::default(),
    );
    assert!(p.model.functions.iter().any(|f| f.name == "f"));
}

#[test]
fn file_over_the_limit_is_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("huge.ex");
    let size = 50 * 1024 * 1024u64;
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(size).expect("sparse 50 MB file");
    drop(f);
    let p = parse_file(&path, "huge.ex", &ParseOptions::default());
    assert_eq!(
        p.model.diagnostics[0].kind,
        DiagnosticKind::TooLarge {
            size,
            limit: DEFAULT_MAX_FILE_BYTES
        }
    );
    assert_eq!(p.model.size_bytes, size);
    // The same check applies to bytes handed over directly.
    let small = ParseOptions { max_file_bytes: 8 };
    assert!(matches!(
        parse_source("x.ex", Language::Elixir, b"defmodule A do end", &small)
            .model
            .diagnostics[0]
            .kind,
        DiagnosticKind::TooLarge { size: 18, limit: 8 }
    ));
}

#[test]
fn unreadable_file_is_an_io_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = parse_file(
        &dir.path().join("missing.rs"),
        "missing.rs",
        &ParseOptions::default(),
    );
    assert!(matches!(
        p.model.diagnostics[0].kind,
        DiagnosticKind::Io { .. }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), rust in any::<bool>()) {
        let lang = if rust { Language::Rust } else { Language::Elixir };
        let p = parse_source("fuzz", lang, &bytes, &ParseOptions::default());
        prop_assert_eq!(p.model.size_bytes, bytes.len() as u64);
        for f in &p.model.functions {
            prop_assert!(f.span.end_byte as usize <= bytes.len());
        }
    }

    #[test]
    fn arbitrary_source_like_text_never_panics(
        parts in proptest::collection::vec(prop_oneof![
            Just("defmodule A do\n"), Just("def f(x) do\n"), Just("end\n"), Just("x |> g()\n"),
            Just("&h/1\n"), Just("case x do\n"), Just("1 -> :a\n"), Just("alias A.{B, C}\n"),
            Just("fn main() {"), Just("}"), Just("impl X for Y {"), Just("a.b(c)?;"), Just("m!(f(x));"),
            Just("use a::{b, c::*};"), Just(")"), Just("(")
        ], 0..64),
        rust in any::<bool>()
    ) {
        let src: String = parts.concat();
        let lang = if rust { Language::Rust } else { Language::Elixir };
        let p = parse_source("gen", lang, src.as_bytes(), &ParseOptions::default());
        for f in &p.model.functions {
            prop_assert!(!f.clauses.is_empty());
            prop_assert!(f.span.start_byte <= f.span.end_byte && f.span.end_byte as usize <= src.len());
        }
    }
}

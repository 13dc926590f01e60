//! Metrics never panic on input: arbitrary bytes, broken syntax, and nesting deep enough to
//! overflow a recursive walker's stack.

use elixir_scope_analysis::{file_metrics, find_smells, Thresholds};
use elixir_scope_ast::{parse_source, Language, ParseOptions};
use proptest::prelude::*;

fn measure(language: Language, src: &[u8]) {
    let parsed = parse_source("x", language, src, &ParseOptions::default());
    if let Some(m) = file_metrics(&parsed) {
        for f in &m.functions {
            assert!(f.lines.sloc >= 1);
            assert!(f.lines.ploc + f.lines.blank <= f.lines.sloc + f.lines.cloc);
            assert!(f.halstead.volume.is_finite() && f.maintainability.original.is_finite());
        }
        let _ = find_smells(&m.functions, &m.modules, &Thresholds::default());
    }
}

/// Parses on a thread with a large stack (the AST layer's extraction recurses), then
/// measures on a small one, so a recursive metric walk would overflow here rather than pass
/// by luck.
fn measure_on_small_stack(language: Language, src: String) {
    let parsed = std::thread::Builder::new()
        .stack_size(512 * 1024 * 1024)
        .spawn(move || parse_source("deep", language, src.as_bytes(), &ParseOptions::default()))
        .expect("thread starts")
        .join()
        .expect("parses");
    let measured = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            let m = file_metrics(&parsed).expect("a parsed file has metrics");
            m.functions.iter().map(|f| f.nesting).max().unwrap_or(0)
        })
        .expect("thread starts")
        .join()
        .expect("no panic or overflow");
    assert!(measured > 0);
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let depth = 5_000;
    measure_on_small_stack(
        Language::Elixir,
        format!(
            "defmodule D do\n  def f(x) do\n    {}x{}\n  end\nend\n",
            "if x do ".repeat(depth),
            " end".repeat(depth)
        ),
    );
    measure_on_small_stack(
        Language::Rust,
        format!(
            "fn f(x: bool) -> u8 {{ {} 1 {} }}",
            "if x { ".repeat(depth),
            " } else { 0 }".repeat(depth)
        ),
    );
    measure_on_small_stack(
        Language::Rust,
        format!(
            "fn g(f: fn() -> u8) -> u8 {{ {}f(){} }}",
            "(|| ".repeat(depth),
            ")()".repeat(depth)
        ),
    );
}

#[test]
fn deep_nesting_is_measured() {
    let src = format!(
        "defmodule D do\n  def f(x) do\n    {}x{}\n  end\nend\n",
        "if x do ".repeat(30),
        " end".repeat(30)
    );
    let parsed = parse_source(
        "d.ex",
        Language::Elixir,
        src.as_bytes(),
        &ParseOptions::default(),
    );
    let m = file_metrics(&parsed).expect("metrics");
    let f = &m.functions[0];
    assert_eq!(f.nesting, 30);
    assert_eq!(f.cyclomatic, 31);
    // 1 + 2 + ... + 30
    assert_eq!(f.cognitive, 465);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        measure(Language::Elixir, &bytes);
        measure(Language::Rust, &bytes);
    }

    #[test]
    fn broken_code_never_panics(
        cut in 0usize..1200,
        junk in "[(){}\\[\\]do end,;:|&=> \\n-]{0,20}",
    ) {
        for (language, src) in [
            (Language::Elixir, include_str!("fixtures/metrics.ex")),
            (Language::Rust, include_str!("fixtures/metrics.rs")),
        ] {
            let at = cut.min(src.len());
            let at = (0..=at).rev().find(|i| src.is_char_boundary(*i)).unwrap_or(0);
            let broken = format!("{}{}{}", &src[..at], junk, &src[at..]);
            measure(language, broken.as_bytes());
        }
    }
}

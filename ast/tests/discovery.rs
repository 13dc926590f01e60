//! Project discovery: languages by extension, `.gitignore` honoured, build output skipped.

use std::fs;
use std::path::Path;

use elixir_scope_ast::{discover_files, AstError, Language};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).expect("mkdir");
    }
    fs::write(p, text).expect("write");
}

#[test]
fn finds_sources_and_skips_ignored_and_build_dirs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "lib/a.ex", "defmodule A do end");
    write(root, "test/a_test.exs", "");
    write(root, "src/main.rs", "fn main() {}");
    write(root, "README.md", "# no");
    write(root, "_build/dev/lib/x.ex", "");
    write(root, "deps/dep/lib/d.ex", "");
    write(root, "target/debug/build/gen.rs", "");
    write(root, "nested/target/x.rs", "");
    write(root, "generated/skip.ex", "");
    write(root, ".gitignore", "generated/\n");
    let files = discover_files(root).expect("discover");
    let found: Vec<(&str, Language)> = files
        .iter()
        .map(|f| (f.relative.as_str(), f.language))
        .collect();
    assert_eq!(
        found,
        vec![
            ("lib/a.ex", Language::Elixir),
            ("src/main.rs", Language::Rust),
            ("test/a_test.exs", Language::Elixir),
        ]
    );
    assert!(files.iter().all(|f| f.path.starts_with(root)));
}

#[test]
fn fixture_projects_are_discovered() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let ex = discover_files(&base.join("elixir_project")).expect("elixir");
    assert_eq!(ex.len(), 5);
    let rs = discover_files(&base.join("rust_project")).expect("rust");
    assert_eq!(rs.len(), 4);
}

#[test]
fn missing_root_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = discover_files(&dir.path().join("nope")).expect_err("missing");
    assert!(matches!(err, AstError::NotADirectory { .. }));
}

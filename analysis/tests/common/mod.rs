//! Test projects shared by the analysis integration tests.

use std::path::Path;

use elixir_scope_ast::generate_elixir_corpus;

/// A small mixed project in `dir`: ~3,000 generated Elixir lines (from `seed`), the Rust
/// metrics fixture under `src/`, and an Elixir file with a syntax error.
pub fn write_mixed_project(dir: &Path, seed: u64) -> anyhow::Result<()> {
    generate_elixir_corpus(dir, 3000, seed)?;
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::copy("tests/fixtures/metrics.rs", dir.join("src/metrics.rs"))?;
    std::fs::write(
        dir.join("lib/broken.ex"),
        "defmodule B do\n  def f(x do\nend\n",
    )?;
    Ok(())
}

//! Writes the deterministic Elixir benchmark corpus.
//!
//! `cargo run -p elixir-scope-ast --example generate_corpus -- DIR [LINES] [SEED]`
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: generate_corpus DIR [LINES] [SEED]");
        return ExitCode::FAILURE;
    };
    let lines = args.next().and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    match elixir_scope_ast::generate_elixir_corpus(&dir, lines, seed) {
        Ok(s) => {
            println!("{s:?}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}

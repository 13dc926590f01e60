//! Prints the extracted model of one file as JSON.
//!
//! `cargo run -p elixir-scope-ast --example dump_model -- FILE`
use std::path::Path;
use std::process::ExitCode;

use elixir_scope_ast::{parse_file, ParseOptions};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_model FILE");
        return ExitCode::FAILURE;
    };
    let parsed = parse_file(Path::new(&path), &path, &ParseOptions::default());
    match serde_json::to_string_pretty(&parsed.model) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

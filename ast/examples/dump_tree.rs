//! Prints the tree-sitter syntax tree of a file (`.ex`/`.exs`/`.rs`), for writing extractors.
//!
//! `cargo run -p elixir-scope-ast --example dump_tree -- FILE`
use std::path::Path;
use std::process::ExitCode;

use elixir_scope_ast::{parse_tree, Language};

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump_tree FILE");
        return ExitCode::FAILURE;
    };
    let src = match std::fs::read(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let language = Language::from_path(Path::new(&path)).unwrap_or(Language::Elixir);
    let Some(tree) = parse_tree(language, &src) else {
        eprintln!("{path}: no tree");
        return ExitCode::FAILURE;
    };
    let mut c = tree.walk();
    let mut depth = 0usize;
    loop {
        let n = c.node();
        let field = c.field_name().map(|f| format!("{f}: ")).unwrap_or_default();
        let text = if n.child_count() == 0 {
            format!(" {:?}", String::from_utf8_lossy(&src[n.byte_range()]))
        } else {
            String::new()
        };
        let flags = if n.is_missing() {
            " MISSING"
        } else if n.is_error() {
            " ERROR"
        } else {
            ""
        };
        if n.is_named() || n.is_missing() {
            println!(
                "{}{}{}{} [{}-{}]{}",
                "  ".repeat(depth),
                field,
                n.kind(),
                flags,
                n.start_position().row + 1,
                n.end_position().row + 1,
                text
            );
        }
        if c.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if c.goto_next_sibling() {
                break;
            }
            if !c.goto_parent() {
                return ExitCode::SUCCESS;
            }
            depth -= 1;
        }
    }
}

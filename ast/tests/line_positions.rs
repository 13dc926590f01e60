//! Spans store byte offsets only; the line index must give exactly the lines and columns
//! tree-sitter reports, for every node of real files (the positions spans used to store).

use std::path::Path;

use elixir_scope_ast::{
    discover_files, generate_elixir_corpus, parse_file, ParseOptions, ParsedFile, Position,
};

fn check(parsed: &ParsedFile) -> usize {
    let Some(tree) = &parsed.tree else { return 0 };
    let mut checked = 0;
    let mut cursor = tree.walk();
    loop {
        let node = cursor.node();
        for (byte, point) in [
            (node.start_byte(), node.start_position()),
            (node.end_byte(), node.end_position()),
        ] {
            let expected = Position {
                line: point.row as u32 + 1,
                column: point.column as u32 + 1,
            };
            assert_eq!(
                parsed.model.position(byte as u32),
                expected,
                "{} byte {byte}",
                parsed.model.path
            );
            checked += 1;
        }
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                return checked;
            }
            if cursor.goto_next_sibling() {
                break;
            }
        }
    }
}

fn check_dir(dir: &Path) -> usize {
    discover_files(dir)
        .expect("discover")
        .iter()
        .map(|f| check(&parse_file(&f.path, &f.relative, &ParseOptions::default())))
        .sum()
}

#[test]
fn fixture_positions_match_tree_sitter() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    assert!(check_dir(&fixtures) > 1_000);
}

#[test]
fn generated_elixir_positions_match_tree_sitter() {
    let dir = tempfile::tempdir().expect("tempdir");
    generate_elixir_corpus(dir.path(), 3_000, 7).expect("corpus");
    assert!(check_dir(dir.path()) > 10_000);
}

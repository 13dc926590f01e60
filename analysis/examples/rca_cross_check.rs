//! Cross-checks our Rust cyclomatic and cognitive complexity against rust-code-analysis on
//! the same directory, function by function (matched by file and first line).
//!
//! `cargo run --release -p elixir-scope-analysis --example rca_cross_check -- DIR`
//!
//! Needs `rust-code-analysis-cli` on PATH. rust-code-analysis gives closures their own
//! function space and its `sum` for a function includes them (+1 each for cyclomatic); ours
//! counts a closure's decisions in its function without the +1, so the comparison subtracts
//! one per nested space.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use elixir_scope_analysis::file_metrics;
use elixir_scope_ast::{discover_files, parse_file, Language, ParseOptions};
use serde_json::Value;

struct Theirs {
    cyclomatic: f64,
    cognitive: f64,
}

fn nested_spaces(space: &Value) -> usize {
    space["spaces"]
        .as_array()
        .map_or(0, |s| s.iter().map(|c| 1 + nested_spaces(c)).sum())
}

fn collect(space: &Value, file: &str, out: &mut HashMap<(String, u64), Theirs>) {
    if space["kind"] == "function" {
        if let Some(line) = space["start_line"].as_u64() {
            let m = &space["metrics"];
            out.insert(
                (file.to_owned(), line),
                Theirs {
                    cyclomatic: m["cyclomatic"]["sum"].as_f64().unwrap_or(0.0)
                        - nested_spaces(space) as f64,
                    cognitive: m["cognitive"]["sum"].as_f64().unwrap_or(0.0),
                },
            );
        }
    }
    for child in space["spaces"].as_array().into_iter().flatten() {
        collect(child, file, out);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: rca_cross_check DIR")?;
    let root = Path::new(&dir);
    let mut theirs = HashMap::new();
    let mut ours = Vec::new();
    for file in discover_files(root)? {
        if file.language != Language::Rust {
            continue;
        }
        let out = Command::new("rust-code-analysis-cli")
            .args(["-m", "-O", "json", "-p"])
            .arg(&file.path)
            .output()?;
        if let Ok(json) = serde_json::from_slice::<Value>(&out.stdout) {
            collect(&json, &file.relative, &mut theirs);
        }
        let parsed = parse_file(&file.path, &file.relative, &ParseOptions::default());
        if let Some(m) = file_metrics(&parsed) {
            ours.extend(m.functions);
        }
    }
    let (mut matched, mut cyc_same, mut cog_same) = (0, 0, 0);
    let mut diffs = Vec::new();
    for f in &ours {
        let Some(t) = theirs.get(&(f.file.clone(), u64::from(f.line))) else {
            continue;
        };
        matched += 1;
        let cyc = f64::from(f.cyclomatic) == t.cyclomatic;
        let cog = f64::from(f.cognitive) == t.cognitive;
        cyc_same += usize::from(cyc);
        cog_same += usize::from(cog);
        if !cyc || !cog {
            diffs.push(format!(
                "{}:{} {}: cyclomatic ours {} theirs {}, cognitive ours {} theirs {}",
                f.file, f.line, f.name, f.cyclomatic, t.cyclomatic, f.cognitive, t.cognitive
            ));
        }
    }
    println!(
        "{} functions ours, {} theirs, {matched} matched by file and line",
        ours.len(),
        theirs.len()
    );
    println!("cyclomatic equal: {cyc_same}/{matched}, cognitive equal: {cog_same}/{matched}");
    for d in diffs.iter().take(40) {
        println!("  {d}");
    }
    Ok(())
}

//! Models survive a JSON round trip unchanged (the CPG layer persists them), line index and
//! packed ids included.

use std::path::Path;

use elixir_scope_ast::{parse_file, FileModel, ParseOptions};

fn parse(rel: &str) -> FileModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    parse_file(&path, rel, &ParseOptions::default()).model
}

#[test]
fn models_round_trip_through_json() {
    for rel in [
        "elixir_project/lib/shop/cart.ex",
        "elixir_project/lib/shop/broken_missing_end.ex",
        "rust_project/src/lib.rs",
        "rust_project/src/broken.rs",
    ] {
        let model = parse(rel);
        assert!(!model.functions.is_empty(), "{rel}");
        let json = serde_json::to_string(&model).expect("serialise");
        let back: FileModel = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, model, "{rel}");
        for f in &back.functions {
            assert_eq!(back.start(&f.span), model.start(&f.span), "{rel}");
            let module_name =
                |m: &FileModel| f.module.and_then(|id| m.module(id)).map(|m| m.name.clone());
            assert_eq!(module_name(&back), module_name(&model), "{rel}");
        }
    }
}

#[test]
fn paths_serialise_as_segment_lists() {
    let model = parse("elixir_project/lib/shop/cart.ex");
    let json: serde_json::Value = serde_json::to_value(&model).expect("serialise");
    let paths: Vec<&serde_json::Value> = json["imports"]
        .as_array()
        .expect("imports")
        .iter()
        .map(|i| &i["path"])
        .collect();
    assert!(
        paths.contains(&&serde_json::json!(["Shop", "Repo"])),
        "{paths:?}"
    );
}

//! The Rust fixture crate's extracted model.

use std::path::Path;

use elixir_scope_ast::{
    parse_file, Call, CallKind, DiagnosticKind, FileModel, Function, FunctionKind, ImportKind,
    ModuleKind, ParseOptions, Visibility,
};

fn parse(rel: &str) -> FileModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rust_project")
        .join(rel);
    parse_file(&path, rel, &ParseOptions::default()).model
}

fn func<'a>(m: &'a FileModel, module: &str, name: &str) -> &'a Function {
    let id = m
        .module_by_name(module)
        .unwrap_or_else(|| panic!("module {module} missing"))
        .id;
    m.functions
        .iter()
        .find(|f| f.module == Some(id) && f.name == name)
        .unwrap_or_else(|| panic!("{module}::{name} missing"))
}

fn call<'a>(f: &'a Function, name: &str) -> &'a Call {
    f.calls
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("call {name} missing in {}", f.name))
}

#[test]
fn modules_from_paths_mods_impls_traits() {
    let m = parse("src/lib.rs");
    let names: Vec<&str> = m.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "crate",
            "crate::Shape",
            "crate::Circle",
            "crate::<Circle as Shape>",
            "crate::<Circle as Display>",
            "crate::inner",
            "crate::tests",
        ]
    );
    assert_eq!(
        m.modules[0].doc.as_deref(),
        Some("Shapes: a fixture crate.")
    );
    assert_eq!(m.modules[1].kind, ModuleKind::RustTrait);
    assert_eq!(m.modules[1].doc.as_deref(), Some("Something with an area."));
    assert_eq!(
        m.modules[3].kind,
        ModuleKind::RustImpl {
            self_type: "Circle".into(),
            trait_name: Some("Shape".into())
        }
    );
    assert!(m.modules[6].attributes.iter().any(|a| a.name == "cfg"));
    assert_eq!(m.modules[5].parent, Some(m.modules[0].id));
    assert_eq!(m.package_dir.as_deref(), Some(""));
    assert_eq!(parse("src/net/mod.rs").modules[0].name, "crate::net");
    assert_eq!(parse("src/net/tcp.rs").modules[0].name, "crate::net::tcp");
}

#[test]
fn functions_params_visibility_docs_attributes() {
    let m = parse("src/lib.rs");
    let area_sig = func(&m, "crate::Shape", "area");
    assert_eq!(area_sig.kind, FunctionKind::RustFnSignature);
    assert_eq!(area_sig.doc.as_deref(), Some("The area."));
    assert!(area_sig.clauses[0].body_span.is_none());
    let new = func(&m, "crate::Circle", "new");
    assert_eq!((new.arity, new.visibility.clone()), (1, Visibility::Public));
    assert_eq!(
        new.clauses[0].params[0]
            .type_annotation(m.language)
            .map(|t| t.as_str()),
        Some("f64")
    );
    assert_eq!(new.doc.as_deref(), Some("Makes a circle."));
    let scaled = func(&m, "crate::Circle", "scaled");
    assert_eq!(scaled.arity, 2, "self counts");
    assert_eq!(scaled.clauses[0].params[0].name.as_deref(), Some("self"));
    assert_eq!(scaled.visibility, Visibility::Crate);
    assert_eq!(
        (m.start(&scaled.span).line, m.end(&scaled.span).line),
        (27, 29)
    );
    let helper = func(&m, "crate::inner", "helper");
    assert_eq!(
        helper.visibility,
        Visibility::Restricted("pub(super)".into())
    );
    let test = func(&m, "crate::tests", "circle_area");
    assert!(test.has_attribute("test"));
    assert_eq!(test.kind, FunctionKind::RustFn);
    let fmt = func(&m, "crate::<Circle as Display>", "fmt");
    assert_eq!(
        fmt.clauses[0].params[1]
            .type_annotation(m.language)
            .map(|t| t.as_str()),
        Some("fmt::Formatter<'_>")
            .map(|t| format!("&mut {t}"))
            .as_deref()
    );
}

#[test]
fn call_kinds() {
    let m = parse("src/lib.rs");
    let scaled = func(&m, "crate::Circle", "scaled");
    let self_new = call(scaled, "new");
    assert_eq!(
        (self_new.kind, self_new.qualifier.to_vec(), self_new.arity),
        (CallKind::Remote, vec!["Self"], 1)
    );
    let new = func(&m, "crate::Circle", "new");
    assert_eq!(call(new, "Circle").kind, CallKind::Constructor);
    let total = func(&m, "crate", "total_area");
    let map = call(total, "map");
    assert_eq!(
        (map.kind, map.arity, map.receiver.as_deref()),
        (CallKind::Method, 2, Some("shapes.iter()"))
    );
    // Turbofish `sum::<f64>()` is still the method `sum`.
    assert_eq!(call(total, "sum").kind, CallKind::Method);
    assert!(total
        .calls
        .iter()
        .any(|c| c.name == "area" && c.receiver.as_deref() == Some("s")));
    let helper = func(&m, "crate::inner", "helper");
    let connect = call(helper, "connect");
    assert_eq!(connect.qualifier, ["super", "net", "tcp"]);
    assert_eq!(
        connect.module,
        m.module_by_name("crate::inner").map(|m| m.id)
    );
    let index = func(&m, "crate", "index");
    assert_eq!(call(index, "new").qualifier, ["HashMap"]);
    let fmt = func(&m, "crate::<Circle as Display>", "fmt");
    assert_eq!(call(fmt, "write").kind, CallKind::Macro);
}

#[test]
fn calls_inside_macro_arguments() {
    let m = parse("src/lib.rs");
    let test = func(&m, "crate::tests", "circle_area");
    assert_eq!(call(test, "assert_eq").kind, CallKind::Macro);
    let total = call(test, "total_area");
    assert_eq!((total.kind, total.arity), (CallKind::Local, 1));
    let area = call(test, "area");
    assert_eq!(
        (area.kind, area.arity, area.receiver.as_deref()),
        (CallKind::Method, 1, Some("c.scaled(2.0)"))
    );
    let describe = func(&m, "crate::Shape", "describe");
    assert!(describe
        .calls
        .iter()
        .any(|c| c.name == "area" && c.kind == CallKind::Method));
}

#[test]
fn use_declarations_expand_to_leaves() {
    let m = parse("src/lib.rs");
    let uses: Vec<(String, Option<String>, bool)> = m
        .imports
        .iter()
        .filter(|i| i.kind == ImportKind::RustUse)
        .map(|i| {
            (
                i.path.join("::"),
                i.alias.as_ref().map(|a| a.to_string()),
                i.glob,
            )
        })
        .collect();
    let o = |s: &str| Some(s.to_owned());
    assert_eq!(
        uses,
        vec![
            ("std::collections::HashMap".to_owned(), o("HashMap"), false),
            (
                "std::collections::hash_map::Entry".to_owned(),
                o("MapEntry"),
                false
            ),
            ("std::fmt".to_owned(), o("fmt"), false),
            ("std::fmt::Display".to_owned(), o("Display"), false),
            ("crate::net::tcp".to_owned(), None, true),
            ("super".to_owned(), None, true),
        ]
    );
    let reexport = m
        .imports
        .iter()
        .find(|i| i.glob && i.path.first() == Some("crate"))
        .expect("pub(crate) use");
    assert_eq!(reexport.visibility, Visibility::Crate);
    let tests_mod = m.module_by_name("crate::tests").map(|m| m.id);
    assert_eq!(m.imports.last().and_then(|i| i.module), tests_mod);
}

#[test]
fn syntax_error_marks_only_the_broken_function() {
    let m = parse("src/broken.rs");
    assert!(func(&m, "crate::broken", "fine").reliable);
    assert!(!func(&m, "crate::broken", "broken").reliable);
    assert!(func(&m, "crate::broken", "after").reliable);
    assert!(m.has_errors());
    let d = m
        .diagnostics
        .iter()
        .find(|d| {
            matches!(
                d.kind,
                DiagnosticKind::MissingToken { .. } | DiagnosticKind::SyntaxError
            )
        })
        .expect("diagnostic");
    assert_eq!(d.span.map(|s| m.start(&s).line), Some(6));
}

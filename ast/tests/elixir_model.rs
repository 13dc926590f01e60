//! The Elixir fixture project's extracted model: names, arities, clauses, calls, spans.

use std::path::Path;

use elixir_scope_ast::{
    parse_file, Call, CallKind, DiagnosticKind, FileModel, Function, FunctionKind, ImportFilter,
    ImportKind, ModuleKind, Name, ParseOptions, Visibility,
};

fn parse(rel: &str) -> FileModel {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/elixir_project")
        .join(rel);
    parse_file(&path, rel, &ParseOptions::default()).model
}

fn func<'a>(m: &'a FileModel, module: &str, name: &str, arity: u32) -> &'a Function {
    let module_id = m
        .module_by_name(module)
        .unwrap_or_else(|| panic!("module {module} missing"))
        .id;
    m.functions
        .iter()
        .find(|f| f.module == Some(module_id) && f.name == name && u32::from(f.arity) == arity)
        .unwrap_or_else(|| panic!("{module}.{name}/{arity} missing"))
}

fn call<'a>(f: &'a Function, name: &str) -> &'a Call {
    f.calls
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("call {name} missing in {}", f.name))
}

#[test]
fn modules_nested_and_documented() {
    let m = parse("lib/shop/cart.ex");
    let names: Vec<&str> = m.modules.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["Shop.Cart", "Shop.Cart.Store"]);
    assert_eq!(m.modules[0].doc.as_deref(), Some("A shopping cart."));
    assert_eq!(m.modules[1].parent, Some(m.modules[0].id));
    assert_eq!(m.modules[1].local_name, "Store");
    assert_eq!(m.start(&m.modules[0].span).line, 1);
    assert_eq!(m.end(&m.modules[0].span).line, 62);
    assert!(m.diagnostics.is_empty(), "{:?}", m.diagnostics);
}

#[test]
fn multi_clause_functions_with_guards_and_spans() {
    let m = parse("lib/shop/cart.ex");
    let total = func(&m, "Shop.Cart", "total", 1);
    assert_eq!(total.clauses.len(), 2);
    assert_eq!(total.kind, FunctionKind::Def);
    assert_eq!(total.visibility, Visibility::Public);
    assert_eq!(
        total.clauses[0].guard.as_deref(),
        Some("is_list(items) and items != []")
    );
    assert_eq!(total.clauses[1].guard, None);
    assert_eq!(total.clauses[0].params[0].name.as_deref(), Some("items"));
    assert_eq!(total.doc.as_deref(), Some("Total price of the items."));
    assert!(total.has_attribute("spec"));
    assert_eq!(
        (m.start(&total.span).line, m.end(&total.span).line),
        (14, 21)
    );
    assert_eq!(m.start(&total.span).column, 3);
    let first = &total.clauses[0];
    let body = first.body_span.expect("do block");
    assert_eq!((m.start(&body).line, m.end(&body).line), (14, 19));
    assert!(first.span.start_byte < body.start_byte && body.end_byte <= first.span.end_byte);

    let price = func(&m, "Shop.Cart", "price", 1);
    assert_eq!(price.clauses.len(), 2);
    assert_eq!(price.kind, FunctionKind::Defp);
    assert_eq!(price.visibility, Visibility::Private);
    assert_eq!(price.clauses[0].params[0].pattern, "%{price: p} = item");
    assert_eq!(price.clauses[0].params[0].name.as_deref(), Some("item"));
    assert!(price.clauses[0].guard.is_some());
}

#[test]
fn default_arguments_and_hidden_docs() {
    let m = parse("lib/shop/cart.ex");
    let add = func(&m, "Shop.Cart", "add", 3);
    assert_eq!(add.min_arity, 2);
    assert_eq!(
        add.clauses[0].params[2]
            .default_value(m.language)
            .map(|d| d.as_str()),
        Some("1")
    );
    assert_eq!(add.clauses[0].params[2].type_annotation(m.language), None);
    assert!(add.doc_hidden);
    assert_eq!(add.doc, None);
}

#[test]
fn call_kinds_pipes_and_captures() {
    let m = parse("lib/shop/cart.ex");
    let total = func(&m, "Shop.Cart", "total", 1);
    // `items |> map(&price/1)`: the piped value is the first argument.
    let map = call(total, "map");
    assert_eq!((map.kind, map.arity, map.piped), (CallKind::Local, 2, true));
    let sum = call(total, "sum");
    assert_eq!((sum.arity, sum.piped), (1, true));
    let apply = call(total, "apply");
    assert_eq!(apply.kind, CallKind::Remote);
    assert_eq!(apply.qualifier, ["Tax"]);
    assert_eq!(apply.arity, 2);
    let price = call(total, "price");
    assert!(price.capture);
    assert_eq!((price.kind, price.arity), (CallKind::Local, 1));
    let rate = call(total, "rate");
    assert_eq!(
        (rate.kind, rate.qualifier.to_vec(), rate.arity),
        (CallKind::Remote, vec!["C"], 0)
    );
    assert_eq!(call(total, "is_list").kind, CallKind::Local);
    assert_eq!(rate.module, m.module_by_name("Shop.Cart").map(|m| m.id));

    let add = func(&m, "Shop.Cart", "add", 3);
    let put = call(add, "put");
    assert_eq!(put.qualifier, ["__MODULE__", "Store"]);
    assert_eq!(put.arity, 2);
    assert_eq!(call(add, "debug").qualifier, ["Logger"]);

    let all = func(&m, "Shop.Cart", "apply_all", 2);
    let remote_capture = all
        .calls
        .iter()
        .find(|c| c.capture && c.name == "total")
        .expect("capture of Shop.Cart.total/1");
    assert_eq!(remote_capture.qualifier, ["Shop", "Cart"]);
    assert_eq!(
        (remote_capture.kind, remote_capture.arity),
        (CallKind::Remote, 1)
    );
    let anon: Vec<&Call> = all
        .calls
        .iter()
        .filter(|c| c.kind == CallKind::Dynamic && c.name.is_empty())
        .collect();
    assert_eq!(anon.len(), 2, "f.(acc) and cb.(x)");
    let dyn_remote = call(all, "all");
    assert_eq!(
        (dyn_remote.kind, dyn_remote.receiver.as_deref()),
        (CallKind::Dynamic, Some("mod"))
    );
    assert_eq!(call(all, "if").kind, CallKind::Macro);
    assert_eq!(call(all, "phash2").qualifier, [":erlang"]);
    assert_eq!(call(all, "reduce").arity, 3);
    // Control flow (`case`) is structure for the CPG, not a call.
    let quantity = func(&m, "Shop.Cart", "quantity", 1);
    assert!(quantity.calls.is_empty(), "{:?}", quantity.calls);
}

#[test]
fn macros_guards_delegates() {
    let m = parse("lib/shop/cart.ex");
    let checked = func(&m, "Shop.Cart", "checked", 1);
    assert_eq!(checked.kind, FunctionKind::Defmacro);
    assert!(checked.calls.iter().all(|c| c.name != "def"));
    assert!(!m
        .functions
        .iter()
        .any(|f| f.name == "generated_inside_quote"));
    let guard = func(&m, "Shop.Cart", "is_positive", 1);
    assert_eq!(guard.kind, FunctionKind::Defguard);
    assert_eq!(
        guard.clauses[0].guard.as_deref(),
        Some("is_integer(x) and x > 0")
    );
    let fetch = func(&m, "Shop.Cart", "fetch", 2);
    assert_eq!(fetch.kind, FunctionKind::Defdelegate);
    let target = call(fetch, "get");
    assert_eq!(
        (target.qualifier.to_vec(), target.arity),
        (vec!["Shop", "Store"], 2)
    );
    let store_put = func(&m, "Shop.Cart.Store", "put", 2);
    assert_eq!(m.start(&store_put.span).line, 60);
}

#[test]
fn directives() {
    let m = parse("lib/shop/cart.ex");
    let aliases: Vec<(Vec<&str>, Option<Name>)> = m
        .imports
        .iter()
        .filter(|i| i.kind == ImportKind::Alias)
        .map(|i| (i.path.to_vec(), i.alias.clone()))
        .collect();
    let s = |v: &[&'static str]| v.to_vec();
    assert_eq!(
        aliases,
        vec![
            (s(&["Shop", "Repo"]), Some("Repo".into())),
            (s(&["Shop", "Pricing", "Tax"]), Some("Tax".into())),
            (s(&["Shop", "Cache"]), Some("C".into())),
        ]
    );
    let imports: Vec<_> = m
        .imports
        .iter()
        .filter(|i| i.kind == ImportKind::Import)
        .collect();
    assert_eq!(imports.len(), 3);
    assert_eq!(
        imports[0].only.as_deref(),
        Some(&ImportFilter::Functions(vec![
            ("map".into(), 2),
            ("sum".into(), 1)
        ]))
    );
    assert_eq!(
        imports[1].except.as_deref(),
        Some(&ImportFilter::Functions(vec![("trim".into(), 1)]))
    );
    assert_eq!(
        imports[2].only.as_deref(),
        Some(&ImportFilter::Category("functions".into()))
    );
    assert!(m
        .imports
        .iter()
        .any(|i| i.kind == ImportKind::Require && i.path == ["Logger"]));
    assert!(m.imports.iter().all(|i| i.module == Some(m.modules[0].id)));
}

#[test]
fn genserver_callbacks_use_protocols() {
    let m = parse("lib/shop/worker.ex");
    let used = m
        .imports
        .iter()
        .find(|i| i.kind == ImportKind::Use)
        .expect("use");
    assert_eq!(used.path, ["GenServer"]);
    assert_eq!(used.options.as_deref(), Some("restart: :transient"));
    let worker = m.module_by_name("Shop.Worker").expect("worker");
    assert_eq!(worker.doc.as_deref(), Some("Keeps a counter."));
    assert!(worker.attributes.iter().any(|a| a.name == "behaviour"));
    let init = func(&m, "Shop.Worker", "init", 1);
    assert!(init.has_attribute("impl"));
    let hc = func(&m, "Shop.Worker", "handle_call", 3);
    assert_eq!(hc.clauses.len(), 2);
    let impl_attr = hc
        .attributes
        .iter()
        .find(|a| a.name == "impl")
        .expect("@impl");
    assert_eq!(impl_attr.value.as_deref(), Some("GenServer"));
    let start = func(&m, "Shop.Worker", "start_link", 1);
    let sl = call(start, "start_link");
    assert_eq!((sl.qualifier.to_vec(), sl.arity), (vec!["GenServer"], 3));
    let info = func(&m, "Shop.Worker", "handle_info", 2);
    assert!(info
        .calls
        .iter()
        .any(|c| c.name == "decode" && c.kind == CallKind::Local && c.arity == 1));
    assert!(info.calls.iter().any(|c| c.name == "validate"));
    let validate = func(&m, "Shop.Worker", "validate", 1);
    assert_eq!(call(validate, "raise").kind, CallKind::Macro);

    let proto = m.module_by_name("Shop.Describe").expect("protocol");
    assert_eq!(proto.kind, ModuleKind::ElixirProtocol);
    assert_eq!(proto.parent, None);
    let imp = m.module_by_name("Shop.Describe.Shop.Worker").expect("impl");
    assert_eq!(
        imp.kind,
        ModuleKind::ElixirImpl {
            protocol: "Shop.Describe".into(),
            for_type: Some("Shop.Worker".into())
        }
    );
    assert_eq!(
        func(&m, "Shop.Describe.Shop.Worker", "describe", 1)
            .clauses
            .len(),
        1
    );
}

#[test]
fn missing_end_recovers_later_definitions() {
    let m = parse("lib/shop/broken_missing_end.ex");
    let broken = m.module_by_name("Shop.Broken").expect("module");
    let first = func(&m, "Shop.Broken", "first", 1);
    assert!(!first.reliable);
    // Recovered siblings, not nested in `first`.
    let second = func(&m, "Shop.Broken", "second", 1);
    let third = func(&m, "Shop.Broken", "third", 1);
    assert_eq!(second.module, Some(broken.id));
    assert_eq!(m.start(&third.span).line, 9);
    assert!(first.span.end_byte <= second.span.start_byte);
    assert_eq!(call(second, "helper").arity, 1);
    assert!(first.calls.iter().all(|c| c.name != "helper"));
    // The module after the broken one is top level again, not `Shop.Broken.Shop.AfterBroken`.
    let after = m
        .module_by_name("Shop.AfterBroken")
        .expect("recovered module");
    assert_eq!(after.parent, None);
    assert!(func(&m, "Shop.AfterBroken", "later", 0).reliable);
    assert!(m.diagnostics.iter().any(|d| matches!(&d.kind, DiagnosticKind::MissingEndRecovered { definition } if definition == "first/1")));
    assert!(m
        .diagnostics
        .iter()
        .any(|d| matches!(d.kind, DiagnosticKind::MissingToken { .. })));
}

#[test]
fn stray_token_marks_only_its_function() {
    let m = parse("lib/shop/broken_stray.ex");
    assert!(func(&m, "Shop.Stray", "good", 1).reliable);
    assert!(!func(&m, "Shop.Stray", "bad", 1).reliable);
    assert!(func(&m, "Shop.Stray", "also_good", 0).reliable);
    let err = m
        .diagnostics
        .iter()
        .find(|d| d.kind == DiagnosticKind::SyntaxError)
        .expect("syntax error diagnostic");
    assert_eq!(err.span.map(|s| m.start(&s).line), Some(5));
}

#[test]
fn script_functions_outside_modules() {
    let m = parse("mix.exs");
    let deps = func(&m, "Shop.MixProject", "deps", 0);
    assert_eq!(deps.visibility, Visibility::Private);
    let project = func(&m, "Shop.MixProject", "project", 0);
    assert_eq!(call(project, "deps").kind, CallKind::Local);
}

#[test]
fn model_round_trips_through_json() {
    let m = parse("lib/shop/cart.ex");
    let json = serde_json::to_string(&m).expect("serialise");
    let back: FileModel = serde_json::from_str(&json).expect("deserialise");
    assert_eq!(back, m);
}

//! Call resolution across modules through every alias/import form, and unresolved calls
//! kept with their reasons.

use elixir_scope_ast::{parse_source, Language, ParseOptions, ParsedFile};
use elixir_scope_cpg::{build_project, BuildOptions, CallTarget, ProjectCpg, UnresolvedReason};

fn parse(path: &str, language: Language, src: &str) -> ParsedFile {
    parse_source(path, language, src.as_bytes(), &ParseOptions::default())
}

/// (written call, resolved display name or unresolved reason) for every call in `method`.
fn calls_of(p: &ProjectCpg, method: &str) -> Vec<(String, Result<String, UnresolvedReason>)> {
    let id = p
        .find_methods(method)
        .first()
        .map(|m| m.id)
        .expect("method exists");
    p.call_graph
        .calls_from(id)
        .map(|c| {
            let target = match &c.target {
                CallTarget::Resolved { method } => {
                    Ok(p.call_graph.method(*method).unwrap().display_name())
                }
                CallTarget::Unresolved { reason } => Err(reason.clone()),
            };
            (c.written.clone(), target)
        })
        .collect()
}

fn target_of<'a>(
    calls: &'a [(String, Result<String, UnresolvedReason>)],
    written: &str,
) -> &'a Result<String, UnresolvedReason> {
    &calls
        .iter()
        .find(|(w, _)| w == written)
        .unwrap_or_else(|| panic!("no call {written} in {calls:#?}"))
        .1
}

const ELIXIR_LIB: &str = r#"
defmodule App.Util do
  def helper(x), do: x
  def fmt(x, opts \\ []), do: {x, opts}
  def hidden(x), do: x
end

defmodule App.Math.Ops do
  def add(a, b), do: a + b
  def sub(a, b), do: a - b
end
"#;

const ELIXIR_MAIN: &str = r#"
defmodule App.Main do
  alias App.Util
  alias App.Math.{Ops, Stats}
  alias App.Util, as: U
  import App.Util, only: [fmt: 2]
  import App.Math.Ops, except: [add: 2]
  import Enum, only: [map: 2]

  def run(x) do
    Util.helper(x)
    Ops.add(x, 1)
    U.hidden(x)
    fmt(x, [])
    fmt(x)
    sub(x, 1)
    add(x, 2)
    local(x)
    __MODULE__.local(x)
    f = &App.Util.helper/1
    Stats.mean(x)
    Enum.map([x], f)
    :lists.reverse([x])
    Util.missing(x)
    f.(x)
    Inner.deep(x)
    map([x], f)
  end

  defp local(x), do: x

  defmodule Inner do
    def deep(x), do: x
  end
end
"#;

fn elixir_project() -> ProjectCpg {
    build_project(
        &[
            parse("lib/util.ex", Language::Elixir, ELIXIR_LIB),
            parse("lib/main.ex", Language::Elixir, ELIXIR_MAIN),
        ],
        &BuildOptions::default(),
    )
}

#[test]
fn elixir_aliases_imports_captures_and_module_self_reference() {
    let p = elixir_project();
    let calls = calls_of(&p, "App.Main.run/1");
    let ok = |s: &str| Ok::<String, UnresolvedReason>(s.to_owned());
    assert_eq!(target_of(&calls, "Util.helper/1"), &ok("App.Util.helper/1"));
    // Multi-alias `alias App.Math.{Ops, Stats}`.
    assert_eq!(target_of(&calls, "Ops.add/2"), &ok("App.Math.Ops.add/2"));
    // `alias ..., as: U`.
    assert_eq!(target_of(&calls, "U.hidden/1"), &ok("App.Util.hidden/1"));
    // `import ..., only: [fmt: 2]`: fmt/2 is imported (fmt has a default argument).
    assert_eq!(target_of(&calls, "fmt/2"), &ok("App.Util.fmt/2"));
    // `import ..., except: [add: 2]`: sub comes in, add does not.
    assert_eq!(target_of(&calls, "sub/2"), &ok("App.Math.Ops.sub/2"));
    assert_eq!(target_of(&calls, "local/1"), &ok("App.Main.local/1"));
    assert_eq!(
        target_of(&calls, "__MODULE__.local/1"),
        &ok("App.Main.local/1")
    );
    // A capture is a reference to the function.
    assert_eq!(
        target_of(&calls, "App.Util.helper/1"),
        &ok("App.Util.helper/1")
    );
    // A nested module is reachable by its short name inside its parent.
    assert_eq!(
        target_of(&calls, "Inner.deep/1"),
        &ok("App.Main.Inner.deep/1")
    );
}

#[test]
fn elixir_unresolved_calls_are_kept_with_reasons() {
    let p = elixir_project();
    let calls = calls_of(&p, "App.Main.run/1");
    // `only: [fmt: 2]` does not import fmt/1.
    assert_eq!(
        target_of(&calls, "fmt/1"),
        &Err(UnresolvedReason::NotInScope)
    );
    assert_eq!(
        target_of(&calls, "add/2"),
        &Err(UnresolvedReason::NotInScope)
    );
    assert_eq!(
        target_of(&calls, "Stats.mean/1"),
        &Err(UnresolvedReason::ExternalModule {
            module: "App.Math.Stats".into()
        })
    );
    assert_eq!(
        target_of(&calls, "Enum.map/2"),
        &Err(UnresolvedReason::ExternalModule {
            module: "Enum".into()
        })
    );
    // Named in an external module's `only:` list.
    assert_eq!(
        target_of(&calls, "map/2"),
        &Err(UnresolvedReason::ExternalModule {
            module: "Enum".into()
        })
    );
    assert_eq!(
        target_of(&calls, ":lists.reverse/1"),
        &Err(UnresolvedReason::ExternalModule {
            module: ":lists".into()
        })
    );
    assert_eq!(
        target_of(&calls, "Util.missing/1"),
        &Err(UnresolvedReason::NoSuchFunction {
            module: "App.Util".into()
        })
    );
    let dynamic = calls
        .iter()
        .filter(|(_, t)| t == &Err(UnresolvedReason::Dynamic))
        .count();
    assert_eq!(dynamic, 1, "f.(x): {calls:#?}");
    // Nothing is dropped: every call the AST layer saw is a call site.
    let run = p.find_methods("App.Main.run/1")[0];
    let parsed = parse("lib/main.ex", Language::Elixir, ELIXIR_MAIN);
    let f = parsed
        .model
        .functions
        .iter()
        .find(|f| f.name.as_str() == "run")
        .unwrap();
    assert_eq!(p.call_graph.calls_from(run.id).count(), f.calls.len());
}

#[test]
fn callers_reachability_paths_and_recursive_groups() {
    let src = r#"
defmodule G do
  def a(x), do: b(x)
  def b(x), do: c(x) && d(x)
  def c(x), do: d(x)
  def d(0), do: 0
  def d(x), do: e(x - 1)
  def e(x), do: d(x)
end
"#;
    let p = build_project(
        &[parse("lib/g.ex", Language::Elixir, src)],
        &BuildOptions::default(),
    );
    let id = |n: &str| p.find_methods(n)[0].id;
    let g = &p.call_graph;
    assert_eq!(
        g.callers(id("G.d/1")),
        vec![id("G.b/1"), id("G.c/1"), id("G.e/1")]
    );
    assert_eq!(g.callees(id("G.b/1")), vec![id("G.c/1"), id("G.d/1")]);
    let mut reach = g.reachable_from(id("G.a/1"));
    reach.sort();
    assert_eq!(
        reach,
        vec![id("G.b/1"), id("G.c/1"), id("G.d/1"), id("G.e/1")]
    );
    let paths = g.paths(id("G.a/1"), id("G.d/1"), 10);
    assert_eq!(
        paths,
        vec![
            vec![id("G.a/1"), id("G.b/1"), id("G.d/1")],
            vec![id("G.a/1"), id("G.b/1"), id("G.c/1"), id("G.d/1")],
        ]
    );
    assert_eq!(g.recursive_groups(), vec![vec![id("G.d/1"), id("G.e/1")]]);
}

#[test]
fn rust_paths_uses_and_methods() {
    let lib = r#"
mod util;
mod net;
use crate::util::helper as h;
use util::*;

pub fn main_fn(x: Vec<u8>) {
    h();
    crate::net::connect();
    net::connect();
    glob_fn();
    self::util::helper();
    Dog::new().bark();
    Dog::new();
    std::mem::drop(1);
    missing();
    let d = Dog::new();
    d.speak();
    d.shared();
    x.len();
    println!("x");
    Some(1);
    crate::net::nothing();
}
"#;
    let util = r#"
pub fn helper() {}
pub fn glob_fn() {}
pub struct Dog;
impl Dog {
    pub fn new() -> Dog { Dog }
    pub fn bark(&self) { super::net::connect(); }
    pub fn shared(&self) {}
}
pub struct Cat;
impl Cat {
    pub fn shared(&self) {}
}
pub trait Speak { fn speak(&self); }
impl Speak for Dog {
    fn speak(&self) { Self::new(); }
}
"#;
    let net = "pub fn connect() {}\n";
    let p = build_project(
        &[
            parse("src/lib.rs", Language::Rust, lib),
            parse("src/util.rs", Language::Rust, util),
            parse("src/net.rs", Language::Rust, net),
        ],
        &BuildOptions::default(),
    );
    let calls = calls_of(&p, "main_fn");
    let ok = |s: &str| Ok::<String, UnresolvedReason>(s.to_owned());
    assert_eq!(target_of(&calls, "h"), &ok("crate::util::helper"));
    assert_eq!(
        target_of(&calls, "crate::net::connect"),
        &ok("crate::net::connect")
    );
    assert_eq!(
        target_of(&calls, "net::connect"),
        &ok("crate::net::connect")
    );
    assert_eq!(target_of(&calls, "glob_fn"), &ok("crate::util::glob_fn"));
    assert_eq!(
        target_of(&calls, "self::util::helper"),
        &ok("crate::util::helper")
    );
    assert_eq!(target_of(&calls, "Dog::new"), &ok("crate::util::Dog::new"));
    assert_eq!(target_of(&calls, ".bark/1"), &ok("crate::util::Dog::bark"));
    assert_eq!(
        target_of(&calls, ".speak/1"),
        &ok("crate::util::<Dog as Speak>::speak")
    );
    assert_eq!(
        target_of(&calls, ".shared/1"),
        &Err(UnresolvedReason::Ambiguous { candidates: 2 })
    );
    assert_eq!(
        target_of(&calls, ".len/1"),
        &Err(UnresolvedReason::UnknownMethod)
    );
    assert_eq!(
        target_of(&calls, "std::mem::drop"),
        &Err(UnresolvedReason::ExternalModule {
            module: "std::mem".into()
        })
    );
    assert_eq!(
        target_of(&calls, "missing"),
        &Err(UnresolvedReason::NotInScope)
    );
    assert_eq!(target_of(&calls, "println!"), &Err(UnresolvedReason::Macro));
    assert_eq!(
        target_of(&calls, "Some"),
        &Err(UnresolvedReason::Constructor)
    );
    assert_eq!(
        target_of(&calls, "crate::net::nothing"),
        &Err(UnresolvedReason::NoSuchFunction {
            module: "crate::net".into()
        })
    );
    // `super::` from an impl in util.rs, and `Self::` inside a trait impl.
    let bark = calls_of(&p, "bark");
    assert_eq!(
        target_of(&bark, "super::net::connect"),
        &ok("crate::net::connect")
    );
    let speak = p
        .call_graph
        .methods
        .iter()
        .find(|m| m.name == "speak" && m.module.contains(" as "))
        .unwrap();
    let self_new = p.call_graph.calls_from(speak.id).next().unwrap();
    assert_eq!(
        p.call_graph
            .method(self_new.callee().unwrap())
            .unwrap()
            .display_name(),
        "crate::util::Dog::new"
    );
}

/// `(written call, target file)` of the resolved calls of `name` in `file`.
fn resolved_in(p: &ProjectCpg, file: &str, name: &str) -> Vec<(String, String)> {
    let id = p
        .call_graph
        .methods
        .iter()
        .find(|m| m.file == file && m.name == name)
        .unwrap_or_else(|| panic!("{file}: no {name}"))
        .id;
    p.call_graph
        .calls_from(id)
        .filter_map(|c| {
            let target = p.call_graph.method(c.callee()?)?;
            Some((c.written.clone(), target.file.clone()))
        })
        .collect()
}

/// Every Cargo target calls its root `crate`: two packages of a workspace, and each
/// integration test file of a package, resolve `crate::`, `self`-relative and plain names in
/// their own crate, and a test's `mod common;` reaches `tests/common/mod.rs`.
#[test]
fn rust_crates_of_a_workspace_and_its_tests_stay_apart() {
    let util = "pub fn f() {}\n";
    let lib = "mod util;\npub fn run() { util::f(); crate::util::f(); }\n";
    let one = "mod common;\nfn fixture() {}\n#[test]\nfn t() { fixture(); common::shared(); crate::common::shared(); }\n";
    let two = "fn fixture() {}\n#[test]\nfn t() { fixture(); crate::fixture(); }\n";
    let p = build_project(
        &[
            parse("a/src/lib.rs", Language::Rust, lib),
            parse("a/src/util.rs", Language::Rust, util),
            parse("b/src/lib.rs", Language::Rust, lib),
            parse("b/src/util.rs", Language::Rust, util),
            parse("a/tests/one.rs", Language::Rust, one),
            parse("a/tests/two.rs", Language::Rust, two),
            parse(
                "a/tests/common/mod.rs",
                Language::Rust,
                "pub fn shared() {}\n",
            ),
        ],
        &BuildOptions::default(),
    );
    let pair = |w: &str, f: &str| (w.to_owned(), f.to_owned());
    for package in ["a", "b"] {
        let util = format!("{package}/src/util.rs");
        assert_eq!(
            resolved_in(&p, &format!("{package}/src/lib.rs"), "run"),
            [pair("util::f", &util), pair("crate::util::f", &util)]
        );
    }
    assert_eq!(
        resolved_in(&p, "a/tests/one.rs", "t"),
        [
            pair("fixture", "a/tests/one.rs"),
            pair("common::shared", "a/tests/common/mod.rs"),
            pair("crate::common::shared", "a/tests/common/mod.rs"),
        ]
    );
    assert_eq!(
        resolved_in(&p, "a/tests/two.rs", "t"),
        [
            pair("fixture", "a/tests/two.rs"),
            pair("crate::fixture", "a/tests/two.rs"),
        ]
    );
}

/// A function passed by name is a reference to it (a capture); a variable passed the same
/// way is not a call at all.
#[test]
fn rust_functions_passed_by_name_are_references() {
    let lib = r#"
mod handlers;
use handlers::health;
fn double(x: u32) -> u32 { x * 2 }
fn timed(f: &dyn Fn(u32) -> u32) -> u32 { f(1) }
pub fn run(values: Vec<u32>) -> usize {
    let limit = 3;
    let _ = timed(&double);
    route(health);
    route(handlers::ready);
    values.into_iter().map(double).take(limit).count()
}
fn route<F>(_: F) {}
struct Vtable { poll: fn(u32) -> u32 }
fn triple<T>(x: u32) -> u32 { x * 3 }
pub fn vtable() -> u32 {
    let table = Vtable { poll: triple::<u8> };
    (table.poll)(1)
}
"#;
    let handlers = "pub fn health() {}\npub fn ready() {}\n";
    let p = build_project(
        &[
            parse("src/lib.rs", Language::Rust, lib),
            parse("src/handlers.rs", Language::Rust, handlers),
        ],
        &BuildOptions::default(),
    );
    let calls = calls_of(&p, "run");
    let ok = |s: &str| Ok::<String, UnresolvedReason>(s.to_owned());
    let double = calls.iter().filter(|(w, _)| w == "double");
    assert_eq!(double.clone().count(), 2, "{calls:#?}");
    assert!(double.clone().all(|(_, t)| t == &ok("crate::double")));
    assert_eq!(target_of(&calls, "health"), &ok("crate::handlers::health"));
    assert_eq!(
        target_of(&calls, "handlers::ready"),
        &ok("crate::handlers::ready")
    );
    assert!(
        calls
            .iter()
            .all(|(w, _)| !w.contains("limit") && !w.contains("values")),
        "{calls:#?}"
    );
    // Stored in a struct field, generic arguments and all.
    assert_eq!(
        target_of(&calls_of(&p, "vtable"), "triple"),
        &ok("crate::triple")
    );
}

/// Functions reached through `pub use` re-exports (renamed, globbed, chained) resolve to
/// their definition; glob re-exports that import each other terminate.
#[test]
fn rust_reexports_are_followed() {
    let lib = r#"
mod output;
mod a;
mod b;
use crate::output::write_help;
pub fn run() {
    write_help();
    output::render();
    crate::output::nested();
    output::shown();
    crate::a::nothing();
}
"#;
    let output = r#"
mod help;
mod render_impl;
mod deep;
pub(crate) use self::help::write_help;
pub use render_impl::draw as render;
pub use self::deep::*;
pub use crate::output::help::show as shown;
"#;
    let p = build_project(
        &[
            parse("src/lib.rs", Language::Rust, lib),
            parse("src/output/mod.rs", Language::Rust, output),
            parse(
                "src/output/help.rs",
                Language::Rust,
                "pub fn write_help() {}\npub fn show() {}\n",
            ),
            parse(
                "src/output/render_impl.rs",
                Language::Rust,
                "pub fn draw() {}\n",
            ),
            parse("src/output/deep.rs", Language::Rust, "pub fn nested() {}\n"),
            parse("src/a.rs", Language::Rust, "pub use crate::b::*;\n"),
            parse("src/b.rs", Language::Rust, "pub use crate::a::*;\n"),
        ],
        &BuildOptions::default(),
    );
    let calls = calls_of(&p, "run");
    let ok = |s: &str| Ok::<String, UnresolvedReason>(s.to_owned());
    assert_eq!(
        target_of(&calls, "write_help"),
        &ok("crate::output::help::write_help")
    );
    assert_eq!(
        target_of(&calls, "output::render"),
        &ok("crate::output::render_impl::draw")
    );
    assert_eq!(
        target_of(&calls, "crate::output::nested"),
        &ok("crate::output::deep::nested")
    );
    assert_eq!(
        target_of(&calls, "output::shown"),
        &ok("crate::output::help::show")
    );
    assert_eq!(
        target_of(&calls, "crate::a::nothing"),
        &Err(UnresolvedReason::NoSuchFunction {
            module: "crate::a".into()
        })
    );
}

/// A function nested in a method is called by its plain name; a plain call that only
/// matches a method of the type (`drop` inside `Drop::drop`) is not taken for it.
#[test]
fn rust_functions_nested_in_methods_resolve() {
    let lib = r#"
pub struct Command { name: String }
impl Command {
    pub fn new(name: &str) -> Command {
        fn new_inner(name: String) -> Command { Command { name } }
        new_inner(name.to_owned())
    }
}
pub struct Guard(Vec<u8>);
impl Drop for Guard {
    fn drop(&mut self) {
        let taken = std::mem::take(&mut self.0);
        drop(taken);
    }
}
"#;
    let p = build_project(
        &[parse("src/lib.rs", Language::Rust, lib)],
        &BuildOptions::default(),
    );
    let ok = |s: &str| Ok::<String, UnresolvedReason>(s.to_owned());
    assert_eq!(
        target_of(&calls_of(&p, "new"), "new_inner"),
        &ok("crate::Command::new_inner")
    );
    let drop_calls = p
        .call_graph
        .methods
        .iter()
        .find(|m| m.name == "drop")
        .map(|m| {
            p.call_graph
                .calls_from(m.id)
                .map(|c| (c.written.clone(), c.callee()))
                .collect::<Vec<_>>()
        })
        .unwrap();
    assert!(
        drop_calls
            .iter()
            .any(|(w, callee)| w == "drop" && callee.is_none()),
        "{drop_calls:?}"
    );
}

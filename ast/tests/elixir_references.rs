//! Calls and function references that real Elixir projects (Phoenix, Ecto) hide in places a
//! plain call walk misses: parenthesised capture bodies, attribute values inside `quote`,
//! function plugs named by atoms, and local functions that share a Kernel macro's name.
//! Each missing one made `analyze` report a used private function as dead code.

use elixir_scope_ast::{parse_source, Call, CallKind, FileModel, Language, ParseOptions};

fn parse(source: &str) -> FileModel {
    let parsed = parse_source(
        "lib/sample.ex",
        Language::Elixir,
        source.as_bytes(),
        &ParseOptions::default(),
    );
    assert!(
        parsed.model.diagnostics.is_empty(),
        "{:?}",
        parsed.model.diagnostics
    );
    parsed.model
}

/// `(name, kind, arity, capture)` of each call of function `name`.
fn calls_of(m: &FileModel, name: &str) -> Vec<(String, CallKind, u8, bool)> {
    let f = m
        .functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("function {name} missing"));
    f.calls.iter().map(summary).collect()
}

fn summary(c: &Call) -> (String, CallKind, u8, bool) {
    (c.name.to_string(), c.kind, c.arity, c.capture)
}

/// The references (captures) made outside any function, in source order.
fn module_level_references(m: &FileModel) -> Vec<(String, CallKind, u8, bool)> {
    m.module_level_calls
        .iter()
        .filter(|c| c.capture)
        .map(summary)
        .collect()
}

#[test]
fn calls_inside_parenthesised_capture_bodies() {
    let m = parse(
        "defmodule S do
  def stale(files), do: Enum.filter(files, &(not (File.dir?(&1) or compiled?(&1))))
  def invalid(ms), do: Enum.any?(ms, &(!valid?(&1)))
  defp compiled?(_), do: true
  defp valid?(_), do: true
end
",
    );
    let stale = calls_of(&m, "stale");
    assert!(
        stale.contains(&("dir?".into(), CallKind::Remote, 1, false)),
        "{stale:?}"
    );
    assert!(
        stale.contains(&("compiled?".into(), CallKind::Local, 1, false)),
        "{stale:?}"
    );
    let invalid = calls_of(&m, "invalid");
    assert!(
        invalid.contains(&("valid?".into(), CallKind::Local, 1, false)),
        "{invalid:?}"
    );
}

#[test]
fn attribute_values_a_quote_emits_are_code() {
    let m = parse(
        "defmodule S do
  defmacro plug(plug, guards) do
    quote do
      @plugs {unquote(plug), unquote(escape(guards))}
    end
  end
  def read, do: @plugs
  defp escape(g), do: g
end
",
    );
    let calls = calls_of(&m, "plug");
    assert!(
        calls.contains(&("escape".into(), CallKind::Local, 1, false)),
        "{calls:?}"
    );
    assert!(calls_of(&m, "read").is_empty());
}

#[test]
fn function_plugs_reference_local_two_arity_functions() {
    let m = parse(
        r#"defmodule S.Router do
  pipeline :browser do
    plug :put_assign, "browser"
    plug :halt_secret when action in [:secret]
    plug S.Auth
  end
  scope "/" do
    pipe_through [:browser, :noop]
    pipe_through :authorize
  end
  action_fallback :fallback
  defp put_assign(conn, value), do: Map.put(conn, :value, value)
  defp halt_secret(conn, _), do: conn
  defp noop(conn, _), do: conn
  defp authorize(conn, _), do: conn
  defp fallback(conn, _), do: conn
end
"#,
    );
    let references = module_level_references(&m);
    let local = |n: &str| (n.to_owned(), CallKind::Local, 2, true);
    assert_eq!(
        references,
        [
            local("put_assign"),
            local("halt_secret"),
            local("browser"),
            local("noop"),
            local("authorize"),
            local("fallback"),
        ]
    );
    // The plug macros themselves stay recorded as calls.
    let plugs = m
        .module_level_calls
        .iter()
        .filter(|c| c.name == "plug" && !c.capture)
        .count();
    assert_eq!(plugs, 3);
}

#[test]
fn named_exunit_setups_reference_local_one_arity_functions() {
    let m = parse(
        "defmodule S.Test do
  use ExUnit.Case
  setup :start_repo
  setup_all [:seed, :login]
  setup do
    :ok
  end
  defp start_repo(_), do: :ok
  defp seed(_), do: :ok
  defp login(_), do: :ok
end
",
    );
    let references = module_level_references(&m);
    let local = |n: &str| (n.to_owned(), CallKind::Local, 1, true);
    assert_eq!(
        references,
        [local("start_repo"), local("seed"), local("login")]
    );
}

#[test]
fn kernel_macro_names_are_macros_only_at_their_arities() {
    let m = parse(
        "defmodule S do
  def names(names, ix, field), do: {binding(names, ix), field, binding()}
  def deep(data), do: {get_in(data, [:a]), put_in(data.a, 1), then(data, & &1)}
  defp binding(names, ix), do: elem(names, ix)
end
",
    );
    let names = calls_of(&m, "names");
    assert!(
        names.contains(&("binding".into(), CallKind::Local, 2, false)),
        "{names:?}"
    );
    assert!(
        names.contains(&("binding".into(), CallKind::Macro, 0, false)),
        "{names:?}"
    );
    let deep = calls_of(&m, "deep");
    assert!(
        deep.contains(&("get_in".into(), CallKind::Local, 2, false)),
        "{deep:?}"
    );
    assert!(
        deep.contains(&("put_in".into(), CallKind::Macro, 2, false)),
        "{deep:?}"
    );
    assert!(
        deep.contains(&("then".into(), CallKind::Macro, 2, false)),
        "{deep:?}"
    );
}

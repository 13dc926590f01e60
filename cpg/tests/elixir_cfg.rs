//! Exact control flow edges of small Elixir functions, checked by hand.

mod common;

use common::{assert_same, cfg_set, elixir, expected};
use elixir_scope_cpg::CfgLabel::*;
use elixir_scope_cpg::{dominators, EdgeKind, NodeKind};

#[test]
fn clauses_with_guards_chain_by_no_match_edges() {
    let src = r#"
defmodule T do
  def sign(n) when n > 0, do: :pos
  def sign(0), do: :zero
  def sign(_), do: :neg
end
"#;
    let g = elixir(src, "sign");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("sign/1", "sign(n) when n > 0", Always),
            ("sign(n) when n > 0", ":pos", Match),
            ("sign(n) when n > 0", "sign(0)", NoMatch),
            ("sign(0)", ":zero", Match),
            ("sign(0)", "sign(_)", NoMatch),
            ("sign(_)", ":neg", Match),
            (":pos", "RET", Always),
            (":zero", "RET", Always),
            (":neg", "RET", Always),
        ]),
    );
}

#[test]
fn last_refutable_clause_raises_function_clause_error() {
    let g = elixir("defmodule T do\n  def one(1), do: :a\nend\n", "one");
    assert!(cfg_set(&g).contains(&("one(1)".into(), "RET".into(), NoMatch)));
}

#[test]
fn case_with_pipes_and_raise() {
    let src = r#"
defmodule T do
  def run(x) do
    y = x |> parse() |> check(1)
    case y do
      {:ok, v} -> v
      :error -> raise "bad"
    end
  end
end
"#;
    let g = elixir(src, "run");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("run/1", "run(x)", Always),
            ("run(x)", "x", Match),
            ("x", "parse()", Always),
            ("parse()", "check(1)", Always),
            ("check(1)", "y = x |> parse() |> check(1)", Always),
            ("y = x |> parse() |> check(1)", "case y", Always),
            ("case y", "{:ok, v}", Always),
            ("{:ok, v}", "v", Match),
            ("{:ok, v}", ":error", NoMatch),
            (":error", "raise \"bad\"", Match),
            (":error", "RET", NoMatch),
            ("raise \"bad\"", "RET", Raise),
            ("v", "RET", Always),
        ]),
    );
    // Pipe stages are arguments of the next stage.
    let arg_edges = g.edges_of(EdgeKind::Argument).count();
    assert_eq!(
        arg_edges, 3,
        "x -> parse(), parse() -> check(1), check(1) -> y = ..."
    );
}

#[test]
fn cond_if_else_and_unless() {
    let src = r#"
defmodule T do
  def pick(a) do
    cond do
      a > 10 -> :big
      true -> :small
    end
    if a, do: :yes, else: :no
    unless a do
      :u
    end
  end
end
"#;
    let g = elixir(src, "pick");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("pick/1", "pick(a)", Always),
            ("pick(a)", "a > 10", Match),
            ("a > 10", ":big", True),
            ("a > 10", "true", False),
            ("true", ":small", True),
            (":big", "if a", Always),
            (":small", "if a", Always),
            ("if a", ":yes", True),
            ("if a", ":no", False),
            (":yes", "unless a", Always),
            (":no", "unless a", Always),
            ("unless a", ":u", False),
            ("unless a", "RET", True),
            (":u", "RET", Always),
        ]),
    );
}

#[test]
fn with_else_clauses() {
    let src = r#"
defmodule T do
  def w(a) do
    with {:ok, b} <- fetch(a),
         c = b do
      c
    else
      :none -> nil
    end
  end
end
"#;
    let g = elixir(src, "w");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("w/1", "w(a)", Always),
            ("w(a)", "fetch(a)", Match),
            ("fetch(a)", "{:ok, b} <- fetch(a)", Always),
            ("{:ok, b} <- fetch(a)", "c = b", Match),
            ("c = b", "c", Always),
            ("c", "RET", Always),
            ("{:ok, b} <- fetch(a)", ":none", NoMatch),
            (":none", "nil", Match),
            (":none", "RET", NoMatch),
            ("nil", "RET", Always),
        ]),
    );
}

#[test]
fn with_without_else_returns_the_unmatched_value() {
    let src = "defmodule T do\n  def w(a) do\n    with {:ok, b} <- fetch(a), do: b\n  end\nend\n";
    let g = elixir(src, "w");
    let set = cfg_set(&g);
    assert!(set.contains(&("{:ok, b} <- fetch(a)".into(), "RET".into(), NoMatch)));
    assert!(set.contains(&("{:ok, b} <- fetch(a)".into(), "b".into(), Match)));
}

#[test]
fn try_rescue_catch_after() {
    let src = r#"
defmodule T do
  def t(a) do
    try do
      a |> k() |> l(1)
    rescue
      e in ArgumentError -> e
    catch
      :exit, r -> r
    after
      done()
    end
  end
end
"#;
    let g = elixir(src, "t");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("t/1", "t(a)", Always),
            ("t(a)", "try", Match),
            ("try", "a", Always),
            ("a", "k()", Always),
            ("k()", "l(1)", Always),
            ("k()", "rescue", Exception),
            ("l(1)", "rescue", Exception),
            ("rescue", "e in ArgumentError", Always),
            ("e in ArgumentError", "e", Match),
            ("e in ArgumentError", ":exit, r", NoMatch),
            (":exit, r", "r", Match),
            ("l(1)", "done()", Always),
            ("e", "done()", Always),
            ("r", "done()", Always),
            (":exit, r", "done()", NoMatch),
            ("done()", "RET", Always),
            ("done()", "RET", Raise),
        ]),
    );
    // The after block is on two paths: the normal one and the re-raise of an exception no
    // clause handled; they are separate nodes.
    let dones: Vec<_> = g.nodes.iter().filter(|n| n.code == "done()").collect();
    assert_eq!(dones.len(), 2);
    let labels: Vec<_> = dones
        .iter()
        .map(|d| {
            g.out_edges(d.id, EdgeKind::Cfg)
                .map(|e| e.label)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(labels.contains(&vec![Some(Always)]) && labels.contains(&vec![Some(Raise)]));
}

#[test]
fn receive_with_after_timeout_and_pinned_pattern() {
    let src = r#"
defmodule T do
  def r(x) do
    receive do
      {:m, ^x} -> :got
    after
      100 -> :timeout
    end
  end
end
"#;
    let g = elixir(src, "r");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("r/1", "r(x)", Always),
            ("r(x)", "receive", Match),
            ("receive", "{:m, ^x}", Always),
            ("{:m, ^x}", ":got", Match),
            ("{:m, ^x}", "receive", NoMatch),
            ("receive", ":timeout", Timeout),
            (":got", "RET", Always),
            (":timeout", "RET", Always),
        ]),
    );
}

#[test]
fn throw_and_exit_leave_the_function() {
    let src = "defmodule T do\n  def e(a), do: if(a, do: throw(:t), else: exit(:bye))\nend\n";
    let g = elixir(src, "e");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("e/1", "e(a)", Always),
            ("e(a)", "if a", Match),
            ("if a", "throw(:t)", True),
            ("if a", "exit(:bye)", False),
            ("throw(:t)", "RET", Throw),
            ("exit(:bye)", "RET", Exit),
        ]),
    );
}

#[test]
fn dominators_and_control_dependence_of_a_case() {
    let src = r#"
defmodule T do
  def d(x) do
    case x do
      1 -> one()
      _ -> other()
    end
    after_case()
  end
end
"#;
    let g = elixir(src, "d");
    let id = |code: &str| {
        g.nodes
            .iter()
            .find(|n| n.code == code)
            .map(|n| n.id)
            .unwrap()
    };
    let idom = dominators(&g);
    // Every path tests the first arm, so the join point's immediate dominator is that test,
    // not either arm body.
    assert_eq!(idom[id("after_case()").index()], Some(id("1")));
    assert_eq!(idom[id("1").index()], Some(id("case x")));
    assert_eq!(idom[id("other()").index()], Some(id("_")));
    let cdg: Vec<_> = g
        .edges_of(EdgeKind::Cdg)
        .map(|e| {
            (
                g.node(e.from).unwrap().code.clone(),
                g.node(e.to).unwrap().code.clone(),
            )
        })
        .collect();
    assert!(cdg.contains(&("1".into(), "one()".into())));
    assert!(cdg.contains(&("1".into(), "other()".into())), "{cdg:?}");
    // Code after the case runs on both paths: not control dependent on the arm.
    assert!(!cdg.iter().any(|(_, to)| to == "after_case()"));
    assert!(g
        .nodes
        .iter()
        .any(|n| n.kind == NodeKind::ControlStructure && n.code == "case x"));
}

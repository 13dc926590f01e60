//! Exact control flow edges of small Rust functions, checked by hand.

mod common;

use common::{assert_same, cfg_set, expected, rust};
use elixir_scope_cpg::CfgLabel::*;
use elixir_scope_cpg::{post_dominators, EdgeKind};

#[test]
fn question_mark_is_an_early_return_edge() {
    let src = r#"
fn f(x: i32) -> Result<i32, E> {
    let y = g(x)?;
    if y > 0 { return Ok(y); }
    Ok(0)
}
"#;
    let g = rust(src, "f");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("f", "x: i32", Always),
            ("x: i32", "g(x)", Always),
            ("g(x)", "g(x)?", Always),
            ("g(x)?", "RET", EarlyReturn),
            ("g(x)?", "let y = g(x)?;", Always),
            ("let y = g(x)?;", "if y > 0", Always),
            ("if y > 0", "Ok(y)", True),
            ("Ok(y)", "return Ok(y)", Always),
            ("return Ok(y)", "RET", Return),
            ("if y > 0", "Ok(0)", False),
            ("Ok(0)", "RET", Always),
        ]),
    );
}

#[test]
fn labelled_break_and_continue_in_nested_loops() {
    let src = r#"
fn l(v: &[u8]) {
    'outer: for a in v {
        loop {
            if a == 0 { break 'outer; }
            if a == 1 { continue 'outer; }
            break;
        }
        while p(a) { q(); }
    }
    done();
}
"#;
    let g = rust(src, "l");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("l", "v: &[u8]", Always),
            ("v: &[u8]", "for a in v", Always),
            ("for a in v", "loop", True),
            ("loop", "if a == 0", Always),
            ("if a == 0", "break 'outer", True),
            ("break 'outer", "done()", Break),
            ("if a == 0", "if a == 1", False),
            ("if a == 1", "continue 'outer", True),
            ("continue 'outer", "for a in v", Continue),
            ("if a == 1", "break", False),
            ("break", "p(a)", Break),
            ("p(a)", "while p(a)", Always),
            ("while p(a)", "q()", True),
            ("q()", "p(a)", Loop),
            ("while p(a)", "for a in v", False),
            ("for a in v", "done()", False),
            ("done()", "RET", Always),
        ]),
    );
}

#[test]
fn match_arms_guards_and_panic_family_exits() {
    let src = r#"
fn m(o: Option<u8>) -> u8 {
    match o {
        Some(n) if n > 1 => n,
        Some(_) => unreachable!(),
        None => { assert!(false); 0 }
    }
}
"#;
    let g = rust(src, "m");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("m", "o: Option<u8>", Always),
            ("o: Option<u8>", "match o", Always),
            ("match o", "Some(n) if n > 1", Always),
            ("Some(n) if n > 1", "n", Match),
            ("Some(n) if n > 1", "Some(_)", NoMatch),
            ("Some(_)", "unreachable!()", Match),
            ("unreachable!()", "RET", Panic),
            ("Some(_)", "None", NoMatch),
            ("None", "assert!(false)", Match),
            ("assert!(false)", "RET", Panic),
            ("assert!(false)", "0", Always),
            ("0", "RET", Always),
            ("n", "RET", Always),
        ]),
    );
}

#[test]
fn if_let_else_and_let_else() {
    let src = r#"
fn i(o: Option<u8>) -> u8 {
    let Some(v) = o else { panic!("none") };
    if let Some(w) = h(v) { w } else { 0 }
}
"#;
    let g = rust(src, "i");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("i", "o: Option<u8>", Always),
            (
                "o: Option<u8>",
                "let Some(v) = o else { panic!(\"none\") };",
                Always,
            ),
            (
                "let Some(v) = o else { panic!(\"none\") };",
                "panic!(\"none\")",
                NoMatch,
            ),
            ("panic!(\"none\")", "RET", Panic),
            ("let Some(v) = o else { panic!(\"none\") };", "h(v)", Match),
            ("h(v)", "if let Some(w) = h(v)", Always),
            ("if let Some(w) = h(v)", "w", True),
            ("if let Some(w) = h(v)", "0", False),
            ("w", "RET", Always),
            ("0", "RET", Always),
        ]),
    );
}

#[test]
fn method_chains_evaluate_receivers_first() {
    let g = rust("fn c(s: S) { s.a().b(1); }", "c");
    assert_same(
        &cfg_set(&g),
        &expected(&[
            ("c", "s: S", Always),
            ("s: S", "s.a()", Always),
            ("s.a()", "s.a().b(1)", Always),
            ("s.a().b(1)", "RET", Always),
        ]),
    );
    assert_eq!(g.edges_of(EdgeKind::Argument).count(), 1);
}

#[test]
fn endless_loop_nodes_have_no_post_dominator_and_no_panic() {
    let g = rust("fn spin() { loop { tick(); } }", "spin");
    let pdom = post_dominators(&g);
    let tick = g.nodes.iter().find(|n| n.code == "tick()").unwrap();
    assert_eq!(pdom[tick.id.index()], None);
    // Nothing reaches RET.
    assert!(g.in_edges(g.exit, EdgeKind::Cfg).next().is_none());
}

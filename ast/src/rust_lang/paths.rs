//! Rust paths: module names from file paths, and `a::b::c` split into segments.

use tree_sitter::Node;

use crate::source_text::{snippet, text};

/// `src/lib.rs`, `src/main.rs`, `src/bin/x.rs`, `tests/x.rs`, `tests/x/main.rs` -> `crate`;
/// `src/net/mod.rs` -> `crate::net`; `src/net/tcp.rs` -> `crate::net::tcp`; a module shared
/// by integration tests, benches or examples, `tests/common/mod.rs` -> `crate::common`.
/// Other files outside a `src` directory are crate roots.
pub(crate) fn module_path_for_file(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let src_at = parts.iter().rposition(|p| *p == "src");
    let target_at = parts
        .iter()
        .rposition(|p| matches!(*p, "tests" | "benches" | "examples"));
    // A `tests` directory after `src` is a module; one before it is a fixture's parent.
    let rest = match (src_at, target_at) {
        (Some(s), _) => &parts[s + 1..],
        (None, Some(t)) => match &parts[t + 1..] {
            [_] | [_, "main.rs"] => return "crate".to_owned(),
            nested => nested,
        },
        (None, None) => return "crate".to_owned(),
    };
    let mut segs: Vec<String> = Vec::new();
    if rest.first() == Some(&"bin") {
        return "crate".to_owned();
    }
    for (i, p) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        if last {
            let stem = p.strip_suffix(".rs").unwrap_or(p);
            let root_file = i == 0 && (stem == "lib" || stem == "main");
            if stem != "mod" && !root_file {
                segs.push(stem.to_owned());
            }
        } else {
            segs.push((*p).to_owned());
        }
    }
    let mut out = String::from("crate");
    for s in segs {
        out.push_str("::");
        out.push_str(&s);
    }
    out
}

/// The package directory of a file: everything before its last `src` component, or for a
/// file outside `src`, before its last `tests`, `benches` or `examples` component
/// (`ast/src/x.rs` -> `ast`, `src/tests/mod.rs` -> `""`, `cpg/tests/it.rs` -> `cpg`).
pub(crate) fn package_dir(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let cut = parts
        .iter()
        .rposition(|p| *p == "src")
        .or_else(|| {
            parts
                .iter()
                .rposition(|p| matches!(*p, "tests" | "benches" | "examples"))
        })
        .unwrap_or(0);
    parts[..cut].join("/")
}

/// Segments of a path node (`identifier`, `self`, `crate`, `super`, `scoped_identifier`, ...).
pub(crate) fn segments(node: &Node<'_>, src: &str, out: &mut Vec<String>) {
    match node.kind() {
        "scoped_identifier" | "scoped_type_identifier" => {
            match node.child_by_field_name("path") {
                Some(p) => crate::stack_guard::grow_if_needed(|| segments(&p, src, out)),
                // `::std::x`: an absolute path.
                None => out.push("::".to_owned()),
            }
            if let Some(n) = node.child_by_field_name("name") {
                out.push(text(&n, src).to_owned());
            }
        }
        _ => out.push(snippet(node, src)),
    }
}

/// `a::b::c` -> (["a", "b"], "c").
pub(crate) fn split_scoped(node: &Node<'_>, src: &str) -> (Vec<String>, String) {
    let mut segs = Vec::new();
    segments(node, src, &mut segs);
    let name = segs.pop().unwrap_or_default();
    (segs, name)
}

#[cfg(test)]
mod tests {
    use super::module_path_for_file;

    #[test]
    fn module_paths_follow_cargo_layout() {
        assert_eq!(module_path_for_file("src/lib.rs"), "crate");
        assert_eq!(module_path_for_file("a/src/main.rs"), "crate");
        assert_eq!(module_path_for_file("src/net/mod.rs"), "crate::net");
        assert_eq!(module_path_for_file("src/net/tcp.rs"), "crate::net::tcp");
        assert_eq!(module_path_for_file("src/bin/tool.rs"), "crate");
        assert_eq!(module_path_for_file("tests/it.rs"), "crate");
        assert_eq!(module_path_for_file("cpg/tests/big/main.rs"), "crate");
        assert_eq!(
            module_path_for_file("cpg/tests/common/mod.rs"),
            "crate::common"
        );
        assert_eq!(
            module_path_for_file("benches/util/stats.rs"),
            "crate::util::stats"
        );
        assert_eq!(
            module_path_for_file("ast/tests/fixtures/p/src/net.rs"),
            "crate::net"
        );
        assert_eq!(module_path_for_file("src/lib/x.rs"), "crate::lib::x");
        assert_eq!(module_path_for_file("src/tests/mod.rs"), "crate::tests");
    }

    #[test]
    fn package_dirs() {
        use super::package_dir;
        assert_eq!(package_dir("src/lib.rs"), "");
        assert_eq!(package_dir("ast/src/net/tcp.rs"), "ast");
        assert_eq!(package_dir("crates/a/tests/it.rs"), "crates/a");
        assert_eq!(package_dir("build.rs"), "");
        assert_eq!(package_dir("src/tests/mod.rs"), "");
        assert_eq!(package_dir("cpg/tests/common/mod.rs"), "cpg");
        assert_eq!(
            package_dir("ast/tests/fixtures/p/src/lib.rs"),
            "ast/tests/fixtures/p"
        );
    }
}

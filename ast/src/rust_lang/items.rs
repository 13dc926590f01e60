//! Rust items: `mod`, `impl`, `trait`, `fn`, `use`, `extern crate`, docs and attributes.

use tree_sitter::Node;

use super::paths::segments;
use super::Walker;
use crate::model::{
    Attribute, Clause, FunctionKind, Import, ImportKind, ModuleKind, Param, Visibility,
};
use crate::model_builder::{ModelBuilder, NewClause};
use crate::name::Name;
use crate::source_text::{named_children, text};
use crate::span::Span;

fn visibility(node: &Node<'_>, src: &str, b: &mut ModelBuilder) -> Visibility {
    let Some(v) = named_children(node)
        .into_iter()
        .find(|c| c.kind() == "visibility_modifier")
    else {
        return Visibility::Private;
    };
    let written: String = text(&v, src)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match written.as_str() {
        "pub" => Visibility::Public,
        "pub(crate)" => Visibility::Crate,
        _ => Visibility::Restricted(b.name(&written)),
    }
}

/// Text of a `///` or `/** */` doc comment node, None for plain comments.
fn outer_doc(node: &Node<'_>, src: &str) -> Option<String> {
    match node.kind() {
        "line_comment" => {
            node.child_by_field_name("outer")?;
            let doc = node.child_by_field_name("doc")?;
            Some(strip_one_space(
                text(&doc, src).trim_end_matches(['\n', '\r']),
            ))
        }
        "block_comment" => {
            node.child_by_field_name("outer")?;
            let doc = node.child_by_field_name("doc")?;
            Some(text(&doc, src).trim().to_owned())
        }
        _ => None,
    }
}

fn strip_one_space(s: &str) -> String {
    s.strip_prefix(' ').unwrap_or(s).to_owned()
}

fn attribute(node: &Node<'_>, src: &str, b: &mut ModelBuilder) -> Option<Attribute> {
    let attr = named_children(node)
        .into_iter()
        .find(|c| c.kind() == "attribute")?;
    let parts = named_children(&attr);
    let path = parts.first()?;
    let mut segs = Vec::new();
    segments(path, src, &mut segs);
    let value = parts.get(1).map(|v| b.name(text(v, src)));
    Some(Attribute {
        name: b.name(&segs.join("::")),
        value,
        span: Span::of(node),
    })
}

/// Doc comments and attributes written just before an item.
fn leading(node: &Node<'_>, src: &str, b: &mut ModelBuilder) -> (Option<Name>, Vec<Attribute>) {
    let mut docs = Vec::new();
    let mut attrs = Vec::new();
    let mut cur = node.prev_sibling();
    while let Some(p) = cur {
        match p.kind() {
            "attribute_item" => {
                if let Some(a) = attribute(&p, src, b) {
                    attrs.push(a);
                }
            }
            "line_comment" | "block_comment" => {
                if let Some(d) = outer_doc(&p, src) {
                    docs.push(d);
                }
            }
            _ => break,
        }
        cur = p.prev_sibling();
    }
    docs.reverse();
    attrs.reverse();
    let doc = if docs.is_empty() {
        None
    } else {
        Some(b.name(&docs.join("\n")))
    };
    (doc, attrs)
}

fn parent_name(w: &Walker<'_>) -> String {
    w.current_module()
        .and_then(|m| w.b.module(m))
        .map(|m| m.name.to_string())
        .unwrap_or_else(|| "crate".to_owned())
}

fn with_module(w: &mut Walker<'_>, node: Node<'_>, name: String, local: String, kind: ModuleKind) {
    let (doc, attrs) = leading(&node, w.src, &mut w.b);
    let vis = visibility(&node, w.src, &mut w.b);
    let (name, local) = (w.b.name(&name), w.b.name(&local));
    let parent = w.current_module();
    let id =
        w.b.add_module(name, local, kind, parent, Span::of(&node), vis);
    if let Some(m) = w.b.module_mut(id) {
        m.doc = doc;
    }
    w.b.set_module_attributes(id, attrs);
    w.modules.push(id);
    if let Some(body) = node.child_by_field_name("body") {
        w.walk(body);
    }
    w.modules.pop();
}

pub(super) fn visit_mod(w: &mut Walker<'_>, node: Node<'_>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    if node.child_by_field_name("body").is_none() {
        // `mod x;` declares a module whose items live in another file.
        return;
    }
    let local = text(&name, w.src).to_owned();
    let full = format!("{}::{local}", parent_name(w));
    with_module(w, node, full, local, ModuleKind::RustMod);
}

pub(super) fn visit_impl(w: &mut Walker<'_>, node: Node<'_>) {
    let self_type = node
        .child_by_field_name("type")
        .map(|t| text(&t, w.src).to_owned())
        .unwrap_or_default();
    let trait_name = node
        .child_by_field_name("trait")
        .map(|t| text(&t, w.src).to_owned());
    let local = match &trait_name {
        Some(t) => format!("<{self_type} as {t}>"),
        None => self_type.clone(),
    };
    let full = format!("{}::{local}", parent_name(w));
    let kind = ModuleKind::RustImpl {
        self_type: w.b.name(&self_type),
        trait_name: trait_name.map(|t| w.b.name(&t)),
    };
    with_module(w, node, full, local, kind);
}

pub(super) fn visit_trait(w: &mut Walker<'_>, node: Node<'_>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let local = text(&name, w.src).to_owned();
    let full = format!("{}::{local}", parent_name(w));
    with_module(w, node, full, local, ModuleKind::RustTrait);
}

fn params(node: &Node<'_>, src: &str, b: &mut ModelBuilder) -> Vec<Param> {
    let Some(list) = node.child_by_field_name("parameters") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in named_children(&list) {
        match p.kind() {
            "self_parameter" => out.push(Param {
                pattern: b.name(text(&p, src)),
                name: Some(b.name("self")),
                annotation: None,
                span: Span::of(&p),
            }),
            "parameter" => {
                let pattern = p.child_by_field_name("pattern");
                let name = pattern
                    .filter(|n| n.kind() == "identifier")
                    .map(|n| b.name(text(&n, src)));
                let pattern = b.name(pattern.map(|n| text(&n, src)).unwrap_or_default());
                let type_annotation = p.child_by_field_name("type").map(|t| b.name(text(&t, src)));
                out.push(Param {
                    pattern,
                    name,
                    annotation: type_annotation,
                    span: Span::of(&p),
                });
            }
            "variadic_parameter" => out.push(Param {
                pattern: b.name(text(&p, src)),
                name: None,
                annotation: None,
                span: Span::of(&p),
            }),
            _ => {}
        }
    }
    out
}

pub(super) fn visit_function(w: &mut Walker<'_>, node: Node<'_>) {
    let Some(name_node) = node.child_by_field_name("name") else {
        w.walk_children(node);
        return;
    };
    let (doc, attributes) = leading(&node, w.src, &mut w.b);
    let body = node.child_by_field_name("body");
    let params = params(&node, w.src, &mut w.b);
    let head_span = {
        let mut s = Span::of(&node);
        if let Some(b) = body {
            let bs = Span::of(&b);
            s.end_byte = bs.start_byte;
        }
        s
    };
    let kind = if body.is_some() {
        FunctionKind::RustFn
    } else {
        FunctionKind::RustFnSignature
    };
    let min_arity = crate::model::arity_of(params.len());
    let clause = Clause {
        span: Span::of(&node),
        head_span,
        body_span: body.map(|b| Span::of(&b)),
        params: params.into_boxed_slice(),
        guard: None,
        guard_span: None,
    };
    let module = w.current_module();
    let name = w.b.name(text(&name_node, w.src));
    let visibility = visibility(&node, w.src, &mut w.b);
    let (id, _) = w.b.add_clause(
        NewClause {
            name,
            generated_name: false,
            kind,
            visibility,
            module,
            clause,
            min_arity,
            doc,
            doc_hidden: attributes.iter().any(|a| {
                a.name == "doc" && a.value.as_deref().is_some_and(|v| v.contains("hidden"))
            }),
            attributes,
        },
        false,
    );
    w.functions.push(id);
    if let Some(b) = body {
        w.walk(b);
    }
    w.functions.pop();
}

/// `//!` and `/*! */` comments document the enclosing module.
pub(super) fn visit_inner_doc(w: &mut Walker<'_>, node: Node<'_>) {
    if node.child_by_field_name("inner").is_none() {
        return;
    }
    let Some(doc) = node.child_by_field_name("doc") else {
        return;
    };
    let line = strip_one_space(text(&doc, w.src).trim_end_matches(['\n', '\r']));
    let Some(id) = w.current_module() else {
        return;
    };
    let joined = match w.b.module(id).and_then(|m| m.doc.as_ref()) {
        Some(d) => format!("{d}\n{line}"),
        None => line,
    };
    let doc = w.b.name(&joined);
    if let Some(m) = w.b.module_mut(id) {
        m.doc = Some(doc);
    }
}

pub(super) fn visit_inner_attribute(w: &mut Walker<'_>, node: Node<'_>) {
    if let Some(a) = attribute(&node, w.src, &mut w.b) {
        if let Some(m) = w.current_module() {
            w.b.add_module_attribute(m, a);
        }
    }
}

pub(super) fn visit_use(w: &mut Walker<'_>, node: Node<'_>) {
    let vis = visibility(&node, w.src, &mut w.b);
    let Some(arg) = node.child_by_field_name("argument") else {
        return;
    };
    let span = Span::of(&node);
    let mut out = Vec::new();
    use_tree(&arg, w.src, &[], &mut out, 0);
    let module = w.current_module();
    for (path, alias, glob) in out {
        let path = w.b.path(&path);
        let alias = alias.map(|a| w.b.name(&a));
        w.b.imports.push(Import {
            kind: ImportKind::RustUse,
            path,
            alias,
            glob,
            only: None,
            except: None,
            options: None,
            visibility: vis.clone(),
            module,
            span,
        });
    }
}

type UseLeaf = (Vec<String>, Option<String>, bool);

fn use_tree(node: &Node<'_>, src: &str, prefix: &[String], out: &mut Vec<UseLeaf>, depth: usize) {
    if depth > super::MAX_WALK_DEPTH {
        return;
    }
    let join = |n: &Node<'_>| {
        let mut p = prefix.to_vec();
        segments(n, src, &mut p);
        p
    };
    match node.kind() {
        "use_as_clause" => {
            let path = node
                .child_by_field_name("path")
                .map(|p| join(&p))
                .unwrap_or_default();
            let alias = node
                .child_by_field_name("alias")
                .map(|a| text(&a, src).to_owned());
            out.push((path, alias, false));
        }
        "use_wildcard" => {
            let path = named_children(node)
                .first()
                .map(join)
                .unwrap_or_else(|| prefix.to_vec());
            out.push((path, None, true));
        }
        "scoped_use_list" => {
            let base = node
                .child_by_field_name("path")
                .map(|p| join(&p))
                .unwrap_or_else(|| prefix.to_vec());
            if let Some(list) = node.child_by_field_name("list") {
                crate::stack_guard::grow_if_needed(|| use_tree(&list, src, &base, out, depth + 1));
            }
        }
        "use_list" => {
            for c in named_children(node) {
                crate::stack_guard::grow_if_needed(|| use_tree(&c, src, prefix, out, depth + 1));
            }
        }
        "self" => {
            // `use a::{self}` imports `a` itself.
            let path = prefix.to_vec();
            let alias = path.last().cloned();
            out.push((path, alias, false));
        }
        _ => {
            let path = join(node);
            let alias = path.last().cloned();
            out.push((path, alias, false));
        }
    }
}

pub(super) fn visit_extern_crate(w: &mut Walker<'_>, node: Node<'_>) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let crate_name = w.b.name(text(&name, w.src));
    let alias = match node.child_by_field_name("alias") {
        Some(a) => w.b.name(text(&a, w.src)),
        None => crate_name.clone(),
    };
    let alias = Some(alias);
    let visibility = visibility(&node, w.src, &mut w.b);
    let module = w.current_module();
    let path = w.b.path([crate_name.as_str()]);
    w.b.imports.push(Import {
        kind: ImportKind::RustUse,
        path,
        alias,
        glob: false,
        only: None,
        except: None,
        options: None,
        visibility,
        module,
        span: Span::of(&node),
    });
}

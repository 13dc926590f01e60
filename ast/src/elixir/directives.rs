//! `alias`, `import`, `use` and `require`.

use tree_sitter::Node;

use super::{qualifier, split_alias, Walker};
use crate::model::{Import, ImportFilter, ImportKind, Visibility};
use crate::model_builder::ModelBuilder;
use crate::name_path::NamePath;
use crate::source_text::{named_children, snippet, text};
use crate::span::Span;

/// The value of `key:` in a `keywords` node (or in the `keywords` inside `arguments`).
pub(crate) fn keyword_value<'t>(node: &Node<'t>, key: &str, src: &str) -> Option<Node<'t>> {
    let kw = if node.kind() == "keywords" {
        *node
    } else {
        named_children(node)
            .into_iter()
            .find(|c| c.kind() == "keywords")?
    };
    for pair in named_children(&kw) {
        let k = pair.child_by_field_name("key")?;
        let written = text(&k, src).trim().trim_end_matches(':').trim();
        if written == key {
            return pair.child_by_field_name("value");
        }
    }
    None
}

fn path_of(node: &Node<'_>, src: &str) -> Vec<String> {
    qualifier(node, src).unwrap_or_else(|| vec![text(node, src).to_owned()])
}

/// `only:`/`except:` values: `[map: 2]` or `:functions`.
fn filter(node: Option<Node<'_>>, src: &str, b: &mut ModelBuilder) -> Option<ImportFilter> {
    let node = node?;
    match node.kind() {
        "atom" => Some(ImportFilter::Category(
            b.name(text(&node, src).trim_start_matches(':')),
        )),
        "list" => {
            let mut out = Vec::new();
            for kw in named_children(&node)
                .into_iter()
                .filter(|c| c.kind() == "keywords")
            {
                for pair in named_children(&kw) {
                    let (Some(k), Some(v)) = (
                        pair.child_by_field_name("key"),
                        pair.child_by_field_name("value"),
                    ) else {
                        continue;
                    };
                    let name = b.name(text(&k, src).trim().trim_end_matches(':').trim());
                    if let Ok(arity) = text(&v, src).trim().parse::<u32>() {
                        out.push((name, arity));
                    }
                }
            }
            Some(ImportFilter::Functions(out))
        }
        _ => None,
    }
}

pub(super) fn record(w: &mut Walker<'_>, node: Node<'_>, name: &str, args: Option<Node<'_>>) {
    let kind = match name {
        "alias" => ImportKind::Alias,
        "import" => ImportKind::Import,
        "use" => ImportKind::Use,
        _ => ImportKind::Require,
    };
    let Some(args) = args else { return };
    let parts = named_children(&args);
    let Some(target) = parts.first().copied() else {
        return;
    };
    let src = w.src;
    let module = w.current_module();
    let span = Span::of(&node);
    let rename = keyword_value(&args, "as", src).map(|v| w.b.name(text(&v, src).trim()));
    let base = Import {
        kind,
        path: NamePath::empty(),
        alias: None,
        glob: false,
        only: filter(keyword_value(&args, "only", src), src, &mut w.b).map(Box::new),
        except: filter(keyword_value(&args, "except", src), src, &mut w.b).map(Box::new),
        options: None,
        visibility: Visibility::Private,
        module,
        span,
    };
    // `alias A.{B, C.D}` expands to one alias per leaf.
    if target.kind() == "dot" {
        if let (Some(l), Some(r)) = (
            target.child_by_field_name("left"),
            target.child_by_field_name("right"),
        ) {
            if r.kind() == "tuple" {
                let prefix = path_of(&l, src);
                for leaf in named_children(&r) {
                    let mut segs = prefix.clone();
                    segs.extend(split_alias(text(&leaf, src)));
                    let path = w.b.path(&segs);
                    let alias = match kind {
                        ImportKind::Alias => path.last().map(|l| w.b.name(l)),
                        _ => None,
                    };
                    w.b.imports.push(Import {
                        path,
                        alias,
                        ..base.clone()
                    });
                }
                return;
            }
        }
    }
    let path = w.b.path(path_of(&target, src));
    let alias = match kind {
        ImportKind::Alias => rename.or_else(|| path.last().map(|l| w.b.name(l))),
        ImportKind::Require => rename,
        _ => None,
    };
    let options = match kind {
        ImportKind::Use => parts.get(1).map(|o| w.b.name(&snippet(o, src))),
        _ => None,
    };
    w.b.imports.push(Import {
        path,
        alias,
        options,
        ..base
    });
}

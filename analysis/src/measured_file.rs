//! A file's metrics as computed once, from the syntax tree of the parse that built its model
//! (in the AST layer's parse task, through [`crate::metrics_hook::MetricsHook`]), or on demand
//! for a file parsed without the hook.

use std::sync::Arc;

use elixir_scope_ast::{parse_tree, FileAttachment, FileModel, ParsedFile};

use crate::metrics::{measure, FileMetrics};

/// What the metrics analysis needs of one file besides its model. Stored with the file in
/// the AST repository as its [`FileAttachment`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MeasuredFile {
    /// `None`: the file has no syntax tree (not parsed: unreadable, binary, too large; its
    /// model's diagnostics say why).
    pub metrics: Option<Arc<FileMetrics>>,
}

impl MeasuredFile {
    /// From a parse with its tree: the same numbers [`crate::file_metrics`] gives.
    pub fn of_parsed(parsed: &ParsedFile) -> MeasuredFile {
        let metrics = match (&parsed.tree, parsed.source.as_deref()) {
            (Some(tree), Some(source)) => Some(Arc::new(measure(&parsed.model, source, tree))),
            _ => None,
        };
        MeasuredFile { metrics }
    }

    /// The attachment a hook stored, if it is one of ours.
    pub fn from_attachment(attachment: &FileAttachment) -> Option<Arc<MeasuredFile>> {
        attachment.clone().downcast::<MeasuredFile>().ok()
    }
}

/// Measures a file parsed without the hook: tree-sitter runs again on the kept source (the
/// model is not extracted again). `None` when tree-sitter gives no tree.
pub(crate) fn measure_source(model: &FileModel, source: &str) -> Option<FileMetrics> {
    let tree = parse_tree(model.language, source.as_bytes())?;
    Some(measure(model, source, &tree))
}

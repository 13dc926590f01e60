//! MetricsHook: the analysis layer's [`ParseHook`]. It measures each file from the syntax tree
//! of the AST layer's own parse (one parse per file, in the parse tasks, on every core) and,
//! with a cache, stores the result and hands it back for unchanged bytes on the next run.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use elixir_scope_ast::{
    FileAttachment, ParseContext, ParseHook, ParsedFile, ReusedFile, SourceFile,
};
use tracing::warn;

use crate::analysis_cache::AnalysisCache;
use crate::measured_file::MeasuredFile;

/// Measures files as they are parsed; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct MetricsHook {
    cache: Option<Arc<AnalysisCache>>,
}

impl MetricsHook {
    pub fn new(cache: Option<Arc<AnalysisCache>>) -> Self {
        MetricsHook { cache }
    }
}

impl ParseHook for MetricsHook {
    fn reuse(
        &self,
        _context: ParseContext<'_>,
        file: &SourceFile,
        hash: &str,
        _bytes: &[u8],
    ) -> Option<ReusedFile> {
        let cached = self
            .cache
            .as_ref()?
            .load(&file.relative, file.language, hash)?;
        let measured = MeasuredFile {
            metrics: cached.metrics.map(Arc::new),
        };
        Some(ReusedFile {
            model: cached.model,
            attachment: Some(Arc::new(measured)),
        })
    }

    fn parsed(&self, _context: ParseContext<'_>, parsed: &ParsedFile) -> Option<FileAttachment> {
        // A metric walk that panics must not cost the file its model: without an attachment
        // the job measures the file on demand, in a task of its own, where the panic is
        // reported as that file's failure to be measured.
        let measured = match catch_unwind(AssertUnwindSafe(|| MeasuredFile::of_parsed(parsed))) {
            Ok(m) => m,
            Err(_) => {
                warn!(file = %parsed.model.path, "measuring panicked in the parse task");
                return None;
            }
        };
        if let (Some(cache), Some(_)) = (&self.cache, &parsed.tree) {
            cache.store(&parsed.model, measured.metrics.as_deref());
        }
        Some(Arc::new(measured))
    }
}

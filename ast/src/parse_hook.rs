//! [`ParseHook`]: lets a layer above compute its own per-file data from the syntax tree of the
//! parse task (so a file is parsed once, not once here and again there), and hand back a
//! stored result for a file's exact bytes instead of parsing it (an on-disk cache).
//!
//! What a hook computes is stored with the file in the repository as a [`FileAttachment`]
//! and comes back with [`crate::AstClient::snapshot`]. A file parsed without a hook (or whose
//! hook returned nothing) has no attachment; its users compute what they need on demand.

use std::any::Any;
use std::path::Path;
use std::sync::Arc;

use crate::discovery::SourceFile;
use crate::model::FileModel;
use crate::parsed_file::ParsedFile;

/// Per-file data a [`ParseHook`] attaches; its owner downcasts it back.
pub type FileAttachment = Arc<dyn Any + Send + Sync>;

/// Which parse a hook is called for.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    /// The project id given to [`crate::AstClient::parse_project_with`].
    pub project: &'a str,
    /// The project's root directory.
    pub root: &'a Path,
}

/// A stored result used instead of parsing a file (see [`ParseHook::reuse`]).
#[derive(Debug, Clone)]
pub struct ReusedFile {
    /// The model parsing these exact bytes gives.
    pub model: FileModel,
    pub attachment: Option<FileAttachment>,
}

/// Called from the parse tasks (on the blocking pool, many files at once), so it must be
/// cheap to share and must not block on the async runtime. A panic in a hook is a panic of
/// that file's parse task: the file is reported failed, the others complete.
pub trait ParseHook: Send + Sync + 'static {
    /// Before parsing a new or changed file: a result stored for exactly these bytes
    /// (`hash` is their [`crate::content_hash`]), or `None` to parse. The default parses.
    fn reuse(
        &self,
        _context: ParseContext<'_>,
        _file: &SourceFile,
        _hash: &str,
        _bytes: &[u8],
    ) -> Option<ReusedFile> {
        None
    }

    /// After parsing a file (with its tree when it has one): what to attach to it.
    fn parsed(&self, context: ParseContext<'_>, parsed: &ParsedFile) -> Option<FileAttachment>;
}

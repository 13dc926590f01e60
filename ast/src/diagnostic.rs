//! Per-file diagnostics: syntax errors, recovery notes and reasons a file was not parsed.

use serde::{Deserialize, Serialize};

use crate::span::Span;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// What a diagnostic is about; callers match on this, the message is for people.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// tree-sitter produced an ERROR node here.
    SyntaxError,
    /// tree-sitter inserted a missing token (e.g. `end`, `)`).
    MissingToken { token: String },
    /// An Elixir definition (`name/arity` or module name) was missing its `end`, so later
    /// definitions were nested in it; they were recovered as siblings.
    MissingEndRecovered { definition: String },
    /// The file is larger than the configured limit and was not parsed.
    TooLarge { size: u64, limit: u64 },
    /// The file is not valid UTF-8 (first bad byte at `byte_offset`); not parsed.
    InvalidUtf8 { byte_offset: usize },
    /// The file contains NUL bytes: binary, not source; not parsed.
    Binary,
    /// The file is empty (or whitespace only).
    Empty,
    /// The file could not be read.
    Io { error: String },
    /// The parse task for this file failed or panicked.
    ParseTaskFailed { error: String },
    /// tree-sitter gave no tree (it was cancelled or hit its limits).
    ParserFailed,
}

/// One diagnostic for a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub kind: DiagnosticKind,
    pub message: String,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub(crate) fn new(
        severity: Severity,
        kind: DiagnosticKind,
        message: impl Into<String>,
        span: Option<Span>,
    ) -> Self {
        Diagnostic {
            severity,
            kind,
            message: message.into(),
            span,
        }
    }

    /// True for error severity.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

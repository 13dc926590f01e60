//! Errors crossing the crate boundary. A problem with one input file is not an error: it is a
//! [`crate::FileDiagnostic`] in the report; an analysis that fails is an
//! [`crate::AnalysisFailure`] entry, and the others still report.

use std::path::PathBuf;

/// What can stop an analysis run (or a job request) as a whole.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The path does not exist.
    #[error("{path} does not exist")]
    NotFound { path: PathBuf },
    /// The path is a file (or something else); `analyze` takes a project directory.
    #[error("{path} is not a directory; give the project's root directory")]
    NotADirectory { path: PathBuf },
    /// The directory holds no `.ex`, `.exs` or `.rs` file.
    #[error("no Elixir (.ex, .exs) or Rust (.rs) files under {path}")]
    NoSupportedFiles { path: PathBuf },
    /// The AST layer failed (walking the directory, its services unavailable).
    #[error("parsing failed: {0}")]
    Ast(#[from] elixir_scope_ast::AstError),
    /// The layers' services could not be started.
    #[error("starting the analysis services failed: {0}")]
    Start(String),
    /// The analysis job manager did not answer or refused the job.
    #[error("analysis service unavailable: {0}")]
    Unavailable(String),
    /// No job with this id.
    #[error("unknown analysis job {0}")]
    UnknownJob(u64),
    /// The job as a whole failed (unknown project, AST layer unavailable).
    #[error("analysis job {id} failed: {error}")]
    JobFailed { id: u64, error: String },
    /// The job was cancelled before it finished.
    #[error("analysis job {0} was cancelled")]
    Cancelled(u64),
    /// An option value was not understood (format, fail-on level).
    #[error("{0}")]
    InvalidOption(String),
    /// Rendering the report failed.
    #[error("rendering the report failed: {0}")]
    Render(String),
}

//! Errors crossing the crate boundary. Problems inside one file are not errors: they are
//! [`crate::Diagnostic`]s on that file's model.

use std::path::PathBuf;

/// What can go wrong beyond a single file.
#[derive(Debug, thiserror::Error)]
pub enum AstError {
    /// The project root does not exist or is not a directory.
    #[error("project root {path} is not a readable directory")]
    NotADirectory { path: PathBuf },
    /// Walking the project failed.
    #[error("walking {path}: {message}")]
    Discovery { path: PathBuf, message: String },
    /// No project is loaded under this id.
    #[error("unknown project {0}")]
    UnknownProject(String),
    /// The file is not part of the project.
    #[error("unknown file {0}")]
    UnknownFile(String),
    /// The repository service did not answer.
    #[error("repository unavailable: {0}")]
    Unavailable(String),
    /// The task supervisor refused the work.
    #[error("parse tasks could not be started: {0}")]
    TaskStart(String),
}

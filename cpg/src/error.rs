//! Errors at the CPG layer's boundary.

use std::sync::Arc;

/// What can go wrong asking the CPG layer for something.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpgError {
    #[error("unknown project {0}")]
    UnknownProject(String),
    #[error("unknown method {0}")]
    UnknownMethod(String),
    #[error("project {project}: {message}")]
    Discovery { project: String, message: Arc<str> },
    #[error("build tasks could not run: {0}")]
    Tasks(Arc<str>),
    #[error("the {0} service is unavailable: {1}")]
    Unavailable(&'static str, Arc<str>),
    #[error("persisting graph {0}")]
    Persist(Arc<str>),
    #[error("serialising: {0}")]
    Serialise(Arc<str>),
}

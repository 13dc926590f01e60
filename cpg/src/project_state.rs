//! ProjectState: the first child of a project's build supervisor. It holds the project's
//! [`BuildState`] (content hash and model per file of the last successful build), loads it
//! from the data directory when it starts and writes it there on every commit. It outlives
//! crashes of the project's builder, so a crashed build does not force a full rebuild.

use std::path::PathBuf;
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, InitError, Service};
use tracing::{info, info_span, warn, Instrument};

use elixir_scope_ast::FileModel;

use crate::blob_dir::BlobDir;
use crate::build_state::BuildState;
use crate::error::CpgError;

/// Requests to [`ProjectState`].
#[derive(Debug)]
pub enum ProjectStateCall {
    /// The state of the last successful build.
    Get,
    /// Replaces the state (and persists it when there is a data directory).
    Commit(Arc<BuildState>),
}

/// Replies of [`ProjectState`].
#[derive(Debug, Clone)]
pub enum ProjectStateReply {
    State(Arc<BuildState>),
    Committed,
}

/// One project's incremental build state.
pub struct ProjectState {
    project: String,
    /// Directory of persisted build states; None keeps the state in memory only.
    dir: Option<PathBuf>,
    state: Arc<BuildState>,
    /// The models already on disk (present with `dir`).
    blobs: Option<BlobDir<FileModel>>,
}

impl ProjectState {
    pub fn new(project: impl Into<String>, dir: Option<PathBuf>) -> Self {
        let project = project.into();
        ProjectState {
            blobs: dir.as_ref().map(|d| BuildState::blobs(d, &project)),
            project,
            dir,
            state: Arc::new(BuildState::default()),
        }
    }
}

impl Service for ProjectState {
    type Call = ProjectStateCall;
    type Reply = Result<ProjectStateReply, CpgError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        let (Some(dir), Some(blobs)) = (&self.dir, &mut self.blobs) else {
            return Ok(());
        };
        let span = info_span!("cpg_project_state", project = %self.project);
        let _enter = span.enter();
        // A corrupt state costs the project one full rebuild, never the service.
        match BuildState::load(dir, &self.project, blobs) {
            Ok(state) => {
                info!(files = state.files.len(), "loaded build state");
                self.state = Arc::new(state);
            }
            Err(error) => warn!(%error, "ignoring unreadable build state"),
        }
        Ok(())
    }

    async fn handle_call(
        &mut self,
        call: ProjectStateCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        let span = info_span!("cpg_project_state", project = %self.project);
        async {
            match call {
                ProjectStateCall::Get => Ok(ProjectStateReply::State(self.state.clone())),
                ProjectStateCall::Commit(state) => {
                    self.state = state;
                    if let (Some(dir), Some(blobs)) = (&self.dir, &mut self.blobs) {
                        self.state.save(dir, &self.project, blobs)?;
                    }
                    Ok(ProjectStateReply::Committed)
                }
            }
        }
        .instrument(span)
        .await
    }
}

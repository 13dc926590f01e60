//! ProjectState: the first child of a project's build supervisor. It holds the project's
//! [`BuildState`] (content hash and model per file of the last successful build), loads it
//! from the build database in the data directory when it starts and writes it there on
//! every commit (on tokio's blocking pool, off the runtime's worker threads). It outlives
//! crashes of the project's builder, so a crashed build does not force a full rebuild.

use std::path::PathBuf;
use std::sync::Arc;

use elixir_scope_runtime_core::{Context, ExitReason, InitError, Service};
use tracing::{info, info_span, warn, Instrument};

use crate::build_db::BuildDb;
use crate::build_state::BuildState;
use crate::derived_db::off_runtime;
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
    /// The data directory holding the build database; None keeps the state in memory only.
    dir: Option<PathBuf>,
    state: Arc<BuildState>,
    /// The open database (with `dir`); None until it could be opened.
    db: Option<BuildDb>,
    /// What the database holds for the project, when known: models that are the same
    /// `Arc`s are not written again.
    persisted: Option<Arc<BuildState>>,
}

impl ProjectState {
    pub fn new(project: impl Into<String>, dir: Option<PathBuf>) -> Self {
        ProjectState {
            project: project.into(),
            dir,
            state: Arc::new(BuildState::default()),
            db: None,
            persisted: None,
        }
    }

    /// Writes the current state to the database, off the runtime.
    async fn save(&mut self) -> Result<(), CpgError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let fail = |e: &dyn std::fmt::Display| {
            CpgError::Persist(format!("{} build state: {e}", self.project).into())
        };
        let (db, previous) = match self.db.take() {
            Some(db) => (Some(db), self.persisted.clone()),
            // A fresh connection: what the database holds is not known, so all is written.
            None => (None, None),
        };
        let (project, state) = (self.project.clone(), self.state.clone());
        let (db, saved) = off_runtime(move || {
            let mut db = match db.map_or_else(|| BuildDb::open(&dir), Ok) {
                Ok(db) => db,
                Err(e) => return (None, Err(e.to_string())),
            };
            let saved = db
                .save(&project, &state, previous.as_deref())
                .map_err(|e| e.to_string());
            (Some(db), saved)
        })
        .await?;
        self.db = db;
        saved.map_err(|e| fail(&e))?;
        self.persisted = Some(self.state.clone());
        Ok(())
    }
}

impl Service for ProjectState {
    type Call = ProjectStateCall;
    type Reply = Result<ProjectStateReply, CpgError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let span = info_span!("cpg_project_state", project = %self.project);
        let project = self.project.clone();
        let opened = off_runtime(move || {
            let db = BuildDb::open(&dir).map_err(|e| e.to_string())?;
            let state = db.load(&project).map_err(|e| e.to_string());
            Ok::<_, String>((db, state))
        })
        .instrument(span.clone())
        .await
        .map_err(|e| -> InitError { e.to_string().into() })?;
        let _enter = span.enter();
        // An unreadable state costs the project one full rebuild, never the service; an
        // unopenable database is tried again on the next commit.
        match opened {
            Ok((db, Ok(state))) => {
                info!(files = state.files.len(), "loaded build state");
                self.db = Some(db);
                self.state = Arc::new(state);
                self.persisted = Some(self.state.clone());
            }
            Ok((db, Err(error))) => {
                warn!(%error, "ignoring unreadable build state");
                self.db = Some(db);
            }
            Err(error) => warn!(%error, "build database unavailable; state kept in memory"),
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
                    self.save().await?;
                    Ok(ProjectStateReply::Committed)
                }
            }
        }
        .instrument(span)
        .await
    }

    async fn terminate(&mut self, _reason: &ExitReason, _ctx: &mut Context<Self>) {
        // Closing may checkpoint the WAL: off the runtime, and before the stop is reported.
        if let Some(db) = self.db.take() {
            let _ = off_runtime(move || db.close()).await;
        }
    }
}

//! CpgOrchestrator: owns the per-project build supervisors. Each project gets its own
//! `project:<name>` supervisor (rest_for_one: [`ProjectState`], then [`ProjectBuilder`])
//! under the `project_builds` dynamic supervisor, started on the project's first build.
//! Builds of different projects run concurrently in their own builders, and a crash of one
//! project's build restarts only that project's builder.
//!
//! The orchestrator and `project_builds` sit together under a rest_for_one supervisor, so a
//! crash of `project_builds` also restarts the orchestrator (whose map would be stale); an
//! orchestrator that restarts alone stops the builds its predecessor started before serving.
//! With a data directory it then prepares the build database the project states share
//! (removing the earlier format's files, moving an unusable database aside), while no
//! project state has it open.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use elixir_scope_ast::ParsedFile;
use elixir_scope_runtime_core::{
    ChildSpec, Context, DynamicSupervisorRef, InitError, Restart, Service, ServiceRef, Strategy,
    SupervisorSpec,
};
use serde::{Deserialize, Serialize};
use tracing::{info, info_span, warn, Instrument};

use crate::build_db::prepare;
use crate::build_options::BuildOptions;
use crate::build_phases::BuildPhases;
use crate::derived_db::off_runtime;
use crate::error::CpgError;
use crate::file_cpg::{build_file, FileCpg};
use crate::project_builder::{BuildContext, ProjectBuilder};
use crate::project_cpg::BuildFailure;
use crate::project_state::ProjectState;

/// Builds the graphs of one parsed file. The default is [`build_file`]; tests and embedders
/// may wrap it (instrumentation, fault injection).
pub type FileBuilder = Arc<dyn Fn(&ParsedFile, &BuildOptions) -> FileCpg + Send + Sync>;

/// The default [`FileBuilder`].
pub fn default_file_builder() -> FileBuilder {
    Arc::new(build_file)
}

/// Requests to [`CpgOrchestrator`].
#[derive(Debug, Clone)]
pub enum OrchestratorCall {
    /// The builder of `project`, starting the project's build supervisor on first use.
    /// Builds are then asked of the builder directly, so a long build of one project does
    /// not hold up the orchestrator or other projects.
    Builder { project: String },
    /// Projects with a running build supervisor, sorted.
    Projects,
    /// Makes the orchestrator panic (fault-injection builds only).
    #[cfg(feature = "fault-injection")]
    Crash,
}

/// Replies of [`CpgOrchestrator`].
#[derive(Debug, Clone)]
pub enum OrchestratorReply {
    Builder(ServiceRef<ProjectBuilder>),
    Projects(Vec<String>),
}

/// What a build did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuildReport {
    pub project: String,
    /// Files in the project graph.
    pub files: usize,
    /// Files parsed and built by this build (new or changed).
    pub rebuilt: usize,
    /// Files whose content was unchanged since the previous build, reused.
    pub reused: usize,
    /// Files whose calls were resolved again: the rebuilt ones and those whose calls can
    /// reach a changed, added or removed file's definitions. The others kept their part of
    /// the call graph.
    #[serde(default)]
    pub relinked: usize,
    pub methods: usize,
    pub call_sites: usize,
    pub unresolved_calls: usize,
    /// Files whose build failed (panicked or was killed), with why.
    pub failures: Vec<BuildFailure>,
    /// Methods whose data flow stopped at the work bound.
    pub dataflow_truncated: usize,
    pub elapsed_ms: u64,
    /// Where the time went.
    #[serde(default)]
    pub phases: BuildPhases,
}

/// Restart intensity of one project's build supervisor: a project whose builder keeps
/// crashing is restarted whole (state and builder) by project_builds, without touching
/// other projects.
const PROJECT_MAX_RESTARTS: u32 = 3;
const PROJECT_RESTART_WINDOW: Duration = Duration::from_secs(5);

/// The orchestrator's state: where project supervisors go and what they are built from.
pub struct CpgOrchestrator {
    builds: DynamicSupervisorRef,
    cx: BuildContext,
    /// The layer's data directory, holding the build database; None keeps build states
    /// in memory only.
    data_dir: Option<PathBuf>,
    projects: HashMap<String, ServiceRef<ProjectBuilder>>,
}

impl CpgOrchestrator {
    pub fn new(builds: DynamicSupervisorRef, cx: BuildContext, data_dir: Option<PathBuf>) -> Self {
        CpgOrchestrator {
            builds,
            cx,
            data_dir,
            projects: HashMap::new(),
        }
    }

    /// The running builder of `project`, or a freshly started project supervisor's.
    async fn builder(&mut self, project: String) -> Result<ServiceRef<ProjectBuilder>, CpgError> {
        // The handle outlives restarts of the project's supervisor (project_builds restarts
        // it with the same mailboxes), and this map dies with project_builds (rest_for_one),
        // so a known project never needs a second supervisor.
        if let Some(builder) = self.projects.get(&project) {
            return Ok(builder.clone());
        }
        let (spec, builder) = self.project_supervisor(&project);
        self.builds
            .start_child(spec)
            .await
            .map_err(|e| CpgError::Unavailable("project_builds", e.to_string().into()))?;
        info!(%project, "project build supervisor started");
        self.projects.insert(project, builder.clone());
        Ok(builder)
    }

    /// `project:<name>`, rest_for_one: the state first, then the builder that depends on it
    /// (a restarted state means a build in flight read a state that is gone).
    fn project_supervisor(&self, project: &str) -> (ChildSpec, ServiceRef<ProjectBuilder>) {
        let (state_spec, state) = {
            let (project, dir) = (project.to_owned(), self.data_dir.clone());
            ChildSpec::service("state", move || {
                ProjectState::new(project.clone(), dir.clone())
            })
        };
        let (builder_spec, builder) = {
            let (project, cx) = (project.to_owned(), self.cx.clone());
            ChildSpec::service("builder", move || {
                ProjectBuilder::new(project.clone(), state.clone(), cx.clone())
            })
        };
        let spec = SupervisorSpec::new(format!("project:{project}"))
            .strategy(Strategy::RestForOne)
            .intensity(PROJECT_MAX_RESTARTS, PROJECT_RESTART_WINDOW)
            .child(state_spec)
            .child(builder_spec)
            .into_child_spec()
            // A project supervisor that gives up is started again by project_builds with
            // the same mailboxes, so handles held by clients (and calls queued in them) are
            // served by the new incarnation instead of waiting for a builder that is gone.
            .restart(Restart::Permanent);
        (spec, builder)
    }
}

impl Service for CpgOrchestrator {
    type Call = OrchestratorCall;
    type Reply = Result<OrchestratorReply, CpgError>;
    type Cast = ();
    type Info = ();

    async fn init(&mut self, _ctx: &mut Context<Self>) -> Result<(), InitError> {
        // Supervisors a previous incarnation started are not in this one's map; stop them so
        // two builders never serve one project.
        let leftovers = self
            .builds
            .which_children()
            .await
            .map_err(|e| -> InitError { e.to_string().into() })?;
        for child in leftovers {
            if let Some(pid) = child.pid {
                if let Err(error) = self.builds.terminate_child(pid).await {
                    warn!(id = %child.id, %error, "could not stop a leftover project supervisor");
                }
            }
        }
        // With no project state running, an unusable build database can be moved aside.
        // Failing that, project states log it and keep their state in memory.
        if let Some(dir) = self.data_dir.clone() {
            let span = info_span!("cpg_orchestrator", data_dir = %dir.display());
            let prepared = off_runtime(move || prepare(&dir))
                .instrument(span.clone())
                .await;
            if let Err(error) =
                prepared.and_then(|r| r.map_err(|e| CpgError::Persist(e.to_string().into())))
            {
                span.in_scope(|| warn!(%error, "build database unavailable"));
            }
        }
        Ok(())
    }

    async fn handle_call(
        &mut self,
        call: OrchestratorCall,
        _ctx: &mut Context<Self>,
    ) -> Self::Reply {
        match call {
            OrchestratorCall::Builder { project } => {
                let span = info_span!("cpg_orchestrator", %project);
                let builder = self.builder(project).instrument(span).await?;
                Ok(OrchestratorReply::Builder(builder))
            }
            #[cfg(feature = "fault-injection")]
            OrchestratorCall::Crash => panic!("injected fault: cpg_orchestrator crashes"),
            OrchestratorCall::Projects => {
                let mut names: Vec<String> = self
                    .projects
                    .iter()
                    .filter(|(_, b)| b.is_accepting())
                    .map(|(p, _)| p.clone())
                    .collect();
                names.sort();
                Ok(OrchestratorReply::Projects(names))
            }
        }
    }
}

//! The CPG layer's supervisor and [`CpgClient`], the typed handle other layers use.
//!
//! ```text
//! cpg                      one_for_one
//! ├── cpg_storage          CpgStorage
//! ├── module_builder_tasks TaskSupervisor (one task per file of every build)
//! └── cpg_builds           rest_for_one
//!     ├── project_builds   DynamicSupervisor
//!     │   └── project:<name>   rest_for_one, one per project
//!     │       ├── state        ProjectState (hashes and models of the last build)
//!     │       └── builder      ProjectBuilder
//!     └── cpg_orchestrator CpgOrchestrator
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use elixir_scope_runtime_core::{
    CallError, ChildSpec, DynamicSupervisorRef, DynamicSupervisorSpec, ServiceRef, StartError,
    Strategy, SupervisorRef, SupervisorSpec, TaskSupervisor,
};
use serde::{Deserialize, Serialize};

use crate::build_options::BuildOptions;
use crate::call_graph::{MethodId, MethodInfo};
use crate::cpg_orchestrator::{
    default_file_builder, BuildReport, CpgOrchestrator, FileBuilder, OrchestratorCall,
    OrchestratorReply,
};
use crate::cpg_storage::{CpgStorage, StorageCall, StorageReply};
use crate::error::CpgError;
use crate::graph::{DefUse, MethodGraph};
use crate::project_builder::{BuildContext, ProjectBuildCall, ProjectBuilder};
use crate::project_cpg::ProjectCpg;

/// Configuration of the CPG layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpgConfig {
    /// Where CpgStorage persists graphs (in [`GRAPH_DATABASE`](crate::GRAPH_DATABASE)) and
    /// the project states their incremental build states (in
    /// [`BUILD_DATABASE`](crate::BUILD_DATABASE)); None keeps them in memory only (default).
    pub data_dir: Option<std::path::PathBuf>,
    pub build: BuildOptions,
    /// File build tasks running at once. Default: available parallelism.
    pub max_concurrency: usize,
    /// Restart intensity of the layer supervisor: restarts allowed per window (default 5 in
    /// 10 s).
    pub max_restarts: u32,
    pub restart_window_ms: u64,
}

impl Default for CpgConfig {
    fn default() -> Self {
        CpgConfig {
            data_dir: None,
            build: BuildOptions::default(),
            max_concurrency: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            max_restarts: 5,
            restart_window_ms: 10_000,
        }
    }
}

/// Names of the layer's children.
pub const STORAGE_NAME: &str = "cpg_storage";
pub const TASKS_NAME: &str = "module_builder_tasks";
pub const ORCHESTRATOR_NAME: &str = "cpg_orchestrator";
/// The rest_for_one supervisor of the orchestrator and the project build supervisors.
pub const BUILDS_NAME: &str = "cpg_builds";
/// The dynamic supervisor holding one `project:<name>` supervisor per project.
pub const PROJECT_BUILDS_NAME: &str = "project_builds";

/// Builds the layer's supervisor spec.
pub struct CpgLayer;

impl CpgLayer {
    /// The `cpg` supervisor as a child spec for the application tree, and its client.
    pub fn child_spec(config: CpgConfig) -> (ChildSpec, CpgClient) {
        Self::child_spec_with_builder(config, default_file_builder())
    }

    /// As [`CpgLayer::child_spec`], with a custom per-file builder.
    pub fn child_spec_with_builder(
        config: CpgConfig,
        builder: FileBuilder,
    ) -> (ChildSpec, CpgClient) {
        let (spec, client) = Self::supervisor(config, builder);
        (spec.into_child_spec(), client)
    }

    /// Starts the layer as a root supervisor (embedding, tests).
    pub async fn start(config: CpgConfig) -> Result<(SupervisorRef, CpgClient), StartError> {
        Self::start_with_builder(config, default_file_builder()).await
    }

    /// As [`CpgLayer::start`], with a custom per-file builder.
    pub async fn start_with_builder(
        config: CpgConfig,
        builder: FileBuilder,
    ) -> Result<(SupervisorRef, CpgClient), StartError> {
        let (spec, client) = Self::supervisor(config, builder);
        Ok((spec.start().await?, client))
    }

    fn supervisor(config: CpgConfig, builder: FileBuilder) -> (SupervisorSpec, CpgClient) {
        let data_dir = config.data_dir.clone();
        let state_dir = config.data_dir.clone();
        let (storage_spec, storage) = ChildSpec::service(STORAGE_NAME, move || match &data_dir {
            Some(dir) => CpgStorage::persistent(dir.clone()),
            None => CpgStorage::default(),
        });
        let (tasks_spec, tasks) = TaskSupervisor::child_spec(TASKS_NAME);
        let project_builds = DynamicSupervisorSpec::new(PROJECT_BUILDS_NAME).intensity(
            config.max_restarts,
            Duration::from_millis(config.restart_window_ms),
        );
        let builds = project_builds.handle();
        let cx = BuildContext {
            storage: storage.clone(),
            tasks: tasks.clone(),
            builder,
            options: config.build,
            max_concurrency: config.max_concurrency,
        };
        let orchestrator_factory = {
            let builds = builds.clone();
            move || CpgOrchestrator::new(builds.clone(), cx.clone(), state_dir.clone())
        };
        let (orchestrator_spec, orchestrator) =
            ChildSpec::service(ORCHESTRATOR_NAME, orchestrator_factory);
        let intensity = (
            config.max_restarts,
            Duration::from_millis(config.restart_window_ms),
        );
        let builds_spec = SupervisorSpec::new(BUILDS_NAME)
            .strategy(Strategy::RestForOne)
            .intensity(intensity.0, intensity.1)
            .child(project_builds.into_child_spec())
            .child(orchestrator_spec);
        let spec = SupervisorSpec::new("cpg")
            .strategy(Strategy::OneForOne)
            .intensity(intensity.0, intensity.1)
            .child(storage_spec)
            .child(tasks_spec)
            .child(builds_spec.into_child_spec());
        (
            spec,
            CpgClient {
                storage,
                orchestrator,
                tasks,
                builds,
            },
        )
    }
}

/// Typed access to the CPG layer's services; stays valid across their restarts.
#[derive(Clone)]
pub struct CpgClient {
    storage: ServiceRef<CpgStorage>,
    orchestrator: ServiceRef<CpgOrchestrator>,
    tasks: TaskSupervisor,
    builds: DynamicSupervisorRef,
}

/// Attempts at a build whose builder is momentarily not running (its project supervisor
/// restarting), about half a second in all.
const NOT_RUNNING_ATTEMPTS: u32 = 10;

/// Name of a project's builder in errors.
const BUILDER_NAME: &str = "cpg_project_builder";

/// Long builds: a 300k-line project takes seconds, well past the default call timeout.
const BUILD_TIMEOUT: Duration = Duration::from_secs(600);

impl CpgClient {
    pub fn storage(&self) -> &ServiceRef<CpgStorage> {
        &self.storage
    }

    pub fn orchestrator(&self) -> &ServiceRef<CpgOrchestrator> {
        &self.orchestrator
    }

    pub fn tasks(&self) -> &TaskSupervisor {
        &self.tasks
    }

    /// The dynamic supervisor holding one build supervisor per project.
    pub fn project_builds(&self) -> &DynamicSupervisorRef {
        &self.builds
    }

    /// The builder of `project` (its build supervisor is started on first use).
    pub async fn project_builder(
        &self,
        project: &str,
    ) -> Result<ServiceRef<ProjectBuilder>, CpgError> {
        let call = OrchestratorCall::Builder {
            project: project.to_owned(),
        };
        match self
            .orchestrator
            .call(call)
            .await
            .map_err(|e| CpgError::Unavailable(ORCHESTRATOR_NAME, e.to_string().into()))??
        {
            OrchestratorReply::Builder(b) => Ok(b),
            other => Err(CpgError::Unavailable(
                ORCHESTRATOR_NAME,
                format!("unexpected reply {other:?}").into(),
            )),
        }
    }

    /// Builds (or rebuilds) the graph of the project under `root` and stores it. Builds of
    /// different projects run concurrently; builds of one project one after another.
    pub async fn build(&self, project: &str, root: &Path) -> Result<BuildReport, CpgError> {
        let call = || ProjectBuildCall::Build {
            root: root.to_path_buf(),
        };
        let mut attempt = 1;
        loop {
            let builder = self.project_builder(project).await?;
            match builder.call_timeout(call(), BUILD_TIMEOUT).await {
                // The project's supervisor is between giving up and being started again by
                // project_builds: its mailboxes refuse calls for that moment.
                Err(CallError::NotRunning { .. }) if attempt < NOT_RUNNING_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
                }
                reply => {
                    return reply
                        .map_err(|e| CpgError::Unavailable(BUILDER_NAME, e.to_string().into()))?
                }
            }
        }
    }

    async fn ask(&self, call: StorageCall) -> Result<StorageReply, CpgError> {
        self.storage
            .call(call)
            .await
            .map_err(|e| CpgError::Unavailable(STORAGE_NAME, e.to_string().into()))?
    }

    /// The stored graph of a project.
    pub async fn project(&self, project: &str) -> Result<Arc<ProjectCpg>, CpgError> {
        match self
            .ask(StorageCall::Get {
                project: project.to_owned(),
            })
            .await?
        {
            StorageReply::Project(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    pub async fn callers(
        &self,
        project: &str,
        method: MethodId,
    ) -> Result<Vec<MethodInfo>, CpgError> {
        self.methods(StorageCall::Callers {
            project: project.to_owned(),
            method,
        })
        .await
    }

    pub async fn callees(
        &self,
        project: &str,
        method: MethodId,
    ) -> Result<Vec<MethodInfo>, CpgError> {
        self.methods(StorageCall::Callees {
            project: project.to_owned(),
            method,
        })
        .await
    }

    pub async fn reachable(
        &self,
        project: &str,
        from: MethodId,
    ) -> Result<Vec<MethodInfo>, CpgError> {
        self.methods(StorageCall::Reachable {
            project: project.to_owned(),
            from,
        })
        .await
    }

    async fn methods(&self, call: StorageCall) -> Result<Vec<MethodInfo>, CpgError> {
        match self.ask(call).await? {
            StorageReply::Methods(m) => Ok(m),
            other => Err(unexpected(other)),
        }
    }

    pub async fn paths(
        &self,
        project: &str,
        from: MethodId,
        to: MethodId,
        limit: usize,
    ) -> Result<Vec<Vec<MethodId>>, CpgError> {
        match self
            .ask(StorageCall::Paths {
                project: project.to_owned(),
                from,
                to,
                limit,
            })
            .await?
        {
            StorageReply::Paths(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// Control flow (with control dependence and reaching definitions) of one method.
    pub async fn method_graph(
        &self,
        project: &str,
        method: MethodId,
    ) -> Result<MethodGraph, CpgError> {
        match self
            .ask(StorageCall::MethodGraph {
                project: project.to_owned(),
                method,
            })
            .await?
        {
            StorageReply::MethodGraph(g) => Ok(*g),
            other => Err(unexpected(other)),
        }
    }

    pub async fn def_use(&self, project: &str, method: MethodId) -> Result<Vec<DefUse>, CpgError> {
        match self
            .ask(StorageCall::DefUse {
                project: project.to_owned(),
                method,
            })
            .await?
        {
            StorageReply::DefUse(d) => Ok(d),
            other => Err(unexpected(other)),
        }
    }

    pub async fn export_json(&self, project: &str) -> Result<String, CpgError> {
        self.text(StorageCall::ExportJson {
            project: project.to_owned(),
        })
        .await
    }

    /// DOT of one method, or of the call graph when `method` is None.
    pub async fn export_dot(
        &self,
        project: &str,
        method: Option<MethodId>,
    ) -> Result<String, CpgError> {
        self.text(StorageCall::ExportDot {
            project: project.to_owned(),
            method,
        })
        .await
    }

    async fn text(&self, call: StorageCall) -> Result<String, CpgError> {
        match self.ask(call).await? {
            StorageReply::Text(t) => Ok(t),
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(reply: StorageReply) -> CpgError {
    CpgError::Unavailable(STORAGE_NAME, format!("unexpected reply {reply:?}").into())
}

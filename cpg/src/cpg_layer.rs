//! The CPG layer's supervisor (one_for_one: CpgStorage, ModuleBuilderTaskSupervisor,
//! CpgOrchestrator) and [`CpgClient`], the typed handle other layers use.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use elixir_scope_runtime_core::{
    ChildSpec, ServiceRef, StartError, Strategy, SupervisorRef, SupervisorSpec, TaskSupervisor,
};
use serde::{Deserialize, Serialize};

use crate::build_options::BuildOptions;
use crate::call_graph::{MethodId, MethodInfo};
use crate::cpg_orchestrator::{
    default_file_builder, BuildReport, CpgOrchestrator, FileBuilder, OrchestratorCall,
};
use crate::cpg_storage::{CpgStorage, StorageCall, StorageReply};
use crate::error::CpgError;
use crate::graph::{DefUse, MethodGraph};
use crate::project_cpg::ProjectCpg;

/// Configuration of the CPG layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpgConfig {
    /// Where CpgStorage persists graphs; None keeps them in memory only (default).
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
        let (storage_spec, storage) = ChildSpec::service(STORAGE_NAME, move || match &data_dir {
            Some(dir) => CpgStorage::persistent(dir.clone()),
            None => CpgStorage::default(),
        });
        let (build, max_concurrency) = (config.build, config.max_concurrency);
        let (tasks_spec, tasks) = TaskSupervisor::child_spec(TASKS_NAME);
        let orchestrator_factory = {
            let storage = storage.clone();
            let tasks = tasks.clone();
            move || {
                CpgOrchestrator::new(
                    storage.clone(),
                    tasks.clone(),
                    builder.clone(),
                    build,
                    max_concurrency,
                )
            }
        };
        let (orchestrator_spec, orchestrator) =
            ChildSpec::service(ORCHESTRATOR_NAME, orchestrator_factory);
        let spec = SupervisorSpec::new("cpg")
            .strategy(Strategy::OneForOne)
            .intensity(
                config.max_restarts,
                Duration::from_millis(config.restart_window_ms),
            )
            .child(storage_spec)
            .child(tasks_spec)
            .child(orchestrator_spec);
        (
            spec,
            CpgClient {
                storage,
                orchestrator,
                tasks,
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
}

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

    /// Builds (or rebuilds) the graph of the project under `root` and stores it.
    pub async fn build(&self, project: &str, root: &Path) -> Result<BuildReport, CpgError> {
        self.orchestrator
            .call_timeout(
                OrchestratorCall::Build {
                    project: project.to_owned(),
                    root: root.to_path_buf(),
                },
                BUILD_TIMEOUT,
            )
            .await
            .map_err(|e| CpgError::Unavailable(ORCHESTRATOR_NAME, e.to_string().into()))?
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

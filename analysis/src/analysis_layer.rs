//! The layer's supervisor and the typed client other layers (and `elixir-scope analyze`) use.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use elixir_scope_ast::AstClient;
use elixir_scope_runtime_core::{
    CallError, ChildSpec, Intensity, ServiceRef, StartError, Strategy, SupervisorRef,
    SupervisorSpec, TaskSupervisor,
};
use tokio::sync::{broadcast, watch};

use crate::analysis_config::AnalysisConfig;
use crate::error::AnalyzeError;
use crate::job::{JobId, JobProgress, JobSpec, JobState, JobStatus};
use crate::job_manager::{AnalysisJobManager, JobCall, JobReply};
use crate::report::Report;

/// Buffered progress events per subscriber; a slow subscriber loses the oldest.
const PROGRESS_BUFFER: usize = 1024;

/// The analysis layer: `analysis_tasks` (the AnalysisTaskSupervisor) and
/// `analysis_job_manager` under one one_for_one supervisor named `analysis`. The task
/// supervisor starts first because the manager runs every job on it.
pub struct AnalysisLayer;

impl AnalysisLayer {
    /// The layer's supervisor as a child spec for the application tree, and the client.
    pub fn child_spec(config: AnalysisConfig, ast: AstClient) -> (ChildSpec, AnalysisClient) {
        let (spec, client) = Self::supervisor_spec(config, ast);
        (spec.into_child_spec(), client)
    }

    /// Starts the layer as a root supervisor (embedding, `analyze`, tests).
    pub async fn start(
        config: AnalysisConfig,
        ast: AstClient,
    ) -> Result<(SupervisorRef, AnalysisClient), StartError> {
        let (spec, client) = Self::supervisor_spec(config, ast);
        let sup = spec.start().await?;
        Ok((sup, client))
    }

    fn supervisor_spec(config: AnalysisConfig, ast: AstClient) -> (SupervisorSpec, AnalysisClient) {
        let config = Arc::new(config);
        let (task_spec, tasks) = TaskSupervisor::child_spec_with_intensity(
            "analysis_tasks",
            Intensity {
                max_restarts: config.max_restarts,
                period: config.restart_period,
            },
        );
        let (progress, _) = broadcast::channel(PROGRESS_BUFFER);
        let factory_config = config.clone();
        let factory_progress = progress.clone();
        let job_ids = Arc::new(AtomicU64::new(1));
        let (manager_spec, manager) = ChildSpec::service("analysis_job_manager", move || {
            AnalysisJobManager::new(
                ast.clone(),
                tasks.clone(),
                factory_config.clone(),
                factory_progress.clone(),
                job_ids.clone(),
            )
        });
        let spec = SupervisorSpec::new("analysis")
            .strategy(Strategy::OneForOne)
            .intensity(config.max_restarts, config.restart_period)
            .child(task_spec)
            .child(manager_spec);
        let client = AnalysisClient {
            manager,
            progress,
            config,
        };
        (spec, client)
    }
}

/// Typed handle to the analysis layer; cheap to clone, valid across restarts of its services.
#[derive(Clone)]
pub struct AnalysisClient {
    manager: ServiceRef<AnalysisJobManager>,
    progress: broadcast::Sender<JobProgress>,
    config: Arc<AnalysisConfig>,
}

impl std::fmt::Debug for AnalysisClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnalysisClient").finish_non_exhaustive()
    }
}

fn unavailable(e: CallError) -> AnalyzeError {
    AnalyzeError::Unavailable(e.to_string())
}

fn unexpected(r: JobReply) -> AnalyzeError {
    AnalyzeError::Unavailable(format!("unexpected job manager reply {r:?}"))
}

impl AnalysisClient {
    async fn call(&self, request: JobCall) -> Result<JobReply, AnalyzeError> {
        self.manager
            .call_timeout(request, self.config.call_timeout)
            .await
            .map_err(unavailable)
    }

    /// The job manager service handle (supervision, monitoring, tests).
    pub fn manager(&self) -> &ServiceRef<AnalysisJobManager> {
        &self.manager
    }

    /// Progress events of every job from now on.
    pub fn subscribe_progress(&self) -> broadcast::Receiver<JobProgress> {
        self.progress.subscribe()
    }

    /// Starts a job; it runs in the background.
    pub async fn submit(&self, spec: JobSpec) -> Result<JobId, AnalyzeError> {
        match self.call(JobCall::Submit(Box::new(spec))).await? {
            JobReply::Submitted(r) => r.map_err(AnalyzeError::Unavailable),
            other => Err(unexpected(other)),
        }
    }

    /// A job's status (with its report once completed).
    pub async fn status(&self, id: JobId) -> Result<JobStatus, AnalyzeError> {
        match self.call(JobCall::Status(id)).await? {
            JobReply::Status(Some(s)) => Ok(s),
            JobReply::Status(None) => Err(AnalyzeError::UnknownJob(id)),
            other => Err(unexpected(other)),
        }
    }

    /// Every stored job, oldest first.
    pub async fn list(&self) -> Result<Vec<JobStatus>, AnalyzeError> {
        match self.call(JobCall::List).await? {
            JobReply::List(l) => Ok(l),
            other => Err(unexpected(other)),
        }
    }

    /// Asks a running job to stop; false when it is unknown or already finished.
    pub async fn cancel(&self, id: JobId) -> Result<bool, AnalyzeError> {
        match self.call(JobCall::Cancel(id)).await? {
            JobReply::Cancelled(b) => Ok(b),
            other => Err(unexpected(other)),
        }
    }

    /// A receiver of the job's state. If the job manager dies, the receiver's sender goes
    /// with it, so a waiter learns the job was lost instead of hanging.
    pub async fn watch(&self, id: JobId) -> Result<watch::Receiver<JobState>, AnalyzeError> {
        match self.call(JobCall::Watch(id)).await? {
            JobReply::Watch(Some(w)) => Ok(w),
            JobReply::Watch(None) => Err(AnalyzeError::UnknownJob(id)),
            other => Err(unexpected(other)),
        }
    }

    /// Waits for a job to finish and returns its report.
    pub async fn wait(&self, id: JobId) -> Result<Arc<Report>, AnalyzeError> {
        let state = self.watch(id).await?;
        self.wait_watched(id, state).await
    }

    /// Waits on a receiver from [`AnalysisClient::watch`] and returns the job's report.
    pub async fn wait_watched(
        &self,
        id: JobId,
        mut state: watch::Receiver<JobState>,
    ) -> Result<Arc<Report>, AnalyzeError> {
        let finished = state
            .wait_for(|s| s.is_final())
            .await
            .map(|s| *s)
            .map_err(|_| {
                AnalyzeError::Unavailable(format!(
                    "job {id} was lost: the job manager restarted or stopped"
                ))
            })?;
        match finished {
            JobState::Cancelled => Err(AnalyzeError::Cancelled(id)),
            _ => {
                let status = self.status(id).await?;
                match (status.report, status.error) {
                    (Some(r), _) => Ok(r),
                    (None, e) => Err(AnalyzeError::JobFailed {
                        id,
                        error: e.unwrap_or_else(|| "no report".to_owned()),
                    }),
                }
            }
        }
    }

    /// Submits a job and waits for its report.
    pub async fn run(&self, spec: JobSpec) -> Result<Arc<Report>, AnalyzeError> {
        let id = self.submit(spec).await?;
        self.wait(id).await
    }
}

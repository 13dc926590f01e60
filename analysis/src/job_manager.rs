//! AnalysisJobManager: the service that takes analysis jobs, runs each on the
//! AnalysisTaskSupervisor and keeps their results for listing.
//!
//! Job results live in the service's memory: a restarted manager starts empty, and waiters
//! of the lost jobs see their job channel close (an `Unavailable` error), never a hang.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use elixir_scope_ast::AstClient;
use elixir_scope_runtime_core::{Context, Service, TaskError, TaskSupervisor};
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, info_span, warn};

use crate::analysis_config::AnalysisConfig;
use crate::job::{JobId, JobProgress, JobSpec, JobState, JobStatus};
use crate::job_runner::{run_job, JobContext, JobError};
use crate::report::Report;

/// Requests to the job manager.
#[derive(Debug)]
pub enum JobCall {
    Submit(Box<JobSpec>),
    Status(JobId),
    List,
    Cancel(JobId),
    /// A receiver of the job's state, to wait for it to finish.
    Watch(JobId),
}

/// Replies of the job manager, one variant per request.
#[derive(Debug)]
pub enum JobReply {
    /// The new job's id, or why it could not start.
    Submitted(Result<JobId, String>),
    Status(Option<JobStatus>),
    List(Vec<JobStatus>),
    /// False when the job is unknown or already final.
    Cancelled(bool),
    Watch(Option<watch::Receiver<JobState>>),
}

/// Internal: a job's driver task ended.
#[derive(Debug)]
pub struct JobFinished {
    id: JobId,
    outcome: Result<Result<Report, JobError>, TaskError>,
}

struct JobEntry {
    status: JobStatus,
    cancel: CancellationToken,
    state: watch::Sender<JobState>,
}

/// The job manager service. Build it with [`crate::AnalysisLayer`].
pub struct AnalysisJobManager {
    ast: AstClient,
    tasks: TaskSupervisor,
    config: Arc<AnalysisConfig>,
    progress: broadcast::Sender<JobProgress>,
    /// Shared by every incarnation: ids are never reused after a restart, so a client's old id
    /// cannot name a new job, and a late `JobFinished` from a job of the crashed incarnation
    /// (its mailbox is the new incarnation's) finds no entry instead of finishing a new job.
    next_id: Arc<AtomicU64>,
    jobs: BTreeMap<JobId, JobEntry>,
}

impl AnalysisJobManager {
    pub(crate) fn new(
        ast: AstClient,
        tasks: TaskSupervisor,
        config: Arc<AnalysisConfig>,
        progress: broadcast::Sender<JobProgress>,
        next_id: Arc<AtomicU64>,
    ) -> Self {
        AnalysisJobManager {
            ast,
            tasks,
            config,
            progress,
            next_id,
            jobs: BTreeMap::new(),
        }
    }

    fn submit(&mut self, spec: JobSpec, ctx: &mut Context<Self>) -> Result<JobId, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        let job = JobContext {
            id,
            spec: spec.clone(),
            ast: self.ast.clone(),
            tasks: self.tasks.clone(),
            cancel: cancel.clone(),
            config: self.config.clone(),
            progress: self.progress.clone(),
        };
        let driver = self
            .tasks
            .async_nolink(run_job(job))
            .map_err(|e| e.to_string())?;
        let me = ctx.myself().clone();
        // A second task waits for the driver so that even a driver that dies reports back.
        let reporter = self.tasks.async_nolink(async move {
            let outcome = driver.join().await;
            // The manager may be gone (shutdown); then nobody waits for this job.
            let _ = me.cast(JobFinished { id, outcome });
        });
        if let Err(e) = reporter {
            cancel.cancel();
            return Err(e.to_string());
        }
        let (state, _) = watch::channel(JobState::Running);
        self.jobs.insert(
            id,
            JobEntry {
                status: JobStatus {
                    id,
                    project: spec.project,
                    analyses: spec.analyses,
                    state: JobState::Running,
                    error: None,
                    report: None,
                },
                cancel,
                state,
            },
        );
        info!(job = id, "analysis job submitted");
        self.evict();
        Ok(id)
    }

    /// Drops the oldest finished jobs past `max_stored_jobs`; running jobs are never dropped.
    fn evict(&mut self) {
        let finished: Vec<JobId> = self
            .jobs
            .iter()
            .filter(|(_, j)| j.status.state.is_final())
            .map(|(id, _)| *id)
            .collect();
        let excess = self.jobs.len().saturating_sub(self.config.max_stored_jobs);
        for id in finished.into_iter().take(excess) {
            self.jobs.remove(&id);
        }
    }

    fn finish(&mut self, done: JobFinished) {
        let Some(entry) = self.jobs.get_mut(&done.id) else {
            return;
        };
        let (state, error, report) = match done.outcome {
            Ok(Ok(report)) => (JobState::Completed, None, Some(Arc::new(report))),
            Ok(Err(JobError::Cancelled)) => (JobState::Cancelled, None, None),
            Ok(Err(JobError::Failed(e))) => (JobState::Failed, Some(e), None),
            Err(e) => (JobState::Failed, Some(format!("job driver: {e}")), None),
        };
        match state {
            JobState::Failed => warn!(job = done.id, error = ?error, "analysis job failed"),
            _ => info!(job = done.id, state = ?state, "analysis job finished"),
        }
        entry.status.state = state;
        entry.status.error = error;
        entry.status.report = report;
        entry.state.send_replace(state);
        self.evict();
    }
}

impl Service for AnalysisJobManager {
    type Call = JobCall;
    type Reply = JobReply;
    type Cast = JobFinished;
    type Info = ();

    async fn handle_call(&mut self, request: JobCall, ctx: &mut Context<Self>) -> JobReply {
        let _span = info_span!("analysis_job_manager").entered();
        match request {
            JobCall::Submit(spec) => JobReply::Submitted(self.submit(*spec, ctx)),
            JobCall::Status(id) => JobReply::Status(self.jobs.get(&id).map(|j| j.status.clone())),
            JobCall::List => JobReply::List(self.jobs.values().map(|j| j.status.clone()).collect()),
            JobCall::Cancel(id) => JobReply::Cancelled(match self.jobs.get(&id) {
                Some(j) if !j.status.state.is_final() => {
                    j.cancel.cancel();
                    true
                }
                _ => false,
            }),
            JobCall::Watch(id) => JobReply::Watch(self.jobs.get(&id).map(|j| j.state.subscribe())),
        }
    }

    async fn handle_cast(&mut self, message: JobFinished, _ctx: &mut Context<Self>) {
        let _span = info_span!("analysis_job_manager").entered();
        self.finish(message);
    }

    async fn terminate(
        &mut self,
        _reason: &elixir_scope_runtime_core::ExitReason,
        _ctx: &mut Context<Self>,
    ) {
        // Running jobs cannot report to a stopped manager; stop their work.
        for job in self.jobs.values() {
            job.cancel.cancel();
        }
    }
}

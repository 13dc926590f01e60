//! Typed handles to services, valid across restarts.

use crate::error::{CallError, StartError};
use crate::lazy_timeout::lazy_timeout;
use crate::mailbox::{Envelope, Mailbox, ReplyFailure, ReplyTo};
use crate::process::{DownNotice, MonitorSink, Pid};
use crate::service::Service;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// The default `call` timeout, as OTP's `gen_server:call/2`.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A handle to a service. Cloning is cheap.
///
/// The handle is bound to the service's mailbox, not to one incarnation: after a restart it
/// reaches the new incarnation. A call made while the service is restarting waits in the mailbox
/// and is answered by the next incarnation (within the call's timeout); a call whose handler
/// crashes gets [`CallError::Crashed`]; a call to a service stopped for good gets
/// [`CallError::NotRunning`] at once. (OTP differs: a call to a registered name during a restart
/// fails with `noproc`. Queuing is what callers of a supervised service want.)
pub struct ServiceRef<S: Service> {
    inner: Arc<Mailbox<S>>,
}

impl<S: Service> Clone for ServiceRef<S> {
    fn clone(&self) -> Self {
        ServiceRef {
            inner: self.inner.clone(),
        }
    }
}

impl<S: Service> fmt::Debug for ServiceRef<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceRef")
            .field("name", &self.inner.name)
            .field("pid", &self.pid())
            .finish()
    }
}

impl<S: Service> ServiceRef<S> {
    pub(crate) fn from_mailbox(inner: Arc<Mailbox<S>>) -> Self {
        ServiceRef { inner }
    }

    /// The service's name.
    pub fn name(&self) -> &Arc<str> {
        &self.inner.name
    }

    /// Calls with the default 5 s timeout.
    pub async fn call(&self, request: S::Call) -> Result<S::Reply, CallError> {
        self.call_timeout(request, DEFAULT_CALL_TIMEOUT).await
    }

    /// Calls and waits up to `timeout` for the reply.
    pub async fn call_timeout(
        &self,
        request: S::Call,
        timeout: Duration,
    ) -> Result<S::Reply, CallError> {
        let (tx, rx) = oneshot::channel();
        if self
            .inner
            .send(Envelope::Call(request, ReplyTo::new(tx)))
            .is_err()
        {
            return Err(self.not_running());
        }
        match lazy_timeout(timeout, rx).await {
            Some(Ok(Ok(reply))) => Ok(reply),
            Some(Ok(Err(ReplyFailure::NotRunning))) => Err(self.not_running()),
            Some(Ok(Err(ReplyFailure::Crashed))) | Some(Err(_)) => Err(CallError::Crashed {
                service: self.inner.name.clone(),
            }),
            None => Err(CallError::Timeout {
                service: self.inner.name.clone(),
                timeout,
            }),
        }
    }

    /// Sends a cast. Fails only if the service is stopped for good.
    pub fn cast(&self, message: S::Cast) -> Result<(), CallError> {
        self.inner
            .send(Envelope::Cast(message))
            .map_err(|_| self.not_running())
    }

    /// Sends an info message (OTP's plain `send`).
    pub fn send_info(&self, message: S::Info) -> Result<(), CallError> {
        self.inner
            .send(Envelope::Info(message))
            .map_err(|_| self.not_running())
    }

    /// The current incarnation's pid, if one is running.
    pub fn pid(&self) -> Option<Pid> {
        self.inner
            .current()
            .filter(|cell| cell.exit_reason().is_none())
            .map(|cell| cell.pid())
    }

    /// Whether an incarnation is running now.
    pub fn is_running(&self) -> bool {
        self.pid().is_some()
    }

    /// Whether messages are accepted (running, or about to be restarted).
    pub fn is_accepting(&self) -> bool {
        self.inner.is_accepting()
    }

    /// Messages waiting in the mailbox.
    pub fn mailbox_len(&self) -> usize {
        self.inner.len()
    }

    /// Monitors the current incarnation: resolves with its down notice when it exits. `None` if
    /// no incarnation has started yet.
    pub fn monitor(&self) -> Option<Monitor> {
        let (tx, rx) = oneshot::channel();
        let pid = self.monitor_with(Box::new(move |notice| {
            let _ = tx.send(notice);
        }))?;
        Some(Monitor { pid, rx })
    }

    pub(crate) fn monitor_with(&self, sink: MonitorSink) -> Option<Pid> {
        let cell = self.inner.current()?;
        let pid = cell.pid();
        cell.add_monitor(sink);
        Some(pid)
    }

    pub(crate) fn deliver_down(&self, notice: DownNotice) -> bool {
        self.inner.deliver_down(notice)
    }

    fn not_running(&self) -> CallError {
        CallError::NotRunning {
            service: self.inner.name.clone(),
        }
    }

    /// Starts `state` as a service outside any supervisor and waits for its `init`.
    pub async fn start_unsupervised(
        name: impl Into<Arc<str>>,
        state: S,
    ) -> Result<ServiceRef<S>, StartError> {
        let mailbox = Mailbox::new(name.into());
        crate::service_runner::start_service(state, mailbox.clone(), None, mailbox.name.clone())
            .await?;
        Ok(ServiceRef { inner: mailbox })
    }

    /// Spawns `state` as a service outside any supervisor without waiting for `init`; messages
    /// sent meanwhile are handled after it. If `init` fails the service stops.
    pub fn spawn_unsupervised(name: impl Into<Arc<str>>, state: S) -> ServiceRef<S> {
        let mailbox = Mailbox::new(name.into());
        crate::service_runner::spawn_service(state, mailbox.clone(), None, mailbox.name.clone());
        ServiceRef { inner: mailbox }
    }

    /// Asks the current incarnation to stop gracefully (`terminate` runs) and waits for it.
    /// Meant for services started outside a supervisor; a supervised one would be restarted
    /// according to its restart type.
    pub async fn stop(&self, reason: crate::ExitReason) -> Option<crate::ExitReason> {
        let cell = self.inner.current()?;
        cell.request_shutdown(reason);
        let reason = cell.wait_exit().await;
        Some(reason)
    }
}

/// A pending monitor on one incarnation.
#[derive(Debug)]
pub struct Monitor {
    pid: Pid,
    rx: oneshot::Receiver<DownNotice>,
}

impl Monitor {
    /// The monitored incarnation.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits for the down notice.
    pub async fn down(self) -> DownNotice {
        match self.rx.await {
            Ok(notice) => notice,
            // The sink is only dropped unsent if the process cell is dropped before exiting,
            // which cannot happen: exits are published from the task's drop guard.
            Err(_) => std::future::pending().await,
        }
    }
}

//! Services: GenServer-like processes with typed calls, casts and info messages.
//!
//! The trait uses native `async fn` in traits (stable since Rust 1.75) with `Send` futures
//! declared in the signatures. Compared with `#[async_trait]`, this avoids one heap allocation
//! per handled message, which matters on the call round-trip path; services are never used as
//! `dyn` objects, so the object-safety async-trait buys is not needed here.

use crate::error::InitError;
use crate::exit_reason::ExitReason;
use crate::process::{DownNotice, Pid};
use crate::service_ref::ServiceRef;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::AbortHandle;

/// An info message: the service's own info type, or a monitor's down notice.
#[derive(Debug)]
pub enum Info<M> {
    /// A message of the service's `Info` type (sent with `ServiceRef::send_info` or a timer).
    Message(M),
    /// A process this service monitors exited.
    Down(DownNotice),
}

/// A GenServer-like service. See the crate docs for a full example.
///
/// Each method runs inside the service's own task, one message at a time. A panic in any of them
/// crashes the incarnation: its supervisor decides what happens next, and the caller of the
/// interrupted `call` gets [`CallError::Crashed`](crate::CallError::Crashed).
pub trait Service: Sized + Send + 'static {
    /// Requests answered by `handle_call`.
    type Call: Send + 'static;
    /// Replies to calls.
    type Reply: Send + 'static;
    /// Fire-and-forget requests handled by `handle_cast`.
    type Cast: Send + 'static;
    /// Out-of-band messages (timers, notifications) handled by `handle_info`.
    type Info: Send + 'static;

    /// Runs before the service is considered started. The supervisor waits for it; an error
    /// fails the start.
    fn init(
        &mut self,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<(), InitError>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Answers a call.
    fn handle_call(
        &mut self,
        request: Self::Call,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Self::Reply> + Send;

    /// Handles a cast. The default ignores it.
    fn handle_cast(
        &mut self,
        message: Self::Cast,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (message, ctx);
        async {}
    }

    /// Handles an info message. The default ignores it.
    fn handle_info(
        &mut self,
        info: Info<Self::Info>,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (info, ctx);
        async {}
    }

    /// Runs on a graceful stop (shutdown by the supervisor or `ctx.stop`), not on a kill or a
    /// panic. The default does nothing.
    fn terminate(
        &mut self,
        reason: &ExitReason,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = ()> + Send {
        let _ = (reason, ctx);
        async {}
    }
}

/// What a service can do about itself while it handles a message.
pub struct Context<S: Service> {
    pub(crate) myself: ServiceRef<S>,
    pub(crate) pid: Pid,
    pub(crate) stop: Option<ExitReason>,
    pub(crate) timers: Vec<AbortHandle>,
}

impl<S: Service> Context<S> {
    /// This incarnation's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The service's name (its child id).
    pub fn name(&self) -> &Arc<str> {
        self.myself.name()
    }

    /// A handle to this service (stable across restarts).
    pub fn myself(&self) -> &ServiceRef<S> {
        &self.myself
    }

    /// Stops the service after the current message: `terminate` runs, then it exits with
    /// `reason` (OTP's `{stop, Reason, State}`).
    pub fn stop(&mut self, reason: ExitReason) {
        self.stop = Some(reason);
    }

    /// Delivers `message` to `handle_info` after `delay` (OTP's `erlang:send_after`). Timers
    /// die with the incarnation that set them.
    pub fn send_after(&mut self, message: S::Info, delay: Duration) -> TimerRef {
        let target = self.myself.clone();
        let handle = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = target.send_info(message);
        })
        .abort_handle();
        self.timers.retain(|t| !t.is_finished());
        self.timers.push(handle.clone());
        TimerRef(handle)
    }

    /// Monitors another service's current incarnation: when it exits, this service receives
    /// [`Info::Down`]. Returns the monitored pid, or `None` if it is not running.
    pub fn monitor<T: Service>(&self, target: &ServiceRef<T>) -> Option<Pid> {
        let me = self.myself.clone();
        target.monitor_with(Box::new(move |notice| {
            let _ = me.deliver_down(notice);
        }))
    }
}

impl<S: Service> Drop for Context<S> {
    fn drop(&mut self) {
        for timer in &self.timers {
            timer.abort();
        }
    }
}

/// A pending `send_after` timer.
#[derive(Debug, Clone)]
pub struct TimerRef(AbortHandle);

impl TimerRef {
    /// Cancels the timer if it has not fired.
    pub fn cancel(&self) {
        self.0.abort();
    }
}

//! The receive loop of a service incarnation and the start functions that spawn it.

use crate::child_spec::{ChildKind, ChildSpec, StartArgs, StartFn, StartedChild};
use crate::error::StartError;
use crate::exit_reason::ExitReason;
use crate::mailbox::{Envelope, Inbox, Mailbox};
use crate::process::{spawn_process, ExitLink, ProcessCell, ProcessHandle, ShutdownSignal};
use crate::service::{Context, Info, Service};
use crate::service_ref::ServiceRef;
use crate::snapshot::Introspect;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;
use tokio::sync::oneshot;

type InitAck = oneshot::Sender<Result<(), String>>;

/// Makes an unsupervised service's mailbox refuse messages (and fail the calls still queued)
/// once its incarnation is gone, however it ended: returned, panicked or aborted. It is an
/// argument of the service's future, so it is dropped with it even if the task is aborted
/// before its first poll; no monitor closure has to be allocated for it.
struct DeactivateOnExit<S: Service>(Option<Arc<Mailbox<S>>>);

impl<S: Service> Drop for DeactivateOnExit<S> {
    fn drop(&mut self) {
        if let Some(mailbox) = self.0.take() {
            mailbox.deactivate();
        }
    }
}

async fn run_service<S: Service>(
    mut state: S,
    mailbox: Arc<Mailbox<S>>,
    cell: Arc<ProcessCell>,
    mut shutdown: ShutdownSignal,
    init_ack: Option<InitAck>,
    _deactivate: DeactivateOnExit<S>,
) -> ExitReason {
    let mut ctx = Context {
        myself: ServiceRef::from_mailbox(mailbox.clone()),
        pid: cell.pid(),
        stop: None,
        timers: Vec::new(),
    };
    drop(cell);
    // Taken before `init`, so a restart's first poll and the calls queued during the restart
    // see the same receiver; it goes back to the mailbox when this future ends or is dropped.
    let mut inbox = Mailbox::inbox(mailbox);
    if let Err(error) = state.init(&mut ctx).await {
        let message = error.to_string();
        if let Some(ack) = init_ack {
            let _ = ack.send(Err(message.clone()));
        }
        return ExitReason::Error(message.into());
    }
    if let Some(ack) = init_ack {
        let _ = ack.send(Ok(()));
    }
    loop {
        if let Some(reason) = ctx.stop.take() {
            state.terminate(&reason, &mut ctx).await;
            return reason;
        }
        let envelope = match poll_fn(|cx| next_event(&mut inbox, &mut shutdown, cx)).await {
            Event::Shutdown(reason) => {
                state.terminate(&reason, &mut ctx).await;
                return reason;
            }
            Event::Message(envelope) => envelope,
        };
        match envelope {
            Envelope::Call(request, reply_to) => {
                let reply = state.handle_call(request, &mut ctx).await;
                reply_to.send(reply);
            }
            Envelope::Cast(message) => state.handle_cast(message, &mut ctx).await,
            Envelope::Info(message) => state.handle_info(Info::Message(message), &mut ctx).await,
            Envelope::Down(notice) => state.handle_info(Info::Down(*notice), &mut ctx).await,
        }
    }
}

enum Event<S: Service> {
    Shutdown(ExitReason),
    Message(Envelope<S>),
}

/// The next thing the service loop handles. A shutdown request goes first (OTP handles the
/// supervisor's exit signal before queued messages); it is checked with a plain atomic load
/// before each message, and its channel is polled (a waker registration) only when the
/// mailbox is empty and the task is about to sleep. Both polls use tokio's cooperative
/// budget, so a service with a full mailbox still yields to other tasks.
fn next_event<S: Service>(
    inbox: &mut Inbox<S>,
    shutdown: &mut ShutdownSignal,
    cx: &mut std::task::Context<'_>,
) -> Poll<Event<S>> {
    if let Some(reason) = shutdown.try_requested() {
        return Poll::Ready(Event::Shutdown(reason));
    }
    if let Poll::Ready(envelope) = inbox.poll_recv(cx) {
        return Poll::Ready(Event::Message(envelope));
    }
    shutdown.poll_requested(cx).map(Event::Shutdown)
}

fn spawn_incarnation<S: Service>(
    state: S,
    mailbox: Arc<Mailbox<S>>,
    link: Option<ExitLink>,
    path: Arc<str>,
    init_ack: Option<InitAck>,
) -> ProcessHandle {
    let (cell, shutdown) = ProcessCell::new(path);
    mailbox.activate(cell.clone());
    // Nobody supervises an unlinked service: once it exits, callers must learn at once that
    // it is gone.
    let deactivate = DeactivateOnExit(link.is_none().then(|| mailbox.clone()));
    let body = run_service(state, mailbox, cell.clone(), shutdown, init_ack, deactivate);
    let abort = spawn_process(cell.clone(), link, "service", body);
    ProcessHandle { cell, abort }
}

/// Spawns an incarnation without waiting for its `init`.
pub(crate) fn spawn_service<S: Service>(
    state: S,
    mailbox: Arc<Mailbox<S>>,
    link: Option<ExitLink>,
    path: Arc<str>,
) -> ProcessHandle {
    spawn_incarnation(state, mailbox, link, path, None)
}

/// Spawns an incarnation and waits until its `init` has succeeded (OTP's synchronous start).
pub(crate) async fn start_service<S: Service>(
    state: S,
    mailbox: Arc<Mailbox<S>>,
    link: Option<ExitLink>,
    path: Arc<str>,
) -> Result<ProcessHandle, StartError> {
    let child: Arc<str> = mailbox.name.clone();
    let (ack_tx, ack_rx) = oneshot::channel();
    let process = spawn_incarnation(state, mailbox, link, path, Some(ack_tx));
    match ack_rx.await {
        Ok(Ok(())) => Ok(process),
        Ok(Err(message)) => {
            process.cell.wait_exit().await;
            Err(StartError::InitFailed { child, message })
        }
        Err(_) => {
            let reason = process.cell.wait_exit().await;
            Err(StartError::ExitedDuringStart { child, reason })
        }
    }
}

impl ChildSpec {
    /// A worker child running the service built by `factory`, and the handle to reach it.
    ///
    /// `factory` runs for each incarnation, so a restarted service starts from fresh state
    /// (state that must survive lives in storage `init` reloads, as in OTP).
    pub fn service<S, F>(id: impl Into<Arc<str>>, factory: F) -> (ChildSpec, ServiceRef<S>)
    where
        S: Service,
        F: Fn() -> S + Send + Sync + 'static,
    {
        let id: Arc<str> = id.into();
        let mailbox = Mailbox::<S>::new(id.clone());
        let handle = ServiceRef::from_mailbox(mailbox.clone());
        let start: StartFn = Arc::new(move |args: StartArgs| {
            let mailbox = mailbox.clone();
            let state = factory();
            Box::pin(async move {
                let process =
                    start_service(state, mailbox.clone(), Some(args.link), args.path).await?;
                let len_source = mailbox.clone();
                let stop_source = mailbox;
                Ok(StartedChild {
                    process,
                    introspect: Introspect::Worker {
                        mailbox_len: Some(Arc::new(move || len_source.len())),
                    },
                    on_stopped: Some(Arc::new(move || stop_source.deactivate())),
                })
            })
        });
        (
            ChildSpec::from_start_fn(id, ChildKind::Worker, start),
            handle,
        )
    }
}

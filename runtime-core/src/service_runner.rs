//! The receive loop of a service incarnation and the start functions that spawn it.

use crate::child_spec::{ChildKind, ChildSpec, StartArgs, StartFn, StartedChild};
use crate::error::StartError;
use crate::exit_reason::ExitReason;
use crate::mailbox::{Envelope, Inbox, Mailbox};
use crate::process::{spawn_process, ExitLink, ProcessCell, ProcessHandle, ShutdownSignal};
use crate::service::{Context, Info, Service};
use crate::service_ref::ServiceRef;
use crate::snapshot::Introspect;
use std::future::{poll_fn, Future};
use std::sync::Arc;
use std::task::Poll;
use tokio::sync::oneshot;

type InitAck = oneshot::Sender<Result<(), String>>;

/// Everything one incarnation's loop works with, built by the spawner.
///
/// The loop is an `async move` block that uses this struct where it was captured, instead of an
/// `async fn` taking it (or its parts) as arguments: an `async fn` keeps its arguments and the
/// locals they are moved into as separate fields of its state machine. For a small service the
/// future is 272 bytes this way, 440 as an `async fn` of this struct and 432 as the former
/// `async fn` of six arguments; every byte of it is heap memory a spawn writes and a first poll
/// reads.
struct Incarnation<S: Service> {
    state: S,
    ctx: Context<S>,
    inbox: Inbox<S>,
    shutdown: ShutdownSignal,
    init_ack: Option<InitAck>,
}

// Not an `async fn`: see `Incarnation`.
#[allow(clippy::manual_async_fn)]
fn run_service<S: Service>(mut inc: Incarnation<S>) -> impl Future<Output = ExitReason> + Send {
    async move {
        if let Err(error) = inc.state.init(&mut inc.ctx).await {
            return init_failed(inc.init_ack.take(), error);
        }
        if let Some(ack) = inc.init_ack.take() {
            let _ = ack.send(Ok(()));
        }
        loop {
            if let Some(reason) = inc.ctx.stop.take() {
                inc.state.terminate(&reason, &mut inc.ctx).await;
                return reason;
            }
            let event = poll_fn(|cx| next_event(&mut inc.inbox, &mut inc.shutdown, cx)).await;
            match event {
                Event::Shutdown(reason) => inc.ctx.stop = Some(reason),
                Event::Message(Envelope::Call(request, reply_to)) => {
                    let reply = inc.state.handle_call(request, &mut inc.ctx).await;
                    reply_to.send(reply);
                }
                Event::Message(Envelope::Cast(message)) => {
                    inc.state.handle_cast(message, &mut inc.ctx).await
                }
                Event::Message(Envelope::Info(message)) => {
                    inc.state
                        .handle_info(Info::Message(message), &mut inc.ctx)
                        .await
                }
                Event::Message(Envelope::Down(notice)) => {
                    inc.state
                        .handle_info(Info::Down(*notice), &mut inc.ctx)
                        .await
                }
            }
        }
    }
}

/// Out of line: a failed `init` is rare, and its message handling need not be inlined into
/// every service's loop.
#[cold]
#[inline(never)]
fn init_failed(init_ack: Option<InitAck>, error: crate::error::InitError) -> ExitReason {
    let message = error.to_string();
    if let Some(ack) = init_ack {
        let _ = ack.send(Err(message.clone()));
    }
    ExitReason::Error(message.into())
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
    let cell = mailbox.activate(path);
    let shutdown = ProcessCell::signal(&cell);
    let ctx = Context {
        myself: ServiceRef::from_mailbox(mailbox.clone()),
        pid: cell.pid(),
        stop: None,
        timers: Vec::new(),
    };
    // Nobody supervises an unlinked service: once it exits, callers must learn at once that
    // it is gone. The receiver is taken now, so the calls queued during a restart wait for
    // this incarnation; it goes back to the mailbox when the service's future ends or is
    // dropped, before the exit is published.
    let inbox = Mailbox::inbox(mailbox, link.is_none());
    let body = run_service(Incarnation {
        state,
        ctx,
        inbox,
        shutdown,
        init_ack,
    });
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

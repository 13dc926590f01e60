//! A service's mailbox. It outlives incarnations: a restarted service reads the same queue, so
//! handles stay valid and messages sent during a restart are served by the next incarnation.

use crate::process::{DownNotice, ProcessCell};
use crate::service::Service;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, oneshot};

/// Why a call's reply never came, as seen from inside the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyFailure {
    /// The incarnation handling the call exited before replying.
    Crashed,
    /// The service stopped for good while the call waited in its mailbox.
    NotRunning,
}

pub(crate) type ReplyResult<R> = Result<R, ReplyFailure>;

/// The reply slot of one call. Dropped unanswered (the handler panicked or the service was
/// killed) it tells the caller the service crashed.
pub(crate) struct ReplyTo<R> {
    tx: Option<oneshot::Sender<ReplyResult<R>>>,
}

impl<R> ReplyTo<R> {
    pub(crate) fn new(tx: oneshot::Sender<ReplyResult<R>>) -> Self {
        ReplyTo { tx: Some(tx) }
    }

    pub(crate) fn send(mut self, reply: R) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Ok(reply));
        }
    }

    fn fail(mut self, failure: ReplyFailure) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(failure));
        }
    }
}

impl<R> Drop for ReplyTo<R> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(ReplyFailure::Crashed));
        }
    }
}

pub(crate) enum Envelope<S: Service> {
    Call(S::Call, ReplyTo<S::Reply>),
    Cast(S::Cast),
    Info(S::Info),
    /// Boxed because monitor notices are rare: out of line they keep every envelope small, and
    /// tokio allocates a mailbox's queue in blocks of 32 envelopes, the first one at creation.
    Down(Box<DownNotice>),
}

pub(crate) struct Mailbox<S: Service> {
    pub(crate) name: Arc<str>,
    tx: mpsc::UnboundedSender<Envelope<S>>,
    rx: Mutex<mpsc::UnboundedReceiver<Envelope<S>>>,
    /// False while the service is stopped and not about to be restarted: sends fail fast.
    accepting: AtomicBool,
    current: Mutex<Option<Arc<ProcessCell>>>,
}

impl<S: Service> Mailbox<S> {
    pub(crate) fn new(name: Arc<str>) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        Arc::new(Mailbox {
            name,
            tx,
            rx: Mutex::new(rx),
            accepting: AtomicBool::new(false),
            current: Mutex::new(None),
        })
    }

    /// Sends unless the service is stopped; gives the envelope back if it is.
    #[inline]
    pub(crate) fn send(&self, envelope: Envelope<S>) -> Result<(), Envelope<S>> {
        if !self.accepting.load(Ordering::Acquire) {
            return Err(envelope);
        }
        self.tx.send(envelope).map_err(|e| e.0)
    }

    /// Polls for the next envelope, registering the task's waker when there is none. The
    /// receiver lock is held only while polling, so the queue length can be read from
    /// elsewhere at any time.
    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Envelope<S>> {
        self.rx.lock().poll_recv(cx).map(|next| {
            // The mailbox holds a sender itself, so the channel never closes.
            next.expect("mailbox sender is owned by the mailbox")
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.rx.lock().len()
    }

    pub(crate) fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire)
    }

    /// A new incarnation takes over the mailbox.
    pub(crate) fn activate(&self, cell: Arc<ProcessCell>) {
        *self.current.lock() = Some(cell);
        self.accepting.store(true, Ordering::Release);
    }

    /// The service stopped and will not be restarted (for now): refuse new messages and fail
    /// the calls still queued, so their callers learn it at once instead of timing out.
    pub(crate) fn deactivate(&self) {
        self.accepting.store(false, Ordering::Release);
        let drained: Vec<Envelope<S>> = {
            let mut rx = self.rx.lock();
            std::iter::from_fn(|| rx.try_recv().ok()).collect()
        };
        for envelope in drained {
            if let Envelope::Call(_, reply) = envelope {
                reply.fail(ReplyFailure::NotRunning);
            }
        }
    }

    pub(crate) fn current(&self) -> Option<Arc<ProcessCell>> {
        self.current.lock().clone()
    }

    pub(crate) fn deliver_down(&self, notice: DownNotice) -> bool {
        self.send(Envelope::Down(Box::new(notice))).is_ok()
    }
}

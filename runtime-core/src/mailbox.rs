//! A service's mailbox. It outlives incarnations: a restarted service reads the same queue, so
//! handles stay valid and messages sent during a restart are served by the next incarnation.

use crate::process::{CellHost, CellRef, DownNotice, ProcessCell};
use crate::service::Service;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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

// `repr(C)` keeps the field order: `sent` (written by every sender) and `received` (written
// by the receiving incarnation) are more than a cache line apart, so a call does not bounce
// one line between the caller's core and the service's.
#[repr(C)]
pub(crate) struct Mailbox<S: Service> {
    /// Messages sent over the mailbox's life, so its length can be read while an incarnation
    /// holds the receiver (see `received`).
    sent: AtomicUsize,
    /// False while the service is stopped and not about to be restarted: sends fail fast.
    accepting: AtomicBool,
    tx: mpsc::UnboundedSender<Envelope<S>>,
    pub(crate) name: Arc<str>,
    /// The receiver while no incarnation runs. A running incarnation takes it out for its
    /// whole life (see [`Inbox`]), so receiving takes no lock: the lock and unlock of a
    /// receiver mutex on every poll were the largest cost of a call on a multi-threaded
    /// runtime after the channel itself.
    rx: Mutex<Option<mpsc::UnboundedReceiver<Envelope<S>>>>,
    current: Mutex<Option<CurrentCell>>,
    /// The first incarnation's process cell, set when it is spawned. Most services never
    /// restart, so keeping it here saves each spawned service an allocation of its own for it.
    first: OnceLock<ProcessCell>,
    /// Messages taken off the queue. It has one writer at a time (whoever holds the
    /// receiver), so counting is a plain store, not a read-modify-write.
    received: AtomicUsize,
}

impl<S: Service> Mailbox<S> {
    pub(crate) fn new(name: Arc<str>) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        Arc::new(Mailbox {
            sent: AtomicUsize::new(0),
            accepting: AtomicBool::new(false),
            tx,
            name,
            rx: Mutex::new(Some(rx)),
            current: Mutex::new(None),
            first: OnceLock::new(),
            received: AtomicUsize::new(0),
        })
    }

    /// Sends unless the service is stopped; gives the envelope back if it is.
    #[inline]
    pub(crate) fn send(&self, envelope: Envelope<S>) -> Result<(), Envelope<S>> {
        if !self.accepting.load(Ordering::Acquire) {
            return Err(envelope);
        }
        // Counted before it is queued, so a reader never sees more received than sent.
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.tx.send(envelope).map_err(|e| {
            self.sent.fetch_sub(1, Ordering::Relaxed);
            e.0
        })
    }

    /// Counts one envelope taken off the queue. Only the receiver's holder calls this.
    fn count_received(&self) {
        let received = self.received.load(Ordering::Relaxed);
        self.received.store(received + 1, Ordering::Release);
    }

    /// Takes the receiver for a running incarnation; it comes back when the [`Inbox`] drops.
    /// With `deactivate_on_exit` (an unsupervised service) the mailbox is deactivated then.
    pub(crate) fn inbox(mailbox: Arc<Self>, deactivate_on_exit: bool) -> Inbox<S> {
        let rx = mailbox.rx.lock().take();
        Inbox {
            mailbox,
            rx,
            deactivate_on_exit,
        }
    }

    pub(crate) fn len(&self) -> usize {
        if let Some(rx) = self.rx.lock().as_ref() {
            return rx.len();
        }
        // An incarnation holds the receiver. Received is read first: every envelope it counts
        // was counted as sent before, so the difference is never negative in a consistent
        // view; saturating in case `sent` was read before a concurrent send's count.
        let received = self.received.load(Ordering::Acquire);
        self.sent.load(Ordering::Relaxed).saturating_sub(received)
    }

    pub(crate) fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::Acquire)
    }

    /// A new incarnation named `name` takes over the mailbox; returns its process cell. The
    /// first incarnation's cell is the one in the mailbox, later ones get their own.
    pub(crate) fn activate(self: &Arc<Self>, name: Arc<str>) -> CellRef {
        let mut current = self.current.lock();
        // Under the `current` lock, so two activations cannot both find the slot empty.
        let (cell, slot) = if self.first.get().is_none() {
            self.first.get_or_init(|| ProcessCell::unshared(name));
            (CellRef::hosted(self.clone()), CurrentCell::First)
        } else {
            let (cell, _) = ProcessCell::shared(name);
            (cell.clone(), CurrentCell::Later(cell))
        };
        *current = Some(slot);
        drop(current);
        self.accepting.store(true, Ordering::Release);
        cell
    }

    /// The service stopped and will not be restarted (for now): refuse new messages and fail
    /// the calls still queued, so their callers learn it at once instead of timing out. If an
    /// incarnation still holds the receiver, its [`Inbox`] does the draining when it returns it.
    pub(crate) fn deactivate(&self) {
        self.accepting.store(false, Ordering::Release);
        let drained = {
            let mut rx = self.rx.lock();
            match rx.as_mut() {
                Some(rx) => self.drain(rx),
                None => Vec::new(),
            }
        };
        fail_calls(drained);
    }

    fn drain(&self, rx: &mut mpsc::UnboundedReceiver<Envelope<S>>) -> Vec<Envelope<S>> {
        let drained: Vec<Envelope<S>> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        for _ in &drained {
            self.count_received();
        }
        drained
    }

    pub(crate) fn current(self: &Arc<Self>) -> Option<CellRef> {
        match self.current.lock().as_ref()? {
            CurrentCell::First => Some(CellRef::hosted(self.clone())),
            CurrentCell::Later(cell) => Some(cell.clone()),
        }
    }

    pub(crate) fn deliver_down(&self, notice: DownNotice) -> bool {
        self.send(Envelope::Down(Box::new(notice))).is_ok()
    }
}

/// Which cell the current incarnation uses. The mailbox's own cell is named, not referenced:
/// a `CellRef` to it would be a reference from the mailbox to itself, which would never drop.
enum CurrentCell {
    First,
    Later(CellRef),
}

impl<S: Service> CellHost for Mailbox<S> {
    fn cell(&self) -> &ProcessCell {
        // A `CellRef` to a mailbox is made only by `activate`, after it set the cell.
        self.first
            .get()
            .expect("a mailbox's cell is referenced only once it is set")
    }
}

fn fail_calls<S: Service>(drained: Vec<Envelope<S>>) {
    for envelope in drained {
        if let Envelope::Call(_, reply) = envelope {
            reply.fail(ReplyFailure::NotRunning);
        }
    }
}

/// A running incarnation's hold on its mailbox's receiver. Dropped (the incarnation returned,
/// panicked or was aborted) it puts the receiver back before the exit is published, so the
/// next incarnation finds it; if the mailbox was deactivated meanwhile, it fails the calls
/// still queued, as [`Mailbox::deactivate`] would have.
pub(crate) struct Inbox<S: Service> {
    mailbox: Arc<Mailbox<S>>,
    rx: Option<mpsc::UnboundedReceiver<Envelope<S>>>,
    /// Nobody will restart this service (it is unsupervised): deactivate the mailbox on drop,
    /// however the incarnation ended, so callers learn at once that it is gone. Here rather
    /// than in a monitor, so no closure is allocated for it.
    deactivate_on_exit: bool,
}

impl<S: Service> Inbox<S> {
    /// Polls for the next envelope, registering the task's waker when there is none.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Envelope<S>> {
        let rx = self
            .rx
            .as_mut()
            .expect("one incarnation of a service runs at a time, and it holds the receiver");
        rx.poll_recv(cx).map(|next| {
            self.mailbox.count_received();
            // The mailbox holds a sender itself, so the channel never closes.
            next.expect("mailbox sender is owned by the mailbox")
        })
    }
}

impl<S: Service> Drop for Inbox<S> {
    fn drop(&mut self) {
        if self.deactivate_on_exit {
            self.mailbox.accepting.store(false, Ordering::Release);
        }
        let Some(mut rx) = self.rx.take() else {
            return;
        };
        let drained = {
            let mut slot = self.mailbox.rx.lock();
            // Read under the lock: a `deactivate` that ran while the receiver was out set the
            // flag before taking this lock, and one that runs later finds the receiver back.
            let drained = if self.mailbox.is_accepting() {
                Vec::new()
            } else {
                self.mailbox.drain(&mut rx)
            };
            *slot = Some(rx);
            drained
        };
        fail_calls(drained);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Context as ServiceContext;
    use crate::service_ref::ServiceRef;
    use crate::ExitReason;
    use std::time::Duration;
    use tokio::sync::{mpsc as chan, Semaphore};

    /// Blocks in `handle_cast` until released, telling the test when it got there.
    struct Gate {
        entered: chan::UnboundedSender<()>,
        release: Arc<Semaphore>,
    }

    impl Service for Gate {
        type Call = ();
        type Reply = ();
        type Cast = ();
        type Info = ();

        async fn handle_call(&mut self, _: (), _: &mut ServiceContext<Self>) {}

        async fn handle_cast(&mut self, _: (), _: &mut ServiceContext<Self>) {
            let _ = self.entered.send(());
            if let Ok(permit) = self.release.acquire().await {
                permit.forget();
            }
        }
    }

    #[test]
    fn sent_and_received_counters_are_on_different_cache_lines() {
        let sent = std::mem::offset_of!(Mailbox<Gate>, sent);
        let received = std::mem::offset_of!(Mailbox<Gate>, received);
        assert!(
            received.abs_diff(sent) >= 64,
            "sent {sent}, received {received}"
        );
    }

    #[test]
    fn the_first_incarnation_uses_the_mailbox_cell_and_later_ones_their_own() {
        let mailbox = Mailbox::<Gate>::new("gate".into());
        let weak = Arc::downgrade(&mailbox);
        let first = mailbox.activate("sup/gate".into());
        assert_eq!(&**first.name(), "sup/gate");
        let current = mailbox.current().expect("activated");
        assert_eq!(current.pid(), first.pid());
        first.publish_exit(ExitReason::Normal, None);
        let second = mailbox.activate("sup/gate".into());
        assert_ne!(second.pid(), first.pid());
        assert_eq!(mailbox.current().map(|c| c.pid()), Some(second.pid()));
        // The first cell keeps its exit; the new incarnation has not exited.
        assert_eq!(first.exit_reason(), Some(&ExitReason::Normal));
        assert_eq!(second.exit_reason(), None);
        // Naming its own cell as current does not keep the mailbox alive: once the handles
        // are gone it is freed.
        drop((first, current, second, mailbox));
        assert!(weak.upgrade().is_none());
    }

    #[tokio::test]
    async fn length_is_counted_while_an_incarnation_holds_the_receiver() {
        let (entered_tx, mut entered) = chan::unbounded_channel();
        let release = Arc::new(Semaphore::new(0));
        let gate = Gate {
            entered: entered_tx,
            release: release.clone(),
        };
        let svc = ServiceRef::start_unsupervised("gate", gate).await.unwrap();
        svc.cast(()).unwrap();
        tokio::time::timeout(Duration::from_secs(5), entered.recv())
            .await
            .expect("the handler runs")
            .unwrap();
        for _ in 0..3 {
            svc.cast(()).unwrap();
        }
        assert_eq!(svc.mailbox_len(), 3);
        release.add_permits(4);
        svc.call(()).await.unwrap();
        assert_eq!(svc.mailbox_len(), 0);
        // Stopped, the receiver is back in the mailbox and read directly.
        assert_eq!(svc.stop(ExitReason::Normal).await, Some(ExitReason::Normal));
        assert_eq!(svc.mailbox_len(), 0);
        assert!(svc.cast(()).is_err());
    }
}

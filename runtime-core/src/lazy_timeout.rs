//! A timeout whose timer is armed only when the awaited future is not ready after a few
//! scheduler passes.
//!
//! Most awaited replies and exits in this crate arrive within those passes (the other side was
//! woken by the request and runs first), and registering and clearing a tokio timer entry
//! (which also writes to the driver's eventfd when the wheel's next deadline changes) was the
//! largest cost of a call round trip and of stopping a child after the channel operations
//! themselves (see `benches/peers.rs`). Arming late moves the deadline by a few scheduler
//! passes, far below the timer's 1 ms resolution; under paused test time no time passes in
//! between.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// Waits for `future` at most about `limit`; `None` when the limit elapsed first.
pub(crate) fn lazy_timeout<F: Future + Unpin>(limit: Duration, future: F) -> LazyTimeout<F> {
    LazyTimeout {
        future,
        limit,
        timer: TimerState::NotArmed,
    }
}

pub(crate) struct LazyTimeout<F> {
    future: F,
    limit: Duration,
    timer: TimerState,
}

/// Scheduler passes to wait before arming the timer. A reply that needs one more hop (a
/// supervisor answering once a child it started or stopped has run) takes three.
const PASSES_BEFORE_ARMING: u8 = 3;

enum TimerState {
    NotArmed,
    /// The task has re-queued itself this many times without a result.
    Yielded(u8),
    Armed(Pin<Box<Sleep>>),
}

impl<F: Future + Unpin> Future for LazyTimeout<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let TimerState::NotArmed = this.timer {
            // The request was sent just now and its answer is rarely there yet: skip the first
            // poll (and its waker registration) and come back after one scheduler pass. A
            // plain self-wake re-queues the task at once; `yield_now` would defer the wake
            // until the scheduler polls the I/O driver.
            this.timer = TimerState::Yielded(1);
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        if let Poll::Ready(output) = Pin::new(&mut this.future).poll(cx) {
            return Poll::Ready(Some(output));
        }
        match &mut this.timer {
            TimerState::Yielded(passes) if *passes < PASSES_BEFORE_ARMING => {
                *passes += 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            TimerState::Armed(sleep) => match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
            _ => {
                let mut sleep = Box::pin(tokio::time::sleep(this.limit));
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                this.timer = TimerState::Armed(sleep);
                Poll::Pending
            }
        }
    }
}

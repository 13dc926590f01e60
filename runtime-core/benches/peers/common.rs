//! What every implementation's worker shares: a readiness/completion latch and the worker's
//! configuration, so the four implementations run the same workload.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

/// Counts down to zero once; one waiter is woken at zero.
pub struct Latch {
    remaining: AtomicUsize,
    notify: Notify,
}

impl Latch {
    pub fn new(n: usize) -> Arc<Latch> {
        Arc::new(Latch {
            remaining: AtomicUsize::new(n),
            notify: Notify::new(),
        })
    }

    pub fn count_down(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.notify.notify_one();
        }
    }

    pub async fn wait(&self) {
        while self.remaining.load(Ordering::Acquire) != 0 {
            // notify_one stores a permit, so a count_down between the load and here is not lost.
            self.notify.notified().await;
        }
    }
}

/// How a benchmark worker behaves, identical for every implementation.
#[derive(Clone, Default)]
pub struct WorkerCfg {
    /// Counted down when the worker has started (init / pre_start / on_start ran).
    pub ready: Option<Arc<Latch>>,
    /// Counted down when the worker has received `target` count messages.
    pub done: Option<Arc<Latch>>,
    pub target: u64,
    /// Incremented on every start, restarts included.
    pub starts: Option<Arc<AtomicUsize>>,
    /// Crash right after starting (restart storms).
    pub crash_on_start: bool,
}

impl WorkerCfg {
    pub fn on_start(&self) {
        if let Some(starts) = &self.starts {
            starts.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(ready) = &self.ready {
            ready.count_down();
        }
    }

    /// Records one count message; `seen` is the worker's own counter.
    pub fn on_count(&self, seen: &mut u64) {
        *seen += 1;
        if *seen == self.target {
            if let Some(done) = &self.done {
                done.count_down();
            }
        }
    }
}

pub const CRASH: &str = "bench: deliberate crash";

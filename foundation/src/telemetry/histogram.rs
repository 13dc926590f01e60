//! A histogram sharded by thread, so concurrent recorders rarely share a lock; shards are merged
//! only when a snapshot is taken.

use hdrhistogram::Histogram as Hdr;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Significant decimal digits kept by every histogram (0.1% relative error).
const SIGFIG: u8 = 3;

static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);
thread_local! {
    static SHARD: usize = NEXT_SHARD.fetch_add(1, Ordering::Relaxed);
}

/// Percentiles and extremes of a histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistogramSummary {
    /// Values recorded.
    pub count: u64,
    /// Smallest value.
    pub min: u64,
    /// Largest value.
    pub max: u64,
    /// Mean.
    pub mean: f64,
    /// Sum of all values (approximate: from bucket midpoints).
    pub sum: f64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
}

/// An HDR histogram of non-negative integers, sharded per thread.
pub struct ShardedHistogram {
    shards: Box<[Mutex<Hdr<u64>>]>,
}

impl std::fmt::Debug for ShardedHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardedHistogram")
            .field("shards", &self.shards.len())
            .finish()
    }
}

fn empty() -> Hdr<u64> {
    // SIGFIG is a valid constant (0..=5), so construction cannot fail.
    let mut h = Hdr::new(SIGFIG).expect("3 significant figures is a valid HDR precision");
    h.auto(true);
    h
}

impl Default for ShardedHistogram {
    fn default() -> Self {
        let n = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(2, 16)
            * 2;
        ShardedHistogram {
            shards: (0..n).map(|_| Mutex::new(empty())).collect(),
        }
    }
}

impl ShardedHistogram {
    /// Records one value.
    #[inline]
    pub fn record(&self, value: u64) {
        let i = SHARD.with(|s| *s) % self.shards.len();
        let mut h = self.shards[i].lock();
        // Auto-resizing grows the range; only values beyond what HDR can track saturate.
        if h.record(value).is_err() {
            h.saturating_record(value);
        }
    }

    /// Merges the shards into one summary.
    pub fn summary(&self) -> HistogramSummary {
        let mut all = empty();
        for s in self.shards.iter() {
            // Auto-resizing histograms of the same precision always merge.
            let _ = all.add(&*s.lock());
        }
        if all.is_empty() {
            return HistogramSummary {
                count: 0,
                min: 0,
                max: 0,
                mean: 0.0,
                sum: 0.0,
                p50: 0,
                p90: 0,
                p99: 0,
            };
        }
        HistogramSummary {
            count: all.len(),
            min: all.min(),
            max: all.max(),
            mean: all.mean(),
            sum: all.mean() * all.len() as f64,
            p50: all.value_at_quantile(0.50),
            p90: all.value_at_quantile(0.90),
            p99: all.value_at_quantile(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_real() {
        let h = ShardedHistogram::default();
        for v in 1..=1000u64 {
            h.record(v);
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!((s.min, s.max), (1, 1000));
        assert!((499..=501).contains(&s.p50), "{s:?}");
        assert!((899..=901).contains(&s.p90), "{s:?}");
        assert!((989..=991).contains(&s.p99), "{s:?}");
    }

    #[test]
    fn shards_merge_across_threads() {
        let h = std::sync::Arc::new(ShardedHistogram::default());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let h = h.clone();
                std::thread::spawn(move || (0..250).for_each(|i| h.record(t * 1000 + i)))
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert_eq!(s.max, 3249);
    }
}

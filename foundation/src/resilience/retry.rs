//! Retry with exponential backoff and jitter, on the `backon` crate.

use backon::{ExponentialBuilder, Retryable};
use std::future::Future;
use std::time::Duration;

/// How to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// First delay.
    pub initial: Duration,
    /// Longest delay.
    pub max_delay: Duration,
    /// Growth factor per attempt.
    pub factor: f32,
    /// Retries after the first attempt.
    pub max_retries: usize,
    /// Randomise delays so many clients do not retry in lockstep.
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            initial: Duration::from_millis(50),
            max_delay: Duration::from_secs(5),
            factor: 2.0,
            max_retries: 5,
            jitter: true,
        }
    }
}

impl RetryPolicy {
    fn backoff(&self) -> ExponentialBuilder {
        let b = ExponentialBuilder::default()
            .with_min_delay(self.initial)
            .with_max_delay(self.max_delay)
            .with_factor(self.factor)
            .with_max_times(self.max_retries);
        if self.jitter {
            b.with_jitter()
        } else {
            b
        }
    }
}

/// Runs `op` until it succeeds, fails with an error `retryable` rejects, or the retries run
/// out; the last error is returned. Delays use `tokio::time`.
pub async fn retry<T, E, F, Fut>(
    policy: &RetryPolicy,
    op: F,
    retryable: impl Fn(&E) -> bool,
) -> Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    op.retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(retryable)
        .notify(|_, delay| tracing::debug!(?delay, "retrying after failure"))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test(start_paused = true)]
    async fn retries_until_success_with_growing_delays() {
        let attempts = AtomicU32::new(0);
        let start = tokio::time::Instant::now();
        let policy = RetryPolicy {
            jitter: false,
            initial: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
        let r: Result<u32, &str> = retry(
            &policy,
            || async {
                let n = attempts.fetch_add(1, Ordering::SeqCst);
                if n < 3 {
                    Err("transient")
                } else {
                    Ok(n)
                }
            },
            |_| true,
        )
        .await;
        assert_eq!(r, Ok(3));
        // 100 + 200 + 400 ms of backoff on the paused clock.
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(700) && waited < Duration::from_millis(720),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_permanent_errors_and_after_max_retries() {
        let attempts = AtomicU32::new(0);
        let r: Result<(), &str> = retry(
            &RetryPolicy::default(),
            || async {
                attempts.fetch_add(1, Ordering::SeqCst);
                Err("fatal")
            },
            |e| *e != "fatal",
        )
        .await;
        assert_eq!(r, Err("fatal"));
        assert_eq!(attempts.load(Ordering::SeqCst), 1);
        let attempts = AtomicU32::new(0);
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        let r: Result<(), &str> = retry(
            &policy,
            || async {
                attempts.fetch_add(1, Ordering::SeqCst);
                Err("again")
            },
            |_| true,
        )
        .await;
        assert_eq!(r, Err("again"));
        assert_eq!(attempts.load(Ordering::SeqCst), 3);
    }
}

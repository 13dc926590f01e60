//! Rate limiting with the GCRA algorithm from the `governor` crate, for one global budget or a
//! budget per key (e.g. per client address).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// Over budget; try again after the given time.
    #[error("rate limit exceeded; retry in {retry_after:?}")]
    Limited {
        /// Earliest time a request may pass.
        retry_after: Duration,
    },
    /// The rate or burst is zero.
    #[error("rate and burst must be at least 1")]
    InvalidQuota,
}

fn quota(per_second: u32, burst: u32) -> Result<Quota, RateLimitError> {
    let rate = NonZeroU32::new(per_second).ok_or(RateLimitError::InvalidQuota)?;
    let burst = NonZeroU32::new(burst).ok_or(RateLimitError::InvalidQuota)?;
    Ok(Quota::per_second(rate).allow_burst(burst))
}

/// One shared budget.
#[derive(Debug)]
pub struct RateLimiter {
    inner: DefaultDirectRateLimiter,
}

impl RateLimiter {
    /// `per_second` sustained, up to `burst` at once.
    pub fn per_second(per_second: u32, burst: u32) -> Result<Self, RateLimitError> {
        Ok(RateLimiter {
            inner: governor::RateLimiter::direct(quota(per_second, burst)?),
        })
    }

    /// Takes one unit or says when to retry.
    pub fn check(&self) -> Result<(), RateLimitError> {
        self.inner
            .check()
            .map_err(|not_until| RateLimitError::Limited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }

    /// Waits until a unit is available and takes it.
    pub async fn acquire(&self) {
        self.inner.until_ready().await;
    }
}

/// A budget per key.
#[derive(Debug)]
pub struct KeyedRateLimiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> KeyedRateLimiter<K> {
    /// `per_second` sustained per key, up to `burst` at once.
    pub fn per_second(per_second: u32, burst: u32) -> Result<Self, RateLimitError> {
        Ok(KeyedRateLimiter {
            inner: governor::RateLimiter::keyed(quota(per_second, burst)?),
        })
    }

    /// Takes one unit of `key`'s budget or says when to retry.
    pub fn check(&self, key: &K) -> Result<(), RateLimitError> {
        self.inner
            .check_key(key)
            .map_err(|not_until| RateLimitError::Limited {
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            })
    }

    /// Forgets keys whose budget is full again, bounding memory.
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_passes_then_refuses_with_a_wait() {
        // A rate of 1/s makes the refill negligible during the test.
        let l = RateLimiter::per_second(1, 3).expect("quota");
        for _ in 0..3 {
            assert_eq!(l.check(), Ok(()));
        }
        match l.check() {
            Err(RateLimitError::Limited { retry_after }) => assert!(retry_after > Duration::ZERO),
            other => panic!("expected Limited, got {other:?}"),
        }
        assert!(matches!(
            RateLimiter::per_second(0, 1),
            Err(RateLimitError::InvalidQuota)
        ));
    }

    #[test]
    fn keys_have_separate_budgets() {
        let l = KeyedRateLimiter::per_second(1, 1).expect("quota");
        assert!(l.check(&"a").is_ok());
        assert!(l.check(&"a").is_err());
        assert!(l.check(&"b").is_ok());
    }
}

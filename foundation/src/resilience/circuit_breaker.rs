//! A circuit breaker: after enough consecutive failures it opens and fails calls fast for a
//! while, then lets a few trial calls through (half-open) to decide whether to close again.
//!
//! Time comes from `tokio::time`, so tests drive it with a paused clock.

use parking_lot::Mutex;
use serde::Serialize;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// Breaker settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before allowing trial calls.
    pub open_for: Duration,
    /// Trial calls allowed at once while half-open.
    pub half_open_calls: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            failure_threshold: 5,
            open_for: Duration::from_secs(30),
            half_open_calls: 1,
        }
    }
}

/// Observable breaker state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls pass.
    Closed,
    /// Calls fail fast.
    Open,
    /// Trial calls pass.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { in_flight: u32 },
}

/// Why a guarded call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CircuitError<E> {
    /// The breaker is open; the call was not made.
    #[error("circuit `{name}` is open; retry in {retry_after:?}")]
    Open {
        /// Breaker name.
        name: String,
        /// Time until trial calls are allowed.
        retry_after: Duration,
    },
    /// The call was made and failed.
    #[error("{0}")]
    Inner(E),
}

/// A named circuit breaker; share it behind an `Arc`.
#[derive(Debug)]
pub struct CircuitBreaker {
    name: String,
    config: BreakerConfig,
    state: Mutex<State>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(name: impl Into<String>, config: BreakerConfig) -> Self {
        CircuitBreaker {
            name: name.into(),
            config,
            state: Mutex::new(State::Closed { failures: 0 }),
        }
    }

    /// Current state (an expired open period reads as half-open).
    pub fn state(&self) -> BreakerState {
        match *self.state.lock() {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if Instant::now() < until => BreakerState::Open,
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    fn admit<E>(&self) -> Result<(), CircuitError<E>> {
        let mut st = self.state.lock();
        let now = Instant::now();
        match *st {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now < until => Err(CircuitError::Open {
                name: self.name.clone(),
                retry_after: until - now,
            }),
            State::Open { .. } => {
                *st = State::HalfOpen { in_flight: 1 };
                Ok(())
            }
            State::HalfOpen { in_flight } if in_flight < self.config.half_open_calls => {
                *st = State::HalfOpen {
                    in_flight: in_flight + 1,
                };
                Ok(())
            }
            State::HalfOpen { .. } => Err(CircuitError::Open {
                name: self.name.clone(),
                retry_after: Duration::ZERO,
            }),
        }
    }

    fn record(&self, ok: bool) {
        let mut st = self.state.lock();
        let open = State::Open {
            until: Instant::now() + self.config.open_for,
        };
        *st = match (&*st, ok) {
            (_, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.config.failure_threshold => {
                State::Closed {
                    failures: failures + 1,
                }
            }
            (_, false) => {
                tracing::warn!(breaker = %self.name, "circuit opened");
                open
            }
        };
    }

    /// Runs `op` when the breaker admits it, and records its outcome.
    pub async fn call<T, E, F, Fut>(&self, op: F) -> Result<T, CircuitError<E>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.admit()?;
        let result = op().await;
        self.record(result.is_ok());
        result.map_err(CircuitError::Inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fail(b: &CircuitBreaker) -> Result<(), CircuitError<&'static str>> {
        b.call(|| async { Err::<(), _>("boom") }).await
    }
    async fn succeed(b: &CircuitBreaker) -> Result<(), CircuitError<&'static str>> {
        b.call(|| async { Ok::<(), &str>(()) }).await
    }

    #[tokio::test(start_paused = true)]
    async fn opens_fails_fast_then_recovers_through_half_open() {
        let b = CircuitBreaker::new(
            "db",
            BreakerConfig {
                failure_threshold: 3,
                open_for: Duration::from_secs(10),
                half_open_calls: 1,
            },
        );
        for _ in 0..3 {
            assert_eq!(fail(&b).await, Err(CircuitError::Inner("boom")));
        }
        assert_eq!(b.state(), BreakerState::Open);
        let mut called = false;
        let r: Result<(), CircuitError<&str>> = b
            .call(|| {
                called = true;
                async { Ok(()) }
            })
            .await;
        assert!(matches!(r, Err(CircuitError::Open { .. })));
        assert!(!called, "an open breaker does not call");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert!(fail(&b).await.is_err());
        assert_eq!(b.state(), BreakerState::Open, "a failed trial reopens");
        tokio::time::advance(Duration::from_secs(10)).await;
        assert!(succeed(&b).await.is_ok());
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn success_resets_the_failure_count() {
        let b = CircuitBreaker::new(
            "x",
            BreakerConfig {
                failure_threshold: 2,
                ..BreakerConfig::default()
            },
        );
        assert!(fail(&b).await.is_err());
        assert!(succeed(&b).await.is_ok());
        assert!(fail(&b).await.is_err());
        assert_eq!(b.state(), BreakerState::Closed);
    }
}

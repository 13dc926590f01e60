//! Shared resilience tools for the upper layers: a circuit breaker, rate limiters and retry with
//! exponential backoff and jitter.

mod circuit_breaker;
mod rate_limiter;
mod retry;

pub use circuit_breaker::{BreakerConfig, BreakerState, CircuitBreaker, CircuitError};
pub use rate_limiter::{KeyedRateLimiter, RateLimitError, RateLimiter};
pub use retry::{retry, RetryPolicy};

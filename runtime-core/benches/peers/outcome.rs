//! What one measurement of one implementation yields.

use crate::stats::Samples;

/// One round's result for one implementation.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The primary time of the round in nanoseconds (whole operation, or mean per operation).
    pub ns: f64,
    /// Individually timed operations, when the scenario has them (latency percentiles).
    pub per_op: Samples,
    /// A fact the scenario checks besides time (restart count, escalation, memory).
    pub note: Option<String>,
    /// The headline is the median of all single operations rather than of round values.
    pub headline_per_op: bool,
}

impl Outcome {
    pub fn time(ns: f64) -> Outcome {
        Outcome {
            ns,
            ..Outcome::default()
        }
    }
}

/// Nanoseconds since `start`.
pub fn since(start: std::time::Instant) -> f64 {
    start.elapsed().as_nanos() as f64
}

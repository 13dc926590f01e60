//! The declared set of paths that may change at run time, each with its validation rule.

use serde::Serialize;
use std::fmt;

/// A validation rule for an updatable path.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Rule {
    /// An integer in `min..=max`.
    IntRange {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// A number in `min..=max`.
    FloatRange {
        /// Smallest allowed.
        min: f64,
        /// Largest allowed.
        max: f64,
    },
    /// `true` or `false`.
    Bool,
    /// One of a fixed set of strings.
    OneOf {
        /// The allowed values.
        values: &'static [&'static str],
    },
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::IntRange { min, max } => write!(f, "an integer in {min}..={max}"),
            Rule::FloatRange { min, max } => write!(f, "a number in {min}..={max}"),
            Rule::Bool => write!(f, "a boolean"),
            Rule::OneOf { values } => write!(f, "one of {}", values.join(", ")),
        }
    }
}

impl Rule {
    /// Whether `value` satisfies the rule.
    pub fn accepts(&self, value: &serde_json::Value) -> bool {
        match self {
            Rule::IntRange { min, max } => {
                value.as_u64().is_some_and(|v| (*min..=*max).contains(&v))
            }
            Rule::FloatRange { min, max } => value
                .as_f64()
                .is_some_and(|v| v.is_finite() && *min <= v && v <= *max),
            Rule::Bool => value.is_boolean(),
            Rule::OneOf { values } => value.as_str().is_some_and(|s| values.contains(&s)),
        }
    }
}

/// Log levels accepted by `debug.log_level`.
pub const LOG_LEVELS: &[&str] = &["trace", "debug", "info", "warn", "error"];

/// Paths that may be updated at run time, with their rules.
pub const UPDATABLE: &[(&str, Rule)] = &[
    (
        "capture.batch_size",
        Rule::IntRange {
            min: 1,
            max: 100_000,
        },
    ),
    (
        "capture.flush_interval_ms",
        Rule::IntRange {
            min: 1,
            max: 60_000,
        },
    ),
    (
        "capture.sampling_rate",
        Rule::FloatRange { min: 0.0, max: 1.0 },
    ),
    (
        "query.timeout_ms",
        Rule::IntRange {
            min: 100,
            max: 300_000,
        },
    ),
    (
        "query.max_results",
        Rule::IntRange {
            min: 1,
            max: 100_000,
        },
    ),
    ("debug.enabled", Rule::Bool),
    ("debug.log_level", Rule::OneOf { values: LOG_LEVELS }),
];

/// The rule for `path`, if it is updatable.
pub fn rule_for(path: &str) -> Option<&'static Rule> {
    UPDATABLE.iter().find(|(p, _)| *p == path).map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_check_bounds_and_kinds() {
        let r = Rule::IntRange { min: 1, max: 10 };
        assert!(r.accepts(&json!(1)) && r.accepts(&json!(10)));
        assert!(!r.accepts(&json!(0)) && !r.accepts(&json!(11)) && !r.accepts(&json!(2.5)));
        assert!(!r.accepts(&json!("5")) && !r.accepts(&json!(-1)));
        let f = Rule::FloatRange { min: 0.0, max: 1.0 };
        assert!(f.accepts(&json!(0.5)) && f.accepts(&json!(1)));
        assert!(!f.accepts(&json!(1.01)));
        assert!(Rule::Bool.accepts(&json!(true)) && !Rule::Bool.accepts(&json!(1)));
        let e = Rule::OneOf { values: LOG_LEVELS };
        assert!(e.accepts(&json!("warn")) && !e.accepts(&json!("loud")));
        assert_eq!(e.to_string(), "one of trace, debug, info, warn, error");
    }
}
